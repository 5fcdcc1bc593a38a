//! The request side of an `sts:AssumeRoleWithWebIdentity` call: which
//! provider, which action, and the request context (condition keys) STS
//! builds from the token's claims.
//!
//! Sources for the key set (read, not copied):
//! - IAM User Guide, "Available keys for AWS OIDC federation": for an IAM
//!   OIDC provider the keys are named after the provider URL without the
//!   scheme (`token.actions.githubusercontent.com:sub`, `:aud`, `:amr`).
//!   `:aud` carries the `azp` claim when the token has one, otherwise `aud`;
//!   then `:oaud` carries the original `aud`.
//! - AWS "What's new", 2026-01/02: STS validates provider-specific claims
//!   for GitHub Actions as keys on the same prefix: `actor`, `actor_id`,
//!   `job_workflow_ref`, `repository`, `repository_id`, `workflow`, `ref`,
//!   `environment`, `enterprise_id` ([`GITHUB_PROVIDER_CLAIM_KEYS`]). Other
//!   GitHub claims (e.g. `repository_owner`) are NOT exposed as keys.
//! - AWS global condition keys, `aws:FederatedProvider`: the IdP the
//!   principal came from; for IAM OIDC providers, the provider's ARN.

use std::collections::BTreeMap;

use serde::Serialize;

/// The action STS authorizes against the trust policy.
pub const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// GitHub's OIDC issuer host, which is also the condition-key prefix.
pub const GITHUB_ISSUER_HOST: &str = "token.actions.githubusercontent.com";

/// GitHub claims that STS exposes as `token.actions.githubusercontent.com:<claim>`
/// keys besides `sub`/`aud`/`amr` (AWS, 2026).
pub const GITHUB_PROVIDER_CLAIM_KEYS: &[&str] = &[
    "actor",
    "actor_id",
    "job_workflow_ref",
    "repository",
    "repository_id",
    "workflow",
    "ref",
    "environment",
    "enterprise_id",
];

/// Standard OIDC keys STS exposes for every IAM OIDC provider.
pub const OIDC_STANDARD_KEYS: &[&str] = &["sub", "aud", "amr", "oaud"];

/// Keys whose request value is a set (multi-valued context keys).
pub const MULTI_VALUED_SUFFIXES: &[&str] = &["amr"];

/// One request-context value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multi-valued key (e.g. `amr`); may be empty.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The value(s) as a slice.
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

/// Anything that carries request-context keys (a web-identity request, an
/// identity-policy request). Keys are compared case-insensitively.
pub trait RequestContext {
    /// The value of `key`, if the request carries it.
    fn context_value(&self, key: &str) -> Option<&ContextValue>;
}

impl RequestContext for WebIdentityRequest {
    fn context_value(&self, key: &str) -> Option<&ContextValue> {
        self.get(key)
    }
}

/// What STS evaluates a role's trust policy against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebIdentityRequest {
    /// Normally [`ASSUME_ROLE_WITH_WEB_IDENTITY`].
    pub action: String,
    /// The IAM OIDC provider ARN the token was issued by.
    pub federated_principal: String,
    /// Condition keys, lowercased (IAM key names are case-insensitive).
    pub context: BTreeMap<String, ContextValue>,
}

impl WebIdentityRequest {
    /// A request with an empty context.
    pub fn new(provider_arn: &str) -> Self {
        WebIdentityRequest {
            action: ASSUME_ROLE_WITH_WEB_IDENTITY.to_owned(),
            federated_principal: provider_arn.to_owned(),
            context: BTreeMap::new(),
        }
    }

