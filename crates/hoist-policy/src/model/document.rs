//! `PolicyDocument` and `Statement`: parsing, serializing, normalizing.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::condition::ConditionBlock;
use super::error::PolicyParseError;
use super::one_or_many::OneOrMany;
use super::principal::Principal;

/// The only two policy language versions IAM accepts.
pub const VERSION_2012: &str = "2012-10-17";
/// The legacy version (no policy variables).
pub const VERSION_2008: &str = "2008-10-17";

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Effect {
    /// The statement grants.
    Allow,
    /// The statement denies; an explicit deny always wins.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One policy statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Optional statement id.
    #[serde(rename = "Sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow or Deny.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// Who the statement applies to (resource and trust policies).
    #[serde(rename = "Principal", default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// Everyone except these.
    #[serde(
        rename = "NotPrincipal",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_principal: Option<Principal>,
    /// Actions the statement covers (`*`/`?` wildcards, case-insensitive).
    #[serde(rename = "Action", default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany<String>>,
    /// Every action except these.
    #[serde(rename = "NotAction", default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany<String>>,
    /// Resources (ARN patterns).
    #[serde(rename = "Resource", default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    /// Every resource except these.
    #[serde(
        rename = "NotResource",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_resource: Option<OneOrMany<String>>,
    /// Conditions; all must hold.
    #[serde(
        rename = "Condition",
        default,
        skip_serializing_if = "ConditionBlock::is_empty"
    )]
    pub condition: ConditionBlock,
}

impl Statement {
    /// An empty statement with the given effect, to fill in field by field.
    pub fn new(effect: Effect) -> Self {
        Statement {
            sid: None,
            effect,
            principal: None,
            not_principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: ConditionBlock::default(),
        }
    }

    /// `"Sid"` if present, else `#index`.
    pub fn label(&self, index: usize) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("#{index} ({s})"),
            _ => format!("#{index}"),
        }
    }
}

/// A whole IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// `"2012-10-17"` (or the legacy `"2008-10-17"`); absent means legacy.
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Optional policy id.
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The statements; IAM accepts one object or a list. Serialized as a list.
    #[serde(
        rename = "Statement",
        deserialize_with = "deserialize_statements",
        serialize_with = "serialize_statements"
    )]
    pub statements: Vec<Statement>,
}

fn serialize_statements<S: Serializer>(statements: &[Statement], s: S) -> Result<S::Ok, S::Error> {
    statements.serialize(s)
}

struct StatementsVisitor;

impl<'de> Visitor<'de> for StatementsVisitor {
    type Value = Vec<Statement>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a statement object or a list of statement objects")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Statement::deserialize(de::value::MapAccessDeserializer::new(map)).map(|s| vec![s])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element::<Statement>()? {
            out.push(s);
        }
        Ok(out)
    }
}

fn deserialize_statements<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Statement>, D::Error> {
    d.deserialize_any(StatementsVisitor)
}

impl PolicyDocument {
    /// An empty `2012-10-17` document.
    pub fn new(statements: Vec<Statement>) -> Self {
        PolicyDocument {
            version: Some(VERSION_2012.to_owned()),
            id: None,
            statements,
        }
    }

    /// Parses a policy document from JSON and checks the grammar rules IAM
    /// enforces beyond JSON shape (known Version, Action xor NotAction, …).
    pub fn parse(text: &str) -> Result<Self, PolicyParseError> {
        let doc: PolicyDocument =
            serde_json::from_str(text).map_err(PolicyParseError::from_json)?;
        doc.validate()?;
        Ok(doc)
    }

