//! `sts:AssumeRoleWithWebIdentity`: an OIDC token in, short-lived credentials out.
//!
//! The call is unsigned (the SDK models it without auth), so the client needs no credentials.
//! Throttling and `IDPCommunicationError` are retried with exponential backoff; everything
//! else, `AccessDenied` first of all, is final: a denied trust policy does not change by
//! asking again. Credentials never reach `Debug` or `Display`.

use std::fmt;
use std::time::Duration;

use aws_sdk_sts::config::retry::RetryConfig;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::{Aws, AwsError};

/// Temporary credentials from STS. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    /// RFC 3339, as STS returns it.
    expiration: String,
}

impl Credentials {
    /// Wraps credentials (from STS, or from a test).
    pub fn new(
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
        expiration: String,
    ) -> Self {
        Self {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        }
    }

    /// `ASIA…`: not a secret by itself, but masked in Actions logs anyway.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret key: only for writing where the caller asked (`$GITHUB_ENV`, stdout of
    /// `credential_process`).
    #[must_use]
    pub fn expose_secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token: as secret as the key.
    #[must_use]
    pub fn expose_session_token(&self) -> &str {
        &self.session_token
    }

    /// When the credentials stop working, RFC 3339 (`2026-11-23T09:00:00Z`).
    #[must_use]
    pub fn expiration(&self) -> &str {
        &self.expiration
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// What to ask STS for. The token is borrowed, never stored or printed.
pub struct AssumeRequest<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub web_identity_token: &'a str,
    /// Seconds; `None` lets STS use its default (3600).
    pub duration_seconds: Option<u32>,
}

impl fmt::Debug for AssumeRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRequest")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("web_identity_token", &"<redacted>")
            .field("duration_seconds", &self.duration_seconds)
            .finish()
    }
}

/// The session STS opened.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: Credentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub assumed_role_arn: Option<String>,
    /// The `sub` STS saw (AWS returns it; some emulators do not).
    pub subject: Option<String>,
}

/// How throttling and IdP communication errors are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl Retry {
    /// The `backon` schedule: `initial_backoff` doubling up to `max_backoff`, for
    /// `max_attempts - 1` retries. The STS client itself retries nothing ([`client`]), so this
    /// is the call's one retry layer.
    #[must_use]
    pub fn schedule(&self) -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_max_times(self.max_attempts.max(1).saturating_sub(1) as usize)
    }
}

/// Why no credentials came back. Never contains the token or credentials.
#[derive(Debug, thiserror::Error)]
pub enum WebIdentityError {
    /// The role's trust policy does not admit this token (or the role does not exist).
    #[error("STS refused to let this token assume {role_arn}: {code}: {message}")]
    AccessDenied {
        role_arn: String,
        code: String,
        message: String,
    },
    /// The token itself was rejected (expired, wrong issuer, unknown provider, bad audience).
    #[error("STS rejected the OIDC token for {role_arn}: {code}: {message}")]
    InvalidToken {
        role_arn: String,
        code: String,
        message: String,
    },
    /// `DurationSeconds` is longer than the role's `MaxSessionDuration` (or out of 900–43200).
    #[error("STS refused a {requested}-second session on {role_arn}: {message}")]
    Duration {
        role_arn: String,
        requested: u32,
        message: String,
    },
    /// Throttling or IdP communication errors on every attempt.
    #[error("STS kept failing with {code} after {attempts} attempts: {message}")]
    Exhausted {
        attempts: u32,
        code: String,
        message: String,
    },
    /// Anything else (transport, unexpected answers).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Codes worth another attempt: STS is busy, or could not reach the IdP's JWKS.
#[must_use]
pub fn is_retryable(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "IDPCommunicationError"
    )
}

/// Sorts a failed call's AWS error code into a [`WebIdentityError`].
#[must_use]
pub fn classify(
    role_arn: &str,
    requested: Option<u32>,
    code: &str,
    message: &str,
) -> WebIdentityError {
    let (role_arn, c, m) = (role_arn.to_owned(), code.to_owned(), message.to_owned());
    match code {
        "AccessDenied" | "AccessDeniedException" => WebIdentityError::AccessDenied {
            role_arn,
            code: c,
            message: m,
        },
        "InvalidIdentityToken" | "ExpiredTokenException" | "ExpiredToken" | "IDPRejectedClaim" => {
            WebIdentityError::InvalidToken {
                role_arn,
                code: c,
                message: m,
            }
        }
        "ValidationError" if message.contains("DurationSeconds") => WebIdentityError::Duration {
            role_arn,
            requested: requested.unwrap_or(0),
            message: m,
        },
        _ => WebIdentityError::Aws(AwsError::Service {
            action: "sts:AssumeRoleWithWebIdentity",
            code: c,
            message: m,
        }),
    }
}

