//! Handlers of the REST fixture.

// Handlers return `Response` errors directly; their size does not matter in a test fixture.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::state::{ApiRequest, ApiState};

type Shared = State<Arc<ApiState>>;
type RepoPath = Path<(String, String)>;
type NamePath = Path<(String, String, String)>;

const API_VERSION: &str = "2022-11-28";

pub(crate) fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}", get(repository))
        .route(
            "/repos/{owner}/{repo}/actions/secrets/public-key",
            get(public_key),
        )
        .route("/repos/{owner}/{repo}/actions/secrets", get(list_secrets))
        .route(
            "/repos/{owner}/{repo}/actions/secrets/{name}",
            get(get_secret).put(put_secret).delete(delete_secret),
        )
        .route(
            "/repos/{owner}/{repo}/actions/variables",
            get(list_variables).post(create_variable),
        )
        .route(
            "/repos/{owner}/{repo}/actions/variables/{name}",
            get(get_variable)
                .patch(update_variable)
                .delete(delete_variable),
        )
        .route(
            "/repos/{owner}/{repo}/rulesets",
            get(super::rules::list_rulesets).post(super::rules::create_ruleset),
        )
        .route(
            "/repos/{owner}/{repo}/rulesets/{id}",
            get(super::rules::get_ruleset).put(super::rules::update_ruleset),
        )
        .route(
            "/repos/{owner}/{repo}/environments/{name}",
            get(super::rules::get_environment),
        )
        .route(
            "/repos/{owner}/{repo}/environments/{name}/deployment-branch-policies",
            get(super::rules::list_branch_policies),
        )
        .route(
            "/repos/{owner}/{repo}/deployments",
            get(super::deployments::list).post(super::deployments::create),
        )
        .route(
            "/repos/{owner}/{repo}/deployments/{id}/statuses",
            get(super::deployments::list_statuses).post(super::deployments::create_status),
        )
        .fallback(|| async { error(404, "Not Found") })
        .layer(middleware::from_fn_with_state(state.clone(), gatekeeper))
        .with_state(state)
}

pub(crate) fn error(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string(),
    });
    (code, Json(body)).into_response()
}

/// An injected transient failure, with GitHub's headers.
fn transient(failure: super::Transient) -> Response {
    use super::Transient;
    let epoch = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    match failure {
        Transient::ServerError(status) => error(status, "Server Error"),
        Transient::SecondaryRateLimit {
            status,
            retry_after,
        } => {
            let mut r = error(
                status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
            );
            if let Some(s) = retry_after {
                r.headers_mut()
                    .insert("retry-after", s.to_string().parse().expect("digits"));
            }
            r
        }
        Transient::PrimaryRateLimit { reset_in } => {
            let mut r = error(
                403,
                "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
            );
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", "5000".parse().expect("digits"));
            h.insert("x-ratelimit-remaining", "0".parse().expect("digits"));
            h.insert("x-ratelimit-used", "5000".parse().expect("digits"));
            h.insert(
                "x-ratelimit-reset",
                (epoch() + reset_in).to_string().parse().expect("digits"),
            );
            h.insert("x-ratelimit-resource", "core".parse().expect("word"));
            r
        }
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Authentication, GitHub's header rules, injected failures, and the request log.
async fn gatekeeper(State(state): Shared, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let authorized = header_str(headers, "authorization")
        .and_then(|v| {
            v.split_once(' ')
                .map(|(s, t)| (s.to_ascii_lowercase(), t.to_owned()))
        })
        .is_some_and(|(scheme, token)| {
            (scheme == "bearer" || scheme == "token") && token == state.token
        });
    let mut entry = ApiRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
        accept: header_str(headers, "accept"),
        api_version: header_str(headers, "x-github-api-version"),
        user_agent: header_str(headers, "user-agent"),
        authorized,
        status: 0,
    };
    let response = if entry.user_agent.is_none() {
        error(
            403,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        )
    } else if entry
        .api_version
        .as_deref()
        .is_some_and(|v| v != API_VERSION)
    {
        error(400, "Unsupported 'X-GitHub-Api-Version' header")
    } else if let Some(status) = state.with(|i| i.fail_all) {
        let message = match status {
            401 => "Bad credentials",
            403 => "Resource not accessible by personal access token",
            404 => "Not Found",
            _ => "Server Error",
        };
        error(status, message)
    } else if let Some(failure) = state.with(|i| i.fail_next.pop_front()) {
        transient(failure)
    } else if !authorized {
        let has_auth = headers.contains_key("authorization");
        error(
            401,
            if has_auth {
                "Bad credentials"
            } else {
                "Requires authentication"
            },
        )
    } else {
        next.run(request).await
    };
    entry.status = response.status().as_u16();
    state.with(|i| i.log.push(entry));
    response
}

pub(crate) fn check_repo(state: &ApiState, owner: &str, repo: &str) -> Result<(), Response> {
    if state.is_repo(owner, repo) {
        Ok(())
    } else {
        Err(error(404, "Not Found"))
    }
}

async fn repository(State(state): Shared, Path((owner, repo)): RepoPath) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    Json(json!({
        "id": state.repo_id,
        "node_id": format!("R_kgDO{}", state.repo_id),
        "name": state.name,
        "full_name": state.full_name(),
        "private": true,
        "owner": {
            "login": state.owner,
            "id": state.owner_id,
            "node_id": format!("O_kgDO{}", state.owner_id),
            "type": "Organization",
        },
        "html_url": format!("https://github.com/{}", state.full_name()),
        "default_branch": "main",
        "visibility": "private",
    }))
    .into_response()
}

