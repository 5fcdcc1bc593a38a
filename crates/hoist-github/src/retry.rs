//! When a GitHub answer is worth asking again, and after how long (GitHub's "Rate limits for
//! the REST API": a `403`/`429` with `retry-after` waits that many seconds; with
//! `x-ratelimit-remaining: 0` it waits until `x-ratelimit-reset` (UTC epoch seconds); a
//! secondary rate limit without either header waits at least a minute). 5xx answers and
//! transport failures of idempotent requests are retried with exponential backoff. The
//! schedule is `backon`'s, the only retry layer around a GitHub call.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// How GitHub calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt after a 5xx or a transport failure; doubled after each.
    pub initial_backoff: Duration,
    /// Upper bound of one such wait.
    pub max_backoff: Duration,
    /// The longest rate-limit wait hoist sits through; a longer one fails at once, saying
    /// when GitHub will accept requests again.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn backoff(&self) -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.max(1).saturating_sub(1) as usize)
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Again {
    /// Final.
    No,
    /// After the backoff schedule's next wait.
    Backoff,
    /// After this long (a rate limit).
    After(Duration),
    /// A rate limit whose wait is longer than hoist waits.
    TooLong(Duration),
}

/// The wait GitHub asks for in a `403`/`429`, or `None` when the answer is not a rate limit
/// (a `403` for a missing permission must not be retried).
pub(crate) fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now_epoch: u64,
) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok())
    {
        // One second more: the reset is whole seconds, and clocks differ.
        return Some(Duration::from_secs(reset.saturating_sub(now_epoch) + 1));
    }
    let secondary = message
        .to_ascii_lowercase()
        .contains("secondary rate limit");
    (secondary || status == StatusCode::TOO_MANY_REQUESTS).then_some(Duration::from_secs(60))
}

/// The verdict for an error answer.
pub(crate) fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    idempotent: bool,
    policy: &RetryPolicy,
    now_epoch: u64,
) -> Again {
    if let Some(wait) = rate_limit_wait(status, headers, message, now_epoch) {
        // A rate-limited request was not processed: retrying is safe for any method.
        return if wait > policy.max_rate_limit_wait {
            Again::TooLong(wait)
        } else {
            Again::After(wait)
        };
    }
    if status.is_server_error() && idempotent {
        Again::Backoff
    } else {
        Again::No
    }
}

pub(crate) fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const P: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        max_rate_limit_wait: Duration::from_secs(60),
    };

    #[test]
    fn github_documented_rate_limit_rules() {
        let f = StatusCode::FORBIDDEN;
        let t = StatusCode::TOO_MANY_REQUESTS;
        // retry-after wins.
        assert_eq!(
            classify_status(f, &headers(&[("retry-after", "7")]), "", true, &P, 1000),
            Again::After(Duration::from_secs(7))
        );
        // Primary limit: until the reset.
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1030"),
        ]);
        assert_eq!(
            classify_status(f, &h, "API rate limit exceeded", false, &P, 1000),
            Again::After(Duration::from_secs(31))
        );
        // Secondary limit without headers: a minute.
        assert_eq!(
            classify_status(
                f,
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit",
                true,
                &P,
                0
            ),
            Again::After(Duration::from_secs(60))
        );
        assert_eq!(
            classify_status(t, &HeaderMap::new(), "", true, &P, 0),
            Again::After(Duration::from_secs(60))
        );
        // An hour's wait is not sat through.
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "4600"),
        ]);
        assert_eq!(
            classify_status(f, &h, "", true, &P, 1000),
            Again::TooLong(Duration::from_secs(3601))
        );
    }

    #[test]
    fn a_permission_403_and_client_errors_are_final() {
        let h = headers(&[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", "1030"),
        ]);
        for (status, msg) in [
            (403, "Resource not accessible by personal access token"),
            (404, "Not Found"),
            (422, "Invalid request"),
            (401, "Bad credentials"),
        ] {
            let s = StatusCode::from_u16(status).unwrap();
            assert_eq!(classify_status(s, &h, msg, true, &P, 1000), Again::No);
        }
    }

    #[test]
    fn server_errors_retry_only_idempotent_methods() {
        for status in [500, 502, 503, 504] {
            let s = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                classify_status(s, &HeaderMap::new(), "", true, &P, 0),
                Again::Backoff
            );
            assert_eq!(
                classify_status(s, &HeaderMap::new(), "", false, &P, 0),
                Again::No
            );
        }
    }

    #[test]
    fn the_schedule_is_bounded() {
        use backon::BackoffBuilder;
        let waits: Vec<Duration> = RetryPolicy::default().backoff().build().collect();
        assert_eq!(waits.len(), 3);
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(20)),
            "{waits:?}"
        );
    }
}
