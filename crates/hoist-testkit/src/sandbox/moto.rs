//! moto_server (PyPI `moto[server]`): the AWS APIs, in memory.
//!
//! It runs with hoist's fixes to moto's emulation loaded (`python/hoist_moto_fixes.py` in this
//! crate, started as `python3 -m hoist_moto_server`): each one makes moto answer as AWS does
//! where moto 5.2.1 has a bug that matters to hoist, and refuses to load on a moto whose
//! patched method differs — moto then does not start and the test fails saying why.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Reaped, http_status, wait_until};

/// A moto_server of this test's own. State starts empty.
pub struct Moto {
    port: u16,
    dir: tempfile::TempDir,
    _proc: Reaped,
}

/// This crate's `python` directory: `hoist_moto_fixes` and its `hoist_moto_server` runner.
fn fixes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// `PYTHONPATH` with [`fixes_dir`] first.
fn pythonpath() -> OsString {
    let mut paths = vec![fixes_dir()];
    if let Some(p) = std::env::var_os("PYTHONPATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).unwrap_or_else(|_| fixes_dir().into_os_string())
}

impl Moto {
    /// The account moto answers for.
    pub const ACCOUNT_ID: &'static str = "123456789012";
    /// The region the sandbox uses, as the guide does.
    pub const REGION: &'static str = "ca-central-1";

    /// Starts moto_server with default settings.
    ///
    /// # Errors
    /// `not installed …` when moto cannot be imported, or why it failed to answer.
    pub fn start() -> Result<Self, String> {
        Self::start_with(&[])
    }

    /// Starts moto_server with extra `MOTO_*` settings, such as
    /// `("MOTO_ECS_SERVICE_RUNNING", "1")` or `("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")`.
    ///
    /// # Errors
    /// As [`Moto::start`].
    pub fn start_with(settings: &[(&str, &str)]) -> Result<Self, String> {
        let python = std::env::var("HOIST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let probe = Command::new(&python)
            .args(["-c", "import moto.server, flask_cors"])
            .output();
        if !probe.is_ok_and(|o| o.status.success()) {
            return Err(format!(
                "not installed: `{python} -c 'import moto.server'` failed (pip install 'moto[server]==5.2.1')"
            ));
        }
        let pythonpath = pythonpath();
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log = dir.path().join("moto.log");
        // Port 0: moto binds a port the kernel picks and names it in its log (werkzeug's
        // "Running on http://127.0.0.1:PORT"). A port picked free here and handed over could
        // be taken by another test's server first — and then answer this test's probe.
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "hoist_moto_server", "-H", "127.0.0.1", "-p", "0"])
            .env("PYTHONPATH", &pythonpath)
            // No __pycache__ written into the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("MOTO_ACCOUNT_ID", Self::ACCOUNT_ID)
            .env_remove("AWS_ENDPOINT_URL");
        for (k, v) in settings {
            cmd.env(k, v);
        }
        let mut proc = Reaped::spawn(&mut cmd, &log)?;
        let mut port = None;
        let started = wait_until(&mut proc, Duration::from_secs(60), &log, || {
            if port.is_none() {
                port = std::fs::read_to_string(&log)
                    .ok()
                    .and_then(|text| bound_port(&text));
            }
            port.is_some_and(|p| http_status(p, "/moto-api/") == Some(200))
        });
        match (started, port) {
            (Ok(()), Some(port)) => Ok(Self {
                port,
                dir,
                _proc: proc,
            }),
            // A fix that refused this moto says why in the log.
            (Err(e), _) if e.contains("MotoFixError") => Err(format!(
                "hoist's moto fixes ({}) refused to load: {e}",
                fixes_dir().join("hoist_moto_fixes.py").display()
            )),
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err("moto answered before naming its port".to_owned()),
        }
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// moto's own log, for assertions and failure messages.
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("moto.log")
    }

    /// Variables that point the AWS SDK (and so hoist) at this moto, with dummy credentials.
    #[must_use]
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", Self::REGION.to_owned()),
            ("AWS_DEFAULT_REGION", Self::REGION.to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Wipes all state (`POST /moto-api/reset`).
    ///
    /// # Panics
    /// When moto does not accept the reset.
    pub fn reset(&self) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect moto");
        write!(
            s,
            "POST /moto-api/reset HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .expect("write");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(
            out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200"),
            "moto reset failed: {out}"
        );
    }
}

/// The port in werkzeug's start-up line ` * Running on http://127.0.0.1:PORT`.
fn bound_port(log: &str) -> Option<u16> {
    log.lines()
        .find_map(|l| l.trim().strip_prefix("* Running on http://127.0.0.1:"))
        .and_then(|rest| rest.trim().trim_end_matches('/').parse().ok())
}

#[cfg(test)]
mod port_tests {
    use super::bound_port;

    #[test]
    fn the_port_is_read_from_werkzeugs_start_up_line() {
        let log = "WARNING: This is a development server.\n * Running on http://127.0.0.1:43557\nPress CTRL+C to quit\n";
        assert_eq!(bound_port(log), Some(43557));
        assert_eq!(bound_port("starting\n"), None);
    }
}
