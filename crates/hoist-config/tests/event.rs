//! Choosing the environment from the GitHub event.

use hoist_config::{GithubEvent, parse, resolve_environment};
use serde_json::json;

const CONFIG: &str = r#"repository = "o/r"
[aws]
region = "ca-central-1"
[environments.dev]
branch = "main"
role = "Dev"
[environments.prod]
tag = "v*"
role = "Prod"
[environments.staging]
github_environment = "staging"
role = "Staging"
"#;

fn pick(event: &str, git_ref: &str, payload: Option<serde_json::Value>) -> Result<String, String> {
    let c = parse(CONFIG, "hoist.toml").unwrap();
    let ev = GithubEvent {
        event_name: event.into(),
        git_ref: git_ref.into(),
        payload,
    };
    resolve_environment(&c, &ev)
        .map(|e| e.name.clone())
        .map_err(|r| format!("{} | {}", r.reason, r.hint))
}

#[test]
fn push_to_main_is_dev() {
    assert_eq!(pick("push", "refs/heads/main", None).unwrap(), "dev");
}

#[test]
fn release_and_tag_push_are_prod() {
    assert_eq!(pick("release", "refs/tags/v1.2.0", None).unwrap(), "prod");
    assert_eq!(pick("push", "refs/tags/v2", None).unwrap(), "prod");
}

#[test]
fn a_tag_outside_the_pattern_is_refused() {
    let e = pick("release", "refs/tags/nightly", None).unwrap_err();
    assert!(e.contains("matches no environment"), "{e}");
}

#[test]
fn push_to_another_branch_is_refused_with_the_triggers() {
    let e = pick("push", "refs/heads/feature/x", None).unwrap_err();
    assert!(e.contains("refs/heads/main → dev"), "{e}");
}

#[test]
fn pull_requests_never_deploy() {
    let e = pick("pull_request", "refs/pull/7/merge", None).unwrap_err();
    assert!(e.contains(":pull_request"), "{e}");
    // pull_request_target tokens carry the base branch's ref, not :pull_request.
    let e = pick("pull_request_target", "refs/heads/main", None).unwrap_err();
    assert!(e.contains("ref:refs/heads/BASE"), "{e}");
    assert!(!e.contains("ends in :pull_request"), "{e}");
}

#[test]
fn workflow_dispatch_takes_the_input_when_the_ref_is_trusted() {
    let input = |env: &str| Some(json!({"inputs": {"environment": env}}));
    assert_eq!(
        pick("workflow_dispatch", "refs/heads/main", input("dev")).unwrap(),
        "dev"
    );
    assert_eq!(
        pick("workflow_dispatch", "refs/tags/v3", input("prod")).unwrap(),
        "prod"
    );
    assert_eq!(
        pick("workflow_dispatch", "refs/heads/feature", input("staging")).unwrap(),
        "staging"
    );
    let e = pick("workflow_dispatch", "refs/heads/main", input("prod")).unwrap_err();
    assert!(
        e.contains("deploys from tags v*") && e.contains("refs/heads/main"),
        "{e}"
    );
    let e = pick("workflow_dispatch", "refs/heads/main", input("qa")).unwrap_err();
    assert!(
        e.contains("does not define") && e.contains("dev, prod, staging"),
        "{e}"
    );
    assert_eq!(
        pick("workflow_dispatch", "refs/heads/main", None).unwrap(),
        "dev"
    );
}

#[test]
fn other_events_and_no_event_are_refused() {
    assert!(
        pick("schedule", "refs/heads/main", None)
            .unwrap_err()
            .contains("do not deploy")
    );
    assert!(pick("", "", None).unwrap_err().contains("--env"));
}
