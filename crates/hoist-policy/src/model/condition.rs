//! The `Condition` element: operator → key → one or many values.
//!
//! Order is kept as written so that a document re-serializes the way it was
//! read; lookups are linear (condition blocks are tiny).
//!
//! Duplicate JSON keys: RFC 8259 leaves a repeated object key's meaning to
//! the reader and IAM documents none, so one reader could AND the two while
//! another keeps the last (a JSON value map does). hoist refuses a repeated
//! operator or condition key (keys compared case-insensitively, as IAM
//! compares them) at parse time, so the evaluator, the audit and the
//! normaliser all read one and the same document. Repeated statement,
//! principal and document fields are refused by serde already.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::one_or_many::{OneOrMany, ScalarElement};

/// One value on the policy side of a condition.
///
/// IAM compares everything as text: `true` and `"true"`, `5` and `"5"` are
/// the same value to it. The variant only remembers how the document wrote
/// the value, so that it serializes back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionValue {
    /// A JSON string.
    String(String),
    /// A JSON boolean (`true`/`false`).
    Bool(bool),
    /// A JSON number, kept in its textual form.
    Number(serde_json::Number),
}

impl ConditionValue {
    /// The value as IAM sees it: its string form.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            ConditionValue::String(s) => Cow::Borrowed(s),
            ConditionValue::Bool(b) => Cow::Owned(b.to_string()),
            ConditionValue::Number(n) => Cow::Owned(n.to_string()),
        }
    }
}

impl From<&str> for ConditionValue {
    fn from(s: &str) -> Self {
        ConditionValue::String(s.to_owned())
    }
}

impl From<String> for ConditionValue {
    fn from(s: String) -> Self {
        ConditionValue::String(s)
    }
}

impl fmt::Display for ConditionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl ScalarElement for ConditionValue {
    const EXPECTING: &'static str = "a string, boolean or number";
    fn from_str_token<E: de::Error>(v: &str) -> Result<Self, E> {
        Ok(ConditionValue::String(v.to_owned()))
    }
    fn from_bool_token<E: de::Error>(v: bool) -> Result<Self, E> {
        Ok(ConditionValue::Bool(v))
    }
    fn from_number_token<E: de::Error>(v: serde_json::Number) -> Result<Self, E> {
        Ok(ConditionValue::Number(v))
    }
}

impl Serialize for ConditionValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConditionValue::String(s) => serializer.serialize_str(s),
            ConditionValue::Bool(b) => serializer.serialize_bool(*b),
            ConditionValue::Number(n) => n.serialize(serializer),
        }
    }
}

struct ValueVisitor;

impl Visitor<'_> for ValueVisitor {
    type Value = ConditionValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ConditionValue::EXPECTING)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ConditionValue::String(v.to_owned()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ConditionValue::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(ConditionValue::Number(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ConditionValue::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(v)
            .map(ConditionValue::Number)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

impl<'de> Deserialize<'de> for ConditionValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// One `"key": value(s)` pair under an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionEntry {
    /// The condition key as written (keys are case-insensitive to IAM).
    pub key: String,
    /// The policy-side values; any one of them may match.
    pub values: OneOrMany<ConditionValue>,
}

/// One operator (e.g. `StringLike`, `ForAnyValue:StringEquals`,
/// `StringEqualsIfExists`) and the keys it tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorBlock {
    /// The operator name as written.
    pub operator: String,
    /// The keys tested by this operator, in document order.
    pub entries: Vec<ConditionEntry>,
}

/// The `Condition` element. All operators must hold; within an operator all
/// keys must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConditionBlock {
    /// Operators in document order.
    pub operators: Vec<OperatorBlock>,
}

impl ConditionBlock {
    /// True when the statement has no condition.
    pub fn is_empty(&self) -> bool {
        self.operators.is_empty()
    }

    /// Adds `key: values` under `operator`, creating the operator block when
    /// needed.
    pub fn insert(&mut self, operator: &str, key: &str, values: OneOrMany<ConditionValue>) {
        let block = match self
            .operators
            .iter_mut()
            .position(|b| b.operator == operator)
        {
            Some(i) => &mut self.operators[i],
            None => {
                self.operators.push(OperatorBlock {
                    operator: operator.to_owned(),
                    entries: Vec::new(),
                });
                self.operators.last_mut().expect("just pushed")
            }
        };
        block.entries.push(ConditionEntry {
            key: key.to_owned(),
            values,
        });
    }

    /// The operator block named exactly `operator`, if any.
    pub fn get(&self, operator: &str) -> Option<&OperatorBlock> {
        self.operators.iter().find(|b| b.operator == operator)
    }

    /// Every `(operator, entry)` pair whose key equals `key`
    /// (case-insensitively, as IAM compares keys).
    pub fn entries_for_key<'a>(
        &'a self,
        key: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a ConditionEntry)> + 'a {
        self.operators.iter().flat_map(move |b| {
            b.entries
                .iter()
                .filter(move |e| e.key.eq_ignore_ascii_case(key))
                .map(move |e| (b.operator.as_str(), e))
        })
    }
}

impl Serialize for OperatorBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for e in &self.entries {
            map.serialize_entry(&e.key, &e.values)?;
        }
        map.end()
    }
}

impl Serialize for ConditionBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.operators.len()))?;
        for b in &self.operators {
            map.serialize_entry(&b.operator, b)?;
        }
        map.end()
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Vec<ConditionEntry>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping condition keys to a value or a list of values")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<ConditionEntry> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if let Some(first) = out.iter().find(|e| e.key.eq_ignore_ascii_case(&key)) {
                return Err(de::Error::custom(format!(
                    "condition key \"{key}\" appears twice under one operator (also as \"{}\"); condition keys are case-insensitive and a JSON object's repeated key has no defined meaning, so hoist refuses it: put every value in one list under one key",
                    first.key
                )));
            }
            let values = map.next_value::<OneOrMany<ConditionValue>>()?;
            out.push(ConditionEntry { key, values });
        }
        Ok(out)
    }
}

struct Entries(Vec<ConditionEntry>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor).map(Entries)
    }
}

struct BlockVisitor;

impl<'de> Visitor<'de> for BlockVisitor {
    type Value = ConditionBlock;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping condition operators (e.g. \"StringEquals\") to objects of condition keys")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut operators: Vec<OperatorBlock> = Vec::new();
        while let Some(operator) = map.next_key::<String>()? {
            if let Some(first) = operators
                .iter()
                .find(|b| b.operator.eq_ignore_ascii_case(&operator))
            {
                return Err(de::Error::custom(format!(
                    "condition operator \"{operator}\" appears twice in one Condition (also as \"{}\"); a JSON object's repeated key has no defined meaning, so hoist refuses it: merge the two blocks into one",
                    first.operator
                )));
            }
            let Entries(entries) = map.next_value::<Entries>()?;
            operators.push(OperatorBlock { operator, entries });
        }
        Ok(ConditionBlock { operators })
    }
}

impl<'de> Deserialize<'de> for ConditionBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BlockVisitor)
    }
}
