//! The ECR side of a push: the control plane loaded on first use, the repository (found, or
//! created with scan on push, tag mutability and the lifecycle policy), the registry token
//! (given only to an ECR registry) and AWS errors named the way the guide troubleshoots them.

use std::sync::Arc;

use hoist_aws::AwsError;
use hoist_aws::ecr::{Ecr, Repository, RepositorySettings};

use crate::error::{PushError, source_chain};

/// Finds `name`, creating it when missing.
async fn ensure_repository(
    ecr: &Ecr,
    cfg: &hoist_config::Images,
    name: &str,
    region: &str,
) -> Result<(Repository, bool), PushError> {
    if let Some(r) = ecr
        .describe_repository(name)
        .await
        .map_err(|e| humanize(e, region, Some(name)))?
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
        .map_err(|e| humanize(e, region, Some(name)))?;
    Ok((repo, true))
}

/// An AWS error as the guide's troubleshooting section names it, with the fix.
pub(crate) fn humanize(err: AwsError, region: &str, repository: Option<&str>) -> PushError {
    let (message, hint) = describe(&err, region, repository);
    PushError::Ecr {
        message,
        hint,
        source: Arc::new(err),
    }
}

/// The guide's message and fix for an AWS error.
fn describe(err: &AwsError, region: &str, repository: Option<&str>) -> (String, Option<String>) {
    let (action, code, message) = match err {
        AwsError::Service {
            action,
            code,
            message,
        } => (*action, code.as_str(), message.as_str()),
        AwsError::Transport { action, kind, .. } => {
            if *kind == hoist_aws::ErrorKind::Credentials {
                return (
                    format!("{action} failed: no AWS credentials were found"),
                    Some(String::from(
                        "in GitHub Actions, assume the push role with OIDC (`hoist credentials`) or set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets; locally, set AWS_PROFILE",
                    )),
                );
            }
            return (
                format!(
                    "{action} failed: cannot reach ECR in {region}: {}",
                    source_chain(err)
                ),
                Some(String::from(
                    "check the network and the region; AWS_ENDPOINT_URL overrides the endpoint",
                )),
            );
        }
        AwsError::Unexpected { .. } => return (err.to_string(), None),
    };
    match code {
        "UnrecognizedClientException" | "InvalidClientTokenId" => (
            format!("{action} failed: The AWS Access Key Id you provided does not exist ({code})"),
            Some(String::from(
                "check the AWS_ACCESS_KEY_ID secret (exact name, no extra spaces); the key may have been deleted or deactivated: create a new one with `aws iam create-access-key --user-name github-ecr-push` and update the secrets",
            )),
        ),
        "InvalidSignatureException" | "SignatureDoesNotMatch" => (
            format!(
                "{action} failed: the secret access key does not match the access key id ({code})"
            ),
            Some(String::from(
                "check the AWS_SECRET_ACCESS_KEY secret was copied exactly; a lost secret cannot be recovered: create a new access key",
            )),
        ),
        "ExpiredTokenException" | "ExpiredToken" => (
            format!("{action} failed: the session credentials expired"),
            Some(String::from(
                "assume the role again (`hoist credentials`); long builds need a longer session_duration",
            )),
        ),
        c if c.contains("AccessDenied") => {
            let what = match (action, repository) {
                ("ecr:CreateRepository", Some(r)) => format!(
                    "repository {r:?} does not exist in {region} and the identity may not create it"
                ),
                _ => format!("the identity is not authorized to perform {action}"),
            };
            (
                format!("{what}: {message}"),
                Some(format!(
                    "add \"{action}\" to the push policy (the guide's ecr-push-policy, or the push role's policy from `hoist bootstrap`); also check the region ({region}) is the one the repositories are in"
                )),
            )
        }
        _ => (
            err.to_string(),
            Some(format!(
                "check the credentials (the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets, or the assumed role) and that the policy allows {action}"
            )),
        ),
    }
}

/// The ECR control plane, loaded on first use: a push whose registry never asks for ECR's
/// token and whose repositories already hold its tags makes no AWS call at all (a no-op push
/// to a registry other than ECR), and one that does pays for the SDK set-up only then.
pub struct Control {
    profile: Option<String>,
    region: Option<String>,
    ecr: tokio::sync::OnceCell<(Ecr, String)>,
}

impl Control {
    /// Loads the AWS configuration (`profile`, `region`: the flags, else hoist.toml's
    /// `[aws]`) only when ECR is first asked.
    #[must_use]
    pub fn new(profile: Option<String>, region: Option<String>) -> Self {
        Self {
            profile,
            region,
            ecr: tokio::sync::OnceCell::new(),
        }
    }

