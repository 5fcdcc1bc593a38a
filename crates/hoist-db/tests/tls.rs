//! hoist-db against a real PostgreSQL (the testkit's, with pgvector) that runs with `ssl=on`
//! and a certificate from a CA generated at its start: the verified TLS path, a wrong CA, a
//! server without TLS, and passwords with URL delimiters proven over SCRAM.

use hoist_db::{Database, DatabaseUrl, DbError, TrustRoots, VectorStatus};
use hoist_testkit::sandbox::{Postgres, require};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn trusted(pg: &Postgres) -> TrustRoots {
    TrustRoots::CaFile(pg.ca_file().expect("the sandbox server runs with TLS"))
}

#[test]
fn verified_tls_connection_checks_and_enables_pgvector() {
    let Some(pg) = require("postgres+pgvector", Postgres::start_with_pgvector()) else {
        return;
    };
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    let rt = rt();
    let db = rt.block_on(Database::connect(&url, &trusted(&pg))).unwrap();
    assert_eq!(
        rt.block_on(db.vector_status()).unwrap(),
        VectorStatus::Available
    );
    rt.block_on(db.enable_vector()).unwrap();
    assert!(matches!(
        rt.block_on(db.vector_status()).unwrap(),
        VectorStatus::Enabled(_)
    ));
    // Converges: enabling twice is no error.
    rt.block_on(db.enable_vector()).unwrap();
}

#[test]
fn a_server_with_ssl_on_sees_the_session_encrypted() {
    // Debian's build terminates TLS itself (ssl=on), so the server's pg_stat_ssl shows it.
    let Some(pg) = require("postgres", Postgres::start()) else {
        return;
    };
    assert!(pg.native_tls(), "Debian's PostgreSQL is built with OpenSSL");
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    let rt = rt();
    let db = rt.block_on(Database::connect(&url, &trusted(&pg))).unwrap();
    let tls = rt.block_on(db.session_tls()).unwrap();
    assert!(
        tls.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
        "{tls:?}"
    );
}

#[test]
fn a_certificate_from_another_ca_fails_verification() {
    let Some(pg) = require("postgres+pgvector", Postgres::start_with_pgvector()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, Postgres::unrelated_ca_pem()).unwrap();
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    let err = rt()
        .block_on(Database::connect(&url, &TrustRoots::CaFile(other)))
        .err()
        .expect("an unrelated CA must not verify the server");
    assert!(matches!(err, DbError::Certificate { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{}/postgres", pg.port())),
        "{err}"
    );
}

#[test]
fn the_platform_roots_do_not_trust_a_private_ca() {
    let Some(pg) = require("postgres+pgvector", Postgres::start_with_pgvector()) else {
        return;
    };
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    match rt().block_on(Database::connect(&url, &TrustRoots::Platform)) {
        Err(DbError::Certificate { .. } | DbError::NoPlatformRoots) => {}
        Err(e) => panic!("unexpected error: {e:?}"),
        Ok(_) => panic!("a private CA's certificate verified against the platform roots"),
    }
}

#[test]
fn a_server_without_tls_is_refused_with_a_clear_message() {
    let Some(pg) = require(
        "postgres+pgvector",
        Postgres::start_with_pgvector_without_tls(),
    ) else {
        return;
    };
    assert!(pg.ca_file().is_none());
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    let err = rt()
        .block_on(Database::connect(&url, &TrustRoots::Platform))
        .err()
        .expect("a plaintext server must be refused");
    assert!(matches!(err, DbError::NoTls { .. }), "{err:?}");
    assert!(err.to_string().contains("offers no TLS"), "{err}");
}

#[test]
fn passwords_with_percent_hash_and_question_mark_authenticate() {
    let Some(pg) = require("postgres+pgvector", Postgres::start_with_pgvector()) else {
        return;
    };
    let password = "p%w#d?x@1";
    pg.require_password("app", password).unwrap();
    let port = pg.port();
    let rt = rt();
    for url in [
        // Percent-encoded, as RFC 3986 wants.
        format!("postgres://app:p%25w%23d%3Fx%401@127.0.0.1:{port}/postgres"),
        // As people paste them: everything up to the first `@`… which this password has, so
        // libpq's key-value form.
        format!("host=127.0.0.1 port={port} user=app password='{password}' dbname=postgres"),
    ] {
        let u = DatabaseUrl::parse(&url).unwrap();
        let db = rt.block_on(Database::connect(&u, &trusted(&pg))).unwrap();
        assert_eq!(
            rt.block_on(db.vector_status()).unwrap(),
            VectorStatus::Available
        );
    }
    // The wrong password is refused: the check above was not trust authentication.
    let wrong =
        DatabaseUrl::parse(&format!("postgres://app:nope@127.0.0.1:{port}/postgres")).unwrap();
    let err = rt
        .block_on(Database::connect(&wrong, &trusted(&pg)))
        .err()
        .expect("a wrong password must fail");
    assert!(matches!(err, DbError::Connect { .. }), "{err:?}");
}
