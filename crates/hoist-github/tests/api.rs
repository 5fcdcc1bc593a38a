//! The GitHub client against the testkit's REST fixture (which decrypts every sealed box).

use std::time::{Duration, Instant};

use hoist_github::{
    GithubClient, GithubError, GithubToken, PutOutcome, RetryPolicy, SecretValue, VariableOutcome,
};
use hoist_testkit::github::{GithubApi, Transient};

const REPO: &str = "octo-org/octo-repo";

/// GitHub's schedule with millisecond backoffs (rate-limit waits are GitHub's own).
const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    initial_backoff: Duration::from_millis(1),
    max_backoff: Duration::from_millis(4),
    max_rate_limit_wait: Duration::from_secs(60),
};

fn setup() -> (GithubApi, GithubClient) {
    let api = GithubApi::start(REPO, 74, 65);
    let client = GithubClient::new(&api.url(), GithubToken::new(api.token()))
        .unwrap()
        .with_retry(FAST);
    (api, client)
}

fn assert_hidden(err: &GithubError, secrets: &[&str]) {
    let shown = format!("{err} {err:?}");
    for s in secrets {
        assert!(!shown.contains(s), "error leaks a secret: {shown}");
    }
}

#[tokio::test]
async fn reads_repository_ids() {
    let (api, client) = setup();
    let repo = client.repository(REPO).await.unwrap();
    assert_eq!(repo.id, 74);
    assert_eq!(repo.owner_id, 65);
    assert_eq!(repo.owner_login, "octo-org");
    assert_eq!(repo.name, "octo-repo");
    assert_eq!(repo.full_name, REPO);
    let req = &api.requests()[0];
    assert_eq!(req.accept.as_deref(), Some("application/vnd.github+json"));
    assert_eq!(req.api_version.as_deref(), Some("2022-11-28"));
    assert!(req.user_agent.as_deref().unwrap().starts_with("hoist/"));
    assert!(req.authorized);
}

#[tokio::test]
async fn puts_sealed_secret_created_then_updated() {
    let (api, client) = setup();
    let key = client.public_key(REPO).await.unwrap();
    assert_eq!(key.key_id, api.key_id());
    assert_eq!(key.key, api.public_key_b64());

    let value = SecretValue::new("sk-live-0123456789abcdef");
    let outcome = client
        .put_secret(REPO, "LLM_API_KEY", &value)
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Created);
    assert_eq!(
        api.secret_plaintext("LLM_API_KEY").as_deref(),
        Some("sk-live-0123456789abcdef")
    );

    let rotated = SecretValue::new("sk-live-rotated");
    let outcome = client
        .put_secret(REPO, "LLM_API_KEY", &rotated)
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Updated);
    assert_eq!(
        api.secret_plaintext("LLM_API_KEY").as_deref(),
        Some("sk-live-rotated")
    );

    // Lower-case names land upper-cased, as on GitHub.
    client
        .put_secret_with_key(REPO, &key, "aws_role_arn_dev", &SecretValue::new("arn:x"))
        .await
        .unwrap();
    assert_eq!(api.secret_names(), vec!["AWS_ROLE_ARN_DEV", "LLM_API_KEY"]);

    for r in api.requests() {
        let line = format!("{r:?}");
        assert!(
            !line.contains("sk-live"),
            "request log shows a secret: {line}"
        );
    }
    assert!(!format!("{value:?}").contains("sk-live"));
}

#[tokio::test]
async fn lists_secrets_across_pages_and_deletes() {
    let (api, client) = setup();
    for i in 0..5 {
        api.insert_secret(&format!("S{i}"), "v");
    }
    api.set_max_per_page(2);
    let listed = client.list_secrets(REPO).await.unwrap();
    let names: Vec<_> = listed.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["S0", "S1", "S2", "S3", "S4"]);
    assert!(listed.iter().all(|s| s.created_at.ends_with('Z')));
    let pages = api
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/actions/secrets"))
        .count();
    assert_eq!(pages, 3);

    client.delete_secret(REPO, "S3").await.unwrap();
    assert_eq!(api.secret_names(), vec!["S0", "S1", "S2", "S4"]);
    let err = client.delete_secret(REPO, "S3").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn converges_variables() {
    let (api, client) = setup();
    assert_eq!(
        client
            .set_variable(REPO, "AWS_REGION", "us-east-1")
            .await
            .unwrap(),
        VariableOutcome::Created
    );
    assert_eq!(
        client
            .set_variable(REPO, "AWS_REGION", "us-east-1")
            .await
            .unwrap(),
        VariableOutcome::Unchanged
    );
    assert_eq!(
        client
            .set_variable(REPO, "AWS_REGION", "ca-central-1")
            .await
            .unwrap(),
        VariableOutcome::Updated
    );
    assert_eq!(
        api.variables().get("AWS_REGION").map(String::as_str),
        Some("ca-central-1")
    );
    let methods: Vec<_> = api.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, vec!["GET", "POST", "GET", "GET", "PATCH"]);

    for i in 0..4 {
        api.insert_variable(&format!("V{i}"), &format!("value {i}"));
    }
    api.set_max_per_page(2);
    let vars = client.list_variables(REPO).await.unwrap();
    assert_eq!(vars.len(), 5);
    assert_eq!(
        vars.iter().find(|v| v.name == "V2").unwrap().value,
        "value 2"
    );
}

