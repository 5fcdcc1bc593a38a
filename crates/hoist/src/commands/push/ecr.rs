//! The ECR side of a push: the repository (found, or created with scan on push, tag
//! mutability and the lifecycle policy) and errors named the way the guide troubleshoots them.

use hoist_aws::AwsError;
use hoist_aws::ecr::{Ecr, Repository, RepositorySettings};

use crate::exit::Failed;

/// Finds `name`, creating it when missing.
pub(crate) async fn ensure_repository(
    ecr: &Ecr,
    cfg: &hoist_config::Images,
    name: &str,
    region: &str,
) -> Result<(Repository, bool), Failed> {
    if let Some(r) = ecr
        .describe_repository(name)
        .await
        .map_err(|e| humanize(&e, region, Some(name)))?
    {
        return Ok((r, false));
    }
    let settings = RepositorySettings {
        scan_on_push: cfg.scan_on_push,
        immutable_tags: cfg.tag_mutability == hoist_config::TagMutability::Immutable,
        keep_images: cfg.keep_sha_tags,
    };
    let repo = ecr
        .create_repository(name, settings)
        .await
        .map_err(|e| humanize(&e, region, Some(name)))?;
    Ok((repo, true))
}

/// An AWS error as the guide's troubleshooting section names it, with the fix.
pub(crate) fn humanize(err: &AwsError, region: &str, repository: Option<&str>) -> Failed {
    let (action, code, message) = match err {
        AwsError::Service {
            action,
            code,
            message,
        } => (*action, code.as_str(), message.as_str()),
        AwsError::Transport { action, kind, .. } => {
            if *kind == hoist_aws::ErrorKind::Credentials {
                return Failed::new(format!("{action} failed: no AWS credentials were found"))
                    .hint("in GitHub Actions, assume the push role with OIDC (`hoist credentials`) or set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets; locally, set AWS_PROFILE");
            }
            return Failed::new(format!(
                "{action} failed: cannot reach ECR in {region}: {}",
                source_chain(err)
            ))
            .hint("check the network and the region; AWS_ENDPOINT_URL overrides the endpoint");
        }
        AwsError::Unexpected { .. } => return Failed::new(err.to_string()),
    };
    match code {
        "UnrecognizedClientException" | "InvalidClientTokenId" => Failed::new(format!(
            "{action} failed: The AWS Access Key Id you provided does not exist ({code})"
        ))
        .hint("check the AWS_ACCESS_KEY_ID secret (exact name, no extra spaces); the key may have been deleted or deactivated: create a new one with `aws iam create-access-key --user-name github-ecr-push` and update the secrets"),
        "InvalidSignatureException" | "SignatureDoesNotMatch" => Failed::new(format!(
            "{action} failed: the secret access key does not match the access key id ({code})"
        ))
        .hint("check the AWS_SECRET_ACCESS_KEY secret was copied exactly; a lost secret cannot be recovered: create a new access key"),
        "ExpiredTokenException" | "ExpiredToken" => Failed::new(format!("{action} failed: the session credentials expired"))
            .hint("assume the role again (`hoist credentials`); long builds need a longer session_duration"),
        c if c.contains("AccessDenied") => {
            let what = match (action, repository) {
                ("ecr:CreateRepository", Some(r)) => format!("repository {r:?} does not exist in {region} and the identity may not create it"),
                _ => format!("the identity is not authorized to perform {action}"),
            };
            Failed::new(format!("{what}: {message}")).hint(format!(
                "add \"{action}\" to the push policy (the guide's ecr-push-policy, or the push role's policy from `hoist bootstrap`); also check the region ({region}) is the one the repositories are in"
            ))
        }
        _ => Failed::new(err.to_string()).hint(format!(
            "check the credentials (the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets, or the assumed role) and that the policy allows {action}"
        )),
    }
}

/// The ECR control plane, loaded on first use: a push whose registry never asks for ECR's
/// token and whose repositories already hold its tags makes no AWS call at all (a no-op push
/// to a registry other than ECR), and one that does pays for the SDK set-up only then.
pub(crate) struct Control {
    profile: Option<String>,
    region: Option<String>,
    ecr: tokio::sync::OnceCell<(Ecr, String)>,
}

impl Control {
    pub(crate) fn new(settings: &crate::settings::Settings, config: &hoist_config::Config) -> Self {
        let profile = settings
            .profile
            .clone()
            .or_else(|| config.aws.profile.clone());
        let region = settings
            .region
            .clone()
            .or_else(|| Some(config.aws.region.clone()));
        Self {
            profile,
            region,
            ecr: tokio::sync::OnceCell::new(),
        }
    }

    /// From an AWS configuration loaded already (doctor's).
    pub(crate) fn from_aws(aws: &hoist_aws::Aws) -> Self {
        let ecr = aws.region().map(|region| (Ecr::new(aws), region));
        Self {
            profile: None,
            region: None,
            ecr: tokio::sync::OnceCell::new_with(ecr),
        }
    }

