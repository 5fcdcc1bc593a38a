//! Shared test helpers.
#![allow(dead_code, unreachable_pub)]

use hoist_policy::request::WebIdentityRequest;
use hoist_policy::{PolicyDocument, evaluate};

pub const PROVIDER: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
pub const SUB: &str = "token.actions.githubusercontent.com:sub";
pub const AUD: &str = "token.actions.githubusercontent.com:aud";

/// Claims shaped like a GitHub Actions token (GitHub Docs "OIDC token
/// claims" example), with the given sub and the default audience.
pub fn claims(sub: &str) -> serde_json::Map<String, serde_json::Value> {
    let v = serde_json::json!({
        "jti": "example-id",
        "sub": sub,
        "environment": "prod",
        "aud": "sts.amazonaws.com",
        "ref": "refs/heads/main",
        "sha": "example-sha",
        "repository": "octo-org/octo-repo",
        "repository_owner": "octo-org",
        "actor_id": "12",
        "repository_visibility": "private",
        "repository_id": "74",
        "repository_owner_id": "65",
        "run_id": "example-run-id",
        "run_number": "10",
        "run_attempt": "2",
        "runner_environment": "github-hosted",
        "actor": "octocat",
        "workflow": "example-workflow",
        "head_ref": "",
        "base_ref": "",
        "event_name": "workflow_dispatch",
        "ref_type": "branch",
        "job_workflow_ref": "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        "iss": "https://token.actions.githubusercontent.com",
        "nbf": 1632492967,
        "exp": 1632493867,
        "iat": 1632493567
    });
    v.as_object().unwrap().clone()
}

pub fn gh_request(sub: &str) -> WebIdentityRequest {
    WebIdentityRequest::from_github_claims(PROVIDER, &claims(sub))
}

/// A request with only the given keys (no GitHub claims), for operator tests.
pub fn bare_request(pairs: &[(&str, &str)]) -> WebIdentityRequest {
    let mut r = WebIdentityRequest::new(PROVIDER);
    for (k, v) in pairs {
        r = r.with(k, v);
    }
    r
}

/// One Allow statement for the provider with the given Condition JSON.
pub fn trust_with_condition(condition: serde_json::Value) -> PolicyDocument {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition
        }]
    });
    PolicyDocument::parse(&doc.to_string()).expect("test policy parses")
}

pub fn allows(condition: serde_json::Value, req: &WebIdentityRequest) -> bool {
    evaluate(&trust_with_condition(condition), req).allowed()
}
