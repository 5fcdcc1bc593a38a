//! A failure while reading or applying: the library error itself, handed to the renderer
//! (`diagnostics`) whole, so its hint (the IAM action an `AccessDenied` lacks and the identity
//! AWS names, or the sign-in command when there are no credentials) comes from its kind.

use hoist_aws::AwsError;

/// A failure while reading or applying.
#[derive(Debug, thiserror::Error)]
pub(super) enum Failure {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Github(#[from] hoist_github::GithubError),
    #[error("the plan has GitHub changes but no GitHub token is available")]
    NoGithub,
}

impl Failure {
    /// The error to return: the library error itself (not this transparent wrapper), so the
    /// renderer finds it in the chain.
    pub(super) fn into_error(self) -> anyhow::Error {
        match self {
            Self::Aws(e) => e.into(),
            Self::Github(e) => e.into(),
            Self::NoGithub => anyhow::Error::new(self),
        }
    }
}
