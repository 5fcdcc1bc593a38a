//! Which failures are worth another attempt, and how long to wait before it.

use std::time::Duration;

/// How a failed request is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retryable {
    /// Try again (5xx, 429, a dropped or refused connection, a timeout).
    Yes,
    /// Do not: the answer will not change (4xx other than 408/429, a bad response).
    No,
}

impl Retryable {
    /// An HTTP status.
    #[must_use]
    pub fn status(status: u16) -> Self {
        match status {
            408 | 429 => Self::Yes,
            500..=599 if status != 501 && status != 505 => Self::Yes,
            _ => Self::No,
        }
    }

    /// A transport error from reqwest: connection refused or reset, the connection dropped
    /// mid-request or mid-response, a timeout.
    #[must_use]
    pub fn transport(err: &reqwest::Error) -> Self {
        if err.is_connect() || err.is_timeout() || err.is_request() || err.is_body() {
            return Self::Yes;
        }
        if err.is_decode() || err.is_builder() || err.is_redirect() || err.is_status() {
            return Self::No;
        }
        // hyper's "connection closed before message completed" and I/O resets surface as
        // other kinds on some paths: look at the source chain.
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
        while let Some(s) = source {
            if s.downcast_ref::<std::io::Error>().is_some() {
                return Self::Yes;
            }
            let text = s.to_string();
            if text.contains("connection closed")
                || text.contains("IncompleteMessage")
                || text.contains("reset")
            {
                return Self::Yes;
            }
            source = s.source();
        }
        Self::No
    }
}

/// Attempts and backoff: `base * 2^n` with ±25 % jitter, at most `max`, or `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base: Duration::from_millis(200),
            max: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 0). A server's
    /// `Retry-After` (seconds) wins when given, bounded by `max`.
    #[must_use]
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max);
        }
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max);
        let jitter: f64 = rand::random::<f64>() * 0.5 + 0.75;
        exp.mul_f64(jitter).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        for s in [500, 502, 503, 504, 429, 408] {
            assert_eq!(Retryable::status(s), Retryable::Yes, "{s}");
        }
        for s in [400, 401, 403, 404, 405, 409, 416, 501, 505] {
            assert_eq!(Retryable::status(s), Retryable::No, "{s}");
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/v2/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(Retryable::transport(&err), Retryable::Yes);
    }

    #[tokio::test]
    async fn a_dropped_connection_is_retryable() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
            drop(s); // close without answering
        });
        let err = reqwest::Client::new()
            .get(format!("http://{addr}/v2/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(Retryable::transport(&err), Retryable::Yes, "{err:?}");
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let p = RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert!(p.delay(0, None) <= Duration::from_millis(125));
        assert!(p.delay(3, None) >= Duration::from_millis(600));
        // Saturated: the jitter only ever shortens the wait below `max`.
        for _ in 0..100 {
            let d = p.delay(10, None);
            assert!(
                d >= Duration::from_millis(749) && d <= Duration::from_secs(1),
                "{d:?}"
            );
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(30))),
            Duration::from_secs(1)
        );
    }
}
