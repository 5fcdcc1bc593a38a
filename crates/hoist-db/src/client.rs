//! [`Database`]: one verified TLS connection and the statements doctor's pgvector check runs.

use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::url::CONNECT_TIMEOUT;
use crate::{DatabaseUrl, DbError, TrustRoots};

/// Whether pgvector is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorStatus {
    /// `CREATE EXTENSION vector` was run: its version.
    Enabled(String),
    /// The server has it (`pg_available_extensions`) but this database has not enabled it.
    Available,
    /// The server cannot enable it.
    Unavailable,
}

/// A connected database.
pub struct Database {
    client: tokio_postgres::Client,
    target: String,
}

impl Database {
    /// Connects over TLS, verifying the server's certificate chain against `roots` and
    /// that it names the host in the URL.
    ///
    /// # Errors
    /// [`DbError::NoTls`] when the server refuses TLS, [`DbError::Certificate`] when the
    /// certificate does not verify, [`DbError::Timeout`], or [`DbError::Connect`].
    pub async fn connect(url: &DatabaseUrl, roots: &TrustRoots) -> Result<Self, DbError> {
        let target = url.display();
        let tls = Tracked {
            inner: MakeRustlsConnect::new(roots.client_config()?),
            handshake_started: Arc::new(AtomicBool::new(false)),
        };
        let started = tls.handshake_started.clone();
        let attempt = tokio::time::timeout(CONNECT_TIMEOUT, url.config().connect(tls)).await;
        let (client, conn) = match attempt {
            Err(_) => {
                return Err(DbError::Timeout {
                    target,
                    seconds: CONNECT_TIMEOUT.as_secs(),
                });
            }
            Ok(Err(e)) => return Err(classify(e, target, started.load(Ordering::SeqCst))),
            Ok(Ok(x)) => x,
        };
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self { client, target })
    }

    /// The TLS version of this session as the server sees it (`pg_stat_ssl`), `None` when the
    /// session is not encrypted.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn session_tls(&self) -> Result<Option<String>, DbError> {
        const SSL: &str = "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl";
        let row = self
            .client
            .query_opt(SSL, &[])
            .await
            .map_err(|source| self.query_error(SSL, source))?;
        Ok(row.map(|r| r.get::<_, String>(0)))
    }

    /// Whether the `vector` extension is enabled, available or absent.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn vector_status(&self) -> Result<VectorStatus, DbError> {
        const ENABLED: &str = "SELECT extversion FROM pg_extension WHERE extname = 'vector'";
        const AVAILABLE: &str =
            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'";
        let row = self
            .client
            .query_opt(ENABLED, &[])
            .await
            .map_err(|source| self.query_error(ENABLED, source))?;
        if let Some(row) = row {
            return Ok(VectorStatus::Enabled(row.get::<_, String>(0)));
        }
        let available = self
            .client
            .query_opt(AVAILABLE, &[])
            .await
            .map_err(|source| self.query_error(AVAILABLE, source))?;
        Ok(if available.is_some() {
            VectorStatus::Available
        } else {
            VectorStatus::Unavailable
        })
    }

    /// `CREATE EXTENSION IF NOT EXISTS vector`.
    ///
    /// # Errors
    /// [`DbError::Query`] (for example without the privilege to create extensions).
    pub async fn enable_vector(&self) -> Result<(), DbError> {
        const CREATE: &str = "CREATE EXTENSION IF NOT EXISTS vector";
        self.client
            .batch_execute(CREATE)
            .await
            .map_err(|source| self.query_error(CREATE, source))
    }

    fn query_error(&self, statement: &'static str, source: tokio_postgres::Error) -> DbError {
        DbError::Query {
            target: self.target.clone(),
            statement,
            source,
        }
    }
}

/// Sorts a failed connection: the server's "no" to TLS (it answered, no handshake began, and
/// the driver's error carries no I/O error), a certificate rustls rejected, or the rest.
fn classify(e: tokio_postgres::Error, target: String, handshake_started: bool) -> DbError {
    if let Some(source) = rustls_error(&e) {
        return DbError::Certificate { target, source };
    }
    let mut io_failure = false;
    let mut cur = e.source();
    while let Some(s) = cur {
        io_failure |= s.downcast_ref::<std::io::Error>().is_some();
        cur = s.source();
    }
    if !handshake_started && !io_failure && e.as_db_error().is_none() {
        return DbError::NoTls { target };
    }
    DbError::Connect { target, source: e }
}

/// The rustls certificate error inside the driver's error, if the handshake failed on one.
fn rustls_error(e: &tokio_postgres::Error) -> Option<rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return cert_error(r);
        }
        // `io::Error::source` skips the error it wraps: look at it directly.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return cert_error(inner);
        }
        cur = err.source();
    }
    None
}

fn cert_error(r: &rustls::Error) -> Option<rustls::Error> {
    matches!(
        r,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
    .then(|| r.clone())
}

/// rustls's connector, noting whether a handshake began: tokio-postgres calls
/// `TlsConnect::connect` only after the server agreed to TLS.
struct Tracked {
    inner: MakeRustlsConnect,
    handshake_started: Arc<AtomicBool>,
}

struct TrackedConnect<T> {
    inner: T,
    handshake_started: Arc<AtomicBool>,
}

impl<S> MakeTlsConnect<S> for Tracked
where
    MakeRustlsConnect: MakeTlsConnect<S>,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = TrackedConnect<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        Ok(TrackedConnect {
            inner: self.inner.make_tls_connect(domain)?,
            handshake_started: self.handshake_started.clone(),
        })
    }
}

impl<S, T: TlsConnect<S>> TlsConnect<S> for TrackedConnect<T> {
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = T::Future;

    fn connect(self, stream: S) -> Self::Future {
        self.handshake_started.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}