/// A session name STS accepts: `[\w+=,.@-]`, 2–64 characters; others become `-`.
#[must_use]
pub fn session_name(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("-");
    let mut name: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

/// An STS client for web-identity calls: the SDK's own retries off (ours classify first).
#[must_use]
pub fn client(aws: &Aws) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::config::Builder::from(aws.sdk_config())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// Calls `AssumeRoleWithWebIdentity`, retrying what [`is_retryable`] names.
///
/// # Errors
/// A [`WebIdentityError`]; `AccessDenied` is returned at once, without retries.
pub async fn assume(
    client: &aws_sdk_sts::Client,
    req: &AssumeRequest<'_>,
    retry: Retry,
) -> Result<AssumedRole, WebIdentityError> {
    use backon::Retryable;
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let once = || async {
        attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut call = client
            .assume_role_with_web_identity()
            .role_arn(req.role_arn)
            .role_session_name(req.session_name)
            .web_identity_token(req.web_identity_token);
        if let Some(d) = req.duration_seconds {
            call = call.duration_seconds(i32::try_from(d).unwrap_or(i32::MAX));
        }
        match call.send().await {
            Ok(out) => Ok(out),
            Err(err) => match err.as_service_error() {
                Some(se) => Err(Refusal::Service {
                    code: se.code().unwrap_or("Unknown").to_owned(),
                    message: se.message().unwrap_or_default().to_owned(),
                }),
                None => Err(Refusal::Other(AwsError::from_sdk(
                    "sts:AssumeRoleWithWebIdentity",
                    err,
                ))),
            },
        }
    };
    let result = once
        .retry(retry.schedule())
        .when(|r: &Refusal| matches!(r, Refusal::Service { code, .. } if is_retryable(code)))
        .notify(|r: &Refusal, wait| {
            if let Refusal::Service { code, .. } = r {
                tracing::debug!(code, ?wait, "AssumeRoleWithWebIdentity failed; retrying");
            }
        })
        .await;
    match result {
        Ok(out) => into_assumed(out),
        Err(Refusal::Other(e)) => Err(e.into()),
        Err(Refusal::Service { code, message }) if is_retryable(&code) => {
            Err(WebIdentityError::Exhausted {
                attempts: attempts.load(std::sync::atomic::Ordering::SeqCst),
                code,
                message,
            })
        }
        Err(Refusal::Service { code, message }) => Err(classify(
            req.role_arn,
            req.duration_seconds,
            &code,
            &message,
        )),
    }
}

/// One failed attempt: STS's answer, or anything else.
enum Refusal {
    Service { code: String, message: String },
    Other(AwsError),
}

fn into_assumed(
    out: aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
) -> Result<AssumedRole, WebIdentityError> {
    let unexpected = |detail: &str| {
        WebIdentityError::Aws(AwsError::Unexpected {
            action: "sts:AssumeRoleWithWebIdentity",
            detail: detail.to_owned(),
        })
    };
    let c = out
        .credentials
        .as_ref()
        .ok_or_else(|| unexpected("no Credentials in the answer"))?;
    let expiration = c
        .expiration
        .fmt(Format::DateTime)
        .map_err(|_| unexpected("Expiration is not a date"))?;
    Ok(AssumedRole {
        credentials: Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            expiration,
        ),
        assumed_role_arn: out.assumed_role_user.map(|u| u.arn),
        subject: out.subject_from_web_identity_token,
    })
}

/// A fixed HTTP answer for the SDK, so tests run the SDK's real response parsing on bodies
/// recorded from AWS.
#[cfg(test)]
pub(crate) mod recorded {
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    #[derive(Debug, Clone)]
    struct Fixed {
        status: u16,
        body: &'static str,
        content_type: &'static str,
    }

