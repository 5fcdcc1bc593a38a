//! `hoist credentials` through the real binary: environment resolution from each GitHub
//! event (and the refusals), the three output formats with their `::add-mask::` lines, and
//! the trust pre-flight that explains a denied token without calling STS.
//!
//! AWS is moto_server. Its STS accepts any token for any role, so it can only show that hoist
//! calls AssumeRoleWithWebIdentity and hands on what comes back; the AccessDenied explanation
//! is exercised through hoist's local pre-flight (which runs before STS), and STS's own
//! AccessDenied answer is unit-tested on its recorded wire form in hoist-aws.

mod common;

use std::path::Path;

use common::{Run, hoist, project};
use hoist_testkit::github::{ActionsTokenEndpoint, ClaimsBuilder, OidcIssuer};
use hoist_testkit::sandbox::{Moto, require};

const REPO: &str = "arshargithub/HindsightRoboMemSetup";

const CONFIG: &str = r#"repository = "arshargithub/HindsightRoboMemSetup"

[aws]
region = "ca-central-1"
account_id = "123456789012"

[environments.dev]
branch = "main"
role = "GitHubActionsHindsightDev"

[environments.prod]
tag = "*"
role = "GitHubActionsHindsightProd"
"#;

struct Actions {
    _issuer: OidcIssuer,
    endpoint: ActionsTokenEndpoint,
}

fn actions(claims: ClaimsBuilder) -> Actions {
    let issuer = OidcIssuer::start_as_github();
    let endpoint = ActionsTokenEndpoint::start(&issuer, claims);
    Actions {
        _issuer: issuer,
        endpoint,
    }
}

/// A GitHub Actions run of `event` on `git_ref`, with `$GITHUB_ENV` in `dir`.
fn in_actions(
    dir: &Path,
    moto: &Moto,
    gh: &Actions,
    event: &str,
    git_ref: &str,
    payload: Option<&str>,
) -> common::Hoist {
    let mut h = hoist(dir)
        .envs(moto.env())
        .envs(gh.endpoint.env())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_REF", git_ref)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_ENV", dir.join("github_env"));
    if let Some(p) = payload {
        std::fs::write(dir.join("event.json"), p).unwrap();
        h = h.env("GITHUB_EVENT_PATH", dir.join("event.json"));
    }
    h
}

fn github_env(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("github_env"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn env_value(vars: &[(String, String)], name: &str) -> String {
    vars.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{name} not exported"))
}

/// moto's log has no AWS request in it (werkzeug logs every request line).
fn assert_no_aws_call(moto: &Moto) {
    let log = std::fs::read_to_string(moto.log_path()).unwrap_or_default();
    assert!(!log.contains("\"POST /"), "hoist called AWS:\n{log}");
}

fn assert_assumed(run: &Run, role: &str) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "arn:aws:sts::123456789012:assumed-role/{role}/hoist-"
        )),
        "expected {role}:\n{}",
        run.stderr
    );
}

#[test]
fn push_to_main_exports_dev_credentials_masked() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::push_branch(REPO, "main"));
    let run = in_actions(dir.path(), &moto, &gh, "push", "refs/heads/main", None)
        .args(["credentials"])
        .run();
    assert_assumed(&run, "GitHubActionsHindsightDev");

    let vars = github_env(dir.path());
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_REGION"
        ]
    );
    let key_id = env_value(&vars, "AWS_ACCESS_KEY_ID");
    let secret = env_value(&vars, "AWS_SECRET_ACCESS_KEY");
    let token = env_value(&vars, "AWS_SESSION_TOKEN");
    assert!(key_id.starts_with("ASIA"), "{key_id}");
    assert_eq!(env_value(&vars, "AWS_REGION"), "ca-central-1");
    let masks: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("::add-mask::"))
        .collect();
    assert_eq!(
        masks,
        [key_id.as_str(), secret.as_str(), token.as_str()],
        "stdout:\n{}",
        run.stdout
    );
    run.assert_no_secret(&secret);
    run.assert_no_secret(&token);
    // The token was requested for STS's audience, with the runtime's bearer token.
    let requests = gh.endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].audience.as_deref(), Some("sts.amazonaws.com"));
    assert!(requests[0].authorized);
}

