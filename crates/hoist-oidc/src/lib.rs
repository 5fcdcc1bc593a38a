//! GitHub Actions OIDC identity for hoist.
//!
//! Owns: the typed GitHub OIDC claim set ([`claims`]), RS256-only JWT verification against a
//! JWKS ([`jwt`], [`jwks`]), JWKS discovery from an issuer, a URL or a file ([`discovery`]), and
//! the Actions runtime ID-token client with redacted token newtypes ([`actions`]).
//!
//! Must not touch: AWS (exchanging the token for credentials is `hoist-aws`), trust-policy
//! evaluation (`hoist-policy`), printing (the `hoist` binary). Tokens never reach `Debug`,
//! `Display`, logs or error messages.

pub mod actions;
pub mod claims;
pub mod discovery;
pub mod jwks;
pub mod jwt;

pub use actions::{ActionsTokenClient, ActionsTokenError, IdToken, RequestToken, RetryPolicy};
pub use claims::{Audience, ClaimsError, GithubClaims};
pub use discovery::{DiscoveryError, JwksSource, fetch_jwks};
pub use jwks::{Jwk, Jwks, JwksError};
pub use jwt::{JwtError, JwtHeader, VerifyOptions, decode_unverified, peek_header, verify};

/// The issuer of every token GitHub Actions mints on github.com.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The audience AWS STS expects (what `aws-actions/configure-aws-credentials` requests).
pub const AWS_AUDIENCE: &str = "sts.amazonaws.com";
