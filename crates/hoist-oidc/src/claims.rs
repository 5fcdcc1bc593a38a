//! The claim set GitHub puts in an Actions OIDC token.
//!
//! Every claim GitHub documents is a typed optional field; `raw` keeps the whole payload (also
//! claims GitHub adds later) for the trust engine, which matches conditions on arbitrary keys.
//! GitHub sends ids and counters as JSON strings (`"repository_id": "74"`); numbers and booleans
//! are accepted too and kept as their string form.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `aud` claim: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "sts.amazonaws.com"` (what GitHub sends).
    One(String),
    /// `"aud": ["a", "b"]`.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is one of the values.
    pub fn contains(&self, audience: &str) -> bool {
        self.values().any(|a| a == audience)
    }

    /// All values, in order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Audience::One(one) => std::slice::from_ref(one),
            Audience::Many(many) => many,
        };
        slice.iter().map(String::as_str)
    }
}

/// Why a claim set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    /// The claims file could not be read.
    #[error("cannot read claims file {}; check the path", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error(
        "claims in {origin} are not valid JSON; write them as one JSON object like {{\"sub\": \"repo:owner/name:ref:refs/heads/main\"}}"
    )]
    Json {
        /// Where the text came from (a path, or "the token payload").
        origin: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON is not an object.
    #[error("claims in {origin} must be a JSON object, found {found}")]
    NotObject {
        /// Where the text came from.
        origin: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A claim has the wrong JSON type.
    #[error("claim `{claim}` must be {expected}, found {found}")]
    InvalidClaim {
        /// The claim name.
        claim: String,
        /// What GitHub sends for it.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
}

macro_rules! github_claims {
    (
        strings { $($(#[$sdoc:meta])* $sfield:ident => $sname:literal),* $(,)? }
        times { $($(#[$tdoc:meta])* $tfield:ident),* $(,)? }
    ) => {
        /// GitHub's OIDC claim set, typed, plus the raw payload.
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct GithubClaims {
            /// `aud`: the audience the token was requested for.
            pub aud: Option<Audience>,
            $( $(#[$sdoc])* pub $sfield: Option<String>, )*
            $( $(#[$tdoc])* pub $tfield: Option<i64>, )*
            /// Every claim in the payload, as sent (also those without a typed field).
            pub raw: Map<String, Value>,
        }

        impl GithubClaims {
            /// Types the claims of a JSON object; unknown claims stay in `raw` only.
            pub fn from_map(raw: Map<String, Value>) -> Result<Self, ClaimsError> {
                let aud = match raw.get("aud") {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(Audience::deserialize(value).map_err(|_| {
                        ClaimsError::InvalidClaim {
                            claim: "aud".into(),
                            expected: "a string or a list of strings",
                            found: json_type(value),
                        }
                    })?),
                };
                Ok(GithubClaims {
                    aud,
                    $( $sfield: string_claim(&raw, $sname)?, )*
                    $( $tfield: time_claim(&raw, stringify!($tfield))?, )*
                    raw,
                })
            }
        }
    };
}

github_claims! {
    strings {
        /// `sub`: e.g. `repo:octo-org/octo-repo:ref:refs/heads/main`.
        sub => "sub",
        /// `iss`: `https://token.actions.githubusercontent.com` on github.com.
        iss => "iss",
        /// `jti`: unique token id.
        jti => "jti",
        /// `repository`: `owner/name`.
        repository => "repository",
        /// `repository_id`: numeric id, as a string.
        repository_id => "repository_id",
        /// `repository_owner`: the owner's login.
        repository_owner => "repository_owner",
        /// `repository_owner_id`: numeric id, as a string.
        repository_owner_id => "repository_owner_id",
        /// `repository_visibility`: `public`, `private` or `internal`.
        repository_visibility => "repository_visibility",
        /// `ref`: e.g. `refs/heads/main`, `refs/tags/v1.0.0`, `refs/pull/7/merge`.
        git_ref => "ref",
        /// `ref_type`: `branch` or `tag`.
        ref_type => "ref_type",
        /// `ref_protected`: `"true"` or `"false"`.
        ref_protected => "ref_protected",
        /// `sha`: the commit.
        sha => "sha",
        /// `environment`: the job's environment, when it has one.
        environment => "environment",
        /// `environment_node_id`: GraphQL id of the environment.
        environment_node_id => "environment_node_id",
        /// `event_name`: e.g. `push`, `pull_request`, `workflow_dispatch`, `release`.
        event_name => "event_name",
        /// `job_workflow_ref`: `owner/repo/.github/workflows/x.yml@refs/heads/main`.
        job_workflow_ref => "job_workflow_ref",
        /// `job_workflow_sha`: commit of the job's workflow file.
        job_workflow_sha => "job_workflow_sha",
        /// `workflow`: the workflow's name.
        workflow => "workflow",
        /// `workflow_ref`: `owner/repo/.github/workflows/x.yml@refs/heads/main`.
        workflow_ref => "workflow_ref",
        /// `workflow_sha`: commit of the workflow file.
        workflow_sha => "workflow_sha",
        /// `run_id`.
        run_id => "run_id",
        /// `run_number`.
        run_number => "run_number",
        /// `run_attempt`.
        run_attempt => "run_attempt",
        /// `runner_environment`: `github-hosted` or `self-hosted`.
        runner_environment => "runner_environment",
        /// `actor`: login that started the run.
        actor => "actor",
        /// `actor_id`.
        actor_id => "actor_id",
        /// `head_ref`: source branch of a pull request (empty otherwise).
        head_ref => "head_ref",
        /// `base_ref`: target branch of a pull request (empty otherwise).
        base_ref => "base_ref",
        /// `enterprise`: enterprise slug, when the repository belongs to one.
        enterprise => "enterprise",
        /// `enterprise_id`.
        enterprise_id => "enterprise_id",
    }
    times {
        /// `exp`: expiry, seconds since the epoch.
        exp,
        /// `nbf`: not before, seconds since the epoch.
        nbf,
        /// `iat`: issued at, seconds since the epoch.
        iat,
    }
}

impl GithubClaims {
    /// Parses a JSON object of claims.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Self, ClaimsError> {
        let value: Value = serde_json::from_str(text).map_err(|source| ClaimsError::Json {
            origin: origin.to_owned(),
            source,
        })?;
        match value {
            Value::Object(map) => Self::from_map(map),
            other => Err(ClaimsError::NotObject {
                origin: origin.to_owned(),
                found: json_type(&other),
            }),
        }
    }

    /// Reads a JSON object of claims from a file (for `hoist trust check --claims FILE`).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, ClaimsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ClaimsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json_str(&text, &path.display().to_string())
    }

    /// Every claim as sent, for condition matching on arbitrary keys.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// A claim as the string IAM compares against (`"74"` for both `74` and `"74"`).
    pub fn get_str(&self, claim: &str) -> Option<String> {
        self.raw.get(claim).and_then(scalar_string)
    }
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_claim(raw: &Map<String, Value>, claim: &str) -> Result<Option<String>, ClaimsError> {
    match raw.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => scalar_string(value)
            .map(Some)
            .ok_or(ClaimsError::InvalidClaim {
                claim: claim.to_owned(),
                expected: "a string",
                found: json_type(value),
            }),
    }
}

fn time_claim(raw: &Map<String, Value>, claim: &str) -> Result<Option<i64>, ClaimsError> {
    match raw.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            // NumericDate may carry a fraction; whole seconds are enough for validity checks.
            let secs = n.as_i64().or_else(|| n.as_f64().map(|f| f.floor() as i64));
            secs.map(Some).ok_or(ClaimsError::InvalidClaim {
                claim: claim.to_owned(),
                expected: "seconds since the epoch",
                found: "a number out of range",
            })
        }
        Some(value) => Err(ClaimsError::InvalidClaim {
            claim: claim.to_owned(),
            expected: "a number of seconds since the epoch",
            found: json_type(value),
        }),
    }
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
        "jti": "example-id",
        "sub": "repo:octo-org/octo-repo:environment:prod",
        "environment": "prod",
        "aud": "https://github.com/octo-org",
        "ref": "refs/heads/main",
        "repository": "octo-org/octo-repo",
        "repository_id": "74",
        "repository_owner_id": 65,
        "ref_protected": true,
        "event_name": "workflow_dispatch",
        "custom_future_claim": {"x": 1},
        "iss": "https://token.actions.githubusercontent.com",
        "nbf": 1632492967,
        "exp": 1632493867,
        "iat": 1632493567
    }"#;

    #[test]
    fn types_github_example_and_keeps_raw() {
        let c = GithubClaims::from_json_str(EXAMPLE, "test").unwrap();
        assert_eq!(
            c.sub.as_deref(),
            Some("repo:octo-org/octo-repo:environment:prod")
        );
        assert_eq!(c.git_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(c.repository_id.as_deref(), Some("74"));
        assert_eq!(c.repository_owner_id.as_deref(), Some("65"));
        assert_eq!(c.ref_protected.as_deref(), Some("true"));
        assert_eq!(c.exp, Some(1632493867));
        assert_eq!(
            c.aud,
            Some(Audience::One("https://github.com/octo-org".into()))
        );
        assert!(c.as_map().contains_key("custom_future_claim"));
        assert_eq!(c.get_str("repository_owner_id").as_deref(), Some("65"));
        assert_eq!(c.head_ref, None);
    }

    #[test]
    fn audience_list() {
        let c = GithubClaims::from_json_str(r#"{"aud": ["a", "sts.amazonaws.com"]}"#, "t").unwrap();
        let aud = c.aud.unwrap();
        assert!(aud.contains("sts.amazonaws.com"));
        assert!(!aud.contains("b"));
    }

    #[test]
    fn rejects_wrong_types() {
        let err = GithubClaims::from_json_str(r#"{"exp": "soon"}"#, "t").unwrap_err();
        assert!(
            matches!(err, ClaimsError::InvalidClaim { ref claim, .. } if claim == "exp"),
            "{err}"
        );
        let err = GithubClaims::from_json_str(r#"{"sub": ["x"]}"#, "t").unwrap_err();
        assert!(
            matches!(err, ClaimsError::InvalidClaim { ref claim, .. } if claim == "sub"),
            "{err}"
        );
        let err = GithubClaims::from_json_str(r#"{"aud": 3}"#, "t").unwrap_err();
        assert!(
            matches!(err, ClaimsError::InvalidClaim { ref claim, .. } if claim == "aud"),
            "{err}"
        );
        let err = GithubClaims::from_json_str("[1]", "t").unwrap_err();
        assert!(matches!(err, ClaimsError::NotObject { .. }), "{err}");
        let err = GithubClaims::from_json_str("{", "t").unwrap_err();
        assert!(matches!(err, ClaimsError::Json { .. }), "{err}");
    }

    #[test]
    fn reads_file() {
        let dir = std::env::temp_dir().join(format!("hoist-oidc-claims-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("claims.json");
        std::fs::write(&path, EXAMPLE).unwrap();
        let c = GithubClaims::from_json_file(&path).unwrap();
        assert_eq!(c.environment.as_deref(), Some("prod"));
        std::fs::remove_dir_all(&dir).unwrap();
        let err = GithubClaims::from_json_file(&path).unwrap_err();
        assert!(matches!(err, ClaimsError::Read { .. }));
    }
}
