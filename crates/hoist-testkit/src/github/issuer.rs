//! An OIDC issuer serving GitHub's discovery document and JWKS, and minting tokens.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use super::GITHUB_ISSUER;
use super::claims::ClaimsBuilder;
use super::keys::{self, TestKey, compact};
use super::server::BackgroundServer;

/// Signs tokens as one issuer; shared with the Actions token endpoint.
#[derive(Clone)]
pub(crate) struct Minter {
    pub(crate) issuer: String,
    pub(crate) key: &'static TestKey,
}

impl Minter {
    fn header(&self, alg: &str, kid: &str) -> Value {
        json!({ "typ": "JWT", "alg": alg, "x5t": kid, "kid": kid })
    }

    pub(crate) fn mint(&self, claims: &ClaimsBuilder) -> String {
        let payload = Value::Object(claims.build(&self.issuer));
        compact(&self.header("RS256", &self.key.kid), &payload, |input| {
            self.key.sign_rs256(input)
        })
    }
}

/// A running OIDC issuer on `127.0.0.1`. Stops on drop.
///
/// By default the tokens' `iss` (and the discovery document's `issuer`) is the fixture's own
/// base URL; [`OidcIssuer::start_as_github`] makes both claim
/// `https://token.actions.githubusercontent.com` while keys are still served locally.
pub struct OidcIssuer {
    server: BackgroundServer,
    minter: Minter,
}

impl OidcIssuer {
    /// Starts an issuer whose `iss` is its own base URL.
    pub fn start() -> Self {
        Self::start_inner(None)
    }

    /// Starts an issuer whose tokens and discovery document claim GitHub's issuer URL.
    pub fn start_as_github() -> Self {
        Self::start_inner(Some(GITHUB_ISSUER.to_owned()))
    }

    fn start_inner(claimed_issuer: Option<String>) -> Self {
        let key = keys::primary();
        // The discovery document needs the issuer and base URL, known only after binding:
        // the handler reads them from a cell filled right after start.
        let urls: Arc<OnceLock<(String, String)>> = Arc::default();
        let jwks = json!({ "keys": [key.jwk()] });
        let doc_urls = urls.clone();
        let router = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || {
                    let (issuer, base) = doc_urls.get().cloned().unwrap_or_default();
                    async move { Json(discovery_document(&issuer, &base)) }
                }),
            )
            .route("/.well-known/jwks", get(move || async move { Json(jwks) }));
        let server = BackgroundServer::start("oidc-issuer", router);
        let base = server.base_url();
        let issuer = claimed_issuer.unwrap_or_else(|| base.clone());
        urls.set((issuer.clone(), base)).expect("urls set once");
        OidcIssuer {
            server,
            minter: Minter { issuer, key },
        }
    }

    /// Where the fixture is served: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The `iss` its tokens carry.
    pub fn issuer(&self) -> &str {
        &self.minter.issuer
    }

    /// `{url}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.url())
    }

    /// `{url}/.well-known/jwks`.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks", self.url())
    }

    /// The key id of the signing key.
    pub fn kid(&self) -> &str {
        &self.minter.key.kid
    }

    /// The JWKS document served at [`Self::jwks_url`].
    pub fn jwks_json(&self) -> String {
        json!({ "keys": [self.minter.key.jwk()] }).to_string()
    }

    /// Writes the JWKS to `dir/jwks.json` (for `--jwks FILE`).
    pub fn write_jwks_file(&self, dir: &Path) -> PathBuf {
        let path = dir.join("jwks.json");
        std::fs::write(&path, self.jwks_json()).expect("write jwks.json");
        path
    }

    /// The public key as SPKI PEM (what an HS256 key-confusion attacker would use).
    pub fn public_key_pem(&self) -> &str {
        &self.minter.key.public_pem
    }

    /// The claims a token minted from `claims` carries (fresh `jti`, current clock).
    pub fn claims_json(&self, claims: &ClaimsBuilder) -> Value {
        Value::Object(claims.build(&self.minter.issuer))
    }

    /// A valid RS256 token with `claims`.
    pub fn mint(&self, claims: &ClaimsBuilder) -> String {
        self.minter.mint(claims)
    }

    pub(crate) fn minter(&self) -> Minter {
        self.minter.clone()
    }

    /// Attack: `alg: none`, empty signature.
    pub fn mint_alg_none(&self, claims: &ClaimsBuilder) -> String {
        let header = json!({ "typ": "JWT", "alg": "none", "kid": self.kid() });
        compact(&header, &self.claims_json(claims), |_| String::new())
    }

    /// Attack: `alg: HS256` with the issuer's public key PEM as the HMAC secret
    /// (key confusion), carrying the real `kid`.
    pub fn mint_hs256_with_public_key(&self, claims: &ClaimsBuilder) -> String {
        let header = json!({ "typ": "JWT", "alg": "HS256", "kid": self.kid() });
        let key = EncodingKey::from_secret(self.public_key_pem().as_bytes());
        compact(&header, &self.claims_json(claims), |input| {
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).expect("HS256")
        })
    }

    /// Attack: correctly signed, but naming a `kid` the JWKS does not have.
    pub fn mint_with_kid(&self, claims: &ClaimsBuilder, kid: &str) -> String {
        let header = self.minter.header("RS256", kid);
        compact(&header, &self.claims_json(claims), |input| {
            self.minter.key.sign_rs256(input)
        })
    }

    /// Attack: the issuer's `kid`, signed by another RSA key.
    pub fn mint_with_foreign_key(&self, claims: &ClaimsBuilder) -> String {
        let header = self.minter.header("RS256", self.kid());
        let foreign = keys::foreign();
        compact(&header, &self.claims_json(claims), |input| {
            foreign.sign_rs256(input)
        })
    }

    /// Attack: a token with an arbitrary header JSON, signed RS256 by the issuer's key.
    pub fn mint_with_header(&self, claims: &ClaimsBuilder, header: Value) -> String {
        compact(&header, &self.claims_json(claims), |input| {
            self.minter.key.sign_rs256(input)
        })
    }

    /// Attack: `token` with claim `name` replaced by `value`, keeping the original signature.
    pub fn tamper(token: &str, name: &str, value: impl Into<Value>) -> String {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "tamper needs a compact JWT");
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("payload base64");
        let mut claims: Value = serde_json::from_slice(&payload).expect("payload json");
        claims[name] = value.into();
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{}.{}.{}", parts[0], payload, parts[2])
    }
}

fn discovery_document(issuer: &str, base: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{base}/.well-known/jwks"),
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "claims_supported": [
            "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
            "repository_id", "repository_owner", "repository_owner_id", "enterprise",
            "enterprise_id", "run_id", "run_number", "run_attempt", "actor", "actor_id",
            "workflow", "workflow_ref", "workflow_sha", "head_ref", "base_ref", "event_name",
            "ref_type", "ref_protected", "environment", "environment_node_id",
            "job_workflow_ref", "job_workflow_sha", "repository_visibility",
            "runner_environment", "issuer_scope"
        ],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"],
    })
}