#[test]
fn release_and_tag_push_assume_the_prod_role() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::release(REPO, "v1.2.0"));
    let run = in_actions(dir.path(), &moto, &gh, "release", "refs/tags/v1.2.0", None)
        .args(["credentials"])
        .run();
    assert_assumed(&run, "GitHubActionsHindsightProd");

    gh.endpoint.set_claims(ClaimsBuilder::tag(REPO, "v1.2.1"));
    let run = in_actions(dir.path(), &moto, &gh, "push", "refs/tags/v1.2.1", None)
        .args(["credentials"])
        .run();
    assert_assumed(&run, "GitHubActionsHindsightProd");
}

#[test]
fn workflow_dispatch_uses_its_environment_input() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::tag(REPO, "v2.0.0").claim("event_name", "workflow_dispatch"));
    let payload = r#"{"inputs": {"environment": "prod"}, "ref": "refs/tags/v2.0.0"}"#;
    let run = in_actions(
        dir.path(),
        &moto,
        &gh,
        "workflow_dispatch",
        "refs/tags/v2.0.0",
        Some(payload),
    )
    .args(["credentials"])
    .run();
    assert_assumed(&run, "GitHubActionsHindsightProd");

    gh.endpoint
        .set_claims(ClaimsBuilder::workflow_dispatch(REPO, "main"));
    let payload = r#"{"inputs": {"environment": "dev"}}"#;
    let run = in_actions(
        dir.path(),
        &moto,
        &gh,
        "workflow_dispatch",
        "refs/heads/main",
        Some(payload),
    )
    .args(["credentials"])
    .run();
    assert_assumed(&run, "GitHubActionsHindsightDev");
}

/// A refused event: event name, ref, event payload, extra `hoist credentials` arguments, the reason expected.
type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [&'a str], &'a str);

