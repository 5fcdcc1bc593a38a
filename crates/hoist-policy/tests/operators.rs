//! Every condition operator, qualifier, IfExists and missing-key rule, as
//! the IAM User Guide describes them ("Condition operators", "…IfExists",
//! "Null condition operator", "Set operators for multivalued context keys").

mod common;

use common::*;
use hoist_policy::request::{ContextValue, WebIdentityRequest};
use serde_json::json;

fn with_multi(key: &str, values: &[&str]) -> WebIdentityRequest {
    let mut r = bare_request(&[]);
    r.insert(
        key,
        ContextValue::Multi(values.iter().map(|s| (*s).to_owned()).collect()),
    );
    r
}

#[test]
fn string_equals_is_exact_and_case_sensitive() {
    let r = bare_request(&[("k:x", "Value")]);
    assert!(allows(json!({"StringEquals": {"k:x": "Value"}}), &r));
    assert!(!allows(json!({"StringEquals": {"k:x": "value"}}), &r));
    assert!(
        !allows(json!({"StringEquals": {"k:x": "Val*"}}), &r),
        "wildcards are literal"
    );
    assert!(
        allows(json!({"StringEquals": {"k:x": ["a", "Value"]}}), &r),
        "any listed value suffices"
    );
    assert!(
        !allows(
            json!({"StringEquals": {"k:x": "Value"}}),
            &bare_request(&[])
        ),
        "missing key is false"
    );
}

#[test]
fn string_not_equals_means_none_of_the_values() {
    let r = bare_request(&[("k:x", "b")]);
    assert!(allows(json!({"StringNotEquals": {"k:x": ["a", "c"]}}), &r));
    assert!(
        !allows(json!({"StringNotEquals": {"k:x": ["a", "b"]}}), &r),
        "NOR: equal to one listed value fails"
    );
    assert!(
        allows(json!({"StringNotEquals": {"k:x": "a"}}), &bare_request(&[])),
        "negated + missing key is true"
    );
}

#[test]
fn ignore_case_variants() {
    let r = bare_request(&[("k:x", "Repo:Octo")]);
    assert!(allows(
        json!({"StringEqualsIgnoreCase": {"k:x": "repo:octo"}}),
        &r
    ));
    assert!(!allows(
        json!({"StringNotEqualsIgnoreCase": {"k:x": "REPO:OCTO"}}),
        &r
    ));
    assert!(allows(
        json!({"StringNotEqualsIgnoreCase": {"k:x": "other"}}),
        &r
    ));
    assert!(allows(
        json!({"StringNotEqualsIgnoreCase": {"k:x": "x"}}),
        &bare_request(&[])
    ));
    assert!(!allows(
        json!({"StringEqualsIgnoreCase": {"k:x": "x"}}),
        &bare_request(&[])
    ));
}

#[test]
fn string_like_globs() {
    let r = bare_request(&[("k:x", "repo:o/r:ref:refs/heads/feature/a")]);
    assert!(
        allows(json!({"StringLike": {"k:x": "repo:o/r:*"}}), &r),
        "* spans : and /"
    );
    assert!(allows(
        json!({"StringLike": {"k:x": "repo:o/r:ref:refs/heads/*"}}),
        &r
    ));
    assert!(!allows(
        json!({"StringLike": {"k:x": "repo:o/r:ref:refs/tags/*"}}),
        &r
    ));
    assert!(allows(json!({"StringLike": {"k:x": "repo:?/r:*"}}), &r));
    assert!(!allows(json!({"StringLike": {"k:x": "repo:??/r:*"}}), &r));
    assert!(allows(json!({"StringLike": {"k:x": "*feature/a"}}), &r));
    assert!(
        allows(
            json!({"StringLike": {"k:x": "repo:o/r:ref:refs/heads/feature/a*"}}),
            &r
        ),
        "* matches empty"
    );
    assert!(
        !allows(json!({"StringLike": {"k:x": "REPO:*"}}), &r),
        "case-sensitive"
    );
    assert!(
        !allows(json!({"StringLike": {"k:x": "*"}}), &bare_request(&[])),
        "missing key is false even for *"
    );
}

#[test]
fn string_not_like() {
    let r = bare_request(&[("k:x", "repo:o/r:pull_request")]);
    assert!(!allows(
        json!({"StringNotLike": {"k:x": ["*:pull_request", "x"]}}),
        &r
    ));
    assert!(allows(json!({"StringNotLike": {"k:x": ["*:ref:*"]}}), &r));
    assert!(
        allows(json!({"StringNotLike": {"k:x": "*"}}), &bare_request(&[])),
        "negated + missing is true"
    );
}

