//! Rough throughput of parse + evaluate + audit on the guide's trust
//! policy: `cargo bench -p hoist-policy`. No timing assertions (speed
//! targets live in the repository's bench/ scripts); prints per-call time.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use hoist_policy::audit::{AuditContext, audit};
use hoist_policy::generate::github_trust_policy;
use hoist_policy::{PolicyDocument, WebIdentityRequest, evaluate};

fn main() {
    let provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    let text = github_trust_policy(
        provider,
        &["repo:o/r:ref:refs/tags/*".to_owned()],
        "sts.amazonaws.com",
    )
    .to_json();
    let claims =
        serde_json::json!({"sub": "repo:o/r:ref:refs/tags/v1", "aud": "sts.amazonaws.com"});
    let req = WebIdentityRequest::from_github_claims(provider, claims.as_object().expect("object"));
    let n = 20_000u32;
    let start = Instant::now();
    for _ in 0..n {
        let doc = PolicyDocument::parse(black_box(&text)).expect("parses");
        let d = evaluate(&doc, black_box(&req));
        black_box(audit(&doc, &AuditContext::default()));
        assert!(d.allowed());
    }
    println!("parse+evaluate+audit: {:?} per call", start.elapsed() / n);
}
