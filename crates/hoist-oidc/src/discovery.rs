//! Finding an issuer's signing keys: OpenID discovery, a JWKS URL, or a local JWKS file.
//!
//! `--jwks URL|FILE` accepts all three: a path that is not `http(s)://` is a file; a URL ending
//! in `/.well-known/openid-configuration` is a discovery document; a URL whose path mentions
//! `jwks` (GitHub's is `/.well-known/jwks`) is the key set itself; any other URL is an issuer,
//! whose `{issuer}/.well-known/openid-configuration` names the `jwks_uri`.
//!
//! Every URL — given, or named by a discovery document — must be `https` (plain `http` only
//! to loopback, for tests), redirects never go from `https` to `http`, and answers are read up
//! to [`hoist_http::MAX_BODY`]: the rules of `hoist-http`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::jwks::{Jwks, JwksError};

/// Where to get a JWKS from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// An issuer URL: discovery document first, then its `jwks_uri`.
    Issuer(Url),
    /// A discovery document URL (`…/.well-known/openid-configuration`).
    Discovery(Url),
    /// A JWKS URL.
    JwksUrl(Url),
    /// A JWKS file.
    File(PathBuf),
}

/// The part of an OpenID provider configuration hoist reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OpenIdConfiguration {
    /// The issuer the document speaks for.
    pub issuer: String,
    /// Where its keys are.
    pub jwks_uri: String,
    /// Signing algorithms it claims, if stated.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Claims it supports, if stated.
    #[serde(default)]
    pub claims_supported: Vec<String>,
}

/// Why the keys could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The argument is an unparsable URL.
    #[error("`{input}` is not a valid URL; pass an issuer URL, a JWKS URL or a JWKS file path")]
    InvalidUrl {
        /// What was given.
        input: String,
        /// The parse error.
        #[source]
        source: url::ParseError,
    },
    /// The HTTP request failed (connection, TLS, timeout).
    #[error(
        "cannot fetch {url}; check the network and the URL, or pass a downloaded JWKS file with --jwks FILE"
    )]
    Http {
        /// The URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The discovery document is not JSON of the expected shape.
    #[error("{url} is not an OpenID configuration (needs `issuer` and `jwks_uri`)")]
    BadDiscovery {
        /// The URL.
        url: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The discovery document speaks for another issuer.
    #[error(
        "{url} describes issuer `{actual}`, expected `{expected}`; the configuration does not belong to this issuer"
    )]
    IssuerMismatch {
        /// The discovery URL.
        url: String,
        /// The issuer asked for.
        expected: String,
        /// The document's `issuer`.
        actual: String,
    },
    /// The JWKS file could not be read.
    #[error("cannot read JWKS file {}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The JWKS does not parse.
    #[error(transparent)]
    Jwks(#[from] JwksError),
    /// A URL that is not https, or an answer too large.
    #[error(transparent)]
    Transport(#[from] hoist_http::TransportError),
}

impl JwksSource {
    /// Classifies a `--jwks` argument (see the module docs).
    pub fn parse(input: &str) -> Result<Self, DiscoveryError> {
        let lower = input.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Ok(JwksSource::File(PathBuf::from(input)));
        }
        let url = Url::parse(input).map_err(|source| DiscoveryError::InvalidUrl {
            input: input.to_owned(),
            source,
        })?;
        hoist_http::check_url(&url)?;
        let path = url.path().trim_end_matches('/');
        Ok(if path.ends_with("/.well-known/openid-configuration") {
            JwksSource::Discovery(url)
        } else if path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains("jwks"))
        {
            JwksSource::JwksUrl(url)
        } else {
            JwksSource::Issuer(url)
        })
    }
}

