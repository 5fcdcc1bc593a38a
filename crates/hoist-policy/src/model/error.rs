//! `PolicyParseError`: why a policy document could not be read.

use thiserror::Error;

/// A policy document that is not valid JSON, not shaped like an IAM policy,
/// or breaks one of IAM's grammar rules.
#[derive(Debug, Error)]
pub enum PolicyParseError {
    /// The JSON is malformed or an element has the wrong shape.
    #[error("policy document is invalid at line {line}, column {column}: {what}")]
    Json {
        /// 1-based line of the offending token.
        line: usize,
        /// 1-based column of the offending token.
        column: usize,
        /// What was found and what was expected instead.
        what: String,
        /// The underlying JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The percent-encoded document (as IAM `GetRole` returns it) does not
    /// decode to UTF-8.
    #[error("percent-encoded policy document does not decode to UTF-8 text")]
    NotUtf8 {
        /// The decoding error.
        #[source]
        source: std::str::Utf8Error,
    },
    /// Valid JSON, but IAM would reject it (`MalformedPolicyDocument`).
    #[error("policy document is invalid{}: {message}", statement.as_ref().map(|s| format!(" in statement {s}")).unwrap_or_default())]
    Invalid {
        /// The statement label (`#0 (Sid)`), when the problem is in one.
        statement: Option<String>,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl PolicyParseError {
    pub(crate) fn from_json(source: serde_json::Error) -> Self {
        let line = source.line();
        let column = source.column();
        let full = source.to_string();
        let suffix = format!(" at line {line} column {column}");
        let what = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        PolicyParseError::Json {
            line,
            column,
            what,
            source,
        }
    }
}
