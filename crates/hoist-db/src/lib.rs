//! PostgreSQL for hoist's doctor: the database URL as the driver parses it, TLS with the
//! server certificate verified, and the pgvector questions doctor asks.
//!
//! Owns: reading database URLs and RDS's secret JSON into a driver configuration (never by
//! pasting strings, so passwords with `%`, `#`, `?` or `@` survive), connecting with
//! `sslmode=require` semantics plus certificate and host-name verification (stricter than
//! libpq's `require`, which verifies nothing: hoist behaves as `verify-full`), against a CA
//! bundle file (such as Amazon RDS's global bundle) or the platform's roots, and
//! the two statements of the pgvector check.
//!
//! Must not touch: AWS (the secret is read by `hoist-aws`), printing, environment variables
//! (the binary resolves `PGSSLROOTCERT`). The password lives only inside the driver's
//! configuration, whose `Debug` redacts it, and in no error.

mod client;
mod error;
mod tls;
mod url;

pub use client::{Database, VectorStatus};
pub use error::DbError;
pub use tls::TrustRoots;
pub use url::DatabaseUrl;
