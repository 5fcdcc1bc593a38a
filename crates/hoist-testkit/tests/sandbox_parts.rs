//! The sandbox parts start, answer and stop.

use hoist_testkit::sandbox::{Moto, Postgres, Registry, require};

#[test]
fn moto_answers_and_resets() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
    moto.reset();
}

#[test]
fn registry_answers_and_logs_requests() {
    let Some(registry) = require("docker-registry", Registry::start()) else {
        return;
    };
    let body = std::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/v2/", registry.url()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&body.stdout), "200");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        registry
            .access_log()
            .iter()
            .any(|e| e.method == "GET" && e.path == "/v2/" && e.status == 200),
        "{:?}",
        registry.access_log()
    );
}

#[test]
fn postgres_with_pgvector_creates_the_extension() {
    let Some(pg) = require("postgres+pgvector", Postgres::start_with_pgvector()) else {
        return;
    };
    pg.psql("CREATE EXTENSION IF NOT EXISTS vector").unwrap();
    let got = pg
        .psql("SELECT extname FROM pg_extension WHERE extname = 'vector'")
        .unwrap();
    assert_eq!(got.trim(), "vector");
}

#[test]
fn debian_postgres_answers() {
    let Some(pg) = require("postgres", Postgres::start()) else {
        return;
    };
    assert_eq!(pg.psql("SELECT 1+1").unwrap().trim(), "2");
    // TLS is on, with a certificate from the CA the sandbox generated.
    assert_eq!(pg.psql("SHOW ssl").unwrap().trim(), "on");
    assert!(pg.native_tls());
    let ca = std::fs::read_to_string(pg.ca_file().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
}

#[test]
fn postgres_without_tls_has_no_ca() {
    let Some(pg) = require(
        "postgres+pgvector",
        Postgres::start_with_pgvector_without_tls(),
    ) else {
        return;
    };
    assert!(pg.ca_file().is_none() && !pg.native_tls());
    assert_eq!(pg.psql("SHOW ssl").unwrap().trim(), "off");
}
