//! Distribution's registry (Debian `docker-registry`): a real OCI distribution data plane.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::process::{Reaped, http_status, on_path, wait_until};

/// A registry of this test's own, with its storage in a temporary directory and its access
/// log kept for assertions about which requests a push made.
pub struct Registry {
    port: u16,
    dir: tempfile::TempDir,
    _proc: Reaped,
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Token(&'a crate::registry_auth::TokenServer),
}

/// One request from the registry's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry {
    pub method: String,
    pub path: String,
    pub status: u16,
}

impl Registry {
    /// Starts a registry without authentication.
    ///
    /// # Errors
    /// `not installed …` when `docker-registry` is missing, or why it failed to answer.
    pub fn start() -> Result<Self, String> {
        Self::start_inner(Auth::None)
    }

    /// Starts a registry that requires HTTP Basic auth with `user` / `password`, the way ECR's
    /// data plane takes the `AWS` user and the GetAuthorizationToken password.
    ///
    /// # Errors
    /// As [`Registry::start`]; also when `htpasswd` (apache2-utils) is missing.
    pub fn start_with_basic_auth(user: &str, password: &str) -> Result<Self, String> {
        Self::start_inner(Auth::Basic(user, password))
    }

    /// Starts a registry with token auth (`auth.token`): it answers with a Bearer challenge
    /// naming `server`'s realm and trusts the tokens `server` signs, the way ghcr.io, Docker
    /// Hub and most Distribution deployments authenticate.
    ///
    /// # Errors
    /// As [`Registry::start`].
    pub fn start_with_token_auth(
        server: &crate::registry_auth::TokenServer,
    ) -> Result<Self, String> {
        Self::start_inner(Auth::Token(server))
    }

    fn start_inner(auth: Auth<'_>) -> Result<Self, String> {
        if !on_path("docker-registry") {
            return Err(
                "not installed: docker-registry (apt-get install docker-registry)".to_owned(),
            );
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut auth_section = String::new();
        if let Auth::Token(server) = auth {
            let bundle = dir.path().join("token-root.pem");
            std::fs::write(&bundle, server.certificate_pem()).map_err(|e| e.to_string())?;
            auth_section = format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {bundle}\n",
                realm = server.realm(),
                service = crate::registry_auth::SERVICE,
                issuer = crate::registry_auth::ISSUER,
                bundle = bundle.display()
            );
        }
        if let Auth::Basic(user, password) = auth {
            if !on_path("htpasswd") {
                return Err("not installed: htpasswd (apt-get install apache2-utils)".to_owned());
            }
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .map_err(|e| e.to_string())?;
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).map_err(|e| e.to_string())?;
            auth_section = format!(
                "auth:\n  htpasswd:\n    realm: hoist-test\n    path: {}\n",
                file.display()
            );
        }
        let log = dir.path().join("registry.log");
        // Port 0: the registry binds a port the kernel picks and names it in its log
        // ("listening on 127.0.0.1:PORT"), so no other test's server can take it first.
        let config = dir.path().join("config.yml");
        let text = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n  cache:\n    blobdescriptor: inmemory\nhttp:\n  addr: 127.0.0.1:0\n  secret: hoist-test-not-a-secret\nhealth:\n  storagedriver:\n    enabled: false\n{auth_section}",
            root = dir.path().join("data").display()
        );
        std::fs::write(&config, text).map_err(|e| e.to_string())?;
        let mut cmd = Command::new("docker-registry");
        cmd.arg("serve").arg(&config);
        // The registry reads any REGISTRY_* variable as a config override.
        for (k, _) in std::env::vars() {
            if k.starts_with("REGISTRY_") {
                cmd.env_remove(k);
            }
        }
        let mut proc = Reaped::spawn(&mut cmd, &log)?;
        let mut port = None;
        let answered = wait_until(&mut proc, Duration::from_secs(30), &log, || {
            if port.is_none() {
                port = std::fs::read_to_string(&log)
                    .ok()
                    .and_then(|text| listening_port(&text));
            }
            port.is_some_and(|p| matches!(http_status(p, "/v2/"), Some(200 | 401)))
        });
        match (answered, port) {
            (Ok(()), Some(port)) => Ok(Self {
                port,
                dir,
                _proc: proc,
            }),
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err("the registry answered before naming its port".to_owned()),
        }
    }

    /// `127.0.0.1:PORT`.
    #[must_use]
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    /// Every request the registry has logged so far, oldest first.
    #[must_use]
    pub fn access_log(&self) -> Vec<AccessLogEntry> {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        text.lines().filter_map(parse_access_line).collect()
    }
}

/// Parses a combined-log-format line: `… "METHOD PATH HTTP/1.1" STATUS SIZE …`.
fn parse_access_line(line: &str) -> Option<AccessLogEntry> {
    let start = line.find('"')?;
    let rest = &line[start + 1..];
    let end = rest.find('"')?;
    let mut request = rest[..end].split_whitespace();
    let method = request.next()?.to_owned();
    let path = request.next()?.to_owned();
    if !request.next()?.starts_with("HTTP/") {
        return None;
    }
    let status = rest[end + 1..].split_whitespace().next()?.parse().ok()?;
    Some(AccessLogEntry {
        method,
        path,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_registry_access_line() {
        let line = r#"127.0.0.1 - - [23/Nov/2026:07:00:00 +0000] "HEAD /v2/app/blobs/sha256:ab HTTP/1.1" 404 157 "" "hoist/0.1""#;
        assert_eq!(
            parse_access_line(line),
            Some(AccessLogEntry {
                method: "HEAD".into(),
                path: "/v2/app/blobs/sha256:ab".into(),
                status: 404
            })
        );
        assert_eq!(
            parse_access_line("time=… level=info msg=\"response completed\""),
            None
        );
    }
}

/// The port in the registry's start-up line `msg="listening on 127.0.0.1:PORT"`.
fn listening_port(log: &str) -> Option<u16> {
    log.lines().find_map(|l| {
        let rest = &l[l.find("listening on 127.0.0.1:")? + "listening on 127.0.0.1:".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

#[cfg(test)]
mod port_tests {
    use super::listening_port;

    #[test]
    fn the_port_is_read_from_the_registrys_start_up_line() {
        let log = "time=\"2026-12-07T19:13:08Z\" level=info msg=\"listening on 127.0.0.1:46611\" go.version=go1.19.8\n";
        assert_eq!(listening_port(log), Some(46611));
        assert_eq!(
            listening_port("level=info msg=\"redis not configured\"\n"),
            None
        );
    }
}
