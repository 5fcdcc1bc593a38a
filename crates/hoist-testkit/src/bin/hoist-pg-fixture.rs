//! The sandbox's PostgreSQL with pgvector behind verified TLS, as a process, for
//! `scripts/demo`: RDS PostgreSQL 15+ refuses plaintext, so the demo's doctor takes the same
//! TLS path as against RDS (a CA generated at start signs the server's certificate).
//!
//! Usage: `hoist-pg-fixture DIR` — writes `DIR/env.sh` (`DATABASE_URL`, and `PGSSLROOTCERT`
//! naming the CA hoist verifies the server with), then serves until stdin closes or the
//! process is killed; the server and its files are removed on exit.
//!
//! This is test and demo tooling; nothing here ships in hoist.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;
use std::path::PathBuf;

use hoist_testkit::sandbox::Postgres;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: hoist-pg-fixture DIR");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the fixture directory");
    let pg = match Postgres::start_with_pgvector() {
        Ok(pg) => pg,
        Err(e) => {
            eprintln!("hoist-pg-fixture: PostgreSQL did not start: {e}");
            std::process::exit(1);
        }
    };
    let ca = pg.ca_file().expect("the pgvector server runs with TLS");
    let env = format!(
        "# written by hoist-pg-fixture\nexport DATABASE_URL='{}'\nexport PGSSLROOTCERT='{}'\n",
        pg.url(),
        ca.display()
    );
    std::fs::write(dir.join("env.sh"), env).expect("write env.sh");
    println!(
        "PostgreSQL with pgvector behind TLS on 127.0.0.1:{} (CA {})",
        pg.port(),
        ca.display()
    );
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(pg);
}
