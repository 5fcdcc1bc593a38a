//! The HTTP core: GitHub's headers, error mapping, pagination, retries ([`crate::retry`]),
//! and `hoist-http`'s transport rules (https only but for loopback, no https→http redirect,
//! answers read up to [`hoist_http::MAX_BODY`]).

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LINK, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::error::{GithubError, Permission, hint_for};
use crate::repo::RepoRef;
use crate::retry::{Again, RetryPolicy, classify_status, now_epoch};
use crate::token::GithubToken;

const API_VERSION: &str = "2022-11-28";
const MAX_PAGES: usize = 1000;

/// A GitHub REST client for one API base URL and token.
#[derive(Debug, Clone)]
pub struct GithubClient {
    base: String,
    origin: url::Origin,
    token: GithubToken,
    http: reqwest::Client,
    retry: RetryPolicy,
}

/// A failed attempt and what to do about it.
struct Failed {
    error: GithubError,
    again: Again,
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::PUT => "PUT",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "HTTP",
    }
}

impl GithubClient {
    /// A client for `api_url` (`https://api.github.com`, or `https://HOST/api/v3` for GHES).
    pub fn new(api_url: &str, token: GithubToken) -> Result<Self, GithubError> {
        let base = api_url.trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base).map_err(|source| GithubError::InvalidApiUrl {
            url: api_url.to_owned(),
            source,
        })?;
        hoist_http::check_url(&parsed)?;
        let http = hoist_http::client_builder(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Ok(GithubClient {
            base,
            origin: parsed.origin(),
            token,
            http,
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The API base URL.
    pub fn api_url(&self) -> &str {
        &self.base
    }

    /// Sends a request to `path` (relative to the base) or to an absolute `url` on the API
    /// host, retrying as [`crate::retry`] says; any final non-2xx answer becomes
    /// [`GithubError::Api`].
    pub(crate) async fn send(
        &self,
        method: Method,
        path_or_url: &str,
        permission: Permission,
        repo: &RepoRef,
        body: Option<&Value>,
    ) -> Result<Answer, GithubError> {
        use backon::Retryable;
        let url = if path_or_url.starts_with('/') {
            format!("{}{path_or_url}", self.base)
        } else {
            path_or_url.to_owned()
        };
        let attempt = || self.send_once(method.clone(), &url, permission, repo, body);
        attempt
            .retry(self.retry.backoff())
            .when(|f: &Failed| matches!(f.again, Again::Backoff | Again::After(_)))
            .adjust(|f: &Failed, next| match f.again {
                // Still bounded by the schedule's attempts.
                Again::After(wait) => next.map(|_| wait),
                _ => next,
            })
            .notify(|f: &Failed, wait| {
                tracing::debug!(?wait, error = %f.error, "GitHub API call failed; retrying");
            })
            .await
            .map_err(|f| f.error)
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        permission: Permission,
        repo: &RepoRef,
        body: Option<&Value>,
    ) -> Result<Answer, Failed> {
        // GitHub's documented idempotent methods; a POST (creating a variable) that failed
        // with a 5xx may have been applied, so it is not sent twice.
        let idempotent = method != Method::POST;
        let name = method_name(&method);
        let mut request = self
            .http
            .request(method, url)
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .header(USER_AGENT, concat!("hoist/", env!("CARGO_PKG_VERSION")))
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|source| Failed {
            again: if idempotent && !source.is_redirect() {
                Again::Backoff
            } else {
                Again::No
            },
            error: GithubError::Http {
                method: name,
                url: url.to_owned(),
                source: source.without_url(),
            },
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = hoist_http::read_limited(response, hoist_http::MAX_BODY)
            .await
            .map_err(|e| Failed {
                again: if idempotent && matches!(e, hoist_http::TransportError::Read { .. }) {
                    Again::Backoff
                } else {
                    Again::No
                },
                error: e.into(),
            })?;
        if status.is_success() {
            return Ok(Answer {
                status,
                headers,
                body: text,
            });
        }
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(300).collect());
        let again = classify_status(
            status,
            &headers,
            &message,
            idempotent,
            &self.retry,
            now_epoch(),
        );
        let hint = match again {
            Again::After(wait) | Again::TooLong(wait) => Some(format!(
                "GitHub is rate-limiting this token and asks to wait {} s before the next request; hoist waits at most {} s (see GitHub's \"Rate limits for the REST API\")",
                wait.as_secs(),
                self.retry.max_rate_limit_wait.as_secs()
            )),
            Again::No | Again::Backoff => hint_for(status.as_u16(), permission, &repo.full_name()),
        };
        Err(Failed {
            again,
            error: GithubError::Api {
                method: name,
                url: url.to_owned(),
                status: status.as_u16(),
                message,
                hint,
            },
        })
    }

    pub(crate) fn decode<T: DeserializeOwned>(
        method: &'static str,
        url: &str,
        body: &str,
    ) -> Result<T, GithubError> {
        serde_json::from_str(body).map_err(|source| GithubError::Decode {
            method,
            url: url.to_owned(),
            source,
        })
    }

    /// `GET` and decode.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        permission: Permission,
        repo: &RepoRef,
    ) -> Result<T, GithubError> {
        let answer = self.send(Method::GET, path, permission, repo, None).await?;
        Self::decode("GET", &format!("{}{path}", self.base), &answer.body)
    }

    /// `GET` every page of a list endpoint, following `Link: rel="next"`, collecting the
    /// array under `field`.
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        per_page: u32,
        field: &str,
        permission: Permission,
        repo: &RepoRef,
    ) -> Result<Vec<T>, GithubError> {
        let mut next = Some(format!("{}{path}?per_page={per_page}", self.base));
        let mut items = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                break;
            }
            let answer = self.send(Method::GET, &url, permission, repo, None).await?;
            let mut page: Value = Self::decode("GET", &url, &answer.body)?;
            let list = page.get_mut(field).map(Value::take).unwrap_or(Value::Null);
            let list: Vec<T> =
                serde_json::from_value(list).map_err(|source| GithubError::Decode {
                    method: "GET",
                    url: url.clone(),
                    source,
                })?;
            let empty = list.is_empty();
            items.extend(list);
            if empty {
                break;
            }
            next = match next_link(&answer.headers) {
                Some(link) => {
                    let same_host = Url::parse(&link).is_ok_and(|u| u.origin() == self.origin);
                    if !same_host {
                        return Err(GithubError::ForeignLink { url: link });
                    }
                    Some(link)
                }
                None => None,
            };
        }
        Ok(items)
    }
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_next_link() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            "<https://api.github.com/repositories/1/actions/secrets?per_page=2&page=1>; rel=\"prev\", <https://api.github.com/repositories/1/actions/secrets?per_page=2&page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1/actions/secrets?per_page=2&page=3")
        );
        h.insert(LINK, "<https://x/?page=1>; rel=\"prev\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn client_debug_hides_token() {
        let c = GithubClient::new("https://api.github.com/", GithubToken::new("ghp_topsecret"))
            .unwrap();
        assert!(!format!("{c:?}").contains("topsecret"));
        assert_eq!(c.api_url(), "https://api.github.com");
    }
}
