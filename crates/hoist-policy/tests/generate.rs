//! Generated policies: exact shapes, behaviour, and a clean audit.

mod common;

use common::*;
use hoist_policy::audit::{AuditContext, Severity, Tier, audit, guardrail_violation};
use hoist_policy::generate::{
    DeployScope, deploy_permissions_policy, ecr_push_policy, github_trust_policy,
    legacy_ecr_user_policy,
};
use hoist_policy::github::{GitHubRepo, subject_for_branch, subject_for_tag};
use hoist_policy::{PolicyDocument, evaluate};
use serde_json::json;

fn repo() -> GitHubRepo {
    GitHubRepo::parse("arshargithub/HindsightRoboMemSetup").unwrap()
}

fn dev() -> PolicyDocument {
    github_trust_policy(
        PROVIDER,
        &[subject_for_branch(&repo(), "main")],
        "sts.amazonaws.com",
    )
}

fn prod() -> PolicyDocument {
    github_trust_policy(
        PROVIDER,
        &[subject_for_tag(&repo(), "*")],
        "sts.amazonaws.com",
    )
}

#[test]
fn dev_trust_policy_is_exactly_the_documented_shape() {
    let v: serde_json::Value = serde_json::from_str(&dev().to_json()).unwrap();
    assert_eq!(
        v,
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    AUD: "sts.amazonaws.com",
                    SUB: "repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main"
                }}
            }]
        })
    );
}

#[test]
fn prod_trust_policy_uses_string_like_for_the_tag_pattern() {
    let v: serde_json::Value = serde_json::from_str(&prod().to_json()).unwrap();
    assert_eq!(
        v["Statement"][0]["Condition"],
        json!({
            "StringEquals": {AUD: "sts.amazonaws.com"},
            "StringLike": {SUB: "repo:arshargithub/HindsightRoboMemSetup:ref:refs/tags/*"}
        })
    );
    let multi = github_trust_policy(
        PROVIDER,
        &[
            "repo:a/b:ref:refs/heads/main".into(),
            "repo:a/b:environment:prod".into(),
        ],
        "sts.amazonaws.com",
    );
    let v: serde_json::Value = serde_json::from_str(&multi.to_json()).unwrap();
    assert_eq!(
        v["Statement"][0]["Condition"]["StringEquals"][SUB],
        json!(["repo:a/b:ref:refs/heads/main", "repo:a/b:environment:prod"])
    );
}

#[test]
fn generated_trust_policies_admit_only_their_subjects() {
    let d = dev();
    assert!(
        evaluate(
            &d,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main")
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &d,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/feature")
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &d,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup:pull_request")
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &d,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup:ref:refs/tags/v1")
        )
        .allowed()
    );
    let p = prod();
    assert!(
        evaluate(
            &p,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup:ref:refs/tags/v1.0.0")
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &p,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main")
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &p,
            &gh_request("repo:arshargithub/HindsightRoboMemSetup-fork:ref:refs/tags/v1")
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &p,
            &gh_request("repo:someone/HindsightRoboMemSetup:ref:refs/tags/v1")
        )
        .allowed()
    );
}

#[test]
fn generated_trust_policies_audit_clean_and_pass_the_guardrail() {
    for (policy, name, tier) in [
        (dev(), "GitHubActionsHindsightDev", Tier::Dev),
        (prod(), "GitHubActionsHindsightProd", Tier::Prod),
    ] {
        assert_eq!(guardrail_violation(&policy), None);
        let ctx = AuditContext {
            role_name: Some(name.into()),
            tier: None,
            repository: Some("arshargithub/HindsightRoboMemSetup".into()),
            expected_provider_arn: Some(PROVIDER.into()),
            ..AuditContext::default()
        };
        assert_eq!(ctx.effective_tier(), Some(tier));
        // Without tag protection, a prod role trusting every tag draws
        // HOIST-T019 (a warning); with it configured, nothing.
        let unprotected = audit(&policy, &ctx);
        assert!(
            unprotected.iter().all(|f| f.severity != Severity::Error),
            "{name}: {unprotected:#?}"
        );
        assert!(
            unprotected.iter().all(|f| f.rule == "HOIST-T019"),
            "{name}: {unprotected:#?}"
        );
        let findings = hoist_policy::audit_with_protection(&policy, &ctx, true);
        assert!(findings.is_empty(), "{name}: {findings:#?}");
    }
}