    /// The ECR client and the region it talks to.
    pub(crate) async fn ecr(&self) -> Result<&(Ecr, String), Failed> {
        self.ecr
            .get_or_try_init(|| async {
                let aws = hoist_aws::Aws::load(self.profile.as_deref(), self.region.as_deref()).await;
                let Some(region) = aws.region() else {
                    return Err(Failed::new("no AWS region").hint(
                        "set AWS_REGION (a repository variable in GitHub: Settings → Secrets and variables → Actions → Variables), or region in [aws] of hoist.toml",
                    ));
                };
                Ok((Ecr::new(&aws), region))
            })
            .await
    }

    /// `ecr:GetAuthorizationToken`, named the guide's way when it fails.
    async fn token(&self) -> Result<hoist_aws::ecr::AuthorizationToken, Failed> {
        let (ecr, region) = self.ecr().await?;
        ecr.authorization_token()
            .await
            .map_err(|e| humanize(&e, region, None))
    }

    /// Finds `name` in ECR, creating it with the configured settings when missing.
    pub(crate) async fn ensure_repository(
        &self,
        cfg: &hoist_config::Images,
        name: &str,
    ) -> Result<(Repository, bool), Failed> {
        let (ecr, region) = self.ecr().await?;
        ensure_repository(ecr, cfg, name, region).await
    }
}

/// Registry credentials from ECR's token, fetched when the registry first asks (a 401).
/// Only ever given to an ECR registry, and never to a token realm on another origin.
struct EcrCredentials(std::sync::Arc<Control>);

impl hoist_registry::CredentialSource for EcrCredentials {
    fn fetch(
        &self,
    ) -> futures::future::BoxFuture<
        '_,
        Result<hoist_registry::BasicAuth, hoist_registry::CredentialError>,
    > {
        Box::pin(async move {
            let token = self.0.token().await?;
            Ok(basic_auth(&token)?)
        })
    }

    fn may_send_to_realm(
        &self,
        realm: &hoist_registry::Url,
        registry: &hoist_registry::Url,
    ) -> bool {
        hoist_registry::same_origin(realm, registry)
    }
}

fn basic_auth(
    token: &hoist_aws::ecr::AuthorizationToken,
) -> Result<hoist_registry::BasicAuth, Failed> {
    hoist_registry::BasicAuth::from_base64_token(token.token()).map_err(|e| {
        Failed::new(format!(
            "ecr:GetAuthorizationToken returned an unusable token: {e}"
        ))
    })
}

