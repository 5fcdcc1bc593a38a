//! Errors from AWS calls: the failed action, and what AWS (or the SDK, when no answer came)
//! said, with a typed [`ErrorKind`] classified from the SDK's error metadata so callers and the
//! binary's renderer match on kinds instead of reading messages.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What went wrong, in the terms a fix is chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// IAM refused the call (`AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation`).
    AccessDenied,
    /// No credentials could be had (the SDK's credential chain failed: no profile, an SSO
    /// session that expired, …), or AWS refused the ones sent as unknown or expired
    /// (`ExpiredToken`, `InvalidClientTokenId`, `SignatureDoesNotMatch`, …).
    Credentials,
    /// No answer from the endpoint: an unknown region's host does not resolve, a wrong
    /// `AWS_ENDPOINT_URL`, no network.
    Unreachable,
    /// AWS throttled the call or a rate quota is spent (the SDK's own list of throttling codes).
    Throttling,
    /// The named resource does not exist (`NoSuch*`, `*NotFound*`).
    NotFound,
    /// AWS refused the request's content (`ValidationError`, `InvalidParameter*`, `Malformed*`).
    Validation,
    /// The request failed before an answer for another reason (timeout, I/O, endpoint
    /// resolution, request construction).
    Transport,
    /// Any other answer.
    Other,
}

/// An AWS call that failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// AWS answered with an error: `code` and `message` are AWS's own (such as `AccessDenied`,
    /// `NoSuchEntity`); [`AwsError::kind`] classifies the code.
    #[error("{action} failed: {code}: {message}")]
    Service {
        action: &'static str,
        code: String,
        message: String,
    },
    /// The request did not get an answer; `source` is the SDK's error.
    #[error("{action} failed: {}", transport_summary(*kind))]
    Transport {
        action: &'static str,
        kind: ErrorKind,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The answer could not be used.
    #[error("{action}: unexpected response: {detail}")]
    Unexpected {
        action: &'static str,
        detail: String,
    },
}

fn transport_summary(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Credentials => "no usable AWS credentials",
        ErrorKind::Unreachable => "AWS did not answer",
        _ => "the request did not complete",
    }
}

impl AwsError {
    /// The IAM-style action that failed (`iam:CreateRole`).
    #[must_use]
    pub fn action(&self) -> &'static str {
        match self {
            Self::Service { action, .. }
            | Self::Transport { action, .. }
            | Self::Unexpected { action, .. } => action,
        }
    }

    /// AWS's error code, when AWS answered.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// AWS's error message, when AWS answered.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Service { message, .. } => Some(message),
            _ => None,
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Service { code, .. } => kind_of_code(code),
            Self::Transport { kind, .. } => *kind,
            Self::Unexpected { .. } => ErrorKind::Other,
        }
    }

    /// Whether the failure is a missing permission.
    #[must_use]
    pub fn is_access_denied(&self) -> bool {
        self.kind() == ErrorKind::AccessDenied
    }

    /// Builds an [`AwsError`] from any SDK error: AWS's code and message when it answered,
    /// else the SDK's error itself as the source, classified.
    pub fn from_sdk<E, R>(action: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match err {
            SdkError::ServiceError(se) => {
                let e = se.into_err();
                Self::Service {
                    action,
                    code: e.code().unwrap_or("Unknown").to_owned(),
                    message: e.message().unwrap_or_default().to_owned(),
                }
            }
            other => Self::Transport {
                action,
                kind: kind_of_transport(&other),
                source: Box::new(other),
            },
        }
    }
}

/// The kind of an error AWS answered with, from its code.
#[must_use]
pub fn kind_of_code(code: &str) -> ErrorKind {
    const DENIED: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
    ];
    const CREDENTIALS: &[&str] = &[
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "AuthFailure",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
        "IncompleteSignature",
    ];
    const VALIDATION: &[&str] = &[
        "ValidationError",
        "ValidationException",
        "InvalidInput",
        "InvalidRequest",
        "InvalidRequestException",
        "MalformedPolicyDocument",
        "MalformedPolicyDocumentException",
    ];
    if DENIED.contains(&code) {
        ErrorKind::AccessDenied
    } else if CREDENTIALS.contains(&code) {
        ErrorKind::Credentials
    } else if aws_runtime::retries::classifiers::THROTTLING_ERRORS.contains(&code) {
        ErrorKind::Throttling
    } else if code.starts_with("NoSuch") || code.contains("NotFound") {
        ErrorKind::NotFound
    } else if VALIDATION.contains(&code)
        || code.starts_with("InvalidParameter")
        || code.starts_with("Malformed")
    {
        ErrorKind::Validation
    } else {
        ErrorKind::Other
    }
}

/// The kind of a failure without an answer: the credential chain's own error type when it is
/// in the chain, else the connector's classification (I/O: nothing answered).
fn kind_of_transport<E, R>(err: &SdkError<E, R>) -> ErrorKind
where
    E: StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(c) = cause {
        if c.downcast_ref::<CredentialsError>().is_some() {
            return ErrorKind::Credentials;
        }
        cause = c.source();
    }
    match err {
        SdkError::DispatchFailure(d) if d.is_io() => ErrorKind::Unreachable,
        _ => ErrorKind::Transport,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify_by_the_sdk_metadata() {
        let table = [
            ("AccessDenied", ErrorKind::AccessDenied),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("UnauthorizedOperation", ErrorKind::AccessDenied),
            ("ExpiredToken", ErrorKind::Credentials),
            ("InvalidClientTokenId", ErrorKind::Credentials),
            ("UnrecognizedClientException", ErrorKind::Credentials),
            ("SignatureDoesNotMatch", ErrorKind::Credentials),
            ("Throttling", ErrorKind::Throttling),
            ("ThrottlingException", ErrorKind::Throttling),
            ("RequestLimitExceeded", ErrorKind::Throttling),
            ("NoSuchEntity", ErrorKind::NotFound),
            ("RepositoryNotFoundException", ErrorKind::NotFound),
            ("ParameterNotFound", ErrorKind::NotFound),
            ("InvalidGroup.NotFound", ErrorKind::NotFound),
            ("DBInstanceNotFound", ErrorKind::NotFound),
            ("ValidationError", ErrorKind::Validation),
            ("InvalidParameterValue", ErrorKind::Validation),
            ("MalformedPolicyDocument", ErrorKind::Validation),
            ("EntityAlreadyExists", ErrorKind::Other),
            ("Unknown", ErrorKind::Other),
        ];
        for (code, kind) in table {
            assert_eq!(kind_of_code(code), kind, "{code}");
        }
    }
}
