//! The registry images go to and the client that talks to it: the URL (an override, else
//! ECR's), which credentials it may be given when it challenges (ECR's token only to an ECR
//! host; the Docker configuration or `GITHUB_TOKEN` to any other), and its errors named the
//! way the guide troubleshoots them.

use std::sync::Arc;

use hoist_registry::{Client, RegistryError, Reporter};

use crate::ecr::{Control, EcrCredentials, basic_auth};
use crate::error::{PushError, source_chain};

/// Where images go, as the environment and hoist.toml say (the CLI reads them).
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `HOIST_REGISTRY`, else `[images] registry`: a registry other than ECR's own endpoint.
    pub registry: Option<String>,
    /// `HOIST_ECR_REGISTRY_URL`: the URL of ECR's registry when it is not the one
    /// `GetAuthorizationToken` names.
    pub ecr_registry_url: Option<String>,
    /// `GITHUB_TOKEN` (and `GITHUB_ACTOR`), offered to ghcr.io only.
    pub github: Option<GithubToken>,
}

/// `GITHUB_TOKEN` and the workflow's actor.
#[derive(Clone)]
pub struct GithubToken {
    pub token: String,
    pub actor: Option<String>,
}

impl std::fmt::Debug for GithubToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubToken")
            .field("token", &"<redacted>")
            .field("actor", &self.actor)
            .finish()
    }
}

impl Target {
    /// Whether images go to ECR: no registry override, or one whose host is ECR's. Only then
    /// is ECR's token sent, and repositories looked up and created through ECR's API.
    #[must_use]
    pub fn is_ecr(&self) -> bool {
        match &self.registry {
            None => true,
            Some(url) => host_of(url).is_some_and(|h| hoist_registry::is_ecr_host(&h)),
        }
    }

    /// Whether the registry images are pushed to is not ECR's own endpoint.
    #[must_use]
    pub fn overridden(&self) -> bool {
        self.registry.is_some()
    }

    /// Whether images sent to `url` go to ECR: an ECR host, or the URL
    /// `HOIST_ECR_REGISTRY_URL` names for ECR's registry.
    fn is_ecr_url(&self, url: &str) -> bool {
        host_of(url).is_some_and(|h| hoist_registry::is_ecr_host(&h))
            || self.ecr_registry_url.as_deref() == Some(url)
    }

    /// A registry error as a failure with its fix: ECR's own failures (credentials) keep the
    /// guide's wording, a refused token and an unreachable registry say what to check.
    #[must_use]
    pub fn failure(&self, err: RegistryError, url: &str) -> PushError {
        use hoist_registry::RegistryError as E;
        let (message, hint) = match err {
            E::Credentials { source } => {
                return match source.downcast::<PushError>() {
                    Ok(f) => *f,
                    Err(other) => PushError::Credentials {
                        detail: other.to_string(),
                    },
                };
            }
            E::Unauthorized { .. } if self.is_ecr_url(url) => (
                format!("the registry at {url} refused the ECR token"),
                Some("the token is for the account and region of the credentials: check HOIST_REGISTRY / [images] registry names the same account's registry".to_owned()),
            ),
            E::Unauthorized {
                ref method,
                url: ref refused_at,
            } => {
                let host = host_of(url).unwrap_or_else(|| url.to_owned());
                (
                    format!(
                        "the registry at {url} wants credentials and refused what hoist had ({method} {refused_at} answered 401)"
                    ),
                    Some(format!(
                        "run `docker login {host}` (hoist reads the Docker configuration: credHelpers, credsStore, auths in $DOCKER_CONFIG or ~/.docker), or set GITHUB_TOKEN for ghcr.io"
                    )),
                )
            }
            E::Unreachable { .. } => (
                format!("{err}: {}", source_chain(&err)),
                Some("check the network (ECR needs HTTPS to *.dkr.ecr.REGION.amazonaws.com); HOIST_REGISTRY or [images] registry overrides the URL".to_owned()),
            ),
            ref other => (other.to_string(), None),
        };
        PushError::Registry {
            message,
            hint,
            source: Arc::new(err),
        }
    }
}

/// The registry and a client for it.
pub struct Registry {
    pub client: Client,
    /// The URL images go to, as given or as ECR named it.
    pub url: String,
}

/// Connects to the registry images go to: `target.registry`, else ECR's (the endpoint
/// GetAuthorizationToken names, or `HOIST_ECR_REGISTRY_URL`). Credentials are asked for only
/// when the registry challenges: ECR's token for an ECR registry (its host is
/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com`), the Docker configuration or `GITHUB_TOKEN` for any
/// other. Without any URL, the token comes first (it names the URL). Nothing is sent yet: the
/// first request tells whether the registry answers.
///
/// # Errors
/// When ECR's token is needed and cannot be had, or the URL cannot be used.
pub async fn connect(
    control: &Arc<Control>,
    target: &Target,
    reporter: Arc<dyn Reporter>,
) -> Result<Registry, PushError> {
    let (url, auth) = match (&target.registry, &target.ecr_registry_url) {
        (Some(url), _) | (None, Some(url)) => (url.clone(), None),
        (None, None) => {
            let token = control.token().await?;
            let auth = basic_auth(&token)?;
            (token.proxy_endpoint.clone(), Some(auth))
        }
    };
    let client = Client::new(&url, auth, reporter).map_err(|e| PushError::RegistryUrl {
        source: Arc::new(e),
    })?;
    let client = if target.is_ecr() {
        client.with_credentials_on_challenge(Arc::new(EcrCredentials(control.clone())))
    } else {
        let source = crate::credentials::OtherRegistry::new(&client.host(), target.github.clone());
        client.with_credentials_on_challenge(Arc::new(source))
    };
    Ok(Registry { client, url })
}

/// `host[:port]` of a registry URL (a bare `host:port` means https).
fn host_of(url: &str) -> Option<String> {
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    };
    let u = hoist_registry::Url::parse(&with_scheme).ok()?;
    let host = u.host_str()?.to_owned();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts() {
        assert_eq!(
            host_of("https://123456789012.dkr.ecr.us-east-1.amazonaws.com").as_deref(),
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com")
        );
        assert_eq!(host_of("ghcr.io").as_deref(), Some("ghcr.io"));
        assert_eq!(
            host_of("http://127.0.0.1:5000").as_deref(),
            Some("127.0.0.1:5000")
        );
        let target = Target::default();
        assert!(target.is_ecr_url("123456789012.dkr.ecr.eu-west-1.amazonaws.com"));
        assert!(!target.is_ecr_url("https://ghcr.io"));
    }

    #[test]
    fn ecr_is_the_default_and_only_ecr_hosts_count_as_ecr() {
        let mut target = Target::default();
        assert!(target.is_ecr() && !target.overridden());
        target.registry = Some("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com".into());
        assert!(target.is_ecr() && target.overridden());
        target.registry = Some("http://127.0.0.1:5000".into());
        assert!(!target.is_ecr());
        // A look-alike host is not ECR's.
        target.registry =
            Some("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example".into());
        assert!(!target.is_ecr());
    }

    #[test]
    fn the_github_token_never_shows_in_debug_output() {
        let t = GithubToken {
            token: "ghs_secretvalue".into(),
            actor: Some("octocat".into()),
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("ghs_secretvalue"), "{shown}");
    }
}
