//! Why a database step failed, each variant naming the server (`host:port/db`, never the
//! password) and keeping the driver's or TLS library's error as its source.

use std::path::PathBuf;

/// A failure of `hoist-db`.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL or secret is not a database address the driver accepts.
    #[error("the database URL cannot be read: {reason}")]
    BadUrl {
        /// What is wrong, without the URL (it holds the password).
        reason: String,
    },
    /// The CA bundle could not be read.
    #[error("cannot read the CA bundle {}", path.display())]
    CaFile {
        /// The bundle's path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CA bundle holds no certificate.
    #[error("the CA bundle {} holds no PEM certificate", path.display())]
    EmptyCaFile {
        /// The bundle's path.
        path: PathBuf,
    },
    /// No CA bundle was given and the platform has no root certificates.
    #[error("no CA bundle was given and the platform's root certificates could not be loaded")]
    NoPlatformRoots,
    /// The TLS configuration could not be built.
    #[error("cannot set up TLS")]
    TlsSetup(#[source] rustls::Error),
    /// The server answered the TLS request with "no".
    #[error(
        "{target} offers no TLS (the server runs with ssl=off); hoist connects to databases over TLS only"
    )]
    NoTls {
        /// `host:port/db`.
        target: String,
    },
    /// The server's certificate did not verify against the trusted roots, or does not name
    /// the host connected to.
    #[error("the TLS certificate of {target} failed verification")]
    Certificate {
        /// `host:port/db`.
        target: String,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
    /// No answer in time.
    #[error("connecting to {target} timed out after {seconds} s")]
    Timeout {
        /// `host:port/db`.
        target: String,
        /// The limit.
        seconds: u64,
    },
    /// Any other connection failure (refused, authentication, TLS handshake).
    #[error("cannot connect to {target}")]
    Connect {
        /// `host:port/db`.
        target: String,
        /// The driver's error (which never holds the password).
        #[source]
        source: tokio_postgres::Error,
    },
    /// A statement failed.
    #[error("{statement} on {target} failed")]
    Query {
        /// `host:port/db`.
        target: String,
        /// The statement.
        statement: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
}
