//! ECR control plane calls `hoist push` makes: the registry authorization token, finding or
//! creating a repository (scan on push, tag mutability) and its lifecycle policy.
//! The image data plane (blobs, manifests) is `hoist-registry`'s.

use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability};

use crate::error::AwsError;

/// GetAuthorizationToken's answer. `token` is base64 of `AWS:<password>`; it is a secret and
/// never shown by `Debug`.
#[derive(Clone)]
pub struct AuthorizationToken {
    token: String,
    /// `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`.
    pub proxy_endpoint: String,
    /// Seconds since the epoch. A value in the past is still used for the current run (moto
    /// always answers 2015-01-01); hoist asks for one token per run and never refreshes in a loop.
    pub expires_at: Option<i64>,
}

impl AuthorizationToken {
    /// The base64 `AWS:<password>` token, for Basic auth on the registry.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl std::fmt::Debug for AuthorizationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationToken")
            .field("token", &"<redacted>")
            .field("proxy_endpoint", &self.proxy_endpoint)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A repository as hoist needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub name: String,
    pub uri: String,
    /// Tags cannot be moved or overwritten (`IMMUTABLE`, or `IMMUTABLE_WITH_EXCLUSION`).
    pub immutable_tags: bool,
    pub scan_on_push: bool,
}

/// What to create a missing repository with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepositorySettings {
    pub scan_on_push: bool,
    pub immutable_tags: bool,
    /// The lifecycle policy keeps this many most recent images; older ones expire.
    pub keep_images: u32,
}

/// The ECR client.
#[derive(Debug, Clone)]
pub struct Ecr {
    client: aws_sdk_ecr::Client,
}

impl Ecr {
    #[must_use]
    pub fn new(aws: &crate::Aws) -> Self {
        Self {
            client: aws_sdk_ecr::Client::new(aws.sdk_config()),
        }
    }

    /// `ecr:GetAuthorizationToken` for the account's default registry.
    ///
    /// # Errors
    /// The AWS error (no credentials, AccessDenied, an invalid key).
    pub async fn authorization_token(&self) -> Result<AuthorizationToken, AwsError> {
        const ACTION: &str = "ecr:GetAuthorizationToken";
        let out = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        let data = out
            .authorization_data()
            .first()
            .ok_or_else(|| AwsError::Unexpected {
                action: ACTION,
                detail: "no authorizationData".into(),
            })?;
        let token = data
            .authorization_token()
            .ok_or_else(|| AwsError::Unexpected {
                action: ACTION,
                detail: "no authorizationToken".into(),
            })?
            .to_owned();
        let proxy_endpoint = data
            .proxy_endpoint()
            .ok_or_else(|| AwsError::Unexpected {
                action: ACTION,
                detail: "no proxyEndpoint".into(),
            })?
            .to_owned();
        Ok(AuthorizationToken {
            token,
            proxy_endpoint,
            expires_at: data.expires_at().map(|t| t.secs()),
        })
    }

    /// `ecr:DescribeRepositories` for one name; `None` when it does not exist.
    ///
    /// # Errors
    /// Any AWS error other than RepositoryNotFoundException.
    pub async fn describe_repository(&self, name: &str) -> Result<Option<Repository>, AwsError> {
        const ACTION: &str = "ecr:DescribeRepositories";
        match self
            .client
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.repositories().first().map(repository)),
            Err(e) => {
                let err = AwsError::from_sdk(ACTION, e);
                if err.code() == Some("RepositoryNotFoundException") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// `ecr:CreateRepository`, then `ecr:PutLifecyclePolicy` keeping the last
    /// `keep_images` images.
    ///
    /// # Errors
    /// The AWS error of the call that failed.
    pub async fn create_repository(
        &self,
        name: &str,
        settings: RepositorySettings,
    ) -> Result<Repository, AwsError> {
        let mutability = if settings.immutable_tags {
            ImageTagMutability::Immutable
        } else {
            ImageTagMutability::Mutable
        };
        let out = self
            .client
            .create_repository()
            .repository_name(name)
            .image_tag_mutability(mutability)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(settings.scan_on_push)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecr:CreateRepository", e))?;
        let repo = out
            .repository()
            .map(repository)
            .ok_or_else(|| AwsError::Unexpected {
                action: "ecr:CreateRepository",
                detail: "no repository in the answer".into(),
            })?;
        self.client
            .put_lifecycle_policy()
            .repository_name(name)
            .lifecycle_policy_text(lifecycle_policy(settings.keep_images))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecr:PutLifecyclePolicy", e))?;
        Ok(repo)
    }

    /// Whether repository `repo` exists (`None` when not) and holds tag `tag`.
    ///
    /// # Errors
    /// The AWS error, other than a missing repository or image.
    pub async fn image_tag_exists(&self, repo: &str, tag: &str) -> Result<Option<bool>, AwsError> {
        let res = self
            .client
            .describe_images()
            .repository_name(repo)
            .image_ids(
                aws_sdk_ecr::types::ImageIdentifier::builder()
                    .image_tag(tag)
                    .build(),
            )
            .send()
            .await;
        match res {
            Ok(out) => Ok(Some(!out.image_details().is_empty())),
            Err(e) => {
                let err = AwsError::from_sdk("ecr:DescribeImages", e);
                match err.code() {
                    Some("RepositoryNotFoundException") => Ok(None),
                    Some("ImageNotFoundException") => Ok(Some(false)),
                    _ => Err(err),
                }
            }
        }
    }
}

fn repository(r: &aws_sdk_ecr::types::Repository) -> Repository {
    Repository {
        name: r.repository_name().unwrap_or_default().to_owned(),
        uri: r.repository_uri().unwrap_or_default().to_owned(),
        immutable_tags: r
            .image_tag_mutability()
            .is_some_and(|m| m.as_str().starts_with("IMMUTABLE")),
        scan_on_push: r
            .image_scanning_configuration()
            .is_some_and(ImageScanningConfiguration::scan_on_push),
    }
}

/// Untagged images expire after a day; of the tagged ones the newest `keep` stay. `latest`
/// always sits on the newest image (hoist moves it with every push), so it is never expired.
#[must_use]
pub fn lifecycle_policy(keep: u32) -> String {
    serde_json::json!({
        "rules": [
            {
                "rulePriority": 1,
                "description": "expire untagged images after 1 day",
                "selection": { "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1 },
                "action": { "type": "expire" }
            },
            {
                "rulePriority": 2,
                "description": format!("keep the last {keep} images (SHA tags)"),
                "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep },
                "action": { "type": "expire" }
            }
        ]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let t = AuthorizationToken {
            token: "QVdTOnNlY3JldA==".into(),
            proxy_endpoint: "https://x".into(),
            expires_at: Some(1),
        };
        assert!(!format!("{t:?}").contains("QVdTOnNlY3JldA=="));
    }

    #[test]
    fn lifecycle_policy_keeps_n() {
        let v: serde_json::Value = serde_json::from_str(&lifecycle_policy(30)).unwrap();
        assert_eq!(v["rules"][1]["selection"]["countNumber"], 30);
        assert_eq!(v["rules"][1]["selection"]["tagStatus"], "any");
    }
}
