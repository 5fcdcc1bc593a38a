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
    // The kernel may hand the same free port to two test processes that each bind and release
    // it before their servers start; a server started on a port another test's server took
    // then answers the wrong test's probe. Each port handed out is claimed for two minutes
    // with a file only one process can create, so parallel test binaries never share one.
    let claims = std::env::temp_dir().join("hoist-testkit-ports");
    let _ = std::fs::create_dir_all(&claims);
    let mut port = 0;
    for _ in 0..50 {
        port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("bind 127.0.0.1:0");
        let claim = claims.join(port.to_string());
        let stale = std::fs::metadata(&claim)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().unwrap_or_default() > std::time::Duration::from_secs(120));
        if stale {
            let _ = std::fs::remove_file(&claim);
        }
        if std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&claim)
            .is_ok()
        {
            return port;
        }
    }
    port
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
