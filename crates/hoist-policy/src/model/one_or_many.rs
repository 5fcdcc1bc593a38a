//! `OneOrMany<T>`: IAM's "a string or a list of strings" shape.
//!
//! IAM accepts `"Action": "sts:AssumeRoleWithWebIdentity"` and
//! `"Action": ["sts:AssumeRoleWithWebIdentity"]` as the same thing. The
//! variant records which form the document used so that re-serializing gives
//! back the same shape.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// A single value or a JSON list of values, as IAM policy elements allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany<T> {
    /// Written as a bare value.
    One(T),
    /// Written as a JSON list (possibly of one element).
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// All values, in document order.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }

    /// Iterates over the values in document order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when the document wrote an empty list.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Builds the compact form: one value becomes `One`, several `Many`.
    pub fn from_vec(mut values: Vec<T>) -> Self {
        if values.len() == 1 {
            OneOrMany::One(values.remove(0))
        } else {
            OneOrMany::Many(values)
        }
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(v) => v.serialize(serializer),
            OneOrMany::Many(v) => v.serialize(serializer),
        }
    }
}

/// Values that can appear as the scalar side of a [`OneOrMany`]. The visitor
/// needs to know, before it sees the token, what "one" looks like so that it
/// can report "expected a string or a list of strings".
pub trait ScalarElement: Sized {
    /// Human description used in parse errors, e.g. "a string".
    const EXPECTING: &'static str;
    /// Builds the element from a string token.
    fn from_str_token<E: de::Error>(v: &str) -> Result<Self, E>;
    /// Builds the element from a boolean token.
    fn from_bool_token<E: de::Error>(v: bool) -> Result<Self, E> {
        Err(E::invalid_type(
            de::Unexpected::Bool(v),
            &format!("{} or a list of them", Self::EXPECTING).as_str(),
        ))
    }
    /// Builds the element from a number token.
    fn from_number_token<E: de::Error>(v: serde_json::Number) -> Result<Self, E> {
        let _ = v;
        Err(E::invalid_type(
            de::Unexpected::Other("a number"),
            &format!("{} or a list of them", Self::EXPECTING).as_str(),
        ))
    }
}

impl ScalarElement for String {
    const EXPECTING: &'static str = "a string";
    fn from_str_token<E: de::Error>(v: &str) -> Result<Self, E> {
        Ok(v.to_owned())
    }
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: ScalarElement + Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} or a list of them", T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        T::from_str_token(v).map(OneOrMany::One)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::from_bool_token(v).map(OneOrMany::One)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::from_number_token(v.into()).map(OneOrMany::One)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_number_token(v.into()).map(OneOrMany::One)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        match serde_json::Number::from_f64(v) {
            Some(n) => T::from_number_token(n).map(OneOrMany::One),
            None => Err(E::invalid_value(de::Unexpected::Float(v), &self)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element::<T>()? {
            out.push(v);
        }
        Ok(OneOrMany::Many(out))
    }
}

impl<'de, T: ScalarElement + Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}
