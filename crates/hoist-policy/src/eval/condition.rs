//! Evaluating one `operator → key → values` entry against the request.
//!
//! Rules (IAM User Guide, "Condition operators", "…IfExists", "Null",
//! "Single-valued vs. multivalued context keys"):
//! - any one of a key's policy values suffices (OR); for negated operators
//!   the request value must match none of them (NOR);
//! - a missing key makes a positive operator false and a negated operator
//!   true; `…IfExists` makes a missing key true; `Null: true` means "absent";
//! - `ForAnyValue:` needs at least one request value to satisfy the operator
//!   and is false for a missing key or empty set; `ForAllValues:` needs every
//!   request value to and is true for a missing key or empty set;
//! - an unqualified operator on a multi-valued key: positive operators need
//!   some request value to match, negated ones need every request value to
//!   match none (hoist's reading; the audit steers away from relying on it);
//! - a policy variable with no value (IAM User Guide, "Policy variables with
//!   no value") is null: it equals and is like nothing. hoist makes sure it
//!   never helps a request: in an Allow, that value matches nothing under a
//!   positive operator and a negated operator's whole condition is false (a
//!   null cannot prove "not equal"); in a Deny, the condition is taken to
//!   hold, so the Deny applies.

use serde::Serialize;

use super::compare;
use super::operator::{BaseOperator, ParsedOperator, SetQualifier, parse_operator};
use super::variables::{PolicyValue, Substituted, substitute};
use crate::model::{ConditionEntry, Effect};
use crate::request::{ContextValue, RequestContext};

/// The evaluation of one condition key under one operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionCheck {
    /// The operator as written in the policy.
    pub operator: String,
    /// The key as written in the policy.
    pub key: String,
    /// The policy's values (after policy-variable substitution).
    pub wanted: Vec<String>,
    /// The request's value(s); `None` when the key is missing.
    pub actual: Option<Vec<String>>,
    /// Whether this check holds.
    pub result: bool,
    /// Why, in words.
    pub reason: String,
    /// False when hoist could not evaluate the operator exactly (unknown or
    /// unsupported operator); the result is then "does not match".
    pub exact: bool,
}

fn quote_list(v: &[String]) -> String {
    let q: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
    if q.len() == 1 {
        q[0].clone()
    } else {
        format!("[{}]", q.join(", "))
    }
}

