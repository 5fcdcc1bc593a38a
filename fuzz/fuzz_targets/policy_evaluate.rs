//! Arbitrary bytes → (policy, request) → evaluate, explain, audit.
//! Layout: `policy-json \0 sub \0 aud \0 provider-arn \0 environment`;
//! missing parts take GitHub-shaped defaults.
#![no_main]

use hoist_policy::audit::{AuditContext, audit, guardrail_violation};
use hoist_policy::github::Subject;
use hoist_policy::{PolicyDocument, WebIdentityRequest, evaluate};
use libfuzzer_sys::fuzz_target;

const PROVIDER: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let policy = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let Ok(doc) = PolicyDocument::parse(&policy) else {
        return;
    };
    let mut next = |default: &str| {
        parts
            .next()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| default.to_owned())
    };
    let sub = next("repo:o/r:ref:refs/heads/main");
    let aud = next("sts.amazonaws.com");
    let provider = next(PROVIDER);
    let environment = next("");
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), sub.clone().into());
    claims.insert("aud".into(), aud.into());
    if !environment.is_empty() {
        claims.insert("environment".into(), environment.into());
    }
    let req = WebIdentityRequest::from_github_claims(&provider, &claims);
    let decision = evaluate(&doc, &req);
    let _ = decision.to_string();
    assert_eq!(decision.statements.len(), doc.statements.len());
    let _ = Subject::parse(&sub);
    let _ = audit(
        &doc,
        &AuditContext {
            role_name: Some("Prod".into()),
            repository: Some("o/r".into()),
            ..Default::default()
        },
    );
    let _ = guardrail_violation(&doc);
});
