//! The transport rules every hoist HTTP client follows (OIDC discovery and JWKS, the Actions
//! ID-token endpoint, the GitHub REST API).
//!
//! Owns: which URLs may be fetched ([`check_url`]: `https` only, plain `http` only to a
//! loopback host — `127.0.0.0/8`, `[::1]`, `localhost` — so tests can serve fixtures), the
//! redirect policy (at most [`MAX_REDIRECTS`] hops, every hop passing [`check_url`], never
//! from `https` down to `http`), and reading a body with a size limit ([`read_limited`]) so a
//! hostile or broken server cannot make hoist buffer without bound.
//!
//! Must not touch: what is fetched or how answers are interpreted (the calling crates).

use std::time::Duration;

use url::{Host, Url};

/// The largest body hoist reads from a JWKS, discovery or GitHub API answer. GitHub's JWKS is
/// a few kilobytes and its largest API pages (100 items) well under this.
pub const MAX_BODY: usize = 1024 * 1024;

/// Redirect hops followed at most.
pub const MAX_REDIRECTS: usize = 5;

/// Why a URL or an answer was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Plain `http` to a host that is not loopback, or another scheme.
    #[error(
        "{url} is not an https URL; hoist fetches keys, tokens and API answers over https only (plain http only to 127.0.0.1, [::1] or localhost)"
    )]
    Insecure {
        /// The URL refused.
        url: String,
    },
    /// The body is larger than allowed.
    #[error("the answer from {url} is larger than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// Reading the body failed.
    #[error("reading the answer from {url} failed")]
    Read {
        /// The URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
}

/// Whether `url` may be fetched: `https`, or `http` to a loopback host.
///
/// # Errors
/// [`TransportError::Insecure`].
pub fn check_url(url: &Url) -> Result<(), TransportError> {
    let ok = match url.scheme() {
        "https" => true,
        "http" => is_loopback(url),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(TransportError::Insecure {
            url: without_secrets(url),
        })
    }
}

/// As [`check_url`], for a URL given as text (an unparsable URL is left to the caller).
///
/// # Errors
/// [`TransportError::Insecure`].
pub fn check_url_str(url: &str) -> Result<(), TransportError> {
    match Url::parse(url) {
        Ok(u) => check_url(&u),
        Err(_) => Ok(()),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Scheme, host, port and path: no user info, no query.
fn without_secrets(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// The redirect policy: [`MAX_REDIRECTS`] hops, each to an allowed URL, never `https`→`http`.
#[must_use]
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        match redirect_verdict(attempt.previous(), attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(why) => attempt.error(why),
        }
    })
}

/// Whether to follow a redirect to `next` after visiting `previous` (the first request
/// included).
fn redirect_verdict(previous: &[Url], next: &Url) -> Result<(), String> {
    let downgrade = previous.iter().any(|u| u.scheme() == "https") && next.scheme() != "https";
    if previous.len() > MAX_REDIRECTS {
        Err(format!("more than {MAX_REDIRECTS} redirects"))
    } else if downgrade {
        Err(format!(
            "refused a redirect from https to {}",
            without_secrets(next)
        ))
    } else {
        check_url(next).map_err(|e| format!("refused a redirect: {e}"))
    }
}

/// A client builder with hoist's user agent, `timeout`, and [`redirect_policy`].
pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .redirect(redirect_policy())
}

/// The body of `response`, at most `limit` bytes, as text (lossy UTF-8).
///
/// # Errors
/// [`TransportError::TooLarge`] as soon as the declared or received length passes `limit`;
/// [`TransportError::Read`] when the transfer fails.
pub async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<String, TransportError> {
    let url = without_secrets(response.url());
    let too_large = || TransportError::TooLarge {
        url: url.clone(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(TransportError::Read {
                    url: url.clone(),
                    source: e.without_url(),
                });
            }
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        for ok in [
            "https://token.actions.githubusercontent.com/.well-known/jwks",
            "https://api.github.com",
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9/x",
            "http://localhost:1/x",
            "http://LOCALHOST/x",
            "http://[::1]:9/x",
        ] {
            assert!(check_url(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://token.actions.githubusercontent.com/.well-known/jwks",
            "http://10.0.0.1/x",
            "http://localhost.evil.example/x",
            "http://127.0.0.1.nip.io/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "http://[::ffff:7f00:1]/x",
        ] {
            let e = check_url(&Url::parse(bad).unwrap()).unwrap_err();
            assert!(e.to_string().contains("https"), "{bad}: {e}");
        }
    }

    #[test]
    fn redirects_never_downgrade_or_leave_the_allowed_urls() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(redirect_verdict(&[u("https://a.example/x")], &u("https://b.example/y")).is_ok());
        assert!(redirect_verdict(&[u("http://127.0.0.1/x")], &u("http://127.0.0.1:2/y")).is_ok());
        let down = redirect_verdict(&[u("https://a.example/x")], &u("http://127.0.0.1/y"));
        assert!(down.unwrap_err().contains("from https"));
        let away = redirect_verdict(&[u("http://127.0.0.1/x")], &u("http://a.example/y"));
        assert!(away.unwrap_err().contains("not an https URL"));
        let many: Vec<Url> = (0..=MAX_REDIRECTS)
            .map(|i| u(&format!("https://a.example/{i}")))
            .collect();
        assert!(redirect_verdict(&many, &u("https://a.example/z")).is_err());
    }

    #[test]
    fn refusals_show_no_credentials_or_query() {
        let e = check_url(&Url::parse("http://u:pw@example.com/p?token=abc").unwrap())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("pw") && !e.contains("abc"), "{e}");
        assert!(e.contains("http://example.com/p"), "{e}");
    }
}
