//! Tests of the fixtures' own GitHub behaviours (the happy paths are exercised through
//! hoist-oidc's and hoist-github's clients in their integration tests).

use serde_json::Value;

use super::{ActionsTokenEndpoint, ClaimsBuilder, GithubApi, OidcIssuer};

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn api_enforces_user_agent_version_and_auth() {
    let api = GithubApi::start("o/r", 1, 2);
    let url = format!("{}/repos/o/r", api.url());
    let no_ua = client()
        .get(&url)
        .bearer_auth(api.token())
        .send()
        .await
        .unwrap();
    assert_eq!(no_ua.status(), 403);
    let bad_version = client()
        .get(&url)
        .bearer_auth(api.token())
        .header("User-Agent", "t")
        .header("X-GitHub-Api-Version", "1999-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_version.status(), 400);
    let anonymous = client()
        .get(&url)
        .header("User-Agent", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["message"], "Requires authentication");
    let classic = client()
        .get(&url)
        .header("Authorization", format!("token {}", api.token()))
        .header("User-Agent", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(classic.status(), 200);
    let body: Value = classic.json().await.unwrap();
    assert_eq!(body["owner"]["id"], 2);
    assert_eq!(api.requests().len(), 4);
}

#[tokio::test]
async fn api_refuses_wrong_key_id_and_garbage_boxes() {
    let api = GithubApi::start("o/r", 1, 2);
    let url = format!("{}/repos/o/r/actions/secrets/X", api.url());
    for body in [
        serde_json::json!({"encrypted_value": "AAAA", "key_id": "wrong"}),
        serde_json::json!({"encrypted_value": "AAAA", "key_id": api.key_id()}),
        serde_json::json!({"encrypted_value": "AAAA"}),
    ] {
        let r = client()
            .put(&url)
            .bearer_auth(api.token())
            .header("User-Agent", "t")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
    assert!(api.secret_names().is_empty());
}

#[tokio::test]
async fn variables_post_conflicts_when_present() {
    let api = GithubApi::start("o/r", 1, 2);
    api.insert_variable("AWS_REGION", "us-east-1");
    let r = client()
        .post(format!("{}/repos/o/r/actions/variables", api.url()))
        .bearer_auth(api.token())
        .header("User-Agent", "t")
        .json(&serde_json::json!({"name": "aws_region", "value": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn actions_endpoint_defaults_audience_to_owner_url() {
    let issuer = OidcIssuer::start();
    let endpoint =
        ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch("octo-org/r", "main"));
    let reply: Value = client()
        .get(endpoint.url())
        .header(
            "Authorization",
            format!("Bearer {}", endpoint.request_token()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = reply["value"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], "https://github.com/octo-org");
    assert_eq!(claims["iss"], issuer.issuer());
    assert_eq!(endpoint.requests()[0].audience, None);
}

#[tokio::test]
async fn servers_stop_on_drop() {
    let api = GithubApi::start("o/r", 1, 2);
    let url = format!("{}/repos/o/r", api.url());
    drop(api);
    assert!(client().get(&url).send().await.is_err());
}
