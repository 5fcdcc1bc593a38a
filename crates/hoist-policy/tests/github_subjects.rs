//! GitHub subject formats and the denial hints built on them.

mod common;

use common::*;
use hoist_policy::evaluate;
use hoist_policy::generate::github_trust_policy;
use hoist_policy::github::{
    GitHubRepo, IdentityFormat, Subject, SubjectContext, SubjectParseError, hints,
    subject_for_branch, subject_for_environment, subject_for_pull_request, subject_for_tag,
};

#[test]
fn parses_default_template_shapes() {
    let s = Subject::parse("repo:octo-org/octo-repo:ref:refs/heads/feature/x").unwrap();
    assert_eq!(
        s,
        Subject::Repo {
            repo: GitHubRepo::new("octo-org", "octo-repo"),
            context: SubjectContext::Branch("feature/x".into())
        }
    );
    assert_eq!(
        Subject::parse("repo:o/r:ref:refs/tags/v1.2.3")
            .unwrap()
            .context(),
        Some(SubjectContext::Tag("v1.2.3".into()))
    );
    assert_eq!(
        Subject::parse("repo:o/r:ref:refs/pull/1/merge")
            .unwrap()
            .context(),
        Some(SubjectContext::Ref("refs/pull/1/merge".into()))
    );
    assert_eq!(
        Subject::parse("repo:o/r:environment:Production")
            .unwrap()
            .context(),
        Some(SubjectContext::Environment("Production".into()))
    );
    assert_eq!(
        Subject::parse("repo:o/r:pull_request").unwrap().context(),
        Some(SubjectContext::PullRequest)
    );
}

#[test]
fn parses_id_based_immutable_subjects() {
    let s = Subject::parse("repo:octocat@123456/my-repo@456789:ref:refs/heads/main").unwrap();
    let repo = s.repo().unwrap();
    assert_eq!(repo.owner, "octocat");
    assert_eq!(repo.name, "my-repo");
    assert_eq!(
        repo.identity,
        IdentityFormat::Id {
            owner_id: 123456,
            repo_id: 456789
        }
    );
    assert_eq!(
        s.to_string(),
        "repo:octocat@123456/my-repo@456789:ref:refs/heads/main"
    );
    // Half an id pair is not the documented shape: kept as custom pairs.
    assert!(matches!(
        Subject::parse("repo:octocat@1/my-repo:pull_request").unwrap(),
        Subject::Custom(_)
    ));
}

#[test]
fn parses_custom_templates_as_pairs() {
    let s = Subject::parse("repository_owner_id:72338:repository_id:123:environment:prod").unwrap();
    assert_eq!(
        s,
        Subject::Custom(vec![
            ("repository_owner_id".into(), "72338".into()),
            ("repository_id".into(), "123".into()),
            ("environment".into(), "prod".into()),
        ])
    );
    assert_eq!(
        s.context(),
        Some(SubjectContext::Environment("prod".into()))
    );
    assert_eq!(s.claim("repository_id").as_deref(), Some("123"));
    assert!(s.repo().is_none());

    let s = Subject::parse(
        "repo:octo-org/octo-repo:environment:prod:job_workflow_ref:octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
    )
    .unwrap();
    assert_eq!(s.repo().unwrap().full_name(), "octo-org/octo-repo");
    assert_eq!(
        s.claim("job_workflow_ref").as_deref(),
        Some("octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main")
    );
    assert_eq!(
        s.to_string(),
        "repo:octo-org/octo-repo:environment:prod:job_workflow_ref:octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main"
    );
    assert_eq!(
        Subject::parse("repository_owner:octo-org")
            .unwrap()
            .claim("repository_owner")
            .as_deref(),
        Some("octo-org")
    );
    assert!(
        matches!(Subject::parse("repo:o/r:pull_request:x:1").unwrap(), Subject::Custom(p) if p.len() == 3)
    );
}

#[test]
fn rejects_non_subjects() {
    assert!(matches!(
        Subject::parse(""),
        Err(SubjectParseError::NotASubject(_))
    ));
    assert!(matches!(
        Subject::parse("octo-org/octo-repo"),
        Err(SubjectParseError::NotASubject(_))
    ));
    assert!(matches!(
        Subject::parse("repo:o/r:ref"),
        Err(SubjectParseError::MissingValue { .. })
    ));
    assert!(GitHubRepo::parse("no-slash").is_err());
    assert!(GitHubRepo::parse("a/b/c").is_err());
    assert!(GitHubRepo::parse("/b").is_err());
}

#[test]
fn builders_round_trip_through_the_parser() {
    let name = GitHubRepo::parse("arshargithub/HindsightRoboMemSetup").unwrap();
    let id = name.clone().with_ids(111, 222);
    assert_eq!(
        subject_for_branch(&name, "main"),
        "repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main"
    );
    assert_eq!(
        subject_for_tag(&name, "*"),
        "repo:arshargithub/HindsightRoboMemSetup:ref:refs/tags/*"
    );
    assert_eq!(
        subject_for_environment(&name, "prod"),
        "repo:arshargithub/HindsightRoboMemSetup:environment:prod"
    );
    assert_eq!(
        subject_for_pull_request(&name),
        "repo:arshargithub/HindsightRoboMemSetup:pull_request"
    );
    assert_eq!(
        subject_for_branch(&id, "main"),
        "repo:arshargithub@111/HindsightRoboMemSetup@222:ref:refs/heads/main"
    );
    for s in [
        subject_for_branch(&name, "main"),
        subject_for_tag(&id, "v1"),
        subject_for_environment(&id, "prod"),
        subject_for_pull_request(&name),
    ] {
        assert_eq!(Subject::parse(&s).unwrap().to_string(), s);
    }
}

