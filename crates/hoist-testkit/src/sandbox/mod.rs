//! The real third-party parts hoist is tested against, each started on a free loopback port
//! for one test and stopped when its handle drops.
//!
//! A part whose program is not installed makes [`require`] either skip the test with a printed
//! reason, or, when `HOIST_REQUIRE_SANDBOX=1` (CI and `scripts/test` set it), fail it: a suite
//! that silently skips its integration tests proves nothing.

mod moto;
mod pg_tls_front;
mod postgres;
mod process;
mod registry;

pub use moto::Moto;
pub use postgres::Postgres;
pub use registry::{AccessLogEntry, Registry};

use std::net::TcpListener;

/// A free TCP port on 127.0.0.1, released before it is returned.
///
/// # Panics
/// When no port can be bound.
#[must_use]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Whether the sandbox parts must be present (CI) rather than skipped.
#[must_use]
pub fn required() -> bool {
    std::env::var("HOIST_REQUIRE_SANDBOX").is_ok_and(|v| v == "1")
}

/// `Some(part)` when it could start; `None` (with the reason printed) when it is not installed
/// and the sandbox is not required.
///
/// # Panics
/// When the part failed to start, or is missing while `HOIST_REQUIRE_SANDBOX=1`.
#[allow(clippy::print_stderr)] // a skipped test says why, in the test's output
pub fn require<T>(name: &str, started: Result<T, String>) -> Option<T> {
    match started {
        Ok(part) => Some(part),
        Err(reason) if !required() && reason.starts_with("not installed") => {
            eprintln!(
                "skipping: {name} {reason} (run scripts/sandbox up, or set HOIST_REQUIRE_SANDBOX=1 to fail instead)"
            );
            None
        }
        Err(reason) => panic!("{name} could not start: {reason}"),
    }
}
