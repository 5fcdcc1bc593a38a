//! The ECR side of a push: the repository (found, or created with scan on push, tag
//! mutability and the lifecycle policy) and errors named the way the guide troubleshoots them.

use hoist_aws::AwsError;
use hoist_aws::ecr::{Ecr, Repository, RepositorySettings};

use crate::exit::Failed;

/// Finds `name`, creating it when missing.
pub(crate) async fn ensure_repository(ecr: &Ecr, cfg: &hoist_config::Images, name: &str, region: &str) -> Result<(Repository, bool), Failed> {
    if let Some(r) = ecr.describe_repository(name).await.map_err(|e| humanize(&e, region, Some(name)))? {
        return Ok((r, false));
    }
    let settings = RepositorySettings {
        scan_on_push: cfg.scan_on_push,
        immutable_tags: cfg.tag_mutability == hoist_config::TagMutability::Immutable,
        keep_images: cfg.keep_sha_tags,
    };
    let repo = ecr.create_repository(name, settings).await.map_err(|e| humanize(&e, region, Some(name)))?;
    Ok((repo, true))
}

/// An AWS error as the guide's troubleshooting section names it, with the fix.
pub(crate) fn humanize(err: &AwsError, region: &str, repository: Option<&str>) -> Failed {
    let (action, code, message) = match err {
        AwsError::Service { action, code, message } => (*action, code.as_str(), message.as_str()),
        AwsError::Transport { action, detail } => {
            let lower = detail.to_lowercase();
            if lower.contains("credential") {
                return Failed::new(format!("{action} failed: no AWS credentials were found"))
                    .hint("in GitHub Actions, assume the push role with OIDC (`hoist credentials`) or set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets; locally, set AWS_PROFILE");
            }
            if lower.contains("region") {
                return Failed::new(format!("{action} failed: no AWS region"))
                    .hint("set AWS_REGION (a repository *variable*, not a secret), or region in [aws] of hoist.toml");
            }
            return Failed::new(format!("{action} failed: cannot reach ECR in {region}: {detail}"))
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

/// The registry did not answer `GET /v2/`.
/// The registry images go to, logged in with ECR's token: `HOIST_REGISTRY`, else `[images]
/// registry`, else the ECR endpoint GetAuthorizationToken names. Answers before returning.
pub(crate) async fn connect(
    ecr: &Ecr,
    images: &hoist_config::Images,
    region: &str,
    reporter: std::sync::Arc<dyn hoist_registry::Reporter>,
) -> anyhow::Result<(hoist_registry::Client, String)> {
    let token = ecr.authorization_token().await.map_err(|e| humanize(&e, region, None))?;
    let registry_url = crate::env_vars::get(crate::env_vars::HOIST_REGISTRY)
        .or_else(|| images.registry.clone())
        .unwrap_or_else(|| token.proxy_endpoint.clone());
    let auth = hoist_registry::BasicAuth::from_base64_token(token.token())
        .map_err(|e| Failed::new(format!("ecr:GetAuthorizationToken returned an unusable token: {e}")))?;
    let client = hoist_registry::Client::new(&registry_url, Some(auth), reporter).map_err(|e| {
        crate::exit::BadInput::new(e.to_string())
            .hint("set HOIST_REGISTRY or [images] registry to a URL such as https://ACCOUNT.dkr.ecr.REGION.amazonaws.com")
    })?;
    client.ping().await.map_err(|e| registry_unreachable(e, &registry_url))?;
    Ok((client, registry_url))
}

/// Whether the registry images are pushed to is not ECR's own endpoint.
pub(crate) fn registry_overridden(images: &hoist_config::Images) -> bool {
    crate::env_vars::get(crate::env_vars::HOIST_REGISTRY).is_some() || images.registry.is_some()
}

pub(crate) fn registry_unreachable(err: hoist_registry::RegistryError, url: &str) -> Failed {
    match err {
        hoist_registry::RegistryError::Unauthorized { .. } => Failed::new(format!("the registry at {url} refused the ECR token"))
            .hint("the token is for the account and region of the credentials: check HOIST_REGISTRY / [images] registry names the same account's registry"),
        other => Failed::new(format!("{other}: {}", source_chain(&other)))
            .hint("check the network (ECR needs HTTPS to *.dkr.ecr.REGION.amazonaws.com); HOIST_REGISTRY or [images] registry overrides the URL"),
    }
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
        AwsError::Service { action, code: code.into(), message: "User: arn:aws:iam::123456789012:user/github-ecr-push is not authorized".into() }
    }

    #[test]
    fn access_denied_names_the_missing_action() {
        let f = humanize(&svc("ecr:CreateRepository", "AccessDeniedException"), "ca-central-1", Some("web"));
        assert!(f.message.contains("repository \"web\" does not exist"), "{}", f.message);
        assert!(f.hint.unwrap().contains("\"ecr:CreateRepository\""));
        let f = humanize(&svc("ecr:GetAuthorizationToken", "AccessDeniedException"), "ca-central-1", None);
        assert!(f.message.contains("not authorized to perform ecr:GetAuthorizationToken"));
    }

    #[test]
    fn invalid_keys_say_what_the_guide_says() {
        let f = humanize(&svc("ecr:GetAuthorizationToken", "UnrecognizedClientException"), "r", None);
        assert!(f.message.contains("The AWS Access Key Id you provided does not exist"));
        let f = humanize(&svc("ecr:GetAuthorizationToken", "InvalidSignatureException"), "r", None);
        assert!(f.hint.unwrap().contains("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn missing_credentials_and_transport() {
        let f = humanize(&AwsError::Transport { action: "ecr:GetAuthorizationToken", detail: "failed to construct request: No credentials in the chain".into() }, "r", None);
        assert!(f.message.contains("no AWS credentials"));
        let f = humanize(&AwsError::Transport { action: "ecr:GetAuthorizationToken", detail: "dispatch failure: connection refused".into() }, "r", None);
        assert!(f.message.contains("cannot reach ECR"));
    }
}
