//! Registry credentials the way the Docker client keeps them: `config.json` in
//! `$DOCKER_CONFIG` (else `~/.docker`), its `credHelpers` (per registry) and `credsStore`
//! (for all) naming a `docker-credential-NAME` program, and its `auths` entries (`auth`:
//! base64 of `user:password`, or `username`/`password`). Read only when a registry asks for
//! credentials; nothing read here is ever logged or put in an error message.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;

use crate::auth::{BasicAuth, CredentialError, CredentialSource};

/// Docker Hub's credentials are stored under this key, whatever host the image names.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Why the Docker configuration gave no usable credentials.
#[derive(Debug, thiserror::Error)]
pub enum DockerConfigError {
    #[error("cannot read the Docker configuration {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the Docker configuration {path} is not valid JSON")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("the `auth` of {host} in {path} is not base64 of user:password")]
    BadAuth { path: PathBuf, host: String },
    #[error("cannot run the credential helper {program} for {host}")]
    HelperSpawn {
        program: String,
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the credential helper {program} failed for {host} ({detail}); run `echo {host} | {program} get` to see why"
    )]
    Helper {
        program: String,
        host: String,
        detail: String,
    },
    #[error(
        "the credentials for {host} are an identity token (from `docker login` with OAuth), which hoist cannot use; log in with a password or access token"
    )]
    IdentityToken { host: String },
}

#[derive(serde::Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::BTreeMap<String, String>,
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

#[derive(serde::Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// The Docker client's credentials for one registry host, as a [`CredentialSource`].
#[derive(Debug, Clone)]
pub struct DockerCredentials {
    host: String,
    file: PathBuf,
}

impl DockerCredentials {
    /// For `host` (`host[:port]`), from `$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`.
    #[must_use]
    pub fn for_host(host: &str) -> Self {
        let dir = std::env::var_os("DOCKER_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
            .unwrap_or_else(|| PathBuf::from(".docker"));
        Self::from_file(host, dir.join("config.json"))
    }

    /// For `host`, from the configuration file at `file`.
    #[must_use]
    pub fn from_file(host: &str, file: PathBuf) -> Self {
        Self {
            host: host.to_ascii_lowercase(),
            file,
        }
    }

    /// The credentials, if the configuration has some for the host (blocking: reads a file
    /// and may run a helper). A missing configuration file means none.
    ///
    /// # Errors
    /// When the file or the helper's answer cannot be used.
    pub fn lookup(&self) -> Result<Option<BasicAuth>, DockerConfigError> {
        let text = match std::fs::read(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(DockerConfigError::Read {
                    path: self.file.clone(),
                    source,
                });
            }
        };
        let config: ConfigFile =
            serde_json::from_slice(&text).map_err(|source| DockerConfigError::Parse {
                path: self.file.clone(),
                source,
            })?;
        let keys = self.keys();
        let helper = keys
            .iter()
            .find_map(|k| config.cred_helpers.get(k))
            .or(config.creds_store.as_ref())
            .filter(|h| !h.is_empty());
        if let Some(helper) = helper {
            return run_helper(helper, &self.server_address());
        }
        let entry = keys.iter().find_map(|k| config.auths.get(k)).or_else(|| {
            config
                .auths
                .iter()
                .find(|(k, _)| keys.contains(&hostname_of(k)))
                .map(|(_, v)| v)
        });
        let Some(entry) = entry else {
            return Ok(None);
        };
        if let (Some(u), Some(p)) = (&entry.username, &entry.password)
            && !u.is_empty()
        {
            return Ok(Some(BasicAuth::new(u.as_str(), p.as_str())));
        }
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            return decode_auth(auth)
                .map(Some)
                .ok_or_else(|| DockerConfigError::BadAuth {
                    path: self.file.clone(),
                    host: self.host.clone(),
                });
        }
        if entry
            .identitytoken
            .as_deref()
            .is_some_and(|t| !t.is_empty())
        {
            return Err(DockerConfigError::IdentityToken {
                host: self.host.clone(),
            });
        }
        Ok(None)
    }

    fn is_docker_hub(&self) -> bool {
        matches!(
            self.host.as_str(),
            "docker.io" | "index.docker.io" | "registry-1.docker.io"
        )
    }

    /// The keys the Docker client stores this host's credentials under.
    fn keys(&self) -> Vec<String> {
        if self.is_docker_hub() {
            vec![
                DOCKER_HUB_KEY.to_owned(),
                "docker.io".into(),
                self.host.clone(),
            ]
        } else {
            vec![self.host.clone()]
        }
    }

    /// What a credential helper is asked for.
    fn server_address(&self) -> String {
        if self.is_docker_hub() {
            DOCKER_HUB_KEY.to_owned()
        } else {
            self.host.clone()
        }
    }
}

/// `https://host/v1/` → `host`, as the Docker client compares keys.
fn hostname_of(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k).to_ascii_lowercase()
}

fn decode_auth(auth: &str) -> Option<BasicAuth> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some(BasicAuth::new(user, password))
}

