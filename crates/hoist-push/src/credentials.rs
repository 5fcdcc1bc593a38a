//! Credentials for a registry other than ECR, asked for only when the registry challenges:
//! the Docker configuration (`credHelpers`, `credsStore`, `auths`), then `GITHUB_TOKEN` for
//! ghcr.io (GitHub's documented way to push from Actions), else none (anonymous: a Bearer
//! registry still grants public pulls). ECR's token is never among them.

use hoist_registry::{BasicAuth, CredentialError, CredentialSource, DockerCredentials};

/// GitHub's container registry.
const GHCR: &str = "ghcr.io";

pub(crate) struct OtherRegistry {
    host: String,
    docker: DockerCredentials,
    github: Option<crate::registry::GithubToken>,
}

impl OtherRegistry {
    pub(crate) fn new(host: &str, github: Option<crate::registry::GithubToken>) -> Self {
        Self {
            host: host.to_ascii_lowercase(),
            docker: DockerCredentials::for_host(host),
            github,
        }
    }

    /// `GITHUB_TOKEN` as ghcr.io's password; the user is the workflow's actor (ghcr.io
    /// accepts any non-empty user with a token).
    fn github_token(&self) -> Option<BasicAuth> {
        if self.host != GHCR {
            return None;
        }
        let github = self.github.as_ref()?;
        let user = github.actor.clone().unwrap_or_else(|| "hoist".to_owned());
        Some(BasicAuth::new(user, github.token.clone()))
    }
}

impl CredentialSource for OtherRegistry {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<BasicAuth, CredentialError>> {
        Box::pin(async move {
            self.fetch_optional().await?.ok_or_else(|| -> CredentialError {
                format!(
                    "no credentials for {}: run `docker login {}` (or set GITHUB_TOKEN for ghcr.io)",
                    self.host, self.host
                )
                .into()
            })
        })
    }

    fn fetch_optional(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Option<BasicAuth>, CredentialError>> {
        Box::pin(async move {
            if let Some(found) = self.docker.fetch_optional().await? {
                return Ok(Some(found));
            }
            Ok(self.github_token())
        })
    }
}
