//! Errors from AWS calls, keeping the action, AWS's error code and message.

/// An AWS call that failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// AWS answered with an error: `code` is AWS's (such as `AccessDenied`, `NoSuchEntity`).
    #[error("{action} failed: {code}: {message}")]
    Service {
        action: &'static str,
        code: String,
        message: String,
    },
    /// The request did not get an answer (endpoint unreachable, timeout, credentials chain).
    #[error("{action} failed: {detail}")]
    Transport {
        action: &'static str,
        detail: String,
    },
    /// The answer could not be used.
    #[error("{action}: unexpected response: {detail}")]
    Unexpected {
        action: &'static str,
        detail: String,
    },
}

impl AwsError {
    /// AWS's error code, when AWS answered.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the failure is a missing permission.
    #[must_use]
    pub fn is_access_denied(&self) -> bool {
        self.code()
            .is_some_and(|c| c.contains("AccessDenied") || c == "UnauthorizedOperation")
    }

    /// Builds an [`AwsError`] from any SDK error, keeping AWS's code and message.
    pub fn from_sdk<E, R>(
        action: &'static str,
        err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) -> Self
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match err {
            aws_smithy_runtime_api::client::result::SdkError::ServiceError(se) => {
                let e = se.into_err();
                Self::Service {
                    action,
                    code: e.code().unwrap_or("Unknown").to_owned(),
                    message: e.message().unwrap_or_default().to_owned(),
                }
            }
            other => Self::Transport {
                action,
                detail: display_chain(&other),
            },
        }
    }
}

/// The error and its sources on one line.
fn display_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
