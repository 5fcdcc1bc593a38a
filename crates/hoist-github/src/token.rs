//! Redacting newtypes for the API token and for secret values.

use std::fmt;

/// A GitHub token (PAT, fine-grained or `GITHUB_TOKEN`). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubToken(String);

impl GithubToken {
    /// Wraps a token (surrounding whitespace, e.g. from a file, is dropped).
    pub fn new(token: impl Into<String>) -> Self {
        GithubToken(token.into().trim().to_owned())
    }

    /// The token, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GithubToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GithubToken(<redacted, {} bytes>)", self.0.len())
    }
}

/// A secret's plaintext value. `Debug` never shows it; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }

    /// The value, for encryption only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue(<redacted, {} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let t = GithubToken::new(" ghp_abcdef\n");
        assert_eq!(t.expose(), "ghp_abcdef");
        assert_eq!(format!("{t:?}"), "GithubToken(<redacted, 10 bytes>)");
        let s = SecretValue::new("hunter2");
        assert_eq!(format!("{s:?}"), "SecretValue(<redacted, 7 bytes>)");
    }
}