async fn public_key(State(state): Shared, Path((owner, repo)): RepoPath) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    Json(json!({
        "key_id": state.key_id,
        "key": STANDARD.encode(state.secret_key.public_key().as_bytes()),
    }))
    .into_response()
}

/// One page of `items` plus GitHub's `Link` header.
fn paginate(
    state: &ApiState,
    path: &str,
    query: &HashMap<String, String>,
    default_per_page: usize,
    max_per_page: usize,
    total: usize,
) -> (std::ops::Range<usize>, Option<HeaderValue>) {
    let cap = state
        .with(|i| i.max_per_page)
        .unwrap_or(max_per_page)
        .min(max_per_page);
    let per_page = query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default_per_page)
        .clamp(1, cap);
    let page = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = total.div_ceil(per_page).max(1);
    let start = ((page - 1) * per_page).min(total);
    let end = (start + per_page).min(total);
    let link_to = |p: usize, rel: &str| {
        format!(
            "<{}{path}?per_page={per_page}&page={p}>; rel=\"{rel}\"",
            state.base_url()
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to(page - 1, "prev"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    if page > 1 {
        links.push(link_to(1, "first"));
    }
    let link = (!links.is_empty())
        .then(|| HeaderValue::from_str(&links.join(", ")).ok())
        .flatten();
    (start..end, link)
}

fn with_link(body: Value, link: Option<HeaderValue>) -> Response {
    let mut response = Json(body).into_response();
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

async fn list_secrets(
    State(state): Shared,
    Path((owner, repo)): RepoPath,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let all: Vec<Value> = state.with(|i| {
        i.secrets
            .iter()
            .map(|(name, s)| json!({"name": name, "created_at": s.created_at, "updated_at": s.updated_at}))
            .collect()
    });
    let (range, link) = paginate(&state, uri.path(), &query, 30, 100, all.len());
    with_link(
        json!({ "total_count": all.len(), "secrets": all[range].to_vec() }),
        link,
    )
}

async fn get_secret(State(state): Shared, Path((owner, repo, name)): NamePath) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    state.with(|i| match i.secrets.get(&name.to_ascii_uppercase()) {
        Some(s) => Json(json!({"name": name.to_ascii_uppercase(), "created_at": s.created_at, "updated_at": s.updated_at})).into_response(),
        None => error(404, "Not Found"),
    })
}

/// GitHub's rule for secret and variable names.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.to_ascii_uppercase().starts_with("GITHUB_")
}

async fn put_secret(
    State(state): Shared,
    Path((owner, repo, name)): NamePath,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    if let Some(status) = state.with(|i| i.fail_put.get(&name.to_ascii_uppercase()).copied()) {
        let message = if status == 403 {
            "Resource not accessible by personal access token"
        } else {
            "Server Error"
        };
        return error(status, message);
    }
    if !valid_name(&name) {
        return error(
            422,
            "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number or GITHUB_",
        );
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return error(400, "Problems parsing JSON");
    };
    let Some(key_id) = body.get("key_id").and_then(Value::as_str) else {
        return error(422, "Invalid request.\n\n\"key_id\" wasn't supplied.");
    };
    let Some(encrypted) = body.get("encrypted_value").and_then(Value::as_str) else {
        return error(
            422,
            "Invalid request.\n\n\"encrypted_value\" wasn't supplied.",
        );
    };
    if key_id != state.key_id {
        return error(
            422,
            "Bad request: key_id does not match the repository public key",
        );
    }
    let plaintext = STANDARD
        .decode(encrypted)
        .ok()
        .and_then(|sealed| state.secret_key.unseal(&sealed).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some(plaintext) = plaintext else {
        return error(
            422,
            "Bad request: encrypted_value is not a sealed box for this key",
        );
    };
    if state.store_secret(&name, &plaintext) {
        (StatusCode::CREATED, Json(json!({}))).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

async fn delete_secret(State(state): Shared, Path((owner, repo, name)): NamePath) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    match state.with(|i| i.secrets.remove(&name.to_ascii_uppercase())) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(404, "Not Found"),
    }
}

fn variable_json(name: &str, v: &super::state::StoredVariable) -> Value {
    json!({"name": name, "value": v.value, "created_at": v.created_at, "updated_at": v.updated_at})
}

async fn list_variables(
    State(state): Shared,
    Path((owner, repo)): RepoPath,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let all: Vec<Value> = state.with(|i| {
        i.variables
            .iter()
            .map(|(name, v)| variable_json(name, v))
            .collect()
    });
    let (range, link) = paginate(&state, uri.path(), &query, 10, 30, all.len());
    with_link(
        json!({ "total_count": all.len(), "variables": all[range].to_vec() }),
        link,
    )
}

async fn get_variable(State(state): Shared, Path((owner, repo, name)): NamePath) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let upper = name.to_ascii_uppercase();
    state.with(|i| match i.variables.get(&upper) {
        Some(v) => Json(variable_json(&upper, v)).into_response(),
        None => error(404, "Not Found"),
    })
}

pub(crate) fn parse_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(error(400, "Problems parsing JSON")),
    }
}

async fn create_variable(
    State(state): Shared,
    Path((owner, repo)): RepoPath,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (Some(name), Some(value)) = (
        body.get("name").and_then(Value::as_str),
        body.get("value").and_then(Value::as_str),
    ) else {
        return error(
            422,
            "Invalid request.\n\n\"name\" and \"value\" are required.",
        );
    };
    if !valid_name(name) {
        return error(
            422,
            "Variable names can only contain alphanumeric characters or underscores",
        );
    }
    if state.with(|i| i.variables.contains_key(&name.to_ascii_uppercase())) {
        return error(409, "Already exists - Variable already exists");
    }
    state.store_variable(name, value);
    (StatusCode::CREATED, Json(json!({}))).into_response()
}

async fn update_variable(
    State(state): Shared,
    Path((owner, repo, name)): NamePath,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if !state.with(|i| i.variables.contains_key(&name.to_ascii_uppercase())) {
        return error(404, "Not Found");
    }
    if let Some(value) = body.get("value").and_then(Value::as_str) {
        state.store_variable(&name, value);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn delete_variable(State(state): Shared, Path((owner, repo, name)): NamePath) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    match state.with(|i| i.variables.remove(&name.to_ascii_uppercase())) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(404, "Not Found"),
    }
}
