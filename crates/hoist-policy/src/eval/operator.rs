//! Parsing condition operator names: `[ForAnyValue:|ForAllValues:]Base[IfExists]`.

use serde::Serialize;

/// The set qualifier in front of an operator (for multi-valued keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SetQualifier {
    /// At least one request value must satisfy the operator; a missing key
    /// or empty set is false.
    ForAnyValue,
    /// Every request value must satisfy the operator; a missing key or
    /// empty set is (vacuously) true.
    ForAllValues,
}

/// The base condition operators IAM defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const ALL: &[(&str, BaseOperator)] = &[
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// The documented name.
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(_, op)| *op == self)
            .map(|(n, _)| *n)
            .expect("every operator is listed")
    }

    /// Negated operators ("the key must match none of the values"): a
    /// missing key makes them true.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOperator::StringNotEquals
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringNotLike
                | BaseOperator::NumericNotEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::NotIpAddress
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }

    /// Whether policy values may use wildcards (`StringLike`, `ArnLike`…).
    pub fn allows_wildcards(self) -> bool {
        matches!(
            self,
            BaseOperator::StringLike
                | BaseOperator::StringNotLike
                | BaseOperator::ArnLike
                | BaseOperator::ArnNotLike
                | BaseOperator::ArnEquals
                | BaseOperator::ArnNotEquals
        )
    }

    /// String, ARN and Boolean operators accept policy variables
    /// (`${aws:username}`); numeric, date, binary, IP address and Null
    /// operators take their values literally (IAM User Guide, "Condition
    /// operators", the "Policy variables" line of each family).
    pub fn accepts_variables(self) -> bool {
        matches!(
            self,
            BaseOperator::Bool
                | BaseOperator::StringEquals
                | BaseOperator::StringNotEquals
                | BaseOperator::StringEqualsIgnoreCase
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringLike
                | BaseOperator::StringNotLike
                | BaseOperator::ArnEquals
                | BaseOperator::ArnLike
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }
}

/// A fully parsed operator name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParsedOperator {
    /// `ForAnyValue:` / `ForAllValues:` if present.
    pub qualifier: Option<SetQualifier>,
    /// The base operator.
    pub base: BaseOperator,
    /// `…IfExists` suffix: a missing key makes the check true.
    pub if_exists: bool,
}

/// Parses an operator name. Names are matched case-insensitively; the error
/// says why the name is not an IAM operator.
pub fn parse_operator(name: &str) -> Result<ParsedOperator, String> {
    let (qualifier, rest) = if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), r)
    } else if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
        (Some(SetQualifier::ForAllValues), r)
    } else {
        (None, name)
    };
    let (if_exists, base_name) = match strip_suffix_ci(rest, "IfExists") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    let base = ALL
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(base_name))
        .map(|(_, op)| *op)
        .ok_or_else(|| format!("\"{name}\" is not an IAM condition operator"))?;
    if base == BaseOperator::Null && if_exists {
        return Err(format!(
            "\"{name}\": IfExists cannot be added to the Null operator"
        ));
    }
    Ok(ParsedOperator {
        qualifier,
        base,
        if_exists,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    if s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix) {
        Some(&s[..cut])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_forms() {
        let p = parse_operator("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(p.qualifier, Some(SetQualifier::ForAllValues));
        assert_eq!(p.base, BaseOperator::StringNotLike);
        assert!(p.if_exists);
        assert_eq!(parse_operator("Bool").unwrap().base, BaseOperator::Bool);
        assert!(parse_operator("NullIfExists").is_err());
        assert!(parse_operator("StringEqual").is_err());
        assert!(parse_operator("ForSomeValues:StringEquals").is_err());
        assert!(parse_operator("").is_err());
        assert!(parse_operator("IfExists").is_err());
    }
}
