//! Errors of the GitHub client: status, URL and GitHub's own message, plus the permission
//! the token lacks.

/// The token permission an operation needs, named in 401/403/404 messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Reading the repository (`GET /repos/{owner}/{repo}`).
    Metadata,
    /// Reading or writing Actions secrets.
    Secrets,
    /// Reading or writing Actions variables.
    Variables,
    /// Reading or writing rulesets and environments.
    Administration,
    /// Creating deployments and deployment statuses.
    Deployments,
}

impl Permission {
    /// What to grant, for classic and fine-grained tokens.
    pub fn advice(self) -> &'static str {
        match self {
            Permission::Metadata => {
                "a classic token needs the `repo` scope (private repositories); a fine-grained token needs access to this repository with \"Metadata: Read-only\""
            }
            Permission::Secrets => {
                "a classic token needs the `repo` scope; a fine-grained token needs repository permission \"Secrets: Read and write\""
            }
            Permission::Variables => {
                "a classic token needs the `repo` scope; a fine-grained token needs repository permission \"Variables: Read and write\""
            }
            Permission::Administration => {
                "a classic token needs the `repo` scope and admin rights on the repository; a fine-grained token needs repository permission \"Administration: Read and write\""
            }
            Permission::Deployments => {
                "in a workflow, give the job `permissions: deployments: write`; a classic token needs the `repo_deployment` scope; a fine-grained token needs repository permission \"Deployments: Read and write\""
            }
        }
    }
}

/// A failed GitHub API call. Never contains the token or a secret value.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// Not `OWNER/NAME`.
    #[error("`{input}` is not a repository; write it as OWNER/NAME, e.g. octo-org/octo-repo")]
    InvalidRepo {
        /// What was given.
        input: String,
    },
    /// A secret or variable name GitHub would refuse.
    #[error(
        "`{name}` is not a valid {kind} name: use letters, digits and `_`, not starting with a digit or `GITHUB_`"
    )]
    InvalidName {
        /// `secret` or `variable`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// The API base URL does not parse.
    #[error("GITHUB_API_URL `{url}` is not a valid URL")]
    InvalidApiUrl {
        /// The URL.
        url: String,
        /// The parse error.
        #[source]
        source: url::ParseError,
    },
    /// Transport failure.
    #[error("{method} {url} failed to connect; check the network and GITHUB_API_URL")]
    Http {
        /// HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// GitHub answered with an error status.
    #[error("{method} {url} answered HTTP {status}: {message}")]
    Api {
        /// HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// Status code.
        status: u16,
        /// GitHub's `message` (or the start of the body).
        message: String,
        /// What to do about it (not part of the message: the binary's renderer prints it as
        /// its `hint:` line, see [`GithubError::hint`]).
        hint: Option<String>,
    },
    /// A success answer of the wrong shape.
    #[error("{method} {url} answered with an unexpected body")]
    Decode {
        /// HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The repository public key is not a base64 X25519 key.
    #[error("the public key of {repo} is not a base64 32-byte X25519 key ({reason})")]
    BadPublicKey {
        /// `OWNER/NAME`.
        repo: String,
        /// What is wrong.
        reason: String,
    },
    /// Sealing the value failed.
    #[error("encrypting secret `{name}` failed")]
    Encrypt {
        /// The secret name.
        name: String,
    },
    /// An API URL that is not https, or an answer too large.
    #[error(transparent)]
    Transport(#[from] hoist_http::TransportError),
    /// A `Link: rel="next"` URL points off the API host (the token would leak there).
    #[error(
        "GitHub's pagination link points to another host ({url}); refusing to send the token there"
    )]
    ForeignLink {
        /// The link.
        url: String,
    },
}

impl GithubError {
    /// What to do about the failure, for API errors that have a known fix (a token without the
    /// permission, a rate limit, an unknown repository).
    #[must_use]
    pub fn hint(&self) -> Option<&str> {
        match self {
            GithubError::Api { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            GithubError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub(crate) fn hint_for(status: u16, permission: Permission, repo: &str) -> Option<String> {
    match status {
        401 => Some(
            "the token was rejected (expired, revoked or mistyped); create a new token and set GITHUB_TOKEN".to_owned(),
        ),
        403 => Some(format!(
            "the token may not do this on {repo}: {}",
            permission.advice()
        )),
        404 => Some(format!(
            "{repo} does not exist or this token cannot see it (GitHub answers 404, not 403, for private repositories out of reach): check OWNER/NAME; {}",
            permission.advice()
        )),
        422 => Some("GitHub refused the request as invalid; see its message above".to_owned()),
        500..=599 => Some(
            "GitHub failed on its side, also after hoist's retries: run the command again in a few minutes (https://www.githubstatus.com shows incidents)".to_owned(),
        ),
        _ => None,
    }
}
