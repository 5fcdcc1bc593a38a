//! The error paths a user meets first, through the real binary: each run's exit code and
//! every byte of stderr snapshotted, and each asserted to end with a `hint:` that names the
//! fix (the renderer prints `error:`, `caused by:`, `hint:` for every command).
//!
//! None of these reach AWS with a request that could succeed: the bad input is refused
//! before any call, or the only AWS endpoint is a closed loopback port (AWS unreachable), or
//! no credentials exist. So no emulator is needed, and each case states what is refused.

mod common;

use std::path::Path;

use common::hoist;

const SECRET: &str = "sk-hoisterrors-0123456789abcdefghijKLMNOP";

const CONFIG: &str = r#"repository = "octo-org/octo-repo"

[aws]
region = "ca-central-1"
account_id = "123456789012"

[environments.dev]
branch = "main"
role = "GitHubActionsOctoDev"
stack = "OctoDevStack"
template = "stack.yaml"

[[environments.dev.secrets]]
env = "LLM_API_KEY"
output = "LlmSecretArn"
pattern = "(sk-|gsk_)[A-Za-z0-9_-]{20,}"
"#;

const TEMPLATE: &str = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n";

/// A project directory with hoist.toml (`config`) and the template (`template`).
fn project(config: &str, template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hoist.toml"), config).unwrap();
    std::fs::write(dir.path().join("stack.yaml"), template).unwrap();
    dir
}

/// Exit code, stdout and stderr, with the temporary directory and ports made stable.
fn shown(run: &common::Run, dir: &Path) -> String {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    );
    let real = dir.canonicalize().unwrap();
    let text = text
        .replace(&real.display().to_string(), "[DIR]")
        .replace(&dir.display().to_string(), "[DIR]");
    regex::Regex::new(r"127\.0\.0\.1:\d+")
        .unwrap()
        .replace_all(&text, "127.0.0.1:[PORT]")
        .into_owned()
}

/// The run failed with `code`, its last stderr line is a hint, and no secret was printed.
fn assert_fails_with_hint(run: &common::Run, code: i32) {
    assert_eq!(
        run.code, code,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("  hint: "), "no hint:\n{}", run.stderr);
    run.assert_no_secret(SECRET);
}

/// `n` upper-case letters and digits, different on every call.
fn random_upper(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let state = std::collections::hash_map::RandomState::new();
    (0..n)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_usize(i);
            char::from(ALPHABET[(h.finish() % 32) as usize])
        })
        .collect()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn deploy(dir: &Path) -> common::Hoist {
    hoist(dir).args(["deploy", "--env", "dev"])
}

#[test]
fn an_empty_secret_is_bad_input_before_any_aws_call() {
    let dir = project(CONFIG, TEMPLATE);
    let run = deploy(dir.path()).run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_secret_empty", shown(&run, dir.path()));
}

#[test]
fn a_secret_that_does_not_match_its_pattern_is_refused_without_showing_it() {
    let dir = project(CONFIG, TEMPLATE);
    let wrong = "not-a-key-0123456789abcdefghij";
    let run = deploy(dir.path()).env("LLM_API_KEY", wrong).run();
    assert_fails_with_hint(&run, 2);
    run.assert_no_secret(wrong);
    insta::assert_snapshot!("deploy_secret_pattern", shown(&run, dir.path()));
}

#[test]
fn a_secret_value_inside_the_template_is_refused() {
    let template = format!(
        "{TEMPLATE}    Properties:\n      Tags:\n        - Key: k\n          Value: {SECRET}\n"
    );
    let dir = project(CONFIG, &template);
    let run = deploy(dir.path()).env("LLM_API_KEY", SECRET).run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_secret_in_template", shown(&run, dir.path()));
}

#[test]
fn a_template_over_cloudformations_1_mb_is_refused_before_any_call() {
    let padding = format!("# {}\n", "x".repeat(1_048_576));
    let dir = project(CONFIG, &format!("{TEMPLATE}{padding}"));
    let run = deploy(dir.path()).env("LLM_API_KEY", SECRET).run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_template_too_large", shown(&run, dir.path()));
}

#[test]
fn a_missing_cdk_app_directory_names_the_setting() {
    let config = CONFIG.replace("template = \"stack.yaml\"", "cdk_app = \"infra\"");
    let dir = project(&config, TEMPLATE);
    let run = deploy(dir.path()).env("LLM_API_KEY", SECRET).run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_cdk_app_missing", shown(&run, dir.path()));
}

