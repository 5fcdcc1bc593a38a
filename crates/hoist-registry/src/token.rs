//! The distribution token flow: trade credentials (or nothing, for an anonymous pull) for a
//! Bearer token at the challenge's realm, as Docker's token specification describes it
//! (`GET realm?service=…&scope=…&scope=…` with Basic credentials; the answer's `token`, or
//! `access_token` from OAuth2-style servers; `expires_in` defaulting to 60 seconds).

use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use url::Url;

use crate::auth::BasicAuth;
use crate::error::RegistryError;

/// A Bearer token for one set of scopes. Its value never appears in `Debug` output.
#[derive(Clone)]
pub(crate) struct Token {
    value: String,
    /// Renewed this long before the server's expiry, so a request never leaves with a token
    /// that expires on the way.
    refresh_at: Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Token {
    pub(crate) fn header(&self) -> String {
        format!("Bearer {}", self.value)
    }

    pub(crate) fn fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

/// The specification's minimum (and default) lifetime.
const MIN_LIFETIME: u64 = 60;
/// Renew this long before expiry.
const MARGIN: Duration = Duration::from_secs(15);

#[derive(serde::Deserialize)]
struct Answer {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// The scopes of a request, as the cache key and the query: sorted, without repeats.
pub(crate) fn scope_key(scopes: &[String]) -> String {
    let mut s: Vec<&str> = scopes.iter().map(String::as_str).collect();
    s.sort_unstable();
    s.dedup();
    s.join(" ")
}

/// Asks the token server at `realm` for a token covering `scopes`.
pub(crate) async fn fetch(
    http: &reqwest::Client,
    realm: &Url,
    service: Option<&str>,
    scopes: &[String],
    credentials: Option<&BasicAuth>,
) -> Result<Token, RegistryError> {
    let mut url = realm.clone();
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        let mut sorted: Vec<&String> = scopes.iter().collect();
        sorted.sort();
        sorted.dedup();
        for s in sorted {
            q.append_pair("scope", s);
        }
    }
    let mut rb = http.get(url.clone());
    if let Some(c) = credentials {
        rb = rb.header(AUTHORIZATION, c.header());
    }
    let started = Instant::now();
    let resp = rb.send().await.map_err(|e| RegistryError::Unreachable {
        url: realm.to_string(),
        source: e,
    })?;
    tracing::debug!(
        status = resp.status().as_u16(),
        scopes = scopes.len(),
        anonymous = credentials.is_none(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "token"
    );
    let status = resp.status().as_u16();
    if status == 401 || status == 403 {
        return Err(RegistryError::Unauthorized {
            method: "GET",
            url: realm.to_string(),
        });
    }
    if status != 200 {
        let body = resp.text().await.unwrap_or_default();
        let body: String = body.chars().take(300).collect();
        return Err(RegistryError::Status {
            method: "GET",
            url: realm.to_string(),
            status,
            body: body.trim().to_owned(),
        });
    }
    let bytes = resp.bytes().await.map_err(|e| RegistryError::Unreachable {
        url: realm.to_string(),
        source: e,
    })?;
    // The body holds the token: a parse error names the field, never the bytes.
    let answer: Answer = serde_json::from_slice(&bytes).map_err(|e| RegistryError::Protocol {
        url: realm.to_string(),
        detail: format!(
            "the token server's answer is not the expected JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    })?;
    let value = answer
        .token
        .or(answer.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| RegistryError::Protocol {
            url: realm.to_string(),
            detail: "the token server answered without `token` or `access_token`".into(),
        })?;
    let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(0).max(MIN_LIFETIME));
    Ok(Token {
        value,
        refresh_at: started + lifetime.saturating_sub(MARGIN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_keys_ignore_order_and_repeats() {
        let a = scope_key(&["repository:b:pull".into(), "repository:a:pull,push".into()]);
        let b = scope_key(&[
            "repository:a:pull,push".into(),
            "repository:b:pull".into(),
            "repository:b:pull".into(),
        ]);
        assert_eq!(a, b);
        assert_eq!(scope_key(&[]), "");
    }

    #[test]
    fn debug_hides_the_token() {
        let t = Token {
            value: "eyJsecret".into(),
            refresh_at: Instant::now(),
        };
        assert!(!format!("{t:?}").contains("eyJsecret"));
        assert_eq!(t.header(), "Bearer eyJsecret");
    }
}
