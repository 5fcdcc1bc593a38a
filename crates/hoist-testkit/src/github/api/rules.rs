//! Repository rulesets and deployment environments of the REST fixture, following GitHub's
//! documented shapes (API version 2022-11-28):
//! - `GET …/rulesets` answers a bare array of summaries (no rules or conditions);
//!   `GET …/rulesets/{id}` the full ruleset; `POST …/rulesets` validates `target`
//!   (`branch`, `tag`, `push`), `enforcement` (`disabled`, `active`, `evaluate`),
//!   `conditions.ref_name.include` (refs under `refs/tags/` or `refs/heads/`, `~ALL`,
//!   `~DEFAULT_BRANCH`), rule types, bypass actors (`actor_type`, `bypass_mode`) and unique
//!   names (422 otherwise) and answers 201; `PUT …/rulesets/{id}` replaces it;
//! - `GET …/environments/{name}` answers `protection_rules` (`required_reviewers` with its
//!   `reviewers`, `wait_timer`, `branch_policy`) and `deployment_branch_policy` (`null` when
//!   any ref may deploy); `GET …/environments/{name}/deployment-branch-policies` the custom
//!   branch and tag policies. Environments are seeded by the test
//!   ([`super::GithubApi::insert_environment`]).

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::routes::{error, parse_object};
use super::state::{ApiState, timestamp};

type Shared = State<Arc<ApiState>>;

const TARGETS: &[&str] = &["branch", "tag", "push"];
const ENFORCEMENTS: &[&str] = &["disabled", "active", "evaluate"];
const ACTOR_TYPES: &[&str] = &[
    "Integration",
    "OrganizationAdmin",
    "RepositoryRole",
    "Team",
    "DeployKey",
];
const RULE_TYPES: &[&str] = &[
    "creation",
    "update",
    "deletion",
    "required_linear_history",
    "required_signatures",
    "non_fast_forward",
    "pull_request",
    "required_status_checks",
    "tag_name_pattern",
];

fn check(state: &ApiState, owner: &str, repo: &str) -> Result<(), Response> {
    if state.is_repo(owner, repo) {
        Ok(())
    } else {
        Err(error(404, "Not Found"))
    }
}

fn summary(r: &Value) -> Value {
    json!({
        "id": r["id"], "name": r["name"], "target": r["target"], "source_type": "Repository",
        "source": r["source"], "enforcement": r["enforcement"], "node_id": r["node_id"],
        "_links": r["_links"], "created_at": r["created_at"], "updated_at": r["updated_at"],
    })
}

pub(crate) async fn list_rulesets(
    State(state): Shared,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    if let Err(r) = check(&state, &owner, &repo) {
        return r;
    }
    let all: Vec<Value> = state.with(|i| i.rulesets.iter().map(summary).collect());
    Json(Value::Array(all)).into_response()
}

pub(crate) async fn get_ruleset(
    State(state): Shared,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    if let Err(r) = check(&state, &owner, &repo) {
        return r;
    }
    state.with(|i| match i.rulesets.iter().find(|r| r["id"] == id) {
        Some(r) => Json(r.clone()).into_response(),
        None => error(404, "Not Found"),
    })
}

/// The validation GitHub documents for a ruleset body; `Err(message)` for a 422.
fn validate(body: &serde_json::Map<String, Value>) -> Result<(), String> {
    let s = |k: &str| body.get(k).and_then(Value::as_str);
    if s("name").is_none_or(str::is_empty) {
        return Err("Invalid request.\n\n\"name\" wasn't supplied.".to_owned());
    }
    if s("enforcement").is_none_or(|e| !ENFORCEMENTS.contains(&e)) {
        return Err("Invalid property /enforcement".to_owned());
    }
    let target = s("target").unwrap_or("branch");
    if !TARGETS.contains(&target) {
        return Err("Invalid property /target".to_owned());
    }
    let prefix = if target == "tag" {
        "refs/tags/"
    } else {
        "refs/heads/"
    };
    let includes = body
        .get("conditions")
        .and_then(|c| c.pointer("/ref_name/include"))
        .and_then(Value::as_array);
    for inc in includes.into_iter().flatten() {
        let ok = inc
            .as_str()
            .is_some_and(|v| v.starts_with(prefix) || v == "~ALL" || v == "~DEFAULT_BRANCH");
        if !ok {
            return Err(format!(
                "Invalid property /conditions/ref_name/include: {inc}"
            ));
        }
    }
    for rule in body
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = rule.get("type").and_then(Value::as_str).unwrap_or("");
        if !RULE_TYPES.contains(&t) {
            return Err(format!("Invalid rule type {t:?}"));
        }
    }
    for actor in body
        .get("bypass_actors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = actor
            .get("actor_type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mode = actor
            .get("bypass_mode")
            .and_then(Value::as_str)
            .unwrap_or("always");
        if !ACTOR_TYPES.contains(&t) || !["always", "pull_request"].contains(&mode) {
            return Err("Invalid property /bypass_actors".to_owned());
        }
    }
    Ok(())
}