/// The registry images go to: `HOIST_REGISTRY`, else `[images] registry`, else ECR's (the
/// endpoint GetAuthorizationToken names, or `HOIST_ECR_REGISTRY_URL`). Credentials are asked
/// for only when the registry challenges: ECR's token for an ECR registry (its host is
/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com`), the Docker configuration or `GITHUB_TOKEN` for
/// any other. Without any URL, the token comes first (it names the URL). Nothing is sent yet:
/// the first request tells whether the registry answers.
pub(crate) async fn connect(
    control: &std::sync::Arc<Control>,
    images: &hoist_config::Images,
    reporter: std::sync::Arc<dyn hoist_registry::Reporter>,
) -> anyhow::Result<(hoist_registry::Client, String)> {
    let overridden =
        crate::env_vars::get(crate::env_vars::HOIST_REGISTRY).or_else(|| images.registry.clone());
    let ecr_url = crate::env_vars::get(crate::env_vars::HOIST_ECR_REGISTRY_URL);
    let (registry_url, auth) = match (overridden, ecr_url) {
        (Some(url), _) | (None, Some(url)) => (url, None),
        (None, None) => {
            let token = control.token().await?;
            let auth = basic_auth(&token)?;
            (token.proxy_endpoint.clone(), Some(auth))
        }
    };
    let client = hoist_registry::Client::new(&registry_url, auth, reporter).map_err(|e| {
        crate::exit::BadInput::new(e.to_string())
            .hint("set HOIST_REGISTRY or [images] registry to a URL such as https://ACCOUNT.dkr.ecr.REGION.amazonaws.com (plain http:// only for a registry on this machine)")
    })?;
    let client = if is_ecr_registry(images) {
        client.with_credentials_on_challenge(std::sync::Arc::new(EcrCredentials(control.clone())))
    } else {
        let source = super::credentials::OtherRegistry::new(&client.host());
        client.with_credentials_on_challenge(std::sync::Arc::new(source))
    };
    Ok((client, registry_url))
}

/// Whether images go to ECR: no registry override, or one whose host is ECR's. Only then is
/// ECR's token sent, and repositories looked up and created through ECR's API.
pub(crate) fn is_ecr_registry(images: &hoist_config::Images) -> bool {
    let overridden =
        crate::env_vars::get(crate::env_vars::HOIST_REGISTRY).or_else(|| images.registry.clone());
    match overridden {
        None => true,
        Some(url) => host_of(&url).is_some_and(|h| hoist_registry::is_ecr_host(&h)),
    }
}

/// Whether the registry images are pushed to is not ECR's own endpoint.
pub(crate) fn registry_overridden(images: &hoist_config::Images) -> bool {
    crate::env_vars::get(crate::env_vars::HOIST_REGISTRY).is_some() || images.registry.is_some()
}

/// A registry error as a failure with its fix: ECR's own failures (credentials) keep the
/// guide's wording, a refused token and an unreachable registry say what to check.
pub(crate) fn registry_failure(err: hoist_registry::RegistryError, url: &str) -> Failed {
    use hoist_registry::RegistryError as E;
    match err {
        E::Credentials { source } => match source.downcast::<Failed>() {
            Ok(f) => *f,
            Err(other) => Failed::new(format!("cannot get the registry's credentials: {other}")),
        },
        E::Unauthorized { .. } if is_ecr_url(url) => Failed::new(format!("the registry at {url} refused the ECR token"))
            .hint("the token is for the account and region of the credentials: check HOIST_REGISTRY / [images] registry names the same account's registry"),
        E::Unauthorized { method, url: refused_at } => {
            let host = host_of(url).unwrap_or_else(|| url.to_owned());
            Failed::new(format!(
                "the registry at {url} wants credentials and refused what hoist had ({method} {refused_at} answered 401)"
            ))
            .hint(format!(
                "run `docker login {host}` (hoist reads the Docker configuration: credHelpers, credsStore, auths in $DOCKER_CONFIG or ~/.docker), or set GITHUB_TOKEN for ghcr.io"
            ))
        }
        E::Unreachable { .. } => Failed::new(format!("{err}: {}", source_chain(&err)))
            .hint("check the network (ECR needs HTTPS to *.dkr.ecr.REGION.amazonaws.com); HOIST_REGISTRY or [images] registry overrides the URL"),
        other => Failed::new(other.to_string()),
    }
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

/// Whether images sent to `url` go to ECR: an ECR host, or the URL `HOIST_ECR_REGISTRY_URL`
/// names for ECR's registry.
fn is_ecr_url(url: &str) -> bool {
    host_of(url).is_some_and(|h| hoist_registry::is_ecr_host(&h))
        || crate::env_vars::get(crate::env_vars::HOIST_ECR_REGISTRY_URL).as_deref() == Some(url)
}

pub(crate) fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut s = err.source();
    while let Some(e) = s {
        parts.push(e.to_string());
        s = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(action: &'static str, code: &str) -> AwsError {
        AwsError::Service {
            action,
            code: code.into(),
            message: "User: arn:aws:iam::123456789012:user/github-ecr-push is not authorized"
                .into(),
        }
    }

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
        assert!(is_ecr_url("123456789012.dkr.ecr.eu-west-1.amazonaws.com"));
        assert!(!is_ecr_url("https://ghcr.io"));
    }

    #[test]
    fn access_denied_names_the_missing_action() {
        let f = humanize(
            &svc("ecr:CreateRepository", "AccessDeniedException"),
            "ca-central-1",
            Some("web"),
        );
        assert!(
            f.message.contains("repository \"web\" does not exist"),
            "{}",
            f.message
        );
        assert!(f.hint.unwrap().contains("\"ecr:CreateRepository\""));
        let f = humanize(
            &svc("ecr:GetAuthorizationToken", "AccessDeniedException"),
            "ca-central-1",
            None,
        );
        assert!(
            f.message
                .contains("not authorized to perform ecr:GetAuthorizationToken")
        );
    }

    #[test]
    fn invalid_keys_say_what_the_guide_says() {
        let f = humanize(
            &svc("ecr:GetAuthorizationToken", "UnrecognizedClientException"),
            "r",
            None,
        );
        assert!(
            f.message
                .contains("The AWS Access Key Id you provided does not exist")
        );
        let f = humanize(
            &svc("ecr:GetAuthorizationToken", "InvalidSignatureException"),
            "r",
            None,
        );
        assert!(f.hint.unwrap().contains("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn missing_credentials_and_transport() {
        let f = humanize(
            &AwsError::Transport {
                action: "ecr:GetAuthorizationToken",
                kind: hoist_aws::ErrorKind::Credentials,
                source: "no credentials in the chain".into(),
            },
            "r",
            None,
        );
        assert!(f.message.contains("no AWS credentials"));
        let f = humanize(
            &AwsError::Transport {
                action: "ecr:GetAuthorizationToken",
                kind: hoist_aws::ErrorKind::Unreachable,
                source: "connection refused".into(),
            },
            "r",
            None,
        );
        assert!(f.message.contains("cannot reach ECR"));
    }
}
