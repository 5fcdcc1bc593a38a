//! The exit-code contract: 0 success, 1 a negative answer or a failed operation, 2 bad input.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// The command did what was asked; the answer is yes.
    Success,
    /// A negative answer (denied trust check, failed doctor check, refused environment) or an
    /// operation that failed.
    Failure,
    /// Bad input: configuration, flags, files or tokens that cannot be used. Nothing changed.
    BadInput,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        match s {
            ExitStatus::Success => Self::from(0),
            ExitStatus::Failure => Self::from(1),
            ExitStatus::BadInput => Self::from(2),
        }
    }
}

/// An error caused by what the user gave hoist; exits 2. `hint` says how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct BadInput {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl BadInput {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A failure that carries its own fix; exits 1.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Failed {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Failed {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
