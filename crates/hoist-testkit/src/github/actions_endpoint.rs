//! The Actions runtime's ID-token endpoint.
//!
//! GitHub gives a job `ACTIONS_ID_TOKEN_REQUEST_URL` (a `…/idtoken?api-version=2.0` URL that
//! already has a query string) and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. Clients append
//! `&audience=AUD` and send `Authorization: bearer TOKEN`; the reply is `{"value": "<jwt>"}`.
//! Without `audience`, GitHub's default audience is the owner's URL, `https://github.com/OWNER`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::claims::ClaimsBuilder;
use super::issuer::{Minter, OidcIssuer};
use super::server::BackgroundServer;

const PATH: &str = "/_apis/distributedtask/hubs/Actions/plans/5f3b9a4e-0d7c-4e52-9a41-3c2d1b0e7f11/jobs/9c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/idtoken";

/// One request the endpoint received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The `audience` query parameter, decoded.
    pub audience: Option<String>,
    /// The `api-version` query parameter.
    pub api_version: Option<String>,
    /// Whether `Authorization: bearer <request token>` matched.
    pub authorized: bool,
    /// The status answered.
    pub status: u16,
}

struct EndpointState {
    minter: Minter,
    request_token: String,
    claims: Mutex<ClaimsBuilder>,
    requests: Mutex<Vec<TokenRequest>>,
    fail_next: AtomicU32,
    fail_status: Mutex<u16>,
    always: Mutex<Option<u16>>,
}

/// A running ID-token endpoint minting with an [`OidcIssuer`]'s key. Stops on drop.
pub struct ActionsTokenEndpoint {
    server: BackgroundServer,
    state: Arc<EndpointState>,
}

impl ActionsTokenEndpoint {
    /// Starts the endpoint; tokens carry `claims` with `aud` = the requested audience.
    pub fn start(issuer: &OidcIssuer, claims: ClaimsBuilder) -> Self {
        let state = Arc::new(EndpointState {
            minter: issuer.minter(),
            request_token: format!("rt-{:032x}", rand::random::<u128>()),
            claims: Mutex::new(claims),
            requests: Mutex::default(),
            fail_next: AtomicU32::new(0),
            fail_status: Mutex::new(500),
            always: Mutex::new(None),
        });
        let router = Router::new()
            .route(PATH, get(issue))
            .with_state(state.clone());
        ActionsTokenEndpoint {
            server: BackgroundServer::start("actions-token", router),
            state,
        }
    }

    /// The value of `ACTIONS_ID_TOKEN_REQUEST_URL` (with `?api-version=2.0`).
    pub fn url(&self) -> String {
        format!("{}{PATH}?api-version=2.0", self.server.base_url())
    }

    /// The value of `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub fn request_token(&self) -> &str {
        &self.state.request_token
    }

    /// Both variables, ready for `Command::envs`.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("ACTIONS_ID_TOKEN_REQUEST_URL".to_owned(), self.url()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_owned(),
                self.request_token().to_owned(),
            ),
        ]
    }

    /// Replaces the claims of later tokens.
    pub fn set_claims(&self, claims: ClaimsBuilder) {
        *self.state.claims.lock().expect("lock") = claims;
    }

    /// Answers the next `n` requests with HTTP 500.
    pub fn fail_next(&self, n: u32) {
        self.fail_next_with(n, 500);
    }

    /// Answers the next `n` requests with `status` (e.g. 503, 429).
    pub fn fail_next_with(&self, n: u32, status: u16) {
        *self.state.fail_status.lock().expect("lock") = status;
        self.state.fail_next.store(n, Ordering::SeqCst);
    }

    /// Answers every request with `status` (e.g. 403), or stops doing so with `None`.
    pub fn always_fail(&self, status: Option<u16>) {
        *self.state.always.lock().expect("lock") = status;
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.requests.lock().expect("lock").clone()
    }
}

async fn issue(
    State(state): State<Arc<EndpointState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && token == state.request_token
        });
    let audience = query.get("audience").cloned();
    let api_version = query.get("api-version").cloned();
    let (status, body) = answer(
        &state,
        authorized,
        audience.as_deref(),
        api_version.as_deref(),
    );
    state.requests.lock().expect("lock").push(TokenRequest {
        audience,
        api_version,
        authorized,
        status: status.as_u16(),
    });
    (status, Json(body)).into_response()
}

fn answer(
    state: &EndpointState,
    authorized: bool,
    audience: Option<&str>,
    api_version: Option<&str>,
) -> (StatusCode, Value) {
    let fail = |code: u16, message: &str| {
        (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({ "message": message }),
        )
    };
    if let Some(code) = *state.always.lock().expect("lock") {
        return fail(code, "injected failure");
    }
    let pending = state.fail_next.load(Ordering::SeqCst);
    if pending > 0 {
        state.fail_next.store(pending - 1, Ordering::SeqCst);
        return fail(*state.fail_status.lock().expect("lock"), "injected failure");
    }
    if !authorized {
        return fail(401, "Unauthorized: missing or invalid bearer token");
    }
    if api_version.is_none() {
        return fail(400, "api-version query parameter is required");
    }
    let claims = state.claims.lock().expect("lock").clone();
    let aud = match audience {
        Some(aud) if !aud.is_empty() => aud.to_owned(),
        _ => {
            let owner = claims
                .build("")
                .get("repository_owner")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_default();
            format!("https://github.com/{owner}")
        }
    };
    let token = state.minter.mint(&claims.with_aud_value(json!(aud)));
    (StatusCode::OK, json!({ "value": token }))
}
