//! Property tests: glob semantics, operator dualities, serialization.

mod common;

use common::*;
use hoist_policy::glob_match;
use hoist_policy::model::{
    ConditionBlock, ConditionValue, Effect, OneOrMany, PolicyDocument, Principal, Statement,
};
use hoist_policy::request::ContextValue;
use proptest::prelude::*;
use serde_json::json;

fn literal() -> impl Strategy<Value = String> {
    // Text without wildcards, including ':' '/' and non-ASCII.
    "[a-zA-Z0-9:/._@é-]{0,12}"
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![literal(), any::<String>(), "[ab*?:]{0,10}"]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn string_like_without_wildcards_is_string_equals(p in literal(), t in any_text()) {
        prop_assert_eq!(glob_match(&p, &t, false), p == t);
        let r = bare_request(&[("k:x", &t)]);
        prop_assert_eq!(allows(json!({"StringLike": {"k:x": &p}}), &r), allows(json!({"StringEquals": {"k:x": &p}}), &r));
    }

    #[test]
    fn star_matches_everything(t in any_text()) {
        prop_assert!(glob_match("*", &t, false));
        prop_assert!(glob_match("**", &t, false));
    }

    #[test]
    fn literal_matches_only_itself(p in literal(), t in literal()) {
        prop_assert!(glob_match(&p, &p, false));
        prop_assert_eq!(glob_match(&p, &t, false), p == t);
    }

    #[test]
    fn prefix_and_suffix_patterns(a in literal(), t in any_text()) {
        prop_assert_eq!(glob_match(&format!("{a}*"), &t, false), t.starts_with(&a));
        prop_assert_eq!(glob_match(&format!("*{a}"), &t, false), t.ends_with(&a));
        prop_assert_eq!(glob_match(&format!("*{a}*"), &t, false), t.contains(&a));
    }

    #[test]
    fn question_marks_count_characters(n in 0usize..6, t in any_text()) {
        let p = "?".repeat(n);
        prop_assert_eq!(glob_match(&p, &t, false), t.chars().count() == n);
    }

    #[test]
    fn filled_pattern_matches(parts in prop::collection::vec((literal(), prop_oneof![Just("*"), Just("?")], "[a-z/:]{1,4}"), 0..4), tail in literal()) {
        // Build a pattern and a text that fills each wildcard legally.
        let mut pattern = String::new();
        let mut text = String::new();
        for (lit, wc, fill) in &parts {
            pattern.push_str(lit);
            pattern.push_str(wc);
            text.push_str(lit);
            if *wc == "?" { text.push(fill.chars().next().unwrap()); } else { text.push_str(fill); }
        }
        pattern.push_str(&tail);
        text.push_str(&tail);
        prop_assert!(glob_match(&pattern, &text, false), "{} !~ {}", pattern, text);
    }

    #[test]
    fn ignore_case_glob_agrees_with_lowercasing(p in "[a-zA-Z*?]{0,8}", t in "[a-zA-Z]{0,8}") {
        prop_assert_eq!(glob_match(&p, &t, true), glob_match(&p.to_lowercase(), &t.to_lowercase(), false));
    }

    #[test]
    fn negated_operators_are_complements_when_key_present(p in prop::collection::vec("[ab*?]{0,4}", 1..3), t in "[ab]{0,4}") {
        let r = bare_request(&[("k:x", &t)]);
        for (pos, neg) in [("StringEquals", "StringNotEquals"), ("StringLike", "StringNotLike"), ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")] {
            prop_assert_eq!(allows(json!({pos: {"k:x": &p}}), &r), !allows(json!({neg: {"k:x": &p}}), &r));
        }
    }

    #[test]
    fn missing_key_rules(p in "[ab*]{0,4}") {
        let r = bare_request(&[]);
        let like = allows(json!({"StringLike": {"k:x": &p}}), &r);
        let not_like = allows(json!({"StringNotLike": {"k:x": &p}}), &r);
        let if_exists = allows(json!({"StringLikeIfExists": {"k:x": &p}}), &r);
        let all = allows(json!({"ForAllValues:StringLike": {"k:x": &p}}), &r);
        let any = allows(json!({"ForAnyValue:StringLike": {"k:x": &p}}), &r);
        prop_assert!(!like);
        prop_assert!(not_like);
        prop_assert!(if_exists);
        prop_assert!(all);
        prop_assert!(!any);
    }

    #[test]
    fn if_exists_and_set_qualifiers_agree_with_base_on_one_value(p in "[ab*]{0,4}", t in "[ab]{0,4}") {
        let single = bare_request(&[("k:x", &t)]);
        let mut multi = bare_request(&[]);
        multi.insert("k:x", ContextValue::Multi(vec![t.clone()]));
        let base = allows(json!({"StringLike": {"k:x": &p}}), &single);
        prop_assert_eq!(allows(json!({"StringLikeIfExists": {"k:x": &p}}), &single), base);
        prop_assert_eq!(allows(json!({"ForAnyValue:StringLike": {"k:x": &p}}), &multi), base);
        prop_assert_eq!(allows(json!({"ForAllValues:StringLike": {"k:x": &p}}), &multi), base);
    }
}

