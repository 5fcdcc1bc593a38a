//! The Actions ID-token client against the testkit endpoint, and JWKS discovery against the
//! testkit issuer.

use std::time::Duration;

use hoist_oidc::actions::{ActionsTokenError, RequestToken};
use hoist_oidc::discovery::{DiscoveryError, discover};
use hoist_oidc::{ActionsTokenClient, IdToken, RetryPolicy, VerifyOptions, fetch_jwks, verify};
use hoist_testkit::github::{ActionsTokenEndpoint, ClaimsBuilder, OidcIssuer};

const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    initial_backoff: Duration::from_millis(1),
    max_backoff: Duration::from_millis(4),
};

fn client_for(endpoint: &ActionsTokenEndpoint) -> ActionsTokenClient {
    let env: std::collections::HashMap<_, _> = endpoint.env().into_iter().collect();
    ActionsTokenClient::from_vars(
        env.get("ACTIONS_ID_TOKEN_REQUEST_URL").cloned(),
        env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").cloned(),
    )
    .unwrap()
    .with_retry(FAST)
}

fn assert_no_secret(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "output leaks a secret: {text}");
    }
}

#[tokio::test]
async fn requests_token_with_audience_and_bearer() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    assert!(endpoint.url().contains("?api-version=2.0"));
    let token = client_for(&endpoint)
        .request("sts.amazonaws.com")
        .await
        .unwrap();

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].audience.as_deref(), Some("sts.amazonaws.com"));
    assert_eq!(requests[0].api_version.as_deref(), Some("2.0"));
    assert!(requests[0].authorized);

    let jwks = fetch_jwks(&issuer.url()).await.unwrap();
    let opts = VerifyOptions {
        issuer: issuer.issuer().to_owned(),
        ..VerifyOptions::default()
    };
    let claims = verify(token.expose(), &jwks, &opts).unwrap();
    assert_eq!(claims.sub.as_deref(), Some("repo:o/r:ref:refs/heads/main"));

    let shown = format!("{token:?} {token}");
    let mut parts: Vec<&str> = token.expose().split('.').collect();
    parts.push(token.expose());
    assert_no_secret(&shown, &parts);
    assert_eq!(
        format!("{token:?}"),
        format!("IdToken(<redacted, {} bytes>)", token.expose().len())
    );
}

#[tokio::test]
async fn custom_audience_is_encoded_and_minted() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    let token = client_for(&endpoint).request("api://a b&c").await.unwrap();
    assert_eq!(
        endpoint.requests()[0].audience.as_deref(),
        Some("api://a b&c")
    );
    let claims = hoist_oidc::decode_unverified(token.expose()).unwrap();
    assert!(claims.aud.unwrap().contains("api://a b&c"));
}

#[tokio::test]
async fn retries_server_errors_then_succeeds() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    endpoint.fail_next(2);
    client_for(&endpoint)
        .request("sts.amazonaws.com")
        .await
        .unwrap();
    let statuses: Vec<u16> = endpoint.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![500, 500, 200]);
}

#[tokio::test]
async fn retries_429() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    endpoint.fail_next_with(1, 429);
    client_for(&endpoint)
        .request("sts.amazonaws.com")
        .await
        .unwrap();
    assert_eq!(endpoint.requests().len(), 2);
}

#[tokio::test]
async fn gives_up_after_bounded_attempts() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    endpoint.fail_next_with(100, 503);
    let err = client_for(&endpoint)
        .request("sts.amazonaws.com")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ActionsTokenError::Status {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(endpoint.requests().len(), 4);
}

#[tokio::test]
async fn does_not_retry_403_and_hints_permission() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    endpoint.always_fail(Some(403));
    let err = client_for(&endpoint)
        .request("sts.amazonaws.com")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ActionsTokenError::Status {
                status: 403,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(endpoint.requests().len(), 1);
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("id-token: write"), "{shown}");
    assert_no_secret(&shown, &[endpoint.request_token()]);
}

#[tokio::test]
async fn wrong_request_token_is_refused_once() {
    let issuer = OidcIssuer::start();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("o/r", "main"));
    let client =
        ActionsTokenClient::new(&endpoint.url(), RequestToken::new("rt-wrong-token-value"))
            .unwrap()
            .with_retry(FAST);
    let err = client.request("sts.amazonaws.com").await.unwrap_err();
    assert!(
        matches!(
            err,
            ActionsTokenError::Status {
                status: 401,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].authorized);
    let shown = format!("{err} {err:?} {client:?}");
    assert_no_secret(&shown, &["rt-wrong-token-value", endpoint.request_token()]);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = ActionsTokenClient::new(
        &format!("http://127.0.0.1:{port}/idtoken?api-version=2.0"),
        RequestToken::new("rt-secret"),
    )
    .unwrap()
    .with_retry(FAST);
    let err = client.request("sts.amazonaws.com").await.unwrap_err();
    assert!(
        matches!(err, ActionsTokenError::Http { attempts: 4, .. }),
        "{err:?}"
    );
    assert_no_secret(&format!("{err} {err:?}"), &["rt-secret"]);
}

#[test]
fn id_token_debug_is_redacted() {
    let t = IdToken::new("header.payload.signature");
    assert!(!format!("{t:?}").contains("payload"));
    assert!(!format!("{t}").contains("payload"));
}

#[tokio::test]
async fn jwks_from_issuer_discovery_url_jwks_url_and_file() {
    let issuer = OidcIssuer::start();
    for source in [issuer.url(), issuer.discovery_url(), issuer.jwks_url()] {
        let jwks = fetch_jwks(&source).await.unwrap();
        assert!(jwks.find(issuer.kid()).is_some(), "{source}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = issuer.write_jwks_file(dir.path());
    let jwks = fetch_jwks(path.to_str().unwrap()).await.unwrap();
    assert!(jwks.find(issuer.kid()).is_some());

    let config = discover(&issuer.url()).await.unwrap();
    assert_eq!(config.jwks_uri, issuer.jwks_url());
    assert_eq!(config.id_token_signing_alg_values_supported, vec!["RS256"]);
}

#[tokio::test]
async fn discovery_errors() {
    let issuer = OidcIssuer::start_as_github();
    // Keys can be fetched from where the fixture is served ...
    fetch_jwks(&issuer.url()).await.unwrap();
    // ... but strict discovery notices the document speaks for another issuer.
    let err = discover(&issuer.url()).await.unwrap_err();
    assert!(
        matches!(err, DiscoveryError::IssuerMismatch { .. }),
        "{err:?}"
    );

    let err = fetch_jwks(&format!("{}/missing/jwks", issuer.url()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DiscoveryError::Status { status: 404, .. }),
        "{err:?}"
    );

    let err = fetch_jwks("/nonexistent/dir/jwks.json").await.unwrap_err();
    assert!(matches!(err, DiscoveryError::ReadFile { .. }), "{err:?}");
}
