//! The GitHub client from `GITHUB_TOKEN` and `GITHUB_API_URL`, and the repository from
//! hoist.toml.

use hoist_github::{GithubClient, GithubToken};

use crate::env_vars;
use crate::exit::BadInput;

/// A client for `GITHUB_API_URL` (default api.github.com) with `GITHUB_TOKEN`.
pub(crate) fn github_client(purpose: &str) -> anyhow::Result<GithubClient> {
    let token = env_vars::get(env_vars::GITHUB_TOKEN).ok_or_else(|| {
        BadInput::new(format!("GITHUB_TOKEN is not set: {purpose} needs the GitHub API"))
            .hint("export GITHUB_TOKEN=$(gh auth token)   # a token with \"Secrets: Read and write\" on the repository")
    })?;
    let url = env_vars::get(env_vars::GITHUB_API_URL)
        .unwrap_or_else(|| hoist_github::DEFAULT_API_URL.to_owned());
    Ok(GithubClient::new(&url, GithubToken::new(token))?)
}