    /// Parses what IAM `GetRole` returns for `AssumeRolePolicyDocument`: the
    /// JSON percent-encoded (`%7B%22Version%22…`). Already-decoded JSON (as
    /// the AWS CLI prints it) is accepted too.
    pub fn parse_iam_encoded(text: &str) -> Result<Self, PolicyParseError> {
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            return Self::parse(text);
        }
        let decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(|source| PolicyParseError::NotUtf8 { source })?;
        Self::parse(&decoded)
    }

    /// Pretty JSON with IAM's element order (Version, Id, Statement; Sid,
    /// Effect, Principal, …), conditions in document order.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a policy document always serializes")
    }

    /// Compact JSON, as sent to IAM.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy document always serializes")
    }

    /// Canonical form for diffing: object keys sorted, lists of scalars
    /// sorted and de-duplicated, single-element lists collapsed to the bare
    /// value (so `["a"]` and `"a"` compare equal), condition values as
    /// strings (IAM compares `true` and `"true"` alike). `Version` is kept.
    pub fn normalized(&self) -> Value {
        let raw = serde_json::to_value(self).expect("a policy document always serializes");
        normalize(raw, false)
    }

    /// True when `a` and `b` mean the same thing to IAM: equal
    /// [`normalized`](Self::normalized) forms, with condition keys compared
    /// case-insensitively and statement order ignored.
    pub fn semantically_equal(a: &PolicyDocument, b: &PolicyDocument) -> bool {
        semantic_form(a) == semantic_form(b)
    }

    fn validate(&self) -> Result<(), PolicyParseError> {
        if let Some(v) = &self.version
            && v != VERSION_2012
            && v != VERSION_2008
        {
            return Err(PolicyParseError::Invalid {
                statement: None,
                message: format!("Version \"{v}\" is not one IAM accepts; use \"{VERSION_2012}\""),
            });
        }
        for (i, s) in self.statements.iter().enumerate() {
            let fail = |message: String| PolicyParseError::Invalid {
                statement: Some(s.label(i)),
                message,
            };
            match (&s.action, &s.not_action) {
                (Some(_), Some(_)) => {
                    return Err(fail("has both Action and NotAction; use one".into()));
                }
                (None, None) => return Err(fail("has neither Action nor NotAction".into())),
                _ => {}
            }
            if s.principal.is_some() && s.not_principal.is_some() {
                return Err(fail("has both Principal and NotPrincipal; use one".into()));
            }
            if s.resource.is_some() && s.not_resource.is_some() {
                return Err(fail("has both Resource and NotResource; use one".into()));
            }
        }
        Ok(())
    }
}

fn scalar_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn normalize(v: Value, in_condition: bool) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = serde_json::Map::new();
            for (k, child) in entries {
                let cond = in_condition || k == "Condition";
                out.insert(k, normalize(child, cond));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items
                .into_iter()
                .map(|i| normalize(i, in_condition))
                .collect();
            if items.iter().all(|i| !i.is_object() && !i.is_array()) {
                items.sort_by_key(scalar_key);
                items.dedup();
            }
            if items.len() == 1 {
                items.pop().expect("one item")
            } else {
                Value::Array(items)
            }
        }
        Value::Bool(b) if in_condition => Value::String(b.to_string()),
        Value::Number(n) if in_condition => Value::String(n.to_string()),
        other => other,
    }
}

fn semantic_form(doc: &PolicyDocument) -> Value {
    let mut v = doc.normalized();
    let statements = match v.get_mut("Statement") {
        Some(Value::Array(a)) => a.iter_mut().collect::<Vec<_>>(),
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => Vec::new(),
    };
    for st in statements {
        if let Some(Value::Object(ops)) = st.get_mut("Condition") {
            for (_, keys) in ops.iter_mut() {
                if let Value::Object(km) = keys {
                    let mut lowered: Vec<(String, Value)> = std::mem::take(km)
                        .into_iter()
                        .map(|(k, val)| (k.to_ascii_lowercase(), val))
                        .collect();
                    lowered.sort_by(|a, b| a.0.cmp(&b.0));
                    km.extend(lowered);
                }
            }
        }
    }
    if let Some(Value::Array(a)) = v.get_mut("Statement") {
        a.sort_by_key(|s| s.to_string());
    }
    v
}
