//! Fuzz-style robustness: random bytes, mutated policies and random JSON
//! go through parse → evaluate → explain → audit → normalize without
//! panicking. This is the stable-toolchain counterpart of the cargo-fuzz
//! targets in `fuzz/` (same pipeline, see fuzz/README.md).

mod common;

use common::*;
use hoist_policy::audit::{AuditContext, audit, guardrail_violation};
use hoist_policy::eval::Outcome;
use hoist_policy::github::Subject;
use hoist_policy::{
    IdentityRequest, PolicyDocument, WebIdentityRequest, audit_permission_policy, evaluate,
    evaluate_identity,
};
use proptest::prelude::*;

const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":["sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":["repo:o/r:ref:refs/tags/*","repo:*"]},"ForAllValues:StringNotLikeIfExists":{"token.actions.githubusercontent.com:amr":["a?",true,3]},"Null":{"aws:x":"true"},"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}},{"Effect":"Deny","NotPrincipal":"*","NotAction":"x:*","Resource":"*"}]}"#;

/// Everything a caller can do with a parsed policy.
fn exercise(text: &str, sub: &str) {
    let _ = Subject::parse(sub);
    let Ok(doc) = PolicyDocument::parse(text) else {
        return;
    };
    let mut req = gh_request(sub);
    req.insert(
        "k:multi",
        hoist_policy::ContextValue::Multi(vec![sub.to_owned(), String::new()]),
    );
    let d = evaluate(&doc, &req);
    let _ = d.to_string();
    let _ = serde_json::to_string(&d).unwrap();
    let _ = audit(
        &doc,
        &AuditContext {
            role_name: Some("prod".into()),
            repository: Some("o/r".into()),
            ..Default::default()
        },
    );
    let _ = guardrail_violation(&doc);
    let _ = doc.normalized();
    let again = PolicyDocument::parse(&doc.to_json()).expect("a parsed document re-parses");
    assert_eq!(again, doc);
    let bare = WebIdentityRequest::new(sub);
    let _ = evaluate(&doc, &bare).to_string();
    identity(&doc, sub);
}

/// The identity-policy pipeline (the `identity_evaluate` fuzz target's):
/// the document as a permission policy and as its own boundary, with the
/// evaluation-logic invariants that hold for any input.
fn identity(doc: &PolicyDocument, text: &str) {
    let _ = audit_permission_policy(doc);
    for (action, resource) in [
        ("iam:PassRole", "arn:aws:iam::123456789012:role/x"),
        ("sts:AssumeRoleWithWebIdentity", "*"),
        (text, text),
    ] {
        let req = IdentityRequest::new(action, resource)
            .with("iam:PassedToService", text)
            .with_values("aws:TagKeys", &[text, "a"]);
        let alone = evaluate_identity(&[doc], None, &req);
        let bounded = evaluate_identity(&[doc], Some(doc), &req);
        let _ = alone.to_string();
        let _ = serde_json::to_string(&bounded).unwrap();
        // A boundary equal to the policy changes nothing.
        assert_eq!(alone.outcome, bounded.outcome);
        if alone.outcome == Outcome::Allow {
            assert!(alone.identity_allows);
        }
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i32>().prop_map(|n| serde_json::json!(n)),
        prop_oneof![
            Just("Allow".to_owned()),
            Just("Deny".to_owned()),
            Just("*".to_owned()),
            Just("2012-10-17".to_owned()),
            Just("sts:AssumeRoleWithWebIdentity".to_owned()),
            "[a-zA-Z:*?${}/.]{0,12}"
        ]
        .prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("Version".to_owned()),
            Just("Statement".to_owned()),
            Just("Effect".to_owned()),
            Just("Principal".to_owned()),
            Just("Federated".to_owned()),
            Just("Action".to_owned()),
            Just("Condition".to_owned()),
            Just("StringLike".to_owned()),
            Just("ForAnyValue:StringEquals".to_owned()),
            Just("Null".to_owned()),
            Just("token.actions.githubusercontent.com:sub".to_owned()),
            "[A-Za-z:]{1,8}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec((key, inner), 0..5)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// `HOIST_FUZZ_CASES=N` runs each property N times (default 1024), for the
/// longer runs fuzz/README.md describes.
fn cases() -> u32 {
    std::env::var("HOIST_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256), sub in any::<String>()) {
        let text = String::from_utf8_lossy(&bytes);
        exercise(&text, &sub);
        let _ = PolicyDocument::parse_iam_encoded(&text);
    }

    #[test]
    fn mutated_seed(edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8), sub in "[a-z:/*@0-9]{0,30}") {
        let mut bytes = SEED.as_bytes().to_vec();
        for (idx, kind, b) in edits {
            if bytes.is_empty() { break; }
            let i = idx.index(bytes.len());
            match kind {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, b),
                _ => bytes[i] = b,
            }
        }
        exercise(&String::from_utf8_lossy(&bytes), &sub);
    }

    #[test]
    fn random_json(v in json_value(), sub in any::<String>()) {
        exercise(&v.to_string(), &sub);
        let wrapped = serde_json::json!({"Version": "2012-10-17", "Statement": v});
        exercise(&wrapped.to_string(), &sub);
    }
}

const IDENTITY_SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PassRole","s3:*"],"Resource":"arn:aws:iam::123456789012:role/app-*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com","aws:RequestTag/t":"${aws:username}"},"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}},{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/${*}"},{"Effect":"Allow","NotAction":"*:x","Resource":"arn:aws:*"}]}"#;

#[test]
fn identity_seed_is_valid_and_exercised() {
    assert!(PolicyDocument::parse(IDENTITY_SEED).is_ok());
    exercise(IDENTITY_SEED, "lambda.amazonaws.com");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_identity_seed(edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8), text in "[a-z:/*@0-9.]{0,30}") {
        let mut bytes = IDENTITY_SEED.as_bytes().to_vec();
        for (idx, kind, b) in edits {
            if bytes.is_empty() { break; }
            let i = idx.index(bytes.len());
            match kind {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, b),
                _ => bytes[i] = b,
            }
        }
        exercise(&String::from_utf8_lossy(&bytes), &text);
    }
}

#[test]
fn seed_itself_is_valid_and_exercised() {
    assert!(PolicyDocument::parse(SEED).is_ok());
    exercise(SEED, "repo:o/r:ref:refs/tags/v1");
}

#[test]
fn pathological_glob_is_fast_enough_to_finish() {
    // Many stars against a long non-matching text: the matcher must not blow up.
    let pattern = "*a".repeat(50) + "b";
    let text = "a".repeat(2000);
    assert!(!hoist_policy::glob_match(&pattern, &text, false));
}