    /// Sets a key (lowercased) to a value.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.context.insert(key.to_ascii_lowercase(), value);
    }

    /// Builder form of [`insert`](Self::insert) for a single value.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.insert(key, ContextValue::Single(value.to_owned()));
        self
    }

    /// Looks a key up case-insensitively.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.context.get(&key.to_ascii_lowercase())
    }

    /// The key prefix STS uses for this provider: the provider URL without
    /// scheme, i.e. what follows `oidc-provider/` in its ARN.
    pub fn key_prefix(&self) -> String {
        provider_key_prefix(&self.federated_principal)
    }

    /// The token's subject, if the request carries one.
    pub fn subject(&self) -> Option<&str> {
        match self.get(&format!("{}:sub", self.key_prefix()))? {
            ContextValue::Single(s) => Some(s),
            ContextValue::Multi(_) => None,
        }
    }

    /// Builds the request STS would evaluate for a GitHub Actions token with
    /// these (already verified) claims, presented to `provider_arn`.
    pub fn from_github_claims(
        provider_arn: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        let mut req = WebIdentityRequest::new(provider_arn);
        let prefix = req.key_prefix();
        let key = |claim: &str| format!("{prefix}:{claim}");

        if let Some(v) = claims.get("sub").and_then(claim_value) {
            req.insert(&key("sub"), v);
        }
        let aud = claims.get("aud").and_then(claim_value);
        match claims.get("azp").and_then(claim_value) {
            Some(azp) => {
                req.insert(&key("aud"), azp);
                if let Some(aud) = aud {
                    req.insert(&key("oaud"), aud);
                }
            }
            None => {
                if let Some(aud) = aud {
                    req.insert(&key("aud"), aud);
                }
            }
        }
        if let Some(v) = claims.get("amr").and_then(claim_value) {
            let set = match v {
                ContextValue::Single(s) => vec![s],
                ContextValue::Multi(v) => v,
            };
            req.insert(&key("amr"), ContextValue::Multi(set));
        }
        if prefix.eq_ignore_ascii_case(GITHUB_ISSUER_HOST) {
            for claim in GITHUB_PROVIDER_CLAIM_KEYS {
                if let Some(v) = claims.get(*claim).and_then(claim_value) {
                    req.insert(&key(claim), v);
                }
            }
        }
        req.insert(
            "aws:FederatedProvider",
            ContextValue::Single(provider_arn.to_owned()),
        );
        req
    }
}

/// The condition-key prefix for an IAM OIDC provider ARN
/// (`arn:aws:iam::123:oidc-provider/token.actions.githubusercontent.com` →
/// `token.actions.githubusercontent.com`). Anything that is not such an ARN
/// is returned unchanged (STS keys `cognito-identity.amazonaws.com` etc. by
/// the principal name itself).
pub fn provider_key_prefix(provider_arn: &str) -> String {
    match provider_arn.split_once(":oidc-provider/") {
        Some((_, host)) => host.to_ascii_lowercase(),
        None => provider_arn.to_ascii_lowercase(),
    }
}

/// Claim JSON → context value, in the string form IAM compares.
fn claim_value(v: &serde_json::Value) -> Option<ContextValue> {
    match v {
        serde_json::Value::String(s) => Some(ContextValue::Single(s.clone())),
        serde_json::Value::Bool(b) => Some(ContextValue::Single(b.to_string())),
        serde_json::Value::Number(n) => Some(ContextValue::Single(n.to_string())),
        serde_json::Value::Array(items) => Some(ContextValue::Multi(
            items
                .iter()
                .filter_map(claim_value)
                .flat_map(|c| c.values().to_vec())
                .collect(),
        )),
        serde_json::Value::Null | serde_json::Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_from_arn() {
        assert_eq!(
            provider_key_prefix(
                "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
            ),
            "token.actions.githubusercontent.com"
        );
        assert_eq!(
            provider_key_prefix("cognito-identity.amazonaws.com"),
            "cognito-identity.amazonaws.com"
        );
    }

    #[test]
    fn keys_are_case_insensitive() {
        let r = WebIdentityRequest::new("p").with("Token.Actions.GithubUserContent.com:SUB", "x");
        assert!(r.get("token.actions.githubusercontent.com:sub").is_some());
    }
}