    /// From an AWS configuration loaded already (doctor's).
    #[must_use]
    pub fn from_aws(aws: &hoist_aws::Aws) -> Self {
        let ecr = aws.region().map(|region| (Ecr::new(aws), region));
        Self {
            profile: None,
            region: None,
            ecr: tokio::sync::OnceCell::new_with(ecr),
        }
    }

    /// The ECR client and the region it talks to.
    async fn ecr(&self) -> Result<&(Ecr, String), PushError> {
        self.ecr
            .get_or_try_init(|| async {
                let aws =
                    hoist_aws::Aws::load(self.profile.as_deref(), self.region.as_deref()).await;
                let Some(region) = aws.region() else {
                    return Err(PushError::NoRegion);
                };
                Ok((Ecr::new(&aws), region))
            })
            .await
    }

    /// `ecr:GetAuthorizationToken`, named the guide's way when it fails.
    pub(crate) async fn token(&self) -> Result<hoist_aws::ecr::AuthorizationToken, PushError> {
        let (ecr, region) = self.ecr().await?;
        ecr.authorization_token()
            .await
            .map_err(|e| humanize(e, region, None))
    }

    /// Finds `name` in ECR, creating it with the configured settings when missing; whether
    /// it was created.
    ///
    /// # Errors
    /// When ECR refuses or cannot be reached, named the guide's way.
    /// The repository `name`, if it exists (read only).
    ///
    /// # Errors
    /// ECR's error, named as the guide's troubleshooting names it.
    pub async fn find_repository(&self, name: &str) -> Result<Option<Repository>, PushError> {
        let (ecr, region) = self.ecr().await?;
        ecr.describe_repository(name)
            .await
            .map_err(|e| humanize(e, region, Some(name)))
    }

    pub async fn ensure_repository(
        &self,
        cfg: &hoist_config::Images,
        name: &str,
    ) -> Result<(Repository, bool), PushError> {
        let (ecr, region) = self.ecr().await?;
        ensure_repository(ecr, cfg, name, region).await
    }
}

/// Registry credentials from ECR's token, fetched when the registry first asks (a 401).
/// Only ever given to an ECR registry, and never to a token realm on another origin.
pub(crate) struct EcrCredentials(pub(crate) Arc<Control>);

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

/// The registry's Basic credentials inside ECR's token.
pub(crate) fn basic_auth(
    token: &hoist_aws::ecr::AuthorizationToken,
) -> Result<hoist_registry::BasicAuth, PushError> {
    hoist_registry::BasicAuth::from_base64_token(token.token())
        .map_err(|detail| PushError::EcrToken { detail })
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
    fn access_denied_names_the_missing_action() {
        let f = describe(
            &svc("ecr:CreateRepository", "AccessDeniedException"),
            "ca-central-1",
            Some("web"),
        );
        assert!(f.0.contains("repository \"web\" does not exist"), "{}", f.0);
        assert!(f.1.unwrap().contains("\"ecr:CreateRepository\""));
        let f = describe(
            &svc("ecr:GetAuthorizationToken", "AccessDeniedException"),
            "ca-central-1",
            None,
        );
        assert!(f.0.contains("not authorized to perform ecr:GetAuthorizationToken"));
    }

    #[test]
    fn invalid_keys_say_what_the_guide_says() {
        let f = describe(
            &svc("ecr:GetAuthorizationToken", "UnrecognizedClientException"),
            "r",
            None,
        );
        assert!(f.0.contains("The AWS Access Key Id you provided does not exist"));
        let f = describe(
            &svc("ecr:GetAuthorizationToken", "InvalidSignatureException"),
            "r",
            None,
        );
        assert!(f.1.unwrap().contains("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn missing_credentials_and_transport() {
        let f = describe(
            &AwsError::Transport {
                action: "ecr:GetAuthorizationToken",
                kind: hoist_aws::ErrorKind::Credentials,
                source: "no credentials in the chain".into(),
            },
            "r",
            None,
        );
        assert!(f.0.contains("no AWS credentials"));
        let f = describe(
            &AwsError::Transport {
                action: "ecr:GetAuthorizationToken",
                kind: hoist_aws::ErrorKind::Unreachable,
                source: "connection refused".into(),
            },
            "r",
            None,
        );
        assert!(f.0.contains("cannot reach ECR"));
    }
}
