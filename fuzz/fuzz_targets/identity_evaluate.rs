//! Arbitrary bytes → (identity policy, boundary, request) → evaluate,
//! explain, and the permission-policy audit.
//! Layout: `policy-json \0 boundary-json \0 action \0 resource \0 key=value`;
//! an unparseable boundary means none. Checks the evaluation-logic
//! invariants that must hold whatever the input: an Allow needs an identity
//! Allow, the boundary's Allow when there is a boundary, and no applicable
//! Deny; adding the boundary never turns a denial into an allow.
#![no_main]

use hoist_policy::eval::Outcome;
use hoist_policy::{IdentityRequest, PolicyDocument, audit_permission_policy, evaluate_identity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let mut next = |default: &str| {
        parts
            .next()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| default.to_owned())
    };
    let Ok(policy) = PolicyDocument::parse(&next("")) else {
        return;
    };
    let boundary = PolicyDocument::parse(&next("")).ok();
    let action = next("iam:PassRole");
    let resource = next("arn:aws:iam::123456789012:role/x");
    let mut req = IdentityRequest::new(&action, &resource);
    let pair = next("iam:PassedToService=lambda.amazonaws.com");
    if let Some((k, v)) = pair.split_once('=') {
        req = req.with(k, v);
    }
    let with = evaluate_identity(&[&policy], boundary.as_ref(), &req);
    let without = evaluate_identity(&[&policy], None, &req);
    let _ = with.to_string();
    if with.outcome == Outcome::Allow {
        assert!(with.identity_allows);
        assert_ne!(with.boundary_allows, Some(false));
        assert_eq!(without.outcome, Outcome::Allow);
    }
    if without.outcome == Outcome::ExplicitDeny {
        assert_eq!(with.outcome, Outcome::ExplicitDeny);
    }
    let _ = audit_permission_policy(&policy);
});
