//! GitHub deployments: a record of what was deployed where, with the environment's URL, shown
//! on the repository's "Deployments" page and in the pull request timeline.
//!
//! `POST /repos/{owner}/{repo}/deployments` creates the deployment (201, or 202 when GitHub
//! merged the default branch instead, which hoist prevents with `auto_merge: false`), and
//! `POST …/deployments/{id}/statuses` moves it through `in_progress` to `success` or `failure`
//! with the `environment_url`. A workflow's `GITHUB_TOKEN` needs `deployments: write`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::GithubClient;
use crate::error::{GithubError, Permission};
use crate::repo::RepoRef;

/// GitHub's limit on a deployment status's `description`.
pub const MAX_STATUS_DESCRIPTION: usize = 140;

/// What to record as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeployment {
    /// The commit deployed (a SHA, branch or tag).
    pub git_ref: String,
    /// The deployment environment's name, such as `dev` or `prod`.
    pub environment: String,
    /// A short description.
    pub description: String,
    /// Whether the environment is one end users reach (`production_environment`).
    pub production: bool,
}

/// A created deployment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deployment {
    /// Its id, for its statuses.
    pub id: u64,
    /// The environment GitHub recorded.
    pub environment: String,
}

/// A deployment status's `state`, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    /// The deployment is running.
    InProgress,
    /// It finished and the environment is up.
    Success,
    /// It failed.
    Failure,
}

/// One status update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatus {
    /// The state.
    pub state: DeploymentState,
    /// Where the deployed service answers (the environment's URL on GitHub).
    pub environment_url: Option<String>,
    /// The workflow run's page.
    pub log_url: Option<String>,
    /// A short description; cut to [`MAX_STATUS_DESCRIPTION`] characters.
    pub description: String,
}

impl GithubClient {
    /// Creates a deployment of `new.git_ref` to `new.environment`. Commit status checks are not
    /// required (`required_contexts: []`): the workflow running hoist is the check.
    pub async fn create_deployment(
        &self,
        owner_repo: &str,
        new: &NewDeployment,
    ) -> Result<Deployment, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/deployments", repo.path());
        let body = json!({
            "ref": new.git_ref,
            "environment": new.environment,
            "description": new.description,
            "auto_merge": false,
            "required_contexts": [],
            "production_environment": new.production,
            "transient_environment": false,
        });
        let answer = self
            .send(
                Method::POST,
                &path,
                Permission::Deployments,
                &repo,
                Some(&body),
            )
            .await?;
        Self::decode("POST", &format!("{}{path}", self.api_url()), &answer.body)
    }

    /// Adds a status to deployment `id`. A `success` makes earlier deployments to the same
    /// environment inactive (GitHub's `auto_inactive` default).
    pub async fn create_deployment_status(
        &self,
        owner_repo: &str,
        id: u64,
        status: &DeploymentStatus,
    ) -> Result<(), GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/deployments/{id}/statuses", repo.path());
        let description: String = status
            .description
            .chars()
            .take(MAX_STATUS_DESCRIPTION)
            .collect();
        let mut body = json!({ "state": status.state, "description": description });
        if let Some(url) = &status.environment_url {
            body["environment_url"] = json!(url);
        }
        if let Some(url) = &status.log_url {
            body["log_url"] = json!(url);
        }
        self.send(
            Method::POST,
            &path,
            Permission::Deployments,
            &repo,
            Some(&body),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::DeploymentState;

    #[test]
    fn states_serialize_as_the_api_names_them() {
        for (state, name) in [
            (DeploymentState::InProgress, "\"in_progress\""),
            (DeploymentState::Success, "\"success\""),
            (DeploymentState::Failure, "\"failure\""),
        ] {
            assert_eq!(serde_json::to_string(&state).unwrap(), name);
        }
    }
}