pub(crate) fn check_entry(
    operator: &str,
    entry: &ConditionEntry,
    req: &dyn RequestContext,
    variables: bool,
    effect: Effect,
) -> ConditionCheck {
    let raw_wanted: Vec<String> = entry
        .values
        .iter()
        .map(|v| v.as_str().into_owned())
        .collect();
    let actual: Option<Vec<String>> = req.context_value(&entry.key).map(|v| v.values().to_vec());
    let mut check = ConditionCheck {
        operator: operator.to_owned(),
        key: entry.key.clone(),
        wanted: raw_wanted.clone(),
        actual: actual.clone(),
        result: false,
        reason: String::new(),
        exact: true,
    };
    let op = match parse_operator(operator) {
        Ok(op) => op,
        Err(why) => {
            check.exact = false;
            check.reason = format!(
                "{why}; IAM rejects such a policy, hoist treats the condition as not matching"
            );
            return check;
        }
    };
    let is_multi = matches!(req.context_value(&entry.key), Some(ContextValue::Multi(_)));
    let present_values: Option<&[String]> = actual.as_deref().filter(|v| !v.is_empty());

    if op.base == BaseOperator::Null {
        return null_check(check, &raw_wanted, present_values.is_some());
    }

    // Policy-variable substitution.
    let mut wanted: Vec<PolicyValue> = Vec::with_capacity(raw_wanted.len());
    let mut unresolved = Vec::new();
    for v in &raw_wanted {
        if variables && op.base.accepts_variables() {
            match substitute(v, req) {
                Substituted::Value(s) => wanted.push(s),
                Substituted::Unresolved(name) => unresolved.push(name),
            }
        } else {
            wanted.push(PolicyValue::plain(v));
        }
    }
    check.wanted = wanted.iter().map(|w| w.text.clone()).collect();
    if !unresolved.is_empty() {
        let names = unresolved.join(", ");
        if effect == Effect::Deny {
            check.result = true;
            check.reason = format!(
                "policy variable(s) {names} have no value in this request; hoist takes this Deny condition to hold (a missing value never helps a request)"
            );
            return check;
        }
        if op.base.is_negated() {
            check.result = false;
            check.reason = format!(
                "policy variable(s) {names} have no value in this request, so {} cannot show the key differs from them; the condition does not hold",
                op.base.name()
            );
            return check;
        }
    }
    let unresolved_note = if unresolved.is_empty() {
        String::new()
    } else {
        format!(
            " (policy variable(s) {} have no value in this request; those values match nothing)",
            unresolved.join(", ")
        )
    };

    let Some(values) = present_values else {
        let (result, why) = missing_key(op);
        check.result = result;
        check.reason = format!("key is missing from the request: {why}");
        return check;
    };

    // Compare each request value with the policy values.
    let negated = op.base.is_negated();
    let mut errors = Vec::new();
    let mut satisfied = Vec::with_capacity(values.len());
    for rv in values {
        let mut any = false;
        for pv in &wanted {
            match compare::matches(op.base, pv, rv) {
                Ok(true) => {
                    any = true;
                    break;
                }
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        satisfied.push(if negated { !any } else { any });
    }
    if op.base == BaseOperator::IpAddress || op.base == BaseOperator::NotIpAddress {
        check.exact = false;
        check.result = false;
        check.reason =
            "hoist does not evaluate IP address conditions; treated as not matching".to_owned();
        return check;
    }
    let (result, mut reason) = combine(op, is_multi, &satisfied, &check.wanted, values);
    check.result = result;
    if let Some(e) = errors.first() {
        reason.push_str(&format!(" ({e})"));
    }
    reason.push_str(&unresolved_note);
    check.reason = reason;
    check
}

fn null_check(mut check: ConditionCheck, wanted: &[String], present: bool) -> ConditionCheck {
    let mut result = false;
    let mut bad = Vec::new();
    for w in wanted {
        match w.to_ascii_lowercase().as_str() {
            "true" => result |= !present,
            "false" => result |= present,
            _ => bad.push(w.clone()),
        }
    }
    check.result = result;
    check.reason = match (present, result) {
        (false, true) => "Null: true requires the key to be absent, and it is".to_owned(),
        (false, false) => {
            "Null: false requires the key to be present, but the request lacks it".to_owned()
        }
        (true, true) => "Null: false requires the key to be present, and it is".to_owned(),
        (true, false) => {
            "Null: true requires the key to be absent, but the request has it".to_owned()
        }
    };
    if !bad.is_empty() {
        check.reason.push_str(&format!(
            " (values {} are neither true nor false)",
            quote_list(&bad)
        ));
    }
    check
}

fn missing_key(op: ParsedOperator) -> (bool, String) {
    if op.if_exists {
        return (true, "…IfExists treats a missing key as a match".to_owned());
    }
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => (
            true,
            "ForAllValues is true when the key is missing or empty (there is no value that fails)"
                .to_owned(),
        ),
        Some(SetQualifier::ForAnyValue) => (
            false,
            "ForAnyValue is false when the key is missing or empty".to_owned(),
        ),
        None if op.base.is_negated() => (
            true,
            format!(
                "{} is a negated operator, and a missing key cannot equal any listed value",
                op.base.name()
            ),
        ),
        None => (
            false,
            format!("{} needs the key to be present", op.base.name()),
        ),
    }
}

fn combine(
    op: ParsedOperator,
    is_multi: bool,
    satisfied: &[bool],
    wanted: &[String],
    values: &[String],
) -> (bool, String) {
    let name = op.base.name();
    let negated = op.base.is_negated();
    let verb = if negated {
        "matches none of"
    } else {
        "matches"
    };
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => {
            let failing: Vec<String> = values
                .iter()
                .zip(satisfied)
                .filter(|(_, s)| !**s)
                .map(|(v, _)| v.clone())
                .collect();
            if failing.is_empty() {
                (
                    true,
                    format!(
                        "every request value {verb} {} under {name}",
                        quote_list(wanted)
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "ForAllValues: request value(s) {} fail {name} against {}",
                        quote_list(&failing),
                        quote_list(wanted)
                    ),
                )
            }
        }
        Some(SetQualifier::ForAnyValue) => {
            if satisfied.iter().any(|s| *s) {
                (
                    true,
                    format!(
                        "at least one request value {verb} {} under {name}",
                        quote_list(wanted)
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "ForAnyValue: no request value satisfies {name} against {}",
                        quote_list(wanted)
                    ),
                )
            }
        }
        None => {
            let result = if negated {
                satisfied.iter().all(|s| *s)
            } else {
                satisfied.iter().any(|s| *s)
            };
            let subject = if is_multi {
                "a request value"
            } else {
                "the request value"
            };
            let reason = match (negated, result) {
                (false, true) => format!(
                    "{subject} {} one of {}",
                    describe(op.base),
                    quote_list(wanted)
                ),
                (false, false) => format!(
                    "{subject} {} none of {}",
                    describe_neg(op.base),
                    quote_list(wanted)
                ),
                (true, true) => format!(
                    "{name}: {subject} {} none of {}",
                    describe(compare::positive(op.base)),
                    quote_list(wanted)
                ),
                (true, false) => {
                    format!(
                        "{name}: {subject} {} one of {}",
                        describe(compare::positive(op.base)),
                        quote_list(wanted)
                    )
                }
            };
            (result, reason)
        }
    }
}

fn describe(op: BaseOperator) -> &'static str {
    use BaseOperator::*;
    match op {
        StringEquals => "equals (case-sensitively)",
        StringEqualsIgnoreCase => "equals (ignoring case)",
        StringLike | ArnLike | ArnEquals => "matches the pattern of",
        NumericEquals | DateEquals | BinaryEquals | Bool => "equals",
        NumericLessThan | DateLessThan => "is less than",
        NumericLessThanEquals | DateLessThanEquals => "is at most",
        NumericGreaterThan | DateGreaterThan => "is greater than",
        NumericGreaterThanEquals | DateGreaterThanEquals => "is at least",
        _ => "matches",
    }
}

fn describe_neg(op: BaseOperator) -> &'static str {
    use BaseOperator::*;
    match op {
        StringEquals => "equals (case-sensitively)",
        StringLike | ArnLike | ArnEquals => "matches the pattern of",
        _ => "satisfies the comparison with",
    }
}