#[test]
fn id_based_generated_policy_is_clean() {
    let r = repo().with_ids(1, 2);
    let p = github_trust_policy(PROVIDER, &[subject_for_tag(&r, "v*")], "sts.amazonaws.com");
    assert!(
        evaluate(
            &p,
            &gh_request("repo:arshargithub@1/HindsightRoboMemSetup@2:ref:refs/tags/v2")
        )
        .allowed()
    );
    let ctx = AuditContext {
        tier: Some(Tier::Prod),
        repository: Some("arshargithub/HindsightRoboMemSetup".into()),
        ..Default::default()
    };
    assert!(audit(&p, &ctx).is_empty(), "{:#?}", audit(&p, &ctx));
}

#[test]
fn legacy_ecr_user_policy_is_the_guides_policy() {
    let guide = r#"{
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": [
            "ecr:GetAuthorizationToken",
            "ecr:DescribeImages",
            "ecr:DescribeRepositories",
            "ecr:CreateRepository",
            "ecr:PutImage",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "ecr:BatchCheckLayerAvailability"
          ],
          "Resource": "*"
        }
      ]
    }"#;
    let ours = legacy_ecr_user_policy();
    assert_eq!(ours, PolicyDocument::parse(guide).unwrap());
    let a: serde_json::Value = serde_json::from_str(guide).unwrap();
    let b: serde_json::Value = serde_json::from_str(&ours.to_json()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn ecr_push_policy_scopes_repositories() {
    let p = ecr_push_policy(
        Some("123456789012"),
        "ca-central-1",
        &["hindsight-api".into()],
    );
    let v: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
    assert_eq!(v["Statement"][0]["Action"], "ecr:GetAuthorizationToken");
    assert_eq!(v["Statement"][0]["Resource"], "*");
    assert_eq!(
        v["Statement"][1]["Resource"],
        "arn:aws:ecr:ca-central-1:123456789012:repository/hindsight-api"
    );
    let actions: Vec<String> = serde_json::from_value(v["Statement"][1]["Action"].clone()).unwrap();
    for a in [
        "ecr:PutImage",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:BatchCheckLayerAvailability",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }
    assert!(!actions.iter().any(|a| a.contains('*')));
    let unknown = ecr_push_policy(None, "us-east-1", &["x".into()]);
    assert!(
        unknown
            .to_json()
            .contains("arn:aws:ecr:us-east-1:*:repository/x")
    );
}

#[test]
fn deploy_policy_is_scoped_to_the_stack() {
    let mut scope = DeployScope::new("ca-central-1", &["HindsightDevStack"]);
    scope.account_id = Some("123456789012".into());
    let p = deploy_permissions_policy(&scope);
    // Round-trips through the parser (valid grammar).
    let reparsed = PolicyDocument::parse(&p.to_json()).unwrap();
    assert_eq!(reparsed, p);
    let v: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
    let stmts = v["Statement"].as_array().unwrap();
    let by_sid = |sid: &str| {
        stmts
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("{sid}"))
            .clone()
    };
    assert_eq!(
        by_sid("ReadOwnStack")["Resource"],
        "arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/*"
    );
    assert_eq!(
        by_sid("CdkBootstrapVersion")["Resource"],
        "arn:aws:ssm:ca-central-1:123456789012:parameter/cdk-bootstrap/hnb659fds/version"
    );
    assert_eq!(
        by_sid("SecretsTaggedByStack")["Condition"]["StringEquals"]["aws:ResourceTag/aws:cloudformation:stack-name"],
        "HindsightDevStack"
    );
    assert_eq!(by_sid("Identity")["Action"], "sts:GetCallerIdentity");
    for s in stmts {
        let actions: Vec<String> = match &s["Action"] {
            serde_json::Value::String(a) => vec![a.clone()],
            other => serde_json::from_value(other.clone()).unwrap(),
        };
        // No service-wide wildcard, no IAM at all for a CDK environment.
        assert!(
            !actions.iter().any(|a| a == "*" || a.ends_with(":*")),
            "{s}"
        );
        assert!(!actions.iter().any(|a| a.starts_with("iam:")), "{s}");
        if actions.iter().any(|a| {
            a.starts_with("lambda:")
                || a.starts_with("secretsmanager:")
                || a.starts_with("sts:AssumeRole")
        }) {
            assert_ne!(s["Resource"], "*", "{s}");
        }
    }
    // Unknown account: `*` in the account segment.
    let wide =
        deploy_permissions_policy(&DeployScope::new("ca-central-1", &["HindsightProdStack"]));
    assert!(
        wide.to_json()
            .contains("arn:aws:iam::*:role/cdk-hnb659fds-deploy-role-*-ca-central-1")
    );
    // Permission policies have no principal: trust rules stay silent.
    assert!(audit(&p, &AuditContext::default()).is_empty());
}