/// `docker-credential-NAME get` with the server address on stdin. Its output (which holds the
/// secret) is parsed and dropped; a failure reports only the exit status.
fn run_helper(name: &str, server: &str) -> Result<Option<BasicAuth>, DockerConfigError> {
    let program = format!("docker-credential-{name}");
    let spawn_err = |source| DockerConfigError::HelperSpawn {
        program: program.clone(),
        host: server.to_owned(),
        source,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(spawn_err)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(server.as_bytes()).map_err(spawn_err)?;
    }
    let out = child.wait_with_output().map_err(spawn_err)?;
    if !out.status.success() {
        // The protocol's "not found" answer is this text on stdout.
        if String::from_utf8_lossy(&out.stdout).contains("credentials not found") {
            return Ok(None);
        }
        return Err(DockerConfigError::Helper {
            program,
            host: server.to_owned(),
            detail: out.status.to_string(),
        });
    }
    let answer: HelperAnswer =
        serde_json::from_slice(&out.stdout).map_err(|_| DockerConfigError::Helper {
            program: program.clone(),
            host: server.to_owned(),
            detail: "its answer is not {\"Username\",\"Secret\"} JSON".into(),
        })?;
    if answer.username == "<token>" {
        return Err(DockerConfigError::IdentityToken {
            host: server.to_owned(),
        });
    }
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(BasicAuth::new(answer.username, answer.secret)))
}

impl CredentialSource for DockerCredentials {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<BasicAuth, CredentialError>> {
        Box::pin(async move {
            self.fetch_optional().await?.ok_or_else(|| {
                format!(
                    "no credentials for {} in {}: run `docker login {}`",
                    self.host,
                    self.file.display(),
                    self.host
                )
                .into()
            })
        })
    }

    fn fetch_optional(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Option<BasicAuth>, CredentialError>> {
        let me = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || me.lookup())
                .await
                .map_err(|e| -> CredentialError { Box::new(e) })?
                .map_err(|e| -> CredentialError { Box::new(e) })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_config(host: &str, json: &str) -> (tempfile::TempDir, DockerCredentials) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.json");
        std::fs::write(&file, json).unwrap();
        (dir, DockerCredentials::from_file(host, file))
    }

    fn user(auth: Option<BasicAuth>) -> Option<String> {
        auth.map(|a| a.user().to_owned())
    }

    #[test]
    fn auths_entries_in_every_form_docker_writes() {
        // `docker login` writes base64 of user:password under the bare host.
        let (_d, c) = with_config(
            "registry.example:5000",
            r#"{"auths":{"registry.example:5000":{"auth":"dXNlcjpwYXNz"}}}"#,
        );
        let a = c.lookup().unwrap().unwrap();
        assert_eq!(a.header(), BasicAuth::new("user", "pass").header());
        // Older clients wrote a URL as the key.
        let (_d, c) = with_config(
            "registry.example",
            r#"{"auths":{"https://registry.example/v1/":{"username":"u","password":"p"}}}"#,
        );
        assert_eq!(user(c.lookup().unwrap()), Some("u".into()));
        // Docker Hub is stored under its v1 URL.
        let (_d, c) = with_config(
            "registry-1.docker.io",
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="}}}"#,
        );
        assert_eq!(user(c.lookup().unwrap()), Some("hub".into()));
        // Another host's entry is not this host's.
        let (_d, c) = with_config(
            "ghcr.io",
            r#"{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}"#,
        );
        assert!(c.lookup().unwrap().is_none());
    }

    #[test]
    fn unusable_entries_are_named_without_their_secret() {
        let (_d, c) = with_config(
            "r.example",
            r#"{"auths":{"r.example":{"auth":"bm9jb2xvbg=="}}}"#,
        );
        let e = c.lookup().unwrap_err();
        assert!(matches!(e, DockerConfigError::BadAuth { .. }), "{e}");
        let (_d, c) = with_config(
            "r.example",
            r#"{"auths":{"r.example":{"identitytoken":"refresh-secret"}}}"#,
        );
        let e = c.lookup().unwrap_err().to_string();
        assert!(
            e.contains("identity token") && !e.contains("refresh-secret"),
            "{e}"
        );
        let (_d, c) = with_config("r.example", "{not json");
        assert!(matches!(
            c.lookup().unwrap_err(),
            DockerConfigError::Parse { .. }
        ));
    }

    #[test]
    fn no_file_means_no_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let c = DockerCredentials::from_file("ghcr.io", dir.path().join("config.json"));
        assert!(c.lookup().unwrap().is_none());
    }

    #[test]
    fn a_missing_helper_is_named() {
        let (_d, c) = with_config(
            "r.example",
            r#"{"credHelpers":{"r.example":"hoist-test-no-such-helper"},"auths":{"r.example":{"auth":"dXNlcjpwYXNz"}}}"#,
        );
        let e = c.lookup().unwrap_err().to_string();
        assert!(
            e.contains("docker-credential-hoist-test-no-such-helper"),
            "{e}"
        );
    }

    #[test]
    fn hostnames_of_keys() {
        assert_eq!(
            hostname_of("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(
            hostname_of("Registry.Example:5000"),
            "registry.example:5000"
        );
        assert_eq!(hostname_of("http://r/x"), "r");
    }
}