fn cond_value() -> BoxedStrategy<ConditionValue> {
    prop_oneof![
        any_text().prop_map(ConditionValue::String),
        any::<bool>().prop_map(ConditionValue::Bool),
        any::<i64>().prop_map(|n| ConditionValue::Number(n.into())),
    ]
    .boxed()
}

fn one_or_many<T: std::fmt::Debug + Clone + 'static>(
    s: BoxedStrategy<T>,
) -> impl Strategy<Value = OneOrMany<T>> {
    prop_oneof![
        s.clone().prop_map(OneOrMany::One),
        prop::collection::vec(s, 0..3).prop_map(OneOrMany::Many)
    ]
}

fn statement() -> impl Strategy<Value = Statement> {
    let op = prop_oneof![
        Just("StringEquals"),
        Just("StringLike"),
        Just("ForAnyValue:StringNotLike"),
        Just("Bool"),
        Just("Null"),
        Just("Weird")
    ];
    let entry = (op, "[a-z.]{1,6}:[a-z]{1,4}", one_or_many(cond_value()));
    (
        proptest::option::of("[A-Za-z0-9]{0,6}"),
        any::<bool>(),
        prop_oneof![
            Just(None),
            Just(Some(Principal::Wildcard)),
            "[a-z:/]{1,20}".prop_map(|f| Some(Principal::federated(&f)))
        ],
        one_or_many("[a-z:*?]{1,10}".boxed()),
        prop::collection::vec(entry, 0..4),
    )
        .prop_map(|(sid, allow, principal, action, entries)| {
            let mut st = Statement::new(if allow { Effect::Allow } else { Effect::Deny });
            st.sid = sid;
            st.principal = principal;
            st.action = Some(action);
            let mut c = ConditionBlock::default();
            for (op, key, values) in entries {
                // Keys are unique per operator in JSON objects.
                if c.get(op)
                    .is_some_and(|b| b.entries.iter().any(|e| e.key == key))
                {
                    continue;
                }
                c.insert(op, &key, values);
            }
            st.condition = c;
            st
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_serialize_round_trip(statements in prop::collection::vec(statement(), 0..4), version in prop_oneof![Just(None), Just(Some("2012-10-17".to_owned())), Just(Some("2008-10-17".to_owned()))]) {
        let doc = PolicyDocument { version, id: None, statements };
        let text = doc.to_json_pretty();
        let back = PolicyDocument::parse(&text).unwrap();
        prop_assert_eq!(&back, &doc);
        // Normalized form is itself a policy and a fixed point.
        let n = doc.normalized();
        let reparsed = PolicyDocument::parse(&n.to_string()).unwrap();
        prop_assert_eq!(reparsed.normalized(), n);
        prop_assert!(PolicyDocument::semantically_equal(&doc, &reparsed));
        // Percent-encoded form (as GetRole returns it) parses to the same document.
        let enc = percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).to_string();
        prop_assert_eq!(PolicyDocument::parse_iam_encoded(&enc).unwrap(), doc);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A value substituted from the request is literal: StringLike with the
    /// variable answers exactly as StringEquals with the claim's text
    /// written out, whatever the claim holds (wildcards, `${`, `}`).
    #[test]
    fn substituted_claims_never_gain_wildcard_power(
        claim in prop_oneof!["[ab*?$}{]{0,8}", any::<String>()],
        request in prop_oneof!["[ab*?$}{]{0,8}", any::<String>()],
        prefix in "[a-z:/]{0,4}",
    ) {
        let r = bare_request(&[("k:claim", &claim), ("k:x", &request)]);
        let like = allows(json!({"StringLike": {"k:x": format!("{prefix}${{k:claim}}")}}), &r);
        let equals = request == format!("{prefix}{claim}");
        prop_assert_eq!(like, equals);
        let eq_var = allows(json!({"StringEquals": {"k:x": format!("{prefix}${{k:claim}}")}}), &r);
        prop_assert_eq!(eq_var, equals);
    }
}

/// Text a claim may carry: wildcards, escapes-looking text, `${`, separators, anything.
fn claim_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ab*?$/{}:-]{0,10}",
        Just("*".to_owned()),
        Just("${*}".to_owned()),
        any::<String>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Issue 11: text substituted from a claim is literal. For any claim value, StringLike
    /// on `PREFIX${claim}SUFFIX` (no wildcard of its own) answers exactly as StringEquals
    /// on the same literal — for the honest subject and for any other.
    #[test]
    fn substituted_claims_never_change_string_like_from_string_equals(
        prefix in literal(),
        suffix in literal(),
        claim in claim_text(),
        other in any_text(),
        honest in any::<bool>(),
    ) {
        let pattern = format!("{prefix}${{token.actions.githubusercontent.com:repository}}{suffix}");
        let sub = if honest { format!("{prefix}{claim}{suffix}") } else { other };
        let mut c = claims(&sub);
        c.insert("repository".into(), serde_json::Value::String(claim.clone()));
        let r = hoist_policy::request::WebIdentityRequest::from_github_claims(PROVIDER, &c);
        let like = allows(json!({"StringLike": {SUB: &pattern}}), &r);
        let equals = allows(json!({"StringEquals": {SUB: &pattern}}), &r);
        prop_assert_eq!(like, equals, "pattern {:?} claim {:?} sub {:?}", pattern, claim, sub);
        prop_assert_eq!(like, sub == format!("{prefix}{claim}{suffix}"));
    }

    /// The same for identity policies: a request-context value substituted into a
    /// condition or a Resource is literal text under StringLike and ARN matching.
    #[test]
    fn substituted_context_values_are_literal_in_identity_policies(
        prefix in literal(),
        value in claim_text(),
        other in any_text(),
        honest in any::<bool>(),
    ) {
        use hoist_policy::{IdentityRequest, evaluate_identity};
        let pattern = format!("{prefix}${{aws:PrincipalTag/team}}");
        let got = if honest { format!("{prefix}{value}") } else { other };
        let req = IdentityRequest::new("s3:GetObject", "arn:aws:s3:::b/k")
            .with("aws:PrincipalTag/team", &value)
            .with("s3:prefix", &got);
        let decide = |op: &str| {
            let doc = PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {op: {"s3:prefix": &pattern}}}]}).to_string()).unwrap();
            evaluate_identity(&[&doc], None, &req).allowed()
        };
        prop_assert_eq!(decide("StringLike"), decide("StringEquals"));
        prop_assert_eq!(decide("StringLike"), got == format!("{prefix}{value}"));
        // In a Resource: `arn:aws:s3:::b/${aws:PrincipalTag/team}` covers exactly that object.
        let doc = PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}"}]}).to_string()).unwrap();
        let on = |object: &str| IdentityRequest::new("s3:GetObject", &format!("arn:aws:s3:::b/{object}"))
            .with("aws:PrincipalTag/team", &value);
        prop_assert!(evaluate_identity(&[&doc], None, &on(&value)).allowed());
        if got != value {
            prop_assert!(!evaluate_identity(&[&doc], None, &on(&got)).allowed(), "{:?} covered {:?}", value, got);
        }
    }
}
