//! The `Principal` / `NotPrincipal` element.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};

use super::one_or_many::OneOrMany;

/// `"Principal": "*"` or `"Principal": {"Federated": …, "AWS": …, …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone (anonymous included).
    Wildcard,
    /// A map of principal types.
    Map(PrincipalMap),
}

/// The typed form of a principal. Each type holds a string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalMap {
    /// Identity providers (OIDC provider ARNs, SAML provider ARNs,
    /// `cognito-identity.amazonaws.com`, …).
    #[serde(rename = "Federated", default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<OneOrMany<String>>,
    /// AWS accounts, users, roles, or `"*"`.
    #[serde(rename = "AWS", default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<OneOrMany<String>>,
    /// AWS service principals.
    #[serde(rename = "Service", default, skip_serializing_if = "Option::is_none")]
    pub service: Option<OneOrMany<String>>,
    /// S3 canonical user ids.
    #[serde(
        rename = "CanonicalUser",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub canonical_user: Option<OneOrMany<String>>,
}

impl Principal {
    /// `{"Federated": arn}`.
    pub fn federated(arn: &str) -> Self {
        Principal::Map(PrincipalMap {
            federated: Some(OneOrMany::One(arn.to_owned())),
            ..Default::default()
        })
    }

    /// The Federated entries, empty for `"*"` or when absent.
    pub fn federated_values(&self) -> &[String] {
        match self {
            Principal::Map(PrincipalMap {
                federated: Some(v), ..
            }) => v.as_slice(),
            _ => &[],
        }
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Wildcard => serializer.serialize_str("*"),
            Principal::Map(m) => m.serialize(serializer),
        }
    }
}

struct PrincipalVisitor;

impl<'de> Visitor<'de> for PrincipalVisitor {
    type Value = Principal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"*\" or an object with Federated, AWS, Service or CanonicalUser")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v == "*" {
            Ok(Principal::Wildcard)
        } else {
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        PrincipalMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(Principal::Map)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PrincipalVisitor)
    }
}