#[test]
fn if_exists_treats_missing_as_match_and_checks_present() {
    let missing = bare_request(&[]);
    let present = bare_request(&[("k:x", "b")]);
    assert!(allows(
        json!({"StringEqualsIfExists": {"k:x": "a"}}),
        &missing
    ));
    assert!(!allows(
        json!({"StringEqualsIfExists": {"k:x": "a"}}),
        &present
    ));
    assert!(allows(
        json!({"StringEqualsIfExists": {"k:x": ["a", "b"]}}),
        &present
    ));
    assert!(allows(
        json!({"StringLikeIfExists": {"k:x": "z*"}}),
        &missing
    ));
    assert!(allows(
        json!({"StringNotEqualsIfExists": {"k:x": "a"}}),
        &present
    ));
    assert!(!allows(
        json!({"StringNotEqualsIfExists": {"k:x": "b"}}),
        &present
    ));
    assert!(allows(
        json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
        &missing
    ));
    assert!(allows(
        json!({"NumericLessThanIfExists": {"k:n": "5"}}),
        &missing
    ));
    assert!(allows(
        json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}),
        &missing
    ));
}

#[test]
fn null_checks_presence() {
    let missing = bare_request(&[]);
    let present = bare_request(&[("aws:TokenIssueTime", "2026-01-01T00:00:00Z")]);
    assert!(allows(
        json!({"Null": {"aws:TokenIssueTime": "true"}}),
        &missing
    ));
    assert!(!allows(
        json!({"Null": {"aws:TokenIssueTime": "true"}}),
        &present
    ));
    assert!(allows(
        json!({"Null": {"aws:TokenIssueTime": "false"}}),
        &present
    ));
    assert!(!allows(
        json!({"Null": {"aws:TokenIssueTime": "false"}}),
        &missing
    ));
    assert!(
        allows(json!({"Null": {"aws:TokenIssueTime": true}}), &missing),
        "JSON booleans work too"
    );
    assert!(!allows(
        json!({"Null": {"aws:TokenIssueTime": "maybe"}}),
        &missing
    ));
    // An empty multi-valued key counts as absent.
    assert!(allows(
        json!({"Null": {"k:amr": "true"}}),
        &with_multi("k:amr", &[])
    ));
}

#[test]
fn bool_operator() {
    let t = bare_request(&[("aws:SecureTransport", "true")]);
    assert!(allows(json!({"Bool": {"aws:SecureTransport": "true"}}), &t));
    assert!(allows(json!({"Bool": {"aws:SecureTransport": true}}), &t));
    assert!(!allows(
        json!({"Bool": {"aws:SecureTransport": "false"}}),
        &t
    ));
    assert!(!allows(
        json!({"Bool": {"aws:SecureTransport": "true"}}),
        &bare_request(&[])
    ));
    assert!(
        !allows(json!({"Bool": {"aws:SecureTransport": "yes"}}), &t),
        "non-boolean never matches"
    );
}

#[test]
fn numeric_operators() {
    let r = bare_request(&[("k:n", "10")]);
    let cases = [
        ("NumericEquals", "10", true),
        ("NumericEquals", "10.0", true),
        ("NumericNotEquals", "10", false),
        ("NumericNotEquals", "11", true),
        ("NumericLessThan", "11", true),
        ("NumericLessThan", "10", false),
        ("NumericLessThanEquals", "10", true),
        ("NumericGreaterThan", "9", true),
        ("NumericGreaterThan", "10", false),
        ("NumericGreaterThanEquals", "10", true),
        ("NumericEquals", "ten", false),
    ];
    for (op, v, want) in cases {
        assert_eq!(allows(json!({op: {"k:n": v}}), &r), want, "{op} {v}");
    }
    assert!(allows(
        json!({"NumericNotEquals": {"k:n": "1"}}),
        &bare_request(&[])
    ));
    assert!(!allows(
        json!({"NumericEquals": {"k:n": "1"}}),
        &bare_request(&[])
    ));
}

