//! A token server for Distribution's registry configured with `auth.token`: the other half of
//! the OCI distribution auth flow (the registry answers `401` with
//! `WWW-Authenticate: Bearer realm=…,service=…,scope=…`; the client asks this server for a
//! token and sends it as `Authorization: Bearer …`).
//!
//! Follows the Docker token specification as Distribution 2.8 checks it: an ES256 JWT whose
//! header carries the signing certificate in `x5c` (a self-signed certificate, generated with
//! `rcgen`, that the registry trusts through `rootcertbundle`), claims `iss`, `sub`, `aud` (the
//! service), `exp`, `nbf`, `iat`, `jti` and `access` (`[{type, name, actions}]`); the answer is
//! `{"token", "expires_in", "issued_at"}`. Users authenticate with HTTP Basic; an anonymous
//! request is granted `pull` only. Every request is recorded (user, scopes) for assertions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;

use crate::github::server::BackgroundServer;

/// The `service` the registry and the tokens name.
pub const SERVICE: &str = "hoist-test-registry";
/// The tokens' issuer.
pub const ISSUER: &str = "hoist-testkit-token-server";

/// One token request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The Basic user, `None` for an anonymous request.
    pub user: Option<String>,
    pub service: Option<String>,
    pub scopes: Vec<String>,
    /// The status answered (401 for wrong credentials).
    pub status: u16,
}

struct Inner {
    users: BTreeMap<String, String>,
    key_pem: String,
    cert_der: Vec<u8>,
    lifetime_secs: u64,
    requests: Mutex<Vec<TokenRequest>>,
}

/// The token server, on a loopback port of its own until dropped.
pub struct TokenServer {
    inner: Arc<Inner>,
    cert_pem: String,
    server: BackgroundServer,
}

impl TokenServer {
    /// A server knowing `users` (name, password), issuing tokens valid `lifetime_secs`.
    ///
    /// # Panics
    /// When the key or certificate cannot be generated.
    #[must_use]
    pub fn start(users: &[(&str, &str)], lifetime_secs: u64) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .expect("generate a P-256 key");
        let params = rcgen::CertificateParams::new(vec!["hoist-token-server".to_owned()])
            .expect("certificate parameters");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        let inner = Arc::new(Inner {
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
            lifetime_secs,
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/token", get(token))
            .with_state(inner.clone());
        Self {
            inner,
            cert_pem: cert.pem(),
            server: BackgroundServer::start("registry-token", router),
        }
    }

    /// The realm the registry sends clients to.
    #[must_use]
    pub fn realm(&self) -> String {
        format!("{}/token", self.server.base_url())
    }

    /// The signing certificate (PEM), for the registry's `rootcertbundle`.
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Every request so far, oldest first.
    ///
    /// # Panics
    /// When the lock is poisoned.
    #[must_use]
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.inner.requests.lock().expect("not poisoned").clone()
    }
}

fn basic_user(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get("authorization") else {
        return Ok(None);
    };
    let value = value.to_str().map_err(drop)?;
    let encoded = value.strip_prefix("Basic ").ok_or(())?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(drop)?;
    let text = String::from_utf8(raw).map_err(drop)?;
    let (u, p) = text.split_once(':').ok_or(())?;
    Ok(Some((u.to_owned(), p.to_owned())))
}

/// `repository:NAME:ACTIONS` → the access entry this server grants.
fn access(scope: &str, anonymous: bool) -> Option<serde_json::Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let granted: Vec<&str> = actions
        .split(',')
        .filter(|a| !anonymous || *a == "pull")
        .collect();
    Some(serde_json::json!({"type": kind, "name": name, "actions": granted}))
}

async fn token(
    State(inner): State<Arc<Inner>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let service = pairs
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.clone());
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let user = basic_user(&headers);
    let (status, user) = match user {
        Ok(None) => (StatusCode::OK, None),
        Ok(Some((u, p))) if inner.users.get(&u) == Some(&p) => (StatusCode::OK, Some(u)),
        Ok(Some((u, _))) => (StatusCode::UNAUTHORIZED, Some(u)),
        Err(()) => (StatusCode::UNAUTHORIZED, None),
    };
    inner
        .requests
        .lock()
        .expect("not poisoned")
        .push(TokenRequest {
            user: user.clone(),
            service: service.clone(),
            scopes: scopes.clone(),
            status: status.as_u16(),
        });
    if status != StatusCode::OK {
        return (status, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}").into_response();
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": user.clone().unwrap_or_default(),
        "aud": service.unwrap_or_default(),
        "exp": now + i64::try_from(inner.lifetime_secs).unwrap_or(60),
        "nbf": now - 10,
        "iat": now,
        "jti": format!("{:032x}", rand::random::<u128>()),
        "access": scopes.iter().filter_map(|s| access(s, user.is_none())).collect::<Vec<_>>(),
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.x5c = Some(vec![
        base64::engine::general_purpose::STANDARD.encode(&inner.cert_der),
    ]);
    let key = jsonwebtoken::EncodingKey::from_ec_pem(inner.key_pem.as_bytes())
        .expect("the generated key is PKCS#8 PEM");
    let jwt = jsonwebtoken::encode(&header, &claims, &key).expect("sign the token");
    let issued = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    axum::Json(serde_json::json!({
        "token": jwt,
        "expires_in": inner.lifetime_secs,
        "issued_at": issued,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_what_the_scope_asks_and_anonymous_pull_only() {
        assert_eq!(
            access("repository:team/app:pull,push", false),
            Some(
                serde_json::json!({"type":"repository","name":"team/app","actions":["pull","push"]})
            )
        );
        assert_eq!(
            access("repository:app:pull,push", true),
            Some(serde_json::json!({"type":"repository","name":"app","actions":["pull"]}))
        );
        assert_eq!(access("nonsense", false), None);
    }
}