    impl HttpConnector for Fixed {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let mut resp = HttpResponse::new(
                StatusCode::try_from(self.status).unwrap(),
                SdkBody::from(self.body),
            );
            resp.headers_mut().insert("content-type", self.content_type);
            HttpConnectorFuture::ready(Ok(resp))
        }
    }

    /// An HTTP client that answers every request with `status` and `body` (XML).
    pub(crate) fn answering(status: u16, body: &'static str) -> SharedHttpClient {
        let fixed = Fixed {
            status,
            body,
            content_type: "text/xml",
        };
        http_client_fn(move |_, _| SharedHttpConnector::new(fixed.clone()))
    }

    /// SDK config pointing nowhere real, with dummy credentials, answering from `client`.
    pub(crate) fn sdk_config(client: SharedHttpClient) -> aws_types::SdkConfig {
        aws_types::SdkConfig::builder()
            .region(aws_types::region::Region::new("ca-central-1"))
            .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                aws_sdk_sts::config::Credentials::new(
                    "AKIDTEST",
                    "test-secret",
                    None,
                    None,
                    "recorded",
                ),
            ))
            .http_client(client)
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body AWS STS returns (HTTP 403) when a role's trust policy does not admit the
    /// token, as recorded from a real `AssumeRoleWithWebIdentity` call (the request id is
    /// AWS's own format). Parsed here by the SDK's real deserializer.
    const RECORDED_ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>
  </Error>
  <RequestId>2b4c1f0e-8c7a-4b8e-9f3d-6a1d2e3f4a5b</RequestId>
</ErrorResponse>
"#;

    /// STS's answer to `DurationSeconds` above the role's `MaxSessionDuration` (HTTP 400).
    const RECORDED_DURATION: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>ValidationError</Code>
    <Message>The requested DurationSeconds exceeds the MaxSessionDuration set for this role.</Message>
  </Error>
  <RequestId>7d0e9a51-3b4c-4d2e-8f1a-0b9c8d7e6f5a</RequestId>
</ErrorResponse>
"#;

    fn sts_answering(status: u16, body: &'static str) -> aws_sdk_sts::Client {
        let conf = recorded::sdk_config(recorded::answering(status, body));
        let conf = aws_sdk_sts::config::Builder::from(&conf)
            .retry_config(RetryConfig::disabled())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    fn request(duration: Option<u32>) -> AssumeRequest<'static> {
        AssumeRequest {
            role_arn: "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev",
            session_name: "hoist-1",
            web_identity_token: "eyJ.not.used",
            duration_seconds: duration,
        }
    }

    #[tokio::test]
    async fn recorded_access_denied_is_final_and_typed() {
        let client = sts_answering(403, RECORDED_ACCESS_DENIED);
        let err = assume(&client, &request(None), Retry::default())
            .await
            .unwrap_err();
        match &err {
            WebIdentityError::AccessDenied {
                role_arn,
                code,
                message,
            } => {
                assert_eq!(
                    role_arn,
                    "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev"
                );
                assert_eq!(code, "AccessDenied");
                assert_eq!(
                    message,
                    "Not authorized to perform sts:AssumeRoleWithWebIdentity"
                );
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
        assert!(!err.to_string().contains("eyJ"));
    }

    #[tokio::test]
    async fn recorded_duration_error_is_explained() {
        let client = sts_answering(400, RECORDED_DURATION);
        let err = assume(&client, &request(Some(7200)), Retry::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                WebIdentityError::Duration {
                    requested: 7200,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn throttling_is_retried_until_exhausted() {
        const THROTTLED: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
        let client = sts_answering(400, THROTTLED);
        let retry = Retry {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        };
        let err = assume(&client, &request(None), retry).await.unwrap_err();
        assert!(
            matches!(err, WebIdentityError::Exhausted { attempts: 3, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn session_names_are_sanitized_and_bounded() {
        assert_eq!(
            session_name(&["hoist", "arshargithub/HindsightRoboMemSetup", "123"]),
            "hoist-arshargithub-HindsightRoboMemSetup-123"
        );
        let long = "x".repeat(100);
        assert_eq!(session_name(&[&long]).len(), 64);
        assert_eq!(session_name(&["a b!c"]), "a-b-c");
        assert_eq!(session_name(&["a"]), "a-");
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let c = Credentials::new(
            "ASIAX".into(),
            "very-secret".into(),
            "token-secret".into(),
            "2026-01-01T00:00:00Z".into(),
        );
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("very-secret") && !dbg.contains("token-secret"),
            "{dbg}"
        );
        assert!(dbg.contains("ASIAX"));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let r = Retry {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(250),
        };
        // backon computes in floating point: compare whole milliseconds.
        let waits: Vec<u128> = backon::BackoffBuilder::build(r.schedule())
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 250, 250]);
        assert!(is_retryable("IDPCommunicationError") && !is_retryable("AccessDenied"));
    }
}