#[test]
fn date_operators() {
    let r = bare_request(&[("aws:CurrentTime", "2026-07-16T13:00:00Z")]);
    assert!(allows(
        json!({"DateGreaterThan": {"aws:CurrentTime": "2026-07-16T12:00:00Z"}}),
        &r
    ));
    assert!(allows(
        json!({"DateLessThan": {"aws:CurrentTime": "2026-07-16T15:00:00Z"}}),
        &r
    ));
    assert!(!allows(
        json!({"DateLessThan": {"aws:CurrentTime": "2026-07-16"}}),
        &r
    ));
    assert!(allows(
        json!({"DateEquals": {"aws:CurrentTime": "2026-07-16T15:00:00+02:00"}}),
        &r
    ));
    assert!(allows(
        json!({"DateNotEquals": {"aws:CurrentTime": "2026-07-16T13:00:01Z"}}),
        &r
    ));
    assert!(
        allows(
            json!({"DateGreaterThanEquals": {"aws:CurrentTime": "1784206800"}}),
            &r
        ),
        "epoch seconds"
    );
    assert!(allows(
        json!({"DateLessThanEquals": {"aws:CurrentTime": "1784206800"}}),
        &r
    ));
}

#[test]
fn arn_operators() {
    let r = bare_request(&[(
        "aws:SourceArn",
        "arn:aws:iam::123456789012:role/Stack-TaskRole-ABC",
    )]);
    assert!(allows(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:role/Stack-*"}}),
        &r
    ));
    assert!(allows(
        json!({"ArnEquals": {"aws:SourceArn": "arn:aws:iam::123456789012:role/Stack-TaskRole-ABC"}}),
        &r
    ));
    assert!(!allows(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}),
        &r
    ));
    assert!(allows(
        json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::*"}}),
        &r
    ));
    assert!(!allows(
        json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:iam::*:role/*"}}),
        &r
    ));
}

#[test]
fn ip_and_binary_are_explained() {
    let r = bare_request(&[("aws:SourceIp", "192.0.2.10")]);
    let d = hoist_policy::evaluate(
        &trust_with_condition(json!({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})),
        &r,
    );
    assert!(!d.allowed());
    let c = &d.statements[0].conditions[0];
    assert!(!c.exact && c.reason.contains("does not evaluate"), "{c:?}");
    // Missing key rules still apply exactly.
    assert!(allows(
        json!({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}),
        &bare_request(&[])
    ));
    assert!(allows(
        json!({"BinaryEquals": {"k:b": "QmluYXJ5"}}),
        &bare_request(&[("k:b", "QmluYXJ5")])
    ));
}

#[test]
fn for_any_value() {
    let r = with_multi("k:amr", &["authenticated", "graph.facebook.com"]);
    assert!(allows(
        json!({"ForAnyValue:StringLike": {"k:amr": "authenticated"}}),
        &r
    ));
    assert!(!allows(
        json!({"ForAnyValue:StringLike": {"k:amr": "unauthenticated"}}),
        &r
    ));
    assert!(
        !allows(
            json!({"ForAnyValue:StringEquals": {"k:amr": "x"}}),
            &bare_request(&[])
        ),
        "missing is false"
    );
    assert!(
        !allows(
            json!({"ForAnyValue:StringEquals": {"k:amr": "x"}}),
            &with_multi("k:amr", &[])
        ),
        "empty is false"
    );
    // ForAnyValue with a negated operator: some request value matches none of the policy values.
    assert!(allows(
        json!({"ForAnyValue:StringNotEquals": {"k:amr": "authenticated"}}),
        &r
    ));
    assert!(!allows(
        json!({"ForAnyValue:StringNotEquals": {"k:amr": ["authenticated", "graph.facebook.com"]}}),
        &r
    ));
    assert!(allows(
        json!({"ForAnyValue:StringEqualsIfExists": {"k:amr": "x"}}),
        &bare_request(&[])
    ));
}

#[test]
fn for_all_values() {
    let r = with_multi("k:tags", &["a", "b"]);
    assert!(allows(
        json!({"ForAllValues:StringEquals": {"k:tags": ["a", "b", "c"]}}),
        &r
    ));
    assert!(!allows(
        json!({"ForAllValues:StringEquals": {"k:tags": ["a"]}}),
        &r
    ));
    assert!(
        allows(
            json!({"ForAllValues:StringEquals": {"k:tags": ["zzz"]}}),
            &bare_request(&[])
        ),
        "missing is true"
    );
    assert!(
        allows(
            json!({"ForAllValues:StringEquals": {"k:tags": ["zzz"]}}),
            &with_multi("k:tags", &[])
        ),
        "empty is true"
    );
    assert!(allows(
        json!({"ForAllValues:StringNotEquals": {"k:tags": ["c"]}}),
        &r
    ));
    assert!(!allows(
        json!({"ForAllValues:StringNotEquals": {"k:tags": ["b"]}}),
        &r
    ));
    assert!(allows(
        json!({"ForAllValues:StringLike": {"k:tags": ["?"]}}),
        &r
    ));
}

#[test]
fn unqualified_operator_on_multi_valued_key() {
    let r = with_multi("k:amr", &["a", "b"]);
    assert!(allows(json!({"StringEquals": {"k:amr": "b"}}), &r));
    assert!(!allows(json!({"StringEquals": {"k:amr": "c"}}), &r));
    assert!(!allows(json!({"StringNotEquals": {"k:amr": "a"}}), &r));
    assert!(allows(json!({"StringNotEquals": {"k:amr": "c"}}), &r));
}

#[test]
fn all_operators_and_all_keys_must_hold() {
    let r = bare_request(&[("k:a", "1"), ("k:b", "2")]);
    assert!(allows(
        json!({"StringEquals": {"k:a": "1", "k:b": "2"}}),
        &r
    ));
    assert!(!allows(
        json!({"StringEquals": {"k:a": "1", "k:b": "3"}}),
        &r
    ));
    assert!(allows(
        json!({"StringEquals": {"k:a": "1"}, "StringLike": {"k:b": "*"}}),
        &r
    ));
    assert!(!allows(
        json!({"StringEquals": {"k:a": "1"}, "StringLike": {"k:b": "3*"}}),
        &r
    ));
}

#[test]
fn condition_keys_are_case_insensitive_values_are_not() {
    let r = bare_request(&[(
        "token.actions.githubusercontent.com:sub",
        "repo:O/R:pull_request",
    )]);
    assert!(allows(
        json!({"StringEquals": {"Token.Actions.GitHubUserContent.com:SUB": "repo:O/R:pull_request"}}),
        &r
    ));
    assert!(!allows(
        json!({"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:o/r:pull_request"}}),
        &r
    ));
}

#[test]
fn operator_names_match_case_insensitively_unknown_ones_fail() {
    let r = bare_request(&[("k:x", "a")]);
    assert!(allows(json!({"stringequals": {"k:x": "a"}}), &r));
    let d = hoist_policy::evaluate(
        &trust_with_condition(json!({"StringEqual": {"k:x": "a"}})),
        &r,
    );
    assert!(!d.allowed());
    let c = &d.statements[0].conditions[0];
    assert!(
        !c.result && !c.exact && c.reason.contains("not an IAM condition operator"),
        "{c:?}"
    );
    let d = hoist_policy::evaluate(
        &trust_with_condition(json!({"NullIfExists": {"k:x": "true"}})),
        &r,
    );
    assert!(
        d.statements[0].conditions[0]
            .reason
            .contains("IfExists cannot be added to the Null")
    );
}

#[test]
fn policy_variables_in_2012_policies_only() {
    let r = bare_request(&[("k:x", "octocat"), ("aws:username", "octocat")]);
    assert!(allows(
        json!({"StringEquals": {"k:x": "${aws:username}"}}),
        &r
    ));
    assert!(allows(
        json!({"StringLike": {"k:x": "${aws:username}*"}}),
        &r
    ));
    assert!(
        !allows(json!({"StringEquals": {"k:x": "${aws:missing}"}}), &r),
        "unresolved variable cannot match"
    );
    assert!(
        allows(
            json!({"StringEquals": {"k:x": "${aws:missing, 'octocat'}"}}),
            &r
        ),
        "default value"
    );
    let lit = bare_request(&[("k:x", "$")]);
    assert!(allows(json!({"StringEquals": {"k:x": "${$}"}}), &lit));
    // Version 2008: `${...}` is literal text.
    let doc = hoist_policy::PolicyDocument::parse(&format!(
        r#"{{"Version":"2008-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"k:x":"${{aws:username}}"}}}}}}]}}"#
    ))
    .unwrap();
    assert!(!hoist_policy::evaluate(&doc, &r).allowed());
    let lit = bare_request(&[("k:x", "${aws:username}")]);
    assert!(hoist_policy::evaluate(&doc, &lit).allowed());
}