pub(crate) async fn create_ruleset(
    State(state): Shared,
    Path((owner, repo)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    store(&state, &owner, &repo, None, &body)
}

pub(crate) async fn update_ruleset(
    State(state): Shared,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    body: axum::body::Bytes,
) -> Response {
    store(&state, &owner, &repo, Some(id), &body)
}

fn store(state: &ApiState, owner: &str, repo: &str, id: Option<u64>, body: &[u8]) -> Response {
    if let Err(r) = check(state, owner, repo) {
        return r;
    }
    let body = match parse_object(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match store_ruleset(state, id, &body) {
        Ok(stored) => {
            let status = if id.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            (status, Json(stored)).into_response()
        }
        Err((status, message)) => error(status, &message),
    }
}

/// Validates and stores a ruleset body (replacing ruleset `id` when given); the stored JSON,
/// or the status and message GitHub would answer.
pub(crate) fn store_ruleset(
    state: &ApiState,
    id: Option<u64>,
    body: &serde_json::Map<String, Value>,
) -> Result<Value, (u16, String)> {
    validate(body).map_err(|m| (422, m))?;
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    let base = state.base_url().to_owned();
    let full = state.full_name();
    state.with(|i| {
        let clash = i
            .rulesets
            .iter()
            .any(|r| r["name"] == name.as_str() && id.is_none_or(|id| r["id"] != id));
        if clash {
            return Err((422, "Validation Failed: Name must be unique".to_owned()));
        }
        let now = timestamp();
        let (new_id, created) = match id {
            Some(id) => match i.rulesets.iter().position(|r| r["id"] == id) {
                Some(pos) => (id, i.rulesets.remove(pos)["created_at"].clone()),
                None => return Err((404, "Not Found".to_owned())),
            },
            None => (
                42 + u64::try_from(i.rulesets.len()).unwrap_or(0),
                Value::from(now.clone()),
            ),
        };
        let stored = json!({
            "id": new_id,
            "name": name,
            "target": body.get("target").cloned().unwrap_or(json!("branch")),
            "source_type": "Repository",
            "source": full,
            "enforcement": body["enforcement"],
            "bypass_actors": body.get("bypass_actors").cloned().unwrap_or(json!([])),
            "conditions": body.get("conditions").cloned().unwrap_or(json!({})),
            "rules": body.get("rules").cloned().unwrap_or(json!([])),
            "node_id": format!("RRS_lACqUmVwb3NpdG9yec{new_id}"),
            "current_user_can_bypass": "always",
            "_links": {"self": {"href": format!("{base}/repos/{full}/rulesets/{new_id}")}},
            "created_at": created,
            "updated_at": now,
        });
        i.rulesets.push(stored.clone());
        Ok(stored)
    })
}

pub(crate) async fn get_environment(
    State(state): Shared,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = check(&state, &owner, &repo) {
        return r;
    }
    state.with(|i| match i.environments.get(&name.to_ascii_lowercase()) {
        Some(env) => Json(env.clone()).into_response(),
        None => error(404, "Not Found"),
    })
}

pub(crate) async fn list_branch_policies(
    State(state): Shared,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = check(&state, &owner, &repo) {
        return r;
    }
    state.with(|i| {
        if !i.environments.contains_key(&name.to_ascii_lowercase()) {
            return error(404, "Not Found");
        }
        let policies = i
            .branch_policies
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        Json(json!({"total_count": policies.len(), "branch_policies": policies})).into_response()
    })
}

/// The environment JSON GitHub returns for `name`, with `reviewers` required reviewers and
/// the given deployment policy (`None`: any branch or tag may deploy; `Some(true)`: protected
/// branches; `Some(false)`: custom branch and tag policies).
pub(crate) fn environment_json(
    base: &str,
    full: &str,
    name: &str,
    reviewers: usize,
    policy: Option<bool>,
) -> Value {
    let mut rules = Vec::new();
    if reviewers > 0 {
        let people: Vec<Value> = (0..reviewers)
            .map(|n| json!({"type": "User", "reviewer": {"login": format!("reviewer{n}"), "id": 1000 + n, "type": "User"}}))
            .collect();
        rules.push(json!({"id": 3755, "node_id": "MDQ6R2F0ZTM3NTU=", "prevent_self_review": true, "type": "required_reviewers", "reviewers": people}));
    }
    let deployment_branch_policy = match policy {
        None => Value::Null,
        Some(protected) => {
            rules.push(json!({"id": 3756, "node_id": "MDQ6R2F0ZTM3NTY=", "type": "branch_policy"}));
            json!({"protected_branches": protected, "custom_branch_policies": !protected})
        }
    };
    json!({
        "id": 161_088_068, "node_id": "MDExOkVudmlyb25tZW50MTYxMDg4MDY4", "name": name,
        "url": format!("{base}/repos/{full}/environments/{name}"),
        "html_url": format!("https://github.com/{full}/deployments/activity_log?environments_filter={name}"),
        "created_at": timestamp(), "updated_at": timestamp(),
        "protection_rules": rules,
        "deployment_branch_policy": deployment_branch_policy,
    })
}
