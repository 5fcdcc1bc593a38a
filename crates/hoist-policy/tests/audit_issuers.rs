//! Audit rules added for issue 11: policy variables in identity keys,
//! GitHub Enterprise Server and enterprise-slug issuers, unparseable roles
//! and which roles `trust audit --account` must look at. Pure; no AWS.

mod common;

use common::*;
use hoist_policy::audit::{AuditContext, Severity, audit};
use hoist_policy::{PolicyDocument, admits_provider_or_anyone, evaluate, unparseable_policy};
use serde_json::json;

fn policy(statement: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": [statement]}).to_string())
        .unwrap()
}

fn trust(provider: &str, condition: serde_json::Value) -> PolicyDocument {
    policy(json!({
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition
    }))
}

fn rules(doc: &PolicyDocument) -> Vec<(&'static str, Severity)> {
    audit(doc, &AuditContext::default())
        .into_iter()
        .map(|f| (f.rule, f.severity))
        .collect()
}

#[test]
fn a_sub_that_is_the_tokens_own_claim_admits_everyone_and_is_an_error() {
    let own = trust(
        PROVIDER,
        json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "${token.actions.githubusercontent.com:sub}"}}),
    );
    // AWS substitutes the token's own sub: any repository gets in. The
    // evaluator says so (as AWS would) and the audit must not be clean.
    assert!(evaluate(&own, &gh_request("repo:evil/evil:ref:refs/heads/main")).allowed());
    assert!(
        rules(&own).contains(&("HOIST-T017", Severity::Error)),
        "{:?}",
        rules(&own)
    );
    let part = trust(
        PROVIDER,
        json!({"StringEquals": {AUD: "sts.amazonaws.com",
        SUB: "repo:${token.actions.githubusercontent.com:repository}:ref:refs/heads/main"}}),
    );
    assert!(
        evaluate(
            &part,
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .allowed()
    );
    assert!(rules(&part).contains(&("HOIST-T017", Severity::Error)));
    for key in [AUD, "token.actions.githubusercontent.com:job_workflow_ref"] {
        let doc = trust(
            PROVIDER,
            json!({"StringEquals": {SUB: "repo:octo-org/octo-repo:ref:refs/heads/main", key: "${token.actions.githubusercontent.com:aud}"}}),
        );
        assert!(
            rules(&doc).contains(&("HOIST-T017", Severity::Error)),
            "{key}"
        );
    }
    // A literal subject is clean.
    let clean = trust(
        PROVIDER,
        json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}),
    );
    assert!(rules(&clean).is_empty(), "{:?}", rules(&clean));
}

const GHES: &str = "arn:aws:iam::123456789012:oidc-provider/ghe.example.com/_services/token";
const SLUG: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/octo-enterprise";

#[test]
fn ghes_and_enterprise_issuers_get_sub_and_aud_checks_with_their_own_prefix() {
    for (provider, prefix) in [
        (GHES, "ghe.example.com/_services/token"),
        (SLUG, "token.actions.githubusercontent.com/octo-enterprise"),
    ] {
        let sub = format!("{prefix}:sub");
        let aud = format!("{prefix}:aud");
        // No sub condition at all: every repository of that issuer.
        let none = trust(
            provider,
            json!({"StringEquals": {&aud: "sts.amazonaws.com"}}),
        );
        assert!(
            rules(&none).contains(&("HOIST-T001", Severity::Error)),
            "{provider}: {:?}",
            rules(&none)
        );
        // A wide sub.
        let wide = trust(
            provider,
            json!({"StringEquals": {&aud: "sts.amazonaws.com"}, "StringLike": {&sub: "repo:*"}}),
        );
        assert!(
            rules(&wide).contains(&("HOIST-T002", Severity::Error)),
            "{provider}"
        );
        // The keys bootstrap used to write: github.com's prefix, never present.
        let foreign = trust(
            provider,
            json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}),
        );
        let r = rules(&foreign);
        assert!(
            r.contains(&("HOIST-T020", Severity::Error)),
            "{provider}: {r:?}"
        );
        assert!(
            r.contains(&("HOIST-T001", Severity::Error)),
            "{provider}: {r:?}"
        );
        // Right prefix, one repository: clean.
        let good = trust(
            provider,
            json!({"StringEquals": {&aud: "sts.amazonaws.com", &sub: "repo:octo-org/octo-repo:ref:refs/heads/main"}}),
        );
        assert!(rules(&good).is_empty(), "{provider}: {:?}", rules(&good));
        // And the evaluator reads the same keys from the issuer's tokens.
        let req = hoist_policy::request::WebIdentityRequest::from_github_claims(
            provider,
            &claims("repo:octo-org/octo-repo:ref:refs/heads/main"),
        );
        assert!(evaluate(&good, &req).allowed(), "{provider}");
        assert!(!evaluate(&foreign, &req).allowed(), "{provider}");
    }
}

#[test]
fn an_unparseable_role_is_a_finding() {
    let err = PolicyDocument::parse(r#"{"Statement": [{"Effect": "Maybe"}]}"#).unwrap_err();
    let f = unparseable_policy("role broken", &err);
    assert_eq!((f.rule, f.severity), ("HOIST-T018", Severity::Error));
    assert!(f.message.contains("cannot be read"), "{}", f.message);
}

#[test]
fn account_audit_looks_at_roles_trusting_anyone() {
    let host = "token.actions.githubusercontent.com";
    let github = trust(PROVIDER, json!({}));
    assert!(admits_provider_or_anyone(&github, host));
    for principal in [json!("*"), json!({"AWS": "*"})] {
        let p = policy(
            json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity"}),
        );
        assert!(admits_provider_or_anyone(&p, host), "{principal}");
    }
    let np = policy(
        json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}),
    );
    assert!(admits_provider_or_anyone(&np, host));
    let service = policy(
        json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    );
    assert!(!admits_provider_or_anyone(&service, host));
    // The `*` principal trust draws a principal finding.
    let star = policy(
        json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}}),
    );
    assert!(rules(&star).contains(&("HOIST-T008", Severity::Error)));
}
