//! Requesting an ID token from the GitHub Actions runtime.
//!
//! A job with `permissions: id-token: write` gets `ACTIONS_ID_TOKEN_REQUEST_URL` (already
//! carrying a query string such as `?api-version=2.0`) and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
//! The token is a `GET {url}&audience={aud}` with `Authorization: bearer {request token}`;
//! the reply is `{"value": "<jwt>"}`. Transient failures (connection errors, 5xx, 429) are
//! retried with exponential backoff (`backon`, this call's only retry layer); 4xx answers are
//! final. The endpoint must be `https` (loopback `http` for tests) and its answer is read up to
//! [`hoist_http::MAX_BODY`].

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Name of the variable holding the token endpoint.
pub const REQUEST_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// Name of the variable holding the bearer token for the endpoint.
pub const REQUEST_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// An OIDC ID token (a JWT). `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdToken(String);

impl IdToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        IdToken(token.into())
    }

    /// The token itself: only for handing to STS or to the verifier.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdToken(<redacted, {} bytes>)", self.0.len())
    }
}

impl fmt::Display for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted ID token, {} bytes>", self.0.len())
    }
}

/// The runtime's bearer token for the ID-token endpoint. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestToken(String);

impl RequestToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        RequestToken(token.into())
    }

    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RequestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestToken(<redacted, {} bytes>)", self.0.len())
    }
}

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each later one.
    pub initial_backoff: Duration,
    /// Upper bound of one wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The `backon` schedule: `initial_backoff` doubling up to `max_backoff`, for
    /// `max_attempts - 1` retries.
    fn backoff(&self) -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_max_times(self.max_attempts.max(1).saturating_sub(1) as usize)
    }
}

/// Why no ID token was obtained. Never contains either token.
#[derive(Debug, thiserror::Error)]
pub enum ActionsTokenError {
    /// Not in a job allowed to request tokens.
    #[error(
        "{var} is not set: not running in GitHub Actions, or the job lacks `permissions: id-token: write`; add to the workflow job:\n  permissions:\n    id-token: write\n    contents: read"
    )]
    NotAvailable {
        /// The missing variable.
        var: &'static str,
    },
    /// The endpoint URL does not parse.
    #[error("{REQUEST_URL_VAR} is not a valid URL")]
    InvalidUrl(#[source] url::ParseError),
    /// The endpoint is not https, or its answer is too large.
    #[error(transparent)]
    Transport(#[from] hoist_http::TransportError),
    /// Transport failure on the last attempt.
    #[error(
        "cannot reach the Actions ID-token endpoint at {endpoint} after {attempts} attempt(s); retry the job"
    )]
    Http {
        /// Scheme, host and path of the endpoint (no query).
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The endpoint answered with an error status (final 4xx, or 5xx/429 after all attempts).
    #[error("the Actions ID-token endpoint at {endpoint} answered HTTP {status} after {attempts} attempt(s): {body}{}", hint(*status))]
    Status {
        /// Scheme, host and path of the endpoint.
        endpoint: String,
        /// The status code.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of the response body.
        body: String,
    },
    /// The reply is not `{"value": "<jwt>"}`.
    #[error(
        "the Actions ID-token endpoint at {endpoint} did not answer with {{\"value\": \"<token>\"}}"
    )]
    BadReply {
        /// Scheme, host and path of the endpoint.
        endpoint: String,
        /// The parse error, if the body was not JSON of that shape.
        #[source]
        source: Option<serde_json::Error>,
    },
}

fn hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "; the request token was refused: check the job has `permissions: id-token: write` (pull requests from forks never get one)"
        }
        _ => "",
    }
}

/// Client for the Actions runtime's ID-token endpoint.
#[derive(Debug, Clone)]
pub struct ActionsTokenClient {
    url: Url,
    token: RequestToken,
    retry: RetryPolicy,
    http: reqwest::Client,
}

/// A failed attempt: the error to report if it is the last, and whether to retry.
struct Attempt {
    error: ActionsTokenError,
    transient: bool,
}

#[derive(Deserialize)]
struct TokenReply {
    value: Option<String>,
}

