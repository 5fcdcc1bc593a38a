//! Which environment a GitHub Actions run deploys to, decided from the event alone, by the same
//! triggers bootstrap writes into the trust policies.

use serde_json::Value;

use crate::model::{Config, Environment, Trigger};

/// The parts of a GitHub Actions run that choose an environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubEvent {
    /// `GITHUB_EVENT_NAME`: push, release, workflow_dispatch, pull_request, …
    pub event_name: String,
    /// `GITHUB_REF`: `refs/heads/main`, `refs/tags/v1.2.0`, `refs/pull/7/merge`.
    pub git_ref: String,
    /// The payload at `GITHUB_EVENT_PATH`, when it could be read.
    pub payload: Option<Value>,
}

/// Why a run deploys nowhere, and what would make it deploy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct EventRefusal {
    pub reason: String,
    pub hint: String,
}

fn refuse(reason: impl Into<String>, hint: impl Into<String>) -> EventRefusal {
    EventRefusal {
        reason: reason.into(),
        hint: hint.into(),
    }
}

/// The environment `event` deploys to.
///
/// push to a trigger branch → that environment; release, or a push of a tag matching a tag
/// trigger → that environment; `workflow_dispatch` with an `environment` input → that
/// environment, provided the run's ref is one its role trusts; anything else is refused.
///
/// # Errors
/// An [`EventRefusal`] saying why this run deploys nowhere.
pub fn resolve_environment<'c>(
    config: &'c Config,
    event: &GithubEvent,
) -> Result<&'c Environment, EventRefusal> {
    let git_ref = event.git_ref.as_str();
    match event.event_name.as_str() {
        "push" | "release" => by_ref(config, &event.event_name, git_ref),
        "workflow_dispatch" => {
            let input = event
                .payload
                .as_ref()
                .and_then(|p| p.pointer("/inputs/environment"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            match input {
                None => by_ref(config, "workflow_dispatch", git_ref),
                Some(name) => {
                    let env = config.environment(name).ok_or_else(|| {
                        refuse(
                            format!("workflow_dispatch asked for environment {name:?}, which hoist.toml does not define"),
                            format!("choose one of: {}", config.environment_names().join(", ")),
                        )
                    })?;
                    if ref_allowed(&env.trigger, git_ref) {
                        Ok(env)
                    } else {
                        Err(refuse(
                            format!(
                                "environment {:?} deploys from {}, but this run is on {git_ref}",
                                env.name, env.trigger
                            ),
                            format!(
                                "run the workflow from {} — its role trusts only that",
                                describe_ref(&env.trigger)
                            ),
                        ))
                    }
                }
            }
        }
        "pull_request_target" => Err(refuse(
            "pull_request_target events never deploy: the job runs in the base repository with the base branch's ref, so its token's sub is repo:OWNER/REPO:ref:refs/heads/BASE — the very subject a dev role trusts — while the workflow acts on a pull request's code",
            "deploy by merging to the dev branch, or by publishing a release for prod; never check out or run pull request code in a job with id-token: write",
        )),
        name if name.starts_with("pull_request") => Err(refuse(
            format!(
                "{name} events never deploy: their token's sub ends in :pull_request, which no deploy role trusts"
            ),
            "deploy by merging to the dev branch, or by publishing a release for prod",
        )),
        "" => Err(refuse(
            "GITHUB_EVENT_NAME is not set, so the environment cannot be chosen from the event",
            format!(
                "pass --env with one of: {}",
                config.environment_names().join(", ")
            ),
        )),
        other => Err(refuse(
            format!("{other} events do not deploy"),
            "deploys run on push to a trigger branch, on a release, or on workflow_dispatch with an environment input",
        )),
    }
}

fn by_ref<'c>(
    config: &'c Config,
    event: &str,
    git_ref: &str,
) -> Result<&'c Environment, EventRefusal> {
    if let Some(env) = config.environments.iter().find(|e| {
        !matches!(e.trigger, Trigger::GithubEnvironment(_)) && ref_allowed(&e.trigger, git_ref)
    }) {
        return Ok(env);
    }
    let triggers: Vec<String> = config
        .environments
        .iter()
        .map(|e| format!("{} → {}", describe_ref(&e.trigger), e.name))
        .collect();
    Err(refuse(
        format!("{event} of {git_ref} matches no environment's trigger"),
        format!("hoist.toml deploys: {}", triggers.join("; ")),
    ))
}

/// Whether a run on `git_ref` gets a token the trigger's trust policy admits.
fn ref_allowed(trigger: &Trigger, git_ref: &str) -> bool {
    match trigger {
        Trigger::Branch(b) => git_ref.strip_prefix("refs/heads/") == Some(b.as_str()),
        Trigger::Tag(pattern) => git_ref
            .strip_prefix("refs/tags/")
            .is_some_and(|t| hoist_policy::glob_match(pattern, t, false)),
        // The job names the environment; any ref may run it, subject to GitHub's protection rules.
        Trigger::GithubEnvironment(_) => true,
    }
}

fn describe_ref(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Branch(b) => format!("refs/heads/{b}"),
        Trigger::Tag(t) => format!("refs/tags/{t}"),
        Trigger::GithubEnvironment(e) => format!("jobs with `environment: {e}`"),
    }
}