#[tokio::test]
async fn bad_token_names_the_fix() {
    let api = GithubApi::start(REPO, 74, 65);
    let client = GithubClient::new(&api.url(), GithubToken::new("ghp_wrongwrongwrong")).unwrap();
    let err = client.repository(REPO).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let shown = err.to_string();
    assert!(shown.contains("Bad credentials"), "{shown}");
    assert!(
        err.hint().unwrap_or_default().contains("GITHUB_TOKEN"),
        "{err:?}"
    );
    assert_hidden(&err, &["ghp_wrongwrongwrong", api.token()]);
}

#[tokio::test]
async fn forbidden_names_the_permission() {
    let (api, client) = setup();
    api.fail_all(Some(403));
    let err = client
        .put_secret(REPO, "LLM_API_KEY", &SecretValue::new("sk-secret-value"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let hint = err.hint().unwrap_or_default();
    assert!(hint.contains("Secrets: Read and write"), "{hint}");
    assert!(hint.contains("`repo` scope"), "{hint}");
    assert!(!err.to_string().contains("hint"), "{err}");
    assert_hidden(&err, &["sk-secret-value", api.token()]);
    let err = client
        .set_variable(REPO, "AWS_REGION", "x")
        .await
        .unwrap_err();
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("Variables: Read and write"),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_repository_is_a_404_with_hint() {
    let (_api, client) = setup();
    let err = client.repository("octo-org/other").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let shown = err.to_string();
    assert!(
        shown.contains("octo-org/other") && shown.contains("Not Found"),
        "{shown}"
    );
}

#[tokio::test]
async fn injected_put_failure_keeps_status_url_and_message() {
    let (api, client) = setup();
    api.fail_put_secret("AWS_ROLE_ARN_PROD", 500);
    let err = client
        .put_secret(
            REPO,
            "AWS_ROLE_ARN_PROD",
            &SecretValue::new("arn:aws:iam::1:role/p"),
        )
        .await
        .unwrap_err();
    match &err {
        GithubError::Api {
            status,
            url,
            message,
            ..
        } => {
            assert_eq!(*status, 500);
            assert!(
                url.ends_with("/repos/octo-org/octo-repo/actions/secrets/AWS_ROLE_ARN_PROD"),
                "{url}"
            );
            assert_eq!(message, "Server Error");
        }
        other => panic!("expected Api error, got {other:?}"),
    }
    assert!(api.secret_plaintext("AWS_ROLE_ARN_PROD").is_none());
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let (api, client) = setup();
    let err = client
        .put_secret(REPO, "GITHUB_TOKEN", &SecretValue::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::InvalidName { .. }), "{err:?}");
    let err = client.list_secrets("not-a-repo").await.unwrap_err();
    assert!(matches!(err, GithubError::InvalidRepo { .. }), "{err:?}");
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let (api, client) = setup();
    api.fail_next(2, Transient::ServerError(502));
    let repo = client.repository(REPO).await.unwrap();
    assert_eq!(repo.id, 74);
    let statuses: Vec<u16> = api.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [502, 502, 200]);
}

#[tokio::test]
async fn server_errors_stop_after_the_bounded_attempts() {
    let (api, client) = setup();
    api.fail_next(10, Transient::ServerError(503));
    let err = client.repository(REPO).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(api.requests().len(), 4, "max_attempts, no more");
}

#[tokio::test]
async fn secondary_rate_limit_waits_retry_after() {
    let (api, client) = setup();
    api.fail_next(
        1,
        Transient::SecondaryRateLimit {
            status: 403,
            retry_after: Some(1),
        },
    );
    let started = Instant::now();
    let outcome = client
        .put_secret(
            REPO,
            "AWS_ROLE_ARN_DEV",
            &SecretValue::new("arn:aws:iam::1:role/d"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Created);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried before retry-after: {:?}",
        started.elapsed()
    );
    assert_eq!(
        api.secret_plaintext("AWS_ROLE_ARN_DEV").as_deref(),
        Some("arn:aws:iam::1:role/d")
    );
}

#[tokio::test]
async fn a_429_and_the_primary_limit_wait_for_the_reset() {
    let (api, client) = setup();
    api.fail_next(
        1,
        Transient::SecondaryRateLimit {
            status: 429,
            retry_after: Some(0),
        },
    );
    api.fail_next(1, Transient::PrimaryRateLimit { reset_in: 0 });
    let started = Instant::now();
    client.repository(REPO).await.unwrap();
    // The reset is whole epoch seconds: hoist waits one second past it.
    assert!(started.elapsed() >= Duration::from_secs(1));
    let statuses: Vec<u16> = api.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 403, 200]);
}

#[tokio::test]
async fn a_rate_limit_longer_than_hoist_waits_fails_at_once_saying_so() {
    let (api, client) = setup();
    api.fail_next(1, Transient::PrimaryRateLimit { reset_in: 3600 });
    let started = Instant::now();
    let err = client.repository(REPO).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.status(), Some(403));
    let shown = err.hint().unwrap_or_default();
    assert!(shown.contains("rate-limiting"), "{err:?}");
    assert!(
        !shown.contains("Metadata"),
        "not a permission problem: {shown}"
    );
    assert_eq!(api.requests().len(), 1);
}

#[tokio::test]
async fn a_permission_403_is_not_retried() {
    let (api, client) = setup();
    api.fail_all(Some(403));
    let err = client.repository(REPO).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn the_api_url_must_be_https_unless_loopback() {
    let err = GithubClient::new("http://api.github.com", GithubToken::new("t")).unwrap_err();
    assert!(matches!(err, GithubError::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("https"), "{err}");
    assert!(GithubClient::new("https://ghe.example/api/v3", GithubToken::new("t")).is_ok());
    assert!(GithubClient::new("http://[::1]:9/", GithubToken::new("t")).is_ok());
}
