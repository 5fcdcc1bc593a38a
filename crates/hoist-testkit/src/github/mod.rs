//! GitHub-side fixtures, following GitHub's documented shapes.
//!
//! - [`OidcIssuer`]: an OIDC provider (discovery document + JWKS) that mints RS256 tokens with
//!   GitHub's claim set ([`ClaimsBuilder`]), plus forged tokens for attack tests.
//! - [`ActionsTokenEndpoint`]: the Actions runtime's ID-token endpoint
//!   (`ACTIONS_ID_TOKEN_REQUEST_URL` / `ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
//! - [`GithubApi`]: the REST subset hoist uses (repository, Actions secrets with sealed boxes,
//!   Actions variables), decrypting what it receives so tests can assert plaintexts.
//!
//! Every server binds `127.0.0.1:0`, runs on its own thread and runtime (usable from sync and
//! async tests alike), and stops when dropped.

mod actions_endpoint;
mod api;
mod claims;
mod issuer;
mod keys;
pub(crate) mod server;
#[cfg(test)]
mod tests;

pub use actions_endpoint::{ActionsTokenEndpoint, TokenRequest};
pub use api::{ApiRequest, GithubApi, RecordedDeployment, Transient};
pub use claims::ClaimsBuilder;
pub use issuer::OidcIssuer;

/// The issuer of GitHub's real tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
