//! What can be wrong with a compose project: each error names the file and, when it is in
//! one, the service.

use std::fmt;
use std::path::{Path, PathBuf};

/// A compose project hoist cannot read the way Docker would.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A compose file (or the `.env` file) cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A compose file is not YAML.
    #[error("{} is not valid YAML", path.display())]
    Yaml {
        path: PathBuf,
        #[source]
        source: serde_norway::Error,
    },
    /// A compose file is YAML but not a compose file (no `services:` mapping, a service that
    /// is not a mapping, …).
    #[error("{at}: {detail}")]
    Invalid { at: At, detail: String },
    /// A line of the `.env` file is not `NAME=VALUE`.
    #[error("{}:{line}: {detail}", path.display())]
    EnvFile {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    /// `${NAME:?message}` or `${NAME?message}` with `NAME` unset (or empty, for `:?`).
    #[error("{at}: required variable {variable} is missing a value: {message}")]
    RequiredVariable {
        at: At,
        variable: String,
        message: String,
    },
    /// A `$` that starts no valid interpolation (`$$` is a literal `$`).
    #[error("{at}: invalid interpolation {text:?}: {detail}")]
    Interpolation {
        at: At,
        text: String,
        detail: &'static str,
    },
    /// `extends` names a service its file does not define.
    #[error("{at}: extends service {target:?}, which {} does not define", file.display())]
    UnknownExtends {
        at: At,
        target: String,
        file: PathBuf,
    },
    /// Services extend each other in a circle.
    #[error("{at}: extends forms a cycle: {chain}")]
    ExtendsCycle { at: At, chain: String },
}

/// Where in a compose project: a file, and the service when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub file: PathBuf,
    pub service: Option<String>,
}

impl At {
    pub(crate) fn file(file: &Path) -> Self {
        Self {
            file: file.to_owned(),
            service: None,
        }
    }

    pub(crate) fn service(file: &Path, service: &str) -> Self {
        Self {
            file: file.to_owned(),
            service: Some(service.to_owned()),
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.service {
            Some(s) => write!(f, "{}, service {s:?}", self.file.display()),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

impl ComposeError {
    /// What fixes it.
    #[must_use]
    pub fn hint(&self) -> String {
        match self {
            Self::Read { .. } => {
                "set compose_file in [images] of hoist.toml to the compose file".to_owned()
            }
            Self::RequiredVariable { variable, .. } => {
                format!("set {variable} in the environment or in the project's .env file")
            }
            Self::Interpolation { .. } => {
                "write `$$` for a literal `$`, `${NAME}` or `${NAME:-default}` for a variable"
                    .to_owned()
            }
            Self::UnknownExtends { .. } | Self::ExtendsCycle { .. } => {
                "`extends` must name a service of the file (or of `extends.file`), without a circle"
                    .to_owned()
            }
            Self::Yaml { .. } | Self::Invalid { .. } | Self::EnvFile { .. } => {
                "the compose file must be valid: see `docker compose config`".to_owned()
            }
        }
    }

    pub(crate) fn invalid(at: At, detail: impl Into<String>) -> Self {
        Self::Invalid {
            at,
            detail: detail.into(),
        }
    }
}
