//! The GitHub deployment a workflow run records: created `in_progress` when an applied deploy
//! starts, then `success` with the environment's URL (the stack output `url_output` names) or
//! `failure`. It shows on the repository's Deployments page and in pull requests.
//!
//! Recorded only where it adds something and cannot double up: in GitHub Actions, with
//! `--apply`, `GITHUB_TOKEN` and `GITHUB_SHA` set, for an environment that names a
//! `url_output`. A job that names a GitHub environment is recorded by GitHub itself (the
//! generated workflow gives it the URL as `environment.url`), so hoist leaves it alone.
//! Recording is bookkeeping: when GitHub refuses it (most often a token without
//! `deployments: write`), the deploy goes on and a warning says what to grant.

use hoist_config::{Environment, Tier, Trigger};
use hoist_github::{DeploymentState, DeploymentStatus, GithubClient, GithubError, NewDeployment};

use crate::env_vars;
use crate::printer::Printer;

/// A deployment being recorded.
pub(super) struct Recorder {
    client: GithubClient,
    repository: String,
    id: u64,
    log_url: Option<String>,
}

impl Recorder {
    /// Creates the deployment (`in_progress`) when this applied run records one; `None`
    /// otherwise.
    pub(super) async fn start(environment: &Environment, printer: &Printer) -> Option<Self> {
        if !crate::gha::in_actions()
            || environment.url_output.is_none()
            || matches!(environment.trigger, Trigger::GithubEnvironment(_))
        {
            return None;
        }
        let git_ref = env_vars::get(env_vars::GITHUB_SHA)?;
        let repository = env_vars::get(env_vars::GITHUB_REPOSITORY)?;
        let client = match crate::github::optional() {
            Ok(Some(client)) => client,
            Ok(None) => {
                printer.warn("GITHUB_TOKEN is not set: no GitHub deployment is recorded (pass `GITHUB_TOKEN: ${{ github.token }}` to the deploy step)");
                return None;
            }
            Err(e) => {
                printer.warn(&format!("no GitHub deployment is recorded: {e}"));
                return None;
            }
        };
        let new = NewDeployment {
            git_ref,
            environment: environment.name.clone(),
            description: format!("hoist deploy --env {}", environment.name),
            production: environment.tier == Tier::Prod,
        };
        let created = match client.create_deployment(&repository, &new).await {
            Ok(d) => d,
            Err(e) => {
                warn_not_recorded(&e, printer);
                return None;
            }
        };
        let recorder = Self {
            client,
            repository,
            id: created.id,
            log_url: run_url(),
        };
        recorder
            .status(DeploymentState::InProgress, None, "deploying", printer)
            .await;
        Some(recorder)
    }

    /// The deploy's outcome: `success` with the URL, or `failure`.
    pub(super) async fn finish(self, url: Option<&str>, succeeded: bool, printer: &Printer) {
        if succeeded {
            self.status(DeploymentState::Success, url, "deployed", printer)
                .await;
        } else {
            self.status(DeploymentState::Failure, None, "the deploy failed", printer)
                .await;
        }
    }

    async fn status(
        &self,
        state: DeploymentState,
        url: Option<&str>,
        description: &str,
        printer: &Printer,
    ) {
        let status = DeploymentStatus {
            state,
            environment_url: url.map(str::to_owned),
            log_url: self.log_url.clone(),
            description: description.to_owned(),
        };
        if let Err(e) = self
            .client
            .create_deployment_status(&self.repository, self.id, &status)
            .await
        {
            warn_not_recorded(&e, printer);
        }
    }
}

fn warn_not_recorded(e: &GithubError, printer: &Printer) {
    let hint = e.hint().map(|h| format!(" ({h})")).unwrap_or_default();
    printer.warn(&format!(
        "the GitHub deployment was not recorded: {e}{hint}"
    ));
}

/// The workflow run's page: `GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID`.
fn run_url() -> Option<String> {
    let server = env_vars::get(env_vars::GITHUB_SERVER_URL)?;
    let repository = env_vars::get(env_vars::GITHUB_REPOSITORY)?;
    let run = env_vars::get(env_vars::GITHUB_RUN_ID)?;
    Some(format!(
        "{}/{repository}/actions/runs/{run}",
        server.trim_end_matches('/')
    ))
}