fn branch_policy() -> hoist_policy::PolicyDocument {
    github_trust_policy(
        PROVIDER,
        &["repo:octo-org/octo-repo:ref:refs/heads/main".into()],
        "sts.amazonaws.com",
    )
}

#[test]
fn environment_job_against_ref_policy_explains_the_cause() {
    let req = gh_request("repo:octo-org/octo-repo:environment:production");
    let d = evaluate(&branch_policy(), &req);
    assert!(!d.allowed());
    let h = d
        .hints
        .iter()
        .find(|h| h.code == "environment-vs-ref")
        .expect("hint present");
    assert!(h.message.contains("this job names a GitHub environment, so its token's sub is repo:octo-org/octo-repo:environment:production, not \"repo:octo-org/octo-repo:ref:refs/heads/main\""), "{}", h.message);
    assert!(h.message.contains(
        "most common cause of 'Not authorized to perform sts:AssumeRoleWithWebIdentity'"
    ));
    assert!(
        h.fix
            .contains("repo:octo-org/octo-repo:environment:production")
            && h.fix.contains("remove `environment: production`"),
        "{}",
        h.fix
    );
    let text = d.to_string();
    assert!(
        text.contains("hint: this job names a GitHub environment"),
        "{text}"
    );
    assert_eq!(hints(&d, &req), d.hints);
}

#[test]
fn ref_job_against_environment_policy_explains_too() {
    let policy = github_trust_policy(
        PROVIDER,
        &["repo:octo-org/octo-repo:environment:production".into()],
        "sts.amazonaws.com",
    );
    let d = evaluate(
        &policy,
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    let h = d
        .hints
        .iter()
        .find(|h| h.code == "ref-vs-environment")
        .expect("hint present");
    assert!(h.fix.contains("environment: production"), "{}", h.fix);
    assert!(h.message.contains("most common cause"));
}

#[test]
fn no_environment_hint_when_allowed_or_unrelated() {
    let req = gh_request("repo:octo-org/octo-repo:ref:refs/heads/main");
    assert!(evaluate(&branch_policy(), &req).hints.is_empty());
    let other_branch = evaluate(
        &branch_policy(),
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/dev"),
    );
    assert!(
        !other_branch
            .hints
            .iter()
            .any(|h| h.code.contains("environment")),
        "{:?}",
        other_branch.hints
    );
}

#[test]
fn other_hints() {
    // Pull request runs.
    let d = evaluate(
        &branch_policy(),
        &gh_request("repo:octo-org/octo-repo:pull_request"),
    );
    assert!(
        d.hints.iter().any(|h| h.code == "pull-request"),
        "{:?}",
        d.hints
    );
    // ID-based token against a name-based policy.
    let d = evaluate(
        &branch_policy(),
        &gh_request("repo:octo-org@65/octo-repo@74:ref:refs/heads/main"),
    );
    assert!(
        d.hints.iter().any(|h| h.code == "immutable-subject"),
        "{:?}",
        d.hints
    );
    // Case.
    let d = evaluate(
        &branch_policy(),
        &gh_request("repo:Octo-Org/octo-repo:ref:refs/heads/main"),
    );
    assert!(
        d.hints.iter().any(|h| h.code == "case-mismatch"),
        "{:?}",
        d.hints
    );
    // Audience.
    let policy = github_trust_policy(
        PROVIDER,
        &["repo:octo-org/octo-repo:ref:refs/heads/main".into()],
        "https://github.com/octo-org",
    );
    let d = evaluate(
        &policy,
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(
        d.hints.iter().any(|h| h.code == "audience"),
        "{:?}",
        d.hints
    );
    // Wildcard under StringEquals.
    let p = trust_with_condition(
        serde_json::json!({"StringEquals": {SUB: "repo:octo-org/octo-repo:*"}}),
    );
    let d = evaluate(
        &p,
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(
        d.hints
            .iter()
            .any(|h| h.code == "wildcard-in-string-equals"),
        "{:?}",
        d.hints
    );
    // Misspelled key.
    let p = trust_with_condition(
        serde_json::json!({"StringEquals": {"token.actions.githubusercontent.com:subject": "x"}}),
    );
    let d = evaluate(
        &p,
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main"),
    );
    assert!(
        d.hints.iter().any(|h| h.code == "missing-key"),
        "{:?}",
        d.hints
    );
    // A known claim the token simply lacks (no environment on this job).
    let p = trust_with_condition(
        serde_json::json!({"StringEquals": {"token.actions.githubusercontent.com:environment": "production"}}),
    );
    let mut req = gh_request("repo:octo-org/octo-repo:ref:refs/heads/main");
    req.context
        .remove("token.actions.githubusercontent.com:environment");
    let d = evaluate(&p, &req);
    let h = d
        .hints
        .iter()
        .find(|h| h.code == "claim-absent")
        .expect("claim-absent hint");
    assert!(h.fix.contains("StringEqualsIfExists"), "{}", h.fix);
    assert!(!d.hints.iter().any(|h| h.code == "missing-key"));
}