/// Each event that deploys nowhere: exit 1 with the reason, before any token or AWS call.
#[test]
fn events_that_deploy_nowhere_are_refused() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::pull_request(REPO, 7, "feature", "main"));
    let cases: [Case<'_>; 6] = [
        (
            "pull_request",
            "refs/pull/7/merge",
            None,
            &[],
            "pull_request events never deploy",
        ),
        (
            "push",
            "refs/heads/feature",
            None,
            &[],
            "push of refs/heads/feature matches no environment's trigger",
        ),
        (
            "workflow_dispatch",
            "refs/heads/main",
            Some(r#"{"inputs": {"environment": "prod"}}"#),
            &[],
            "environment \"prod\" deploys from tags *, but this run is on refs/heads/main",
        ),
        (
            "workflow_dispatch",
            "refs/heads/main",
            Some(r#"{"inputs": {"environment": "staging"}}"#),
            &[],
            "which hoist.toml does not define",
        ),
        (
            "schedule",
            "refs/heads/main",
            None,
            &[],
            "schedule events do not deploy",
        ),
        (
            "push",
            "refs/heads/main",
            None,
            &["--env", "prod"],
            "--env prod was given, but this push run on refs/heads/main deploys to \"dev\"",
        ),
    ];
    for (event, git_ref, payload, extra, reason) in cases {
        let run = in_actions(dir.path(), &moto, &gh, event, git_ref, payload)
            .args(["credentials"])
            .args(extra)
            .run();
        assert_eq!(
            run.code, 1,
            "{event} {git_ref}: stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        assert!(run.stderr.contains("refusing to deploy"), "{}", run.stderr);
        assert!(
            run.stderr.contains(reason),
            "{event} {git_ref}: expected {reason:?} in:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    }
    assert!(
        gh.endpoint.requests().is_empty(),
        "a refused run requested a token"
    );
    assert!(!dir.path().join("github_env").exists());
    assert_no_aws_call(&moto);
}

#[test]
fn outside_actions_prints_export_lines_and_credential_process_json() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::push_branch(REPO, "main"));
    let run = hoist(dir.path())
        .envs(moto.env())
        .envs(gh.endpoint.env())
        .args(["credentials", "--env", "dev"])
        .run();
    assert_assumed(&run, "GitHubActionsHindsightDev");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    for (line, name) in lines.iter().zip([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
    ]) {
        let value = line
            .strip_prefix(&format!("export {name}='"))
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or_else(|| panic!("bad line {line}"));
        assert!(!value.is_empty());
    }
    assert!(lines[3].ends_with("'ca-central-1'"));
    assert!(
        !run.stdout.contains("::add-mask::"),
        "no masks outside Actions"
    );
    let secret = lines[1].split('\'').nth(1).unwrap();
    assert!(!run.stderr.contains(secret));

    let run = hoist(dir.path())
        .envs(moto.env())
        .envs(gh.endpoint.env())
        .args([
            "credentials",
            "--env",
            "dev",
            "--credential-process",
            "--duration",
            "1800",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["Version"], 1);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(
            doc[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} missing: {doc}"
        );
    }
    assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(
        !run.stderr
            .contains(doc["SecretAccessKey"].as_str().unwrap())
    );
    assert!(!run.stderr.contains(doc["SessionToken"].as_str().unwrap()));
}

#[test]
fn without_a_token_endpoint_it_explains() {
    let dir = project(&[("hoist.toml", CONFIG)]);
    let run = hoist(dir.path())
        .args(["credentials", "--env", "dev"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("ACTIONS_ID_TOKEN_REQUEST_URL is not set"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("id-token: write"), "{}", run.stderr);
    let run = hoist(dir.path()).args(["credentials"]).run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --env"), "{}", run.stderr);
}

#[test]
fn session_longer_than_the_role_allows_is_refused() {
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::push_branch(REPO, "main"));
    let run = hoist(dir.path())
        .envs(gh.endpoint.env())
        .args(["credentials", "--env", "dev", "--duration", "7200"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("7200-second session"), "{}", run.stderr);
    assert!(
        run.stderr.contains("max_session_duration"),
        "{}",
        run.stderr
    );
    assert!(gh.endpoint.requests().is_empty());
}

#[test]
fn account_comes_from_config_or_aws_account_id() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let config = CONFIG.replace("account_id = \"123456789012\"\n", "");
    let dir = project(&[("hoist.toml", &config)]);
    let gh = actions(ClaimsBuilder::push_branch(REPO, "main"));
    let run = hoist(dir.path())
        .envs(moto.env())
        .envs(gh.endpoint.env())
        .args(["credentials", "--env", "dev"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("AWS_ACCOUNT_ID"), "{}", run.stderr);
    let run = hoist(dir.path())
        .envs(moto.env())
        .envs(gh.endpoint.env())
        .env("AWS_ACCOUNT_ID", "123456789012")
        .args(["credentials", "--env", "dev"])
        .run();
    assert_assumed(&run, "GitHubActionsHindsightDev");
}

/// A pull_request token presented for the dev role (trust: `ref:refs/heads/main`): hoist's
/// pre-flight evaluates the trust policy bootstrap writes for dev against the token's own
/// claims, refuses with the explanation, and never calls STS (moto's log shows no request).
#[test]
fn pull_request_token_on_the_dev_role_is_explained_without_calling_sts() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::pull_request(REPO, 7, "feature", "main"));
    let run = hoist(dir.path())
        .envs(moto.env())
        .envs(gh.endpoint.env())
        .args(["credentials", "--env", "dev"])
        .run();
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let err = &run.stderr;
    assert!(
        err.contains("cannot assume arn:aws:iam::123456789012:role/GitHubActionsHindsightDev"),
        "{err}"
    );
    assert!(
        err.contains(
            "role expects sub: repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main"
        ),
        "{err}"
    );
    assert!(
        err.contains("this run has sub:  repo:arshargithub/HindsightRoboMemSetup:pull_request"),
        "{err}"
    );
    assert!(
        err.contains("failed condition: StringEquals token.actions.githubusercontent.com:sub"),
        "{err}"
    );
    assert!(err.contains("trust policy hoist bootstrap writes"), "{err}");
    assert!(err.contains("STS was not called"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(gh.endpoint.requests().len(), 1);
    assert_no_aws_call(&moto);
}

/// In Actions, a push to main whose job names `environment: dev`: the token's sub is
/// `…:environment:dev`, which a branch-trusting role does not admit — the hint says so.
#[test]
fn environment_subject_on_a_branch_role_gets_the_environment_hint() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let dir = project(&[("hoist.toml", CONFIG)]);
    let gh = actions(ClaimsBuilder::push_branch(REPO, "main").environment("dev"));
    let run = in_actions(dir.path(), &moto, &gh, "push", "refs/heads/main", None)
        .args(["credentials"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("this run has sub:  repo:arshargithub/HindsightRoboMemSetup:environment:dev"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("environment"), "{}", run.stderr);
    assert!(!dir.path().join("github_env").exists());
    assert_no_aws_call(&moto);
}
