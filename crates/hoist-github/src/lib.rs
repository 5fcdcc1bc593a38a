//! GitHub REST API client for hoist: repository ids, Actions secrets, Actions variables,
//! tag rulesets and deployment environments ([`rulesets`]), deployments and their statuses
//! ([`deployments`]).
//!
//! Owns: talking to `api.github.com` (or `GITHUB_API_URL`) with GitHub's documented headers,
//! encrypting secret values as libsodium sealed boxes to the repository public key, converging
//! variables (create or update), paginating lists, retrying 5xx answers and rate limits as
//! GitHub documents ([`retry`]), mapping 401/403/404 to messages that name the token
//! permission needed, and the `gh` CLI equivalents hoist prints ([`gh_cli`]).
//!
//! Must not touch: AWS, OIDC tokens (`hoist-oidc`), printing or reading environment variables
//! (the `hoist` binary). Secret values and tokens live in redacting newtypes ([`SecretValue`],
//! [`GithubToken`]) and never reach `Debug`, logs or errors.

mod client;
pub mod deployments;
pub mod error;
pub mod gh_cli;
pub mod repo;
pub mod retry;
pub mod rulesets;
pub mod secrets;
pub mod token;
pub mod variables;

pub use client::GithubClient;
pub use deployments::{Deployment, DeploymentState, DeploymentStatus, NewDeployment};
pub use error::{GithubError, Permission};
pub use gh_cli::{gh_cli_lines, gh_secret_with_body};
pub use repo::{RepoRef, Repository};
pub use retry::RetryPolicy;
pub use rulesets::{EnvironmentProtection, Ruleset};
pub use secrets::{PublicKey, PutOutcome, SecretMeta};
pub use token::{GithubToken, SecretValue};
pub use variables::{Variable, VariableOutcome};

/// Default API base URL.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
