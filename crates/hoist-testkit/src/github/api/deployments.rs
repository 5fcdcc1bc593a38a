//! Deployments and deployment statuses, in the shapes of GitHub's "REST API endpoints for
//! deployments" and "… for deployment statuses": `POST|GET …/deployments`,
//! `POST|GET …/deployments/{id}/statuses`.
//!
//! Like GitHub: `ref` is required (422 otherwise); without `required_contexts` GitHub checks
//! every commit status context, and without `auto_merge: false` it may merge the default
//! branch into the ref — the fixture refuses both omissions with GitHub's 409 so a client that
//! relies on them is caught; a status `state` outside GitHub's list, or a `description` over
//! 140 characters, is a 422; an unknown deployment is a 404; a `success` marks the earlier
//! deployments of the same environment `inactive` (`auto_inactive` defaults to true).

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::routes::{check_repo, error, parse_object};
use super::state::{ApiState, timestamp};

type Shared = State<Arc<ApiState>>;

/// GitHub's deployment status states.
const STATES: [&str; 7] = [
    "error",
    "failure",
    "inactive",
    "in_progress",
    "queued",
    "pending",
    "success",
];

/// A deployment the fixture received, with its statuses (oldest first), as the API returns
/// them.
#[derive(Debug, Clone)]
pub struct RecordedDeployment {
    /// The deployment.
    pub deployment: Value,
    /// Its statuses, oldest first.
    pub statuses: Vec<Value>,
}

impl RecordedDeployment {
    /// The newest status's `state`, if any.
    #[must_use]
    pub fn state(&self) -> Option<&str> {
        self.statuses.last().and_then(|s| s["state"].as_str())
    }
}

pub(crate) async fn create(
    State(state): Shared,
    Path((owner, repo)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(git_ref) = body.get("ref").and_then(Value::as_str) else {
        return error(422, "Invalid request.\n\n\"ref\" wasn't supplied.");
    };
    if body.get("required_contexts") != Some(&json!([])) {
        return error(
            409,
            "Conflict: Commit status checks failed for the ref (the fixture has no statuses; send required_contexts: [] to skip them)",
        );
    }
    if body.get("auto_merge") != Some(&json!(false)) {
        return error(
            409,
            "Conflict merging main into the ref (send auto_merge: false to deploy the ref as it is)",
        );
    }
    let environment = body
        .get("environment")
        .and_then(Value::as_str)
        .unwrap_or("production")
        .to_owned();
    let base = state.base_url().to_owned();
    let full = state.full_name();
    let now = timestamp();
    let stored = state.with(|i| {
        let id = 1_000_000 + i.deployments.len() as u64 + 1;
        let deployment = json!({
            "url": format!("{base}/repos/{full}/deployments/{id}"),
            "id": id,
            "node_id": format!("DE_kwDO{id}"),
            "sha": git_ref,
            "ref": git_ref,
            "task": body.get("task").and_then(Value::as_str).unwrap_or("deploy"),
            "payload": body.get("payload").cloned().unwrap_or(json!({})),
            "original_environment": environment,
            "environment": environment,
            "description": body.get("description").cloned().unwrap_or(Value::Null),
            "creator": {"login": "github-actions[bot]", "id": 41_898_282, "type": "Bot"},
            "created_at": now,
            "updated_at": now,
            "statuses_url": format!("{base}/repos/{full}/deployments/{id}/statuses"),
            "repository_url": format!("{base}/repos/{full}"),
            "transient_environment": body.get("transient_environment").and_then(Value::as_bool).unwrap_or(false),
            "production_environment": body.get("production_environment").and_then(Value::as_bool).unwrap_or(environment == "production"),
        });
        i.deployments.push(RecordedDeployment {
            deployment: deployment.clone(),
            statuses: Vec::new(),
        });
        deployment
    });
    (StatusCode::CREATED, Json(stored)).into_response()
}

pub(crate) async fn list(
    State(state): Shared,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    // Newest first, as GitHub lists them.
    let items: Vec<Value> = state.with(|i| {
        i.deployments
            .iter()
            .rev()
            .map(|d| d.deployment.clone())
            .collect()
    });
    Json(Value::Array(items)).into_response()
}

pub(crate) async fn create_status(
    State(state): Shared,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(status_state) = body.get("state").and_then(Value::as_str) else {
        return error(422, "Invalid request.\n\n\"state\" wasn't supplied.");
    };
    if !STATES.contains(&status_state) {
        return error(
            422,
            &format!("Invalid request.\n\n{status_state:?} is not a member of {STATES:?}."),
        );
    }
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    if description.chars().count() > 140 {
        return error(
            422,
            "Validation Failed: description is too long (maximum is 140 characters)",
        );
    }
    for key in ["environment_url", "log_url"] {
        if let Some(url) = body.get(key)
            && !url.as_str().is_some_and(|u| u.starts_with("http"))
        {
            return error(422, &format!("Validation Failed: {key} is not a URL"));
        }
    }
    let base = state.base_url().to_owned();
    let full = state.full_name();
    let now = timestamp();
    let answer = state.with(|i| {
        let position = i
            .deployments
            .iter()
            .position(|d| d.deployment["id"].as_u64() == Some(id))?;
        let environment = i.deployments[position].deployment["environment"].clone();
        let status_id = 2_000_000
            + i.deployments
                .iter()
                .map(|d| d.statuses.len())
                .sum::<usize>() as u64
            + 1;
        let status = json!({
            "url": format!("{base}/repos/{full}/deployments/{id}/statuses/{status_id}"),
            "id": status_id,
            "node_id": format!("DES_kwDO{status_id}"),
            "state": status_state,
            "creator": {"login": "github-actions[bot]", "id": 41_898_282, "type": "Bot"},
            "description": description,
            "environment": environment,
            "target_url": body.get("log_url").cloned().unwrap_or(json!("")),
            "log_url": body.get("log_url").cloned().unwrap_or(json!("")),
            "environment_url": body.get("environment_url").cloned().unwrap_or(json!("")),
            "created_at": now,
            "updated_at": now,
            "deployment_url": format!("{base}/repos/{full}/deployments/{id}"),
            "repository_url": format!("{base}/repos/{full}"),
        });
        let auto_inactive = body
            .get("auto_inactive")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if status_state == "success" && auto_inactive {
            for (n, other) in i.deployments.iter_mut().enumerate() {
                // Only "non-transient, non-production environment deployments" go inactive.
                let lasting = other.deployment["transient_environment"] != json!(true)
                    && other.deployment["production_environment"] != json!(true);
                if n != position && lasting && other.deployment["environment"] == environment {
                    let mut inactive = other.statuses.last().cloned().unwrap_or(json!({}));
                    inactive["state"] = json!("inactive");
                    other.statuses.push(inactive);
                }
            }
        }
        i.deployments[position].statuses.push(status.clone());
        Some(status)
    });
    match answer {
        Some(status) => (StatusCode::CREATED, Json(status)).into_response(),
        None => error(404, "Not Found"),
    }
}

pub(crate) async fn list_statuses(
    State(state): Shared,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    if let Err(r) = check_repo(&state, &owner, &repo) {
        return r;
    }
    let statuses = state.with(|i| {
        i.deployments
            .iter()
            .find(|d| d.deployment["id"].as_u64() == Some(id))
            .map(|d| d.statuses.iter().rev().cloned().collect::<Vec<_>>())
    });
    match statuses {
        Some(s) => Json(Value::Array(s)).into_response(),
        None => error(404, "Not Found"),
    }
}
