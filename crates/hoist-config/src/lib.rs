//! hoist.toml: the schema, its parsing and validation, and the choice of environment from a
//! GitHub event.
//!
//! Owns: the typed, validated [`Config`] every command works from; errors that name
//! `file:line:column` and the expected form; the pure mapping from a GitHub event
//! (`GITHUB_EVENT_NAME`, `GITHUB_REF`, the payload) to an environment; the commented template
//! that `hoist init` writes.
//!
//! Must not touch: the file system, the network or the process environment. Callers read the
//! file and the variables and hand over text and values, so every rule here is testable as a
//! pure function.

mod error;
mod event;
mod model;
mod raw;
mod template;
mod validate;
mod workflow;

pub use error::ConfigError;
pub use event::{EventRefusal, GithubEvent, resolve_environment};
pub use model::{
    AwsSettings, Config, DeploySource, Environment, Images, LayerCompression, OidcSettings,
    Permissions, Redeploy, Repository, SecretSync, ServiceRef, SubjectFormat, TagMutability, Tier,
    Trigger,
};
pub use template::init_template;
pub use workflow::{SetupStep, StepAction, WorkflowSettings};

/// The file name hoist looks for when `--config` and `HOIST_CONFIG` are absent.
pub const DEFAULT_FILE_NAME: &str = "hoist.toml";

/// Parses and validates the text of a hoist.toml. `file` only labels error messages.
///
/// # Errors
/// A [`ConfigError`] naming `file:line:column`, what was found and the expected form.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(&e, text, file))?;
    validate::validate(raw, text, file)
}