fn http_client() -> reqwest::Client {
    hoist_http::client_builder(Duration::from_secs(20))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

async fn get_text(client: &reqwest::Client, url: &str) -> Result<String, DiscoveryError> {
    hoist_http::check_url_str(url)?;
    let response = client
        .get(url)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|source| DiscoveryError::Http {
            url: url.to_owned(),
            source,
        })?;
    let status = response.status();
    let text = hoist_http::read_limited(response, hoist_http::MAX_BODY).await?;
    if !status.is_success() {
        return Err(DiscoveryError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            body: text.chars().take(300).collect(),
        });
    }
    Ok(text)
}

/// Fetches `{issuer}/.well-known/openid-configuration` and checks it names `issuer`.
pub async fn discover(issuer: &str) -> Result<OpenIdConfiguration, DiscoveryError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let config = fetch_configuration(&http_client(), &url).await?;
    if config.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(DiscoveryError::IssuerMismatch {
            url,
            expected: issuer.to_owned(),
            actual: config.issuer,
        });
    }
    Ok(config)
}

async fn fetch_configuration(
    client: &reqwest::Client,
    url: &str,
) -> Result<OpenIdConfiguration, DiscoveryError> {
    let text = get_text(client, url).await?;
    serde_json::from_str(&text).map_err(|source| DiscoveryError::BadDiscovery {
        url: url.to_owned(),
        source,
    })
}

/// Loads a JWKS from an issuer URL, a discovery URL, a JWKS URL or a file path.
pub async fn fetch_jwks(issuer_or_jwks_url: &str) -> Result<Jwks, DiscoveryError> {
    load(&JwksSource::parse(issuer_or_jwks_url)?).await
}

/// Loads a JWKS from a classified source.
pub async fn load(source: &JwksSource) -> Result<Jwks, DiscoveryError> {
    let client = http_client();
    let jwks_url = match source {
        JwksSource::File(path) => {
            let text = tokio::fs::read_to_string(path).await.map_err(|source| {
                DiscoveryError::ReadFile {
                    path: path.clone(),
                    source,
                }
            })?;
            return Ok(Jwks::from_json_named(&text, &path.display().to_string())?);
        }
        JwksSource::JwksUrl(url) => url.to_string(),
        JwksSource::Discovery(url) => fetch_configuration(&client, url.as_str()).await?.jwks_uri,
        // Where keys are fetched from is the caller's choice (`--jwks`, `HOIST_OIDC_ISSUER`);
        // the token's `iss` is checked by `jwt::verify`, so the document's `issuer` is not.
        JwksSource::Issuer(url) => {
            let discovery = format!(
                "{}/.well-known/openid-configuration",
                url.as_str().trim_end_matches('/')
            );
            fetch_configuration(&client, &discovery).await?.jwks_uri
        }
    };
    let text = get_text(&client, &jwks_url).await?;
    Ok(Jwks::from_json_named(&text, &jwks_url)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_arguments() {
        assert!(matches!(
            JwksSource::parse("https://token.actions.githubusercontent.com").unwrap(),
            JwksSource::Issuer(_)
        ));
        assert!(matches!(
            JwksSource::parse("https://token.actions.githubusercontent.com/.well-known/jwks")
                .unwrap(),
            JwksSource::JwksUrl(_)
        ));
        assert!(matches!(
            JwksSource::parse("http://127.0.0.1:9/.well-known/openid-configuration").unwrap(),
            JwksSource::Discovery(_)
        ));
        assert_eq!(
            JwksSource::parse("fixtures/jwks.json").unwrap(),
            JwksSource::File(PathBuf::from("fixtures/jwks.json"))
        );
        assert!(matches!(
            JwksSource::parse("http://[::1"),
            Err(DiscoveryError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for bad in [
            "http://token.actions.githubusercontent.com",
            "http://example.com/.well-known/jwks",
            "http://10.1.2.3/.well-known/openid-configuration",
        ] {
            let e = JwksSource::parse(bad).unwrap_err();
            assert!(matches!(e, DiscoveryError::Transport(_)), "{bad}: {e:?}");
        }
        assert!(JwksSource::parse("http://localhost:8080/.well-known/jwks").is_ok());
        assert!(JwksSource::parse("http://[::1]:8080").is_ok());
    }
}
