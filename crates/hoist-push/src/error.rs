//! What can stop one image's push (or the whole run), typed by the boundary it came from.
//! Each variant's text is the sentence a user reads, worded the way the ECR guide's
//! troubleshooting names the problem; [`PushError::hint`] says how to fix it. Causes stay
//! reachable through `source()`. The error is `Clone` (causes are shared) because one failed
//! export fails every image it carried.

use std::path::PathBuf;
use std::sync::Arc;

use hoist_aws::AwsError;
use hoist_docker::DockerError;
use hoist_registry::RegistryError;

/// Why a push (or part of it) failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PushError {
    /// A request to the registry failed; `message` names it the guide's way.
    #[error("{message}")]
    Registry {
        message: String,
        hint: Option<String>,
        #[source]
        source: Arc<RegistryError>,
    },
    /// The registry asked for credentials and their source failed with an error of its own.
    #[error("cannot get the registry's credentials: {detail}")]
    Credentials { detail: String },
    /// The registry URL (`HOIST_REGISTRY`, `[images] registry`) cannot be used: bad input.
    #[error("{source}")]
    RegistryUrl {
        #[source]
        source: Arc<RegistryError>,
    },
    /// An ECR control-plane call (`GetAuthorizationToken`, `DescribeRepositories`,
    /// `CreateRepository`) failed.
    #[error("{message}")]
    Ecr {
        message: String,
        hint: Option<String>,
        #[source]
        source: Arc<AwsError>,
    },
    /// The AWS configuration names no region, so ECR cannot be asked.
    #[error("no AWS region")]
    NoRegion,
    /// `GetAuthorizationToken` answered with a token that is not base64 `user:password`.
    #[error("ecr:GetAuthorizationToken returned an unusable token: {detail}")]
    EcrToken { detail: String },
    /// ECR refuses to move a tag of an IMMUTABLE repository; nothing was sent.
    #[error(
        "repository {repository:?} has IMMUTABLE tags and tag {tag:?} already points at other content; ECR would refuse the push"
    )]
    ImmutableTag { repository: String, tag: String },
    /// The Docker engine did not answer or failed a request.
    #[error("{message}")]
    Docker {
        message: String,
        hint: Option<String>,
        #[source]
        source: Arc<DockerError>,
    },
    /// The engine described an image with something that is not a digest.
    #[error("the engine describes {image} oddly: {detail}")]
    EngineImage { image: String, detail: String },
    /// The engine's image was built for another platform than the one the service asks for
    /// (an image built earlier under the same name, or a builder that ignored `platform:`).
    #[error("service {service}: image {image} is built for {built}, not {wanted}")]
    WrongPlatform {
        service: String,
        image: String,
        built: String,
        wanted: String,
    },
    /// A task of the push (the engine connection, the export) ended without an answer.
    #[error("{what} failed: {detail}")]
    Task { what: &'static str, detail: String },
    /// The private scratch directory for spooled layers could not be made.
    #[error("cannot create a scratch directory in {}: {source}", dir.display())]
    ScratchDir {
        dir: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl PushError {
    /// How to fix it, when hoist knows.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Registry { hint, .. } | Self::Ecr { hint, .. } | Self::Docker { hint, .. } => {
                hint.clone()
            }
            Self::RegistryUrl { .. } => Some(
                "set HOIST_REGISTRY or [images] registry to a URL such as https://ACCOUNT.dkr.ecr.REGION.amazonaws.com (plain http:// only for a registry on this machine)".into(),
            ),
            Self::NoRegion => Some(
                "set AWS_REGION (a repository variable in GitHub: Settings → Secrets and variables → Actions → Variables), or region in [aws] of hoist.toml".into(),
            ),
            Self::ImmutableTag { repository, .. } => Some(format!(
                "push only SHA tags (tags = [\"{{sha}}\"] in [images]) from reproducible builds, or make the tags mutable: `aws ecr put-image-tag-mutability --repository-name {repository} --image-tag-mutability MUTABLE`"
            )),
            Self::WrongPlatform { wanted, .. } => Some(format!(
                "rebuild it for {wanted}: `docker compose build` (with BuildKit, DOCKER_BUILDKIT=1, on an engine that can run or emulate {wanted}), or change the service's `platform:` / `[images] platform` to what the tasks run on"
            )),
            Self::Credentials { .. }
            | Self::EcrToken { .. }
            | Self::EngineImage { .. }
            | Self::Task { .. }
            | Self::ScratchDir { .. } => None,
        }
    }

    /// What the user gave cannot be used (exit 2), rather than an operation failing.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::RegistryUrl { .. })
    }
}

/// The causes of `err` joined by `: ` (the text some messages end with).
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

    #[test]
    fn immutable_tags_name_the_repository_and_the_fix() {
        let e = PushError::ImmutableTag {
            repository: "web".into(),
            tag: "latest".into(),
        };
        assert_eq!(
            e.to_string(),
            "repository \"web\" has IMMUTABLE tags and tag \"latest\" already points at other content; ECR would refuse the push"
        );
        assert!(e.hint().unwrap().contains("--repository-name web "));
        assert!(!e.is_bad_input());
    }

    #[test]
    fn causes_stay_reachable() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = PushError::ScratchDir {
            dir: "/tmp".into(),
            source: Arc::new(io),
        };
        assert_eq!(
            e.to_string(),
            "cannot create a scratch directory in /tmp: denied"
        );
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), "denied");
    }
}