#[test]
fn a_cdk_json_without_an_app_command_says_what_to_add() {
    let config = CONFIG.replace("template = \"stack.yaml\"", "cdk_app = \"infra\"");
    let dir = project(&config, TEMPLATE);
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    std::fs::write(dir.path().join("infra/cdk.json"), "{\"context\": {}}").unwrap();
    let run = deploy(dir.path()).env("LLM_API_KEY", SECRET).run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_cdk_json_no_app", shown(&run, dir.path()));
}

#[test]
fn no_aws_credentials_say_how_to_sign_in() {
    let dir = project(CONFIG, TEMPLATE);
    let run = deploy(dir.path())
        .env("LLM_API_KEY", SECRET)
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .run();
    assert_fails_with_hint(&run, 1);
    assert!(run.stderr.contains("aws sso login"), "{}", run.stderr);
    insta::assert_snapshot!("deploy_no_credentials", shown(&run, dir.path()));
}

#[test]
fn an_aws_endpoint_that_does_not_answer_is_named() {
    let dir = project(CONFIG, TEMPLATE);
    // A key pair made for this run: its shape is AWS's, no request can succeed with it.
    let key_id = format!("AKIA{}", random_upper(16));
    let secret_key = random_upper(40);
    let run = deploy(dir.path())
        .env("LLM_API_KEY", SECRET)
        .env("AWS_ACCESS_KEY_ID", &key_id)
        .env("AWS_SECRET_ACCESS_KEY", &secret_key)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .run();
    assert_fails_with_hint(&run, 1);
    assert!(
        run.stderr.contains("check that AWS_ENDPOINT_URL"),
        "{}",
        run.stderr
    );
    run.assert_no_secret(&secret_key);
    insta::assert_snapshot!("deploy_endpoint_unreachable", shown(&run, dir.path()));
}

#[test]
fn pushed_images_that_are_not_push_outputs_say_where_they_come_from() {
    let dir = project(CONFIG, TEMPLATE);
    let run = deploy(dir.path())
        .env("LLM_API_KEY", SECRET)
        .args(["--pushed", "[1, 2]"])
        .run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_pushed_not_outputs", shown(&run, dir.path()));
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    let dir = project(CONFIG, TEMPLATE);
    let run = hoist(dir.path()).args(["deploy", "--env", "staging"]).run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("deploy_unknown_env", shown(&run, dir.path()));
}

#[test]
fn a_config_error_names_the_file_line_and_column_and_the_expected_form() {
    let config = CONFIG.replace("branch = \"main\"", "branch = 7");
    let dir = project(&config, TEMPLATE);
    let run = deploy(dir.path()).env("LLM_API_KEY", SECRET).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("hoist.toml:8:10:"), "{}", run.stderr);
    insta::assert_snapshot!("config_wrong_type", shown(&run, dir.path()));
}

#[test]
fn credentials_outside_github_actions_say_what_they_need() {
    let dir = project(CONFIG, TEMPLATE);
    let run = hoist(dir.path())
        .args(["credentials", "--env", "dev"])
        .run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("credentials_outside_actions", shown(&run, dir.path()));
}

#[test]
fn a_token_that_is_not_a_jwt_is_bad_input() {
    let dir = project(CONFIG, TEMPLATE);
    let policy = dir.path().join("trust.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}}]}"#,
    )
    .unwrap();
    let run = hoist(dir.path())
        .args(["trust", "check", "--policy"])
        .arg_path(&policy)
        .args(["--token", "not.a-jwt"])
        .run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("trust_token_not_jwt", shown(&run, dir.path()));
}

#[test]
fn bootstrap_without_credentials_says_how_to_sign_in() {
    let dir = project(CONFIG, TEMPLATE);
    let run = hoist(dir.path())
        .args(["bootstrap"])
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .run();
    assert_fails_with_hint(&run, 1);
    insta::assert_snapshot!("bootstrap_no_credentials", shown(&run, dir.path()));
}

#[test]
fn a_push_without_a_compose_file_names_the_setting() {
    let config = format!(
        "{CONFIG}\n[images]\ncompose_file = \"app/docker-compose.yml\"\nrepository = \"octo-{{service}}\"\nregistry = \"127.0.0.1:5000\"\n"
    );
    let dir = project(&config, TEMPLATE);
    let run = hoist(dir.path())
        .args(["push"])
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .run();
    assert_fails_with_hint(&run, 2);
    insta::assert_snapshot!("push_no_compose_file", shown(&run, dir.path()));
}
