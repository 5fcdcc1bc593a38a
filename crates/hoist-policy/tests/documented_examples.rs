//! Examples from the AWS IAM User Guide and GitHub Docs, restated as tests.
//! Each test names the page and the behaviour it documents.

mod common;

use common::*;
use hoist_policy::request::{ContextValue, WebIdentityRequest};
use hoist_policy::{PolicyDocument, evaluate};
use serde_json::json;

/// GitHub Docs, "Configuring OpenID Connect in Amazon Web Services": both
/// keys under StringEquals, one branch.
#[test]
fn github_docs_aws_trust_policy_single_branch() {
    let cond = json!({"StringEquals": {
        AUD: "sts.amazonaws.com",
        SUB: "repo:octo-org/octo-repo:ref:refs/heads/octo-branch"
    }});
    assert!(allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/octo-branch")
    ));
    assert!(!allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
    ));
    assert!(!allows(
        cond,
        &gh_request("repo:octo-org/other-repo:ref:refs/heads/octo-branch")
    ));
}

/// GitHub Docs: StringLike with `repo:octo-org/octo-repo:*` admits every
/// ref, environment and pull request of that repository only.
#[test]
fn github_docs_aws_trust_policy_wildcard_repo() {
    let cond = json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo-org/octo-repo:*"}});
    for sub in [
        "repo:octo-org/octo-repo:ref:refs/heads/any",
        "repo:octo-org/octo-repo:environment:Production",
        "repo:octo-org/octo-repo:pull_request",
        "repo:octo-org/octo-repo:ref:refs/tags/v1",
    ] {
        assert!(allows(cond.clone(), &gh_request(sub)), "{sub}");
    }
    assert!(!allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo-evil:ref:refs/heads/main")
    ));
    assert!(!allows(
        cond,
        &gh_request("repo:octo-org/other:pull_request")
    ));
}

/// AWS IAM User Guide, "Create a role for OpenID Connect federation"
/// (GitHub example): StringEquals on aud, StringLike on sub with a branch.
#[test]
fn aws_docs_github_role_example() {
    let cond = json!({
        "StringEquals": {AUD: "sts.amazonaws.com"},
        "StringLike": {SUB: "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"}
    });
    assert!(allows(
        cond.clone(),
        &gh_request("repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch")
    ));
    assert!(
        !allows(
            cond.clone(),
            &gh_request("repo:githuborg/githubrepo:ref:refs/heads/GitHubBranch")
        ),
        "case matters"
    );
    let mut other_aud = gh_request("repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch");
    other_aud.insert(
        AUD,
        ContextValue::Single("https://github.com/GitHubOrg".into()),
    );
    assert!(
        !allows(cond, &other_aud),
        "GitHub's default audience is the owner URL, not sts.amazonaws.com"
    );
}

/// GitHub Docs once showed `ForAllValues:StringEquals` for aud/sub (later
/// corrected to StringEquals): ForAllValues on a single-valued key is true
/// when the key is absent, so it does not require a sub at all.
#[test]
fn historic_for_all_values_example_admits_tokens_without_sub() {
    let cond = json!({"ForAllValues:StringEquals": {
        AUD: "sts.amazonaws.com",
        SUB: "repo:octo-org/octo-repo:ref:refs/heads/octo-branch"
    }});
    assert!(allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/octo-branch")
    ));
    assert!(!allows(
        cond.clone(),
        &gh_request("repo:evil/evil:ref:refs/heads/main")
    ));
    let no_sub = bare_request(&[(AUD, "sts.amazonaws.com")]);
    assert!(
        allows(cond, &no_sub),
        "absent key: ForAllValues holds vacuously"
    );
}

/// IAM User Guide, "Creating a condition with multiple keys or values":
/// operators and keys AND together, values for one key OR together.
#[test]
fn multiple_keys_and_values() {
    let cond = json!({
        "StringEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"], "aws:PrincipalTag/role": ["audit", "security"]},
        "DateGreaterThan": {"aws:CurrentTime": "2026-07-16T12:00:00Z"},
        "DateLessThan": {"aws:CurrentTime": "2026-07-16T15:00:00Z"}
    });
    let base = [
        ("aws:PrincipalTag/department", "hr"),
        ("aws:PrincipalTag/role", "audit"),
        ("aws:CurrentTime", "2026-07-16T13:00:00Z"),
    ];
    assert!(allows(cond.clone(), &bare_request(&base)));
    let mut wrong_role = base;
    wrong_role[1].1 = "dev";
    assert!(!allows(cond.clone(), &bare_request(&wrong_role)));
    let mut late = base;
    late[2].1 = "2026-07-16T16:00:00Z";
    assert!(!allows(cond, &bare_request(&late)));
}

/// IAM User Guide: negated operators with multiple values act as NOR.
#[test]
fn negated_operator_with_multiple_values_is_nor() {
    let cond = json!({"StringNotEquals": {"aws:PrincipalTag/department": ["finance", "hr"]}});
    assert!(allows(
        cond.clone(),
        &bare_request(&[("aws:PrincipalTag/department", "legal")])
    ));
    assert!(!allows(
        cond.clone(),
        &bare_request(&[("aws:PrincipalTag/department", "hr")])
    ));
    assert!(!allows(
        cond.clone(),
        &bare_request(&[("aws:PrincipalTag/department", "finance")])
    ));
    assert!(
        allows(cond, &bare_request(&[])),
        "missing key: negated operator is true"
    );
}

