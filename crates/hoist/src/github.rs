//! The GitHub client, built in one place from `GITHUB_TOKEN` and `GITHUB_API_URL` for every
//! command that talks to the GitHub API.

use hoist_github::{GithubClient, GithubToken};

use crate::env_vars;
use crate::exit::BadInput;

/// A client for `GITHUB_API_URL` (default api.github.com) with `GITHUB_TOKEN`; without a token,
/// bad input naming `purpose`.
pub(crate) fn required(purpose: &str) -> anyhow::Result<GithubClient> {
    optional()?.ok_or_else(|| {
        BadInput::new(format!("GITHUB_TOKEN is not set: {purpose} needs the GitHub API"))
            .hint("export GITHUB_TOKEN=$(gh auth token)   # a token with \"Secrets: Read and write\" on the repository")
            .into()
    })
}

/// A client when `GITHUB_TOKEN` is set.
pub(crate) fn optional() -> anyhow::Result<Option<GithubClient>> {
    let Some(token) = env_vars::get(env_vars::GITHUB_TOKEN) else {
        return Ok(None);
    };
    let url = env_vars::get(env_vars::GITHUB_API_URL)
        .unwrap_or_else(|| hoist_github::DEFAULT_API_URL.to_owned());
    let client = GithubClient::new(&url, GithubToken::new(token)).map_err(|e| {
        BadInput::new(e.to_string())
            .hint("set GITHUB_API_URL to https://api.github.com (or https://HOST/api/v3 for GHES)")
    })?;
    Ok(Some(client))
}
