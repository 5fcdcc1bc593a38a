//! Errors of the registry data plane, keeping the URL, the HTTP status and the registry's body.

use std::path::PathBuf;

/// What went wrong talking to a registry or reading a local image.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry could not be reached (connection refused, DNS, TLS, dropped connection).
    #[error("cannot reach the registry at {url}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The registry answered with an error status; `body` is its own error document.
    #[error("{method} {url} answered {status}: {body}")]
    Status {
        method: &'static str,
        url: String,
        status: u16,
        body: String,
    },
    /// Basic auth was refused (401): the ECR token expired or the registry is not the one the
    /// token is for.
    #[error("the registry refused the credentials ({method} {url} answered 401)")]
    Unauthorized { method: &'static str, url: String },
    /// The registry asked for credentials (401) and fetching them failed.
    #[error("the registry asked for credentials and none could be had")]
    Credentials {
        #[source]
        source: crate::auth::CredentialError,
    },
    /// What the registry sent could not be understood.
    #[error("unexpected answer from {url}: {detail}")]
    Protocol { url: String, detail: String },
    /// A blob's bytes did not match its digest (a corrupted or changed local file, or a
    /// registry that answered with other bytes).
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// A local image file could not be read.
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A local image (layout or archive) is not in a form hoist understands.
    #[error("{path} is not a usable image: {detail}")]
    BadImage { path: PathBuf, detail: String },
    /// A JSON document (manifest, index, config) could not be parsed.
    #[error("cannot parse {what}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A manifest's media type is not one hoist can push or compare.
    #[error("unsupported manifest media type {media_type:?} at {url}")]
    UnsupportedMediaType { url: String, media_type: String },
    /// An index has no image manifest for the platform hoist compares or pushes.
    #[error("the image index at {url} has no {platform} manifest")]
    NoPlatform { url: String, platform: String },
}

impl RegistryError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_image(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Self::BadImage {
            path: path.into(),
            detail: detail.into(),
        }
    }

    /// The HTTP status when the registry answered with an error.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }
}