/// IAM User Guide, "…IfExists condition operators": the EC2 instance-type
/// example. Absent key → true; present key must match.
#[test]
fn if_exists_instance_type_example() {
    let cond = json!({"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}});
    assert!(allows(cond.clone(), &bare_request(&[])));
    assert!(allows(
        cond.clone(),
        &bare_request(&[("ec2:InstanceType", "t2.micro")])
    ));
    assert!(!allows(
        cond,
        &bare_request(&[("ec2:InstanceType", "c5.large")])
    ));
}

/// IAM User Guide, "Condition operator to check existence of condition
/// keys": `Null: {"aws:TokenIssueTime": "true"}` holds for long-term
/// credentials (no token issue time).
#[test]
fn null_token_issue_time_example() {
    let cond = json!({"Null": {"aws:TokenIssueTime": "true"}});
    assert!(allows(cond.clone(), &bare_request(&[])));
    assert!(!allows(
        cond,
        &bare_request(&[("aws:TokenIssueTime", "2026-01-01T00:00:00Z")])
    ));
}

/// IAM User Guide, BoolIfExists: deny when MFA is absent or false.
#[test]
fn bool_if_exists_mfa_example() {
    let cond = json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}});
    assert!(allows(cond.clone(), &bare_request(&[])));
    assert!(allows(
        cond.clone(),
        &bare_request(&[("aws:MultiFactorAuthPresent", "false")])
    ));
    assert!(!allows(
        cond,
        &bare_request(&[("aws:MultiFactorAuthPresent", "true")])
    ));
}

/// IAM User Guide, set operators: `ForAllValues:StringEquals` on
/// `dynamodb:Attributes` — every requested attribute must be listed; no
/// attributes at all is allowed too.
#[test]
fn for_all_values_dynamodb_attributes_example() {
    let cond =
        json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Message", "Tags"]}});
    let req = |v: &[&str]| {
        let mut r = bare_request(&[]);
        r.insert(
            "dynamodb:Attributes",
            ContextValue::Multi(v.iter().map(|s| (*s).into()).collect()),
        );
        r
    };
    assert!(allows(cond.clone(), &req(&["ID", "Message"])));
    assert!(!allows(cond.clone(), &req(&["ID", "Secret"])));
    assert!(allows(cond.clone(), &req(&[])));
    assert!(allows(cond, &bare_request(&[])));
}

/// IAM User Guide, set operators: `ForAnyValue:StringEquals` on tag keys —
/// one match suffices; absent or empty is false.
#[test]
fn for_any_value_tag_keys_example() {
    let cond = json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}});
    let req = |v: &[&str]| {
        let mut r = bare_request(&[]);
        r.insert(
            "aws:TagKeys",
            ContextValue::Multi(v.iter().map(|s| (*s).into()).collect()),
        );
        r
    };
    assert!(allows(cond.clone(), &req(&["owner", "environment"])));
    assert!(!allows(cond.clone(), &req(&["owner"])));
    assert!(!allows(cond.clone(), &req(&[])));
    assert!(!allows(cond, &bare_request(&[])));
}

/// IAM User Guide, OIDC federation keys, Cognito example (multi-valued amr):
/// `ForAnyValue:StringLike` on `cognito-identity.amazonaws.com:amr`.
#[test]
fn cognito_amr_example() {
    let policy = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},
        "Action":"sts:AssumeRoleWithWebIdentity",
        "Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-2:12345678-abcd-abcd-abcd-123456"},
                     "ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}}]}"#,
    )
    .unwrap();
    let claims = |amr: serde_json::Value| {
        json!({"sub": "us-east-2:abc", "aud": "us-east-2:12345678-abcd-abcd-abcd-123456", "amr": amr}).as_object().unwrap().clone()
    };
    let unauth = WebIdentityRequest::from_github_claims(
        "cognito-identity.amazonaws.com",
        &claims(json!(["unauthenticated"])),
    );
    let auth = WebIdentityRequest::from_github_claims(
        "cognito-identity.amazonaws.com",
        &claims(json!([
            "authenticated",
            "graph.facebook.com",
            "graph.facebook.com:123"
        ])),
    );
    assert!(evaluate(&policy, &unauth).allowed());
    assert!(!evaluate(&policy, &auth).allowed());
}

/// GitHub Docs, "Example subject claims": each documented shape and the
/// trust condition that admits it.
#[test]
fn github_example_subject_claims_match_their_conditions() {
    let cases = [
        (
            "repo:octo-org/octo-repo:environment:Production",
            "repo:octo-org/octo-repo:environment:Production",
        ),
        (
            "repo:octo-org/octo-repo:ref:refs/heads/demo-branch",
            "repo:octo-org/octo-repo:ref:refs/heads/demo-branch",
        ),
        (
            "repo:octo-org/octo-repo:ref:refs/tags/demo-tag",
            "repo:octo-org/octo-repo:ref:refs/tags/demo-tag",
        ),
        (
            "repo:octo-org/octo-repo:pull_request",
            "repo:octo-org/octo-repo:pull_request",
        ),
    ];
    for (sub, want) in cases {
        let cond = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: want}});
        assert!(allows(cond, &gh_request(sub)), "{sub}");
    }
    // The environment token does not match the branch condition even for the same repo.
    let cond = json!({"StringEquals": {SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}});
    assert!(!allows(
        cond,
        &gh_request("repo:octo-org/octo-repo:environment:Production")
    ));
}

/// AWS (2026): provider-specific GitHub keys can be combined with sub.
#[test]
fn provider_specific_github_keys() {
    let cond = json!({"StringEquals": {
        AUD: "sts.amazonaws.com",
        "token.actions.githubusercontent.com:repository_id": "74",
        "token.actions.githubusercontent.com:job_workflow_ref": "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main"
    }});
    assert!(allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo:environment:prod")
    ));
    let mut other = gh_request("repo:octo-org/octo-repo:environment:prod");
    other.insert(
        "token.actions.githubusercontent.com:repository_id",
        ContextValue::Single("75".into()),
    );
    assert!(!allows(cond, &other));
}
