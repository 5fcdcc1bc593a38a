//! Statement-level evaluation: principal, action, resource, Allow/Deny
//! precedence, traces and the rendered explanation.

mod common;

use common::*;
use hoist_policy::eval::Outcome;
use hoist_policy::{PolicyDocument, evaluate};

fn doc(statements: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse(
        &serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
    )
    .unwrap()
}

fn allow_stmt() -> serde_json::Value {
    serde_json::json!({
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}
    })
}

#[test]
fn allow_when_everything_matches() {
    let d = evaluate(
        &doc(serde_json::json!([allow_stmt()])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert_eq!(d.outcome, Outcome::Allow);
    assert!(d.allowed());
    let t = &d.statements[0];
    assert!(
        t.principal.matched
            && t.action.matched
            && t.resource.matched
            && t.conditions_hold
            && t.applies
    );
    assert_eq!(t.conditions.len(), 2);
    assert!(d.hints.is_empty());
}

#[test]
fn implicit_deny_when_no_allow_applies() {
    let d = evaluate(
        &doc(serde_json::json!([allow_stmt()])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/dev"),
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    let sub = d.statements[0]
        .conditions
        .iter()
        .find(|c| c.key == SUB)
        .unwrap();
    assert!(!sub.result);
    assert_eq!(
        sub.actual.as_deref(),
        Some(&["repo:octo-org/octo-repo:ref:refs/heads/dev".to_owned()][..])
    );
    assert_eq!(sub.wanted, ["repo:octo-org/octo-repo:ref:refs/heads/main"]);
}

#[test]
fn explicit_deny_wins_over_allow() {
    let deny = serde_json::json!({
        "Sid": "NoPullRequests",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:*",
        "Condition": {"StringLike": {SUB: "*:pull_request"}}
    });
    let mut allow = allow_stmt();
    allow["Condition"] = serde_json::json!({"StringLike": {SUB: "repo:octo-org/octo-repo:*"}});
    let p = doc(serde_json::json!([allow, deny]));
    let d = evaluate(&p, &gh_request("repo:octo-org/octo-repo:pull_request"));
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    assert!(d.to_string().contains("#1 (NoPullRequests)"), "{d}");
    assert_eq!(
        evaluate(
            &p,
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .outcome,
        Outcome::Allow
    );
}

#[test]
fn principal_must_name_the_provider() {
    let mut st = allow_stmt();
    st["Principal"] = serde_json::json!({"Federated": "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"});
    let d = evaluate(
        &doc(serde_json::json!([st])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(!d.allowed());
    assert!(!d.statements[0].principal.matched);
    assert!(
        d.hints.iter().any(|h| h.code == "provider-mismatch"),
        "{:?}",
        d.hints
    );

    let mut st = allow_stmt();
    st["Principal"] = serde_json::json!("*");
    assert!(
        evaluate(
            &doc(serde_json::json!([st])),
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .allowed()
    );

    let mut st = allow_stmt();
    st["Principal"] = serde_json::json!({"AWS": "*"});
    assert!(
        evaluate(
            &doc(serde_json::json!([st])),
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .allowed()
    );

    let mut st = allow_stmt();
    st.as_object_mut().unwrap().remove("Principal");
    st["NotPrincipal"] = serde_json::json!({"Federated": "arn:aws:iam::1:oidc-provider/other"});
    assert!(
        evaluate(
            &doc(serde_json::json!([st])),
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .allowed()
    );

    let mut st = allow_stmt();
    st.as_object_mut().unwrap().remove("Principal");
    let d = evaluate(
        &doc(serde_json::json!([st])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(!d.allowed() && d.statements[0].principal.reason.contains("no Principal"));
}

#[test]
fn action_matching_is_case_insensitive_with_wildcards() {
    for (action, want) in [
        ("sts:AssumeRoleWithWebIdentity", true),
        ("STS:assumerolewithwebidentity", true),
        ("sts:AssumeRole*", true),
        ("sts:AssumeRoleWith?ebIdentity", true),
        ("*", true),
        ("sts:AssumeRole", false),
        ("sts:TagSession", false),
    ] {
        let mut st = allow_stmt();
        st["Action"] = serde_json::json!(action);
        let d = evaluate(
            &doc(serde_json::json!([st])),
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
        );
        assert_eq!(d.allowed(), want, "{action}");
    }
    let mut st = allow_stmt();
    st.as_object_mut().unwrap().remove("Action");
    st["NotAction"] = serde_json::json!("sts:AssumeRole");
    assert!(
        evaluate(
            &doc(serde_json::json!([st.clone()])),
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .allowed()
    );
    st["NotAction"] = serde_json::json!("sts:*");
    assert!(
        !evaluate(
            &doc(serde_json::json!([st])),
            &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
        )
        .allowed()
    );
}

#[test]
fn resource_in_a_trust_policy_never_applies() {
    let mut st = allow_stmt();
    st["Resource"] = serde_json::json!("*");
    let d = evaluate(
        &doc(serde_json::json!([st])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(!d.allowed());
    assert!(
        d.statements[0]
            .resource
            .reason
            .contains("prohibited field Resource")
    );
}

#[test]
fn explanation_lists_every_check() {
    let d = evaluate(
        &doc(serde_json::json!([allow_stmt()])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/dev"),
    );
    let text = d.to_string();
    assert!(text.starts_with("DENIED (implicit)"), "{text}");
    assert!(
        text.contains("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        "{text}"
    );
    assert!(
        text.contains("[FAIL] StringEquals token.actions.githubusercontent.com:sub"),
        "{text}"
    );
    assert!(
        text.contains("request has \"repo:octo-org/octo-repo:ref:refs/heads/dev\""),
        "{text}"
    );
    assert!(
        text.contains("[ok  ] StringEquals token.actions.githubusercontent.com:aud"),
        "{text}"
    );
    assert!(text.contains("[ok  ] principal"), "{text}");

    let missing = evaluate(&doc(serde_json::json!([allow_stmt()])), &bare_request(&[]));
    assert!(
        missing.to_string().contains("request has missing"),
        "{missing}"
    );

    let ok = evaluate(
        &doc(serde_json::json!([allow_stmt()])),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(ok.to_string().starts_with("ALLOWED"), "{ok}");
}

#[test]
fn decision_serializes_for_json_output() {
    let d = evaluate(
        &doc(serde_json::json!([allow_stmt()])),
        &gh_request("repo:octo-org/octo-repo:environment:prod"),
    );
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["outcome"], "ImplicitDeny");
    assert_eq!(v["statements"][0]["conditions"][1]["result"], false);
    assert_eq!(v["hints"][0]["code"], "environment-vs-ref");
}

#[test]
fn request_from_github_claims_maps_documented_keys() {
    let r = gh_request("repo:octo-org/octo-repo:environment:prod");
    let get = |k: &str| r.get(k).map(|v| v.values().to_vec());
    assert_eq!(
        get(SUB),
        Some(vec!["repo:octo-org/octo-repo:environment:prod".to_owned()])
    );
    assert_eq!(get(AUD), Some(vec!["sts.amazonaws.com".to_owned()]));
    for k in [
        "actor",
        "actor_id",
        "job_workflow_ref",
        "repository",
        "repository_id",
        "workflow",
        "ref",
        "environment",
    ] {
        assert!(
            get(&format!("token.actions.githubusercontent.com:{k}")).is_some(),
            "{k}"
        );
    }
    // Claims AWS does not expose stay out of the context.
    for k in [
        "repository_owner",
        "sha",
        "run_id",
        "event_name",
        "iss",
        "exp",
    ] {
        assert!(
            get(&format!("token.actions.githubusercontent.com:{k}")).is_none(),
            "{k}"
        );
    }
    assert!(
        get("token.actions.githubusercontent.com:amr").is_none(),
        "GitHub tokens carry no amr"
    );
    assert_eq!(
        get("aws:FederatedProvider"),
        Some(vec![PROVIDER.to_owned()])
    );
    assert_eq!(
        r.subject(),
        Some("repo:octo-org/octo-repo:environment:prod")
    );
    assert_eq!(r.action, "sts:AssumeRoleWithWebIdentity");
}

#[test]
fn azp_and_amr_follow_the_oidc_key_rules() {
    let claims = serde_json::json!({"sub": "s", "aud": "client-a", "azp": "client-b", "amr": ["pwd", "mfa"]});
    let r = hoist_policy::WebIdentityRequest::from_github_claims(
        "arn:aws:iam::1:oidc-provider/example.com",
        claims.as_object().unwrap(),
    );
    assert_eq!(r.get("example.com:aud").unwrap().values(), ["client-b"]);
    assert_eq!(r.get("example.com:oaud").unwrap().values(), ["client-a"]);
    assert!(
        matches!(r.get("example.com:amr"), Some(hoist_policy::ContextValue::Multi(v)) if v.len() == 2)
    );
    assert!(
        r.get("example.com:actor").is_none(),
        "GitHub-specific keys only for GitHub's provider"
    );
}