impl ActionsTokenClient {
    /// Reads `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub fn from_env() -> Result<Self, ActionsTokenError> {
        Self::from_vars(
            std::env::var(REQUEST_URL_VAR).ok(),
            std::env::var(REQUEST_TOKEN_VAR).ok(),
        )
    }

    /// As [`Self::from_env`], from given values (empty counts as unset).
    pub fn from_vars(
        url: Option<String>,
        token: Option<String>,
    ) -> Result<Self, ActionsTokenError> {
        let url = url
            .filter(|u| !u.is_empty())
            .ok_or(ActionsTokenError::NotAvailable {
                var: REQUEST_URL_VAR,
            })?;
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(ActionsTokenError::NotAvailable {
                var: REQUEST_TOKEN_VAR,
            })?;
        Self::new(&url, RequestToken::new(token))
    }

    /// A client for `url` authenticating with `token`.
    pub fn new(url: &str, token: RequestToken) -> Result<Self, ActionsTokenError> {
        let url = Url::parse(url).map_err(ActionsTokenError::InvalidUrl)?;
        hoist_http::check_url(&url)?;
        let http = hoist_http::client_builder(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Ok(ActionsTokenClient {
            url,
            token,
            retry: RetryPolicy::default(),
            http,
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The request URL for `audience`: the runtime's URL with `audience` appended to its query.
    pub fn request_url(&self, audience: &str) -> Url {
        let mut url = self.url.clone();
        if !audience.is_empty() {
            url.query_pairs_mut().append_pair("audience", audience);
        }
        url
    }

    fn endpoint(&self) -> String {
        let mut url = self.url.clone();
        url.set_query(None);
        url.to_string()
    }

    /// Requests an ID token for `audience` (e.g. `sts.amazonaws.com`).
    pub async fn request(&self, audience: &str) -> Result<IdToken, ActionsTokenError> {
        use backon::Retryable;
        let url = self.request_url(audience);
        let attempts = AtomicU32::new(0);
        let once = || async {
            let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
            self.attempt(&url, attempt).await
        };
        once.retry(self.retry.backoff())
            .when(|e: &Attempt| e.transient)
            .notify(|e: &Attempt, wait| {
                tracing::debug!(
                    ?wait,
                    transient = e.transient,
                    "ID-token request failed; retrying"
                );
            })
            .await
            .map_err(|e| e.error)
            .and_then(|body| self.parse_reply(&body))
    }

    /// One request: the body of a 2xx answer, or the failure and whether it is transient.
    async fn attempt(&self, url: &Url, attempt: u32) -> Result<String, Attempt> {
        let sent = self
            .http
            .get(url.clone())
            .header("Authorization", format!("bearer {}", self.token.expose()))
            .header("Accept", "application/json; api-version=2.0")
            .send()
            .await;
        let response = match sent {
            Err(source) => {
                return Err(Attempt {
                    transient: !source.is_redirect(),
                    error: ActionsTokenError::Http {
                        endpoint: self.endpoint(),
                        attempts: attempt,
                        source: source.without_url(),
                    },
                });
            }
            Ok(r) => r,
        };
        let status = response.status();
        let body = hoist_http::read_limited(response, hoist_http::MAX_BODY)
            .await
            .map_err(|e| Attempt {
                transient: matches!(e, hoist_http::TransportError::Read { .. }),
                error: e.into(),
            })?;
        if status.is_success() {
            return Ok(body);
        }
        Err(Attempt {
            transient: status.is_server_error() || status.as_u16() == 429,
            error: ActionsTokenError::Status {
                endpoint: self.endpoint(),
                status: status.as_u16(),
                attempts: attempt,
                body: body.chars().take(300).collect(),
            },
        })
    }

    fn parse_reply(&self, body: &str) -> Result<IdToken, ActionsTokenError> {
        let bad = |source| ActionsTokenError::BadReply {
            endpoint: self.endpoint(),
            source,
        };
        let reply: TokenReply = serde_json::from_str(body).map_err(|e| bad(Some(e)))?;
        match reply.value {
            Some(value) if !value.is_empty() => Ok(IdToken(value)),
            _ => Err(bad(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_debug_and_display() {
        let t = IdToken::new("eyJsecret.payload.sig");
        assert_eq!(format!("{t:?}"), "IdToken(<redacted, 21 bytes>)");
        assert!(!format!("{t}").contains("secret"));
        let r = RequestToken::new("abcdef");
        assert!(!format!("{r:?}").contains("abcdef"));
        let c = ActionsTokenClient::new("http://127.0.0.1:1/x?api-version=2.0", r).unwrap();
        assert!(!format!("{c:?}").contains("abcdef"));
    }

    #[test]
    fn audience_appended_to_existing_query() {
        let c = ActionsTokenClient::new(
            "https://run.actions.githubusercontent.com/abc/idtoken/def?api-version=2.0",
            RequestToken::new("t"),
        )
        .unwrap();
        assert_eq!(
            c.request_url("sts.amazonaws.com").as_str(),
            "https://run.actions.githubusercontent.com/abc/idtoken/def?api-version=2.0&audience=sts.amazonaws.com"
        );
        assert_eq!(
            c.request_url("api://a b&c").query(),
            Some("api-version=2.0&audience=api%3A%2F%2Fa+b%26c")
        );
    }

    #[test]
    fn missing_env_names_the_permission() {
        let err = ActionsTokenClient::from_vars(None, Some("t".into())).unwrap_err();
        assert!(err.to_string().contains("id-token: write"), "{err}");
        let err = ActionsTokenClient::from_vars(Some("http://x/?a=1".into()), Some(String::new()))
            .unwrap_err();
        assert!(matches!(
            err,
            ActionsTokenError::NotAvailable {
                var: REQUEST_TOKEN_VAR
            }
        ));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        use backon::BackoffBuilder;
        let p = RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        // backon computes in floating point: compare whole milliseconds.
        let waits: Vec<u128> = p.backoff().build().map(|d| d.as_millis()).collect();
        assert_eq!(
            waits,
            [100, 200, 300],
            "three retries after the first attempt, doubling, capped"
        );
    }

    #[test]
    fn the_endpoint_must_be_https() {
        let e = ActionsTokenClient::new(
            "http://pipelines.actions.example/idtoken?api-version=2.0",
            RequestToken::new("t"),
        )
        .unwrap_err();
        assert!(matches!(e, ActionsTokenError::Transport(_)), "{e:?}");
    }
}
