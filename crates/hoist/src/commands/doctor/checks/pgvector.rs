//! pgvector (the guide's "pgvector extension not enabled"): connect with the database URL
//! (the stack's secret, or `--database-url`) over verified TLS and look for `vector` in
//! `pg_extension`. The connection, TLS and SQL live in `hoist-db`; this module picks the URL
//! and the trusted roots and words the result.

use hoist_config::Environment;
use hoist_db::{Database, DatabaseUrl, DbError, TrustRoots, VectorStatus};

use super::super::check::{CheckResult, Fix};
use super::super::context::{Ctx, StackState};
use super::stack::without_stack;

/// The roots the server's certificate must chain to: `--ca-file`/`PGSSLROOTCERT`, else the
/// URL's `sslrootcert`, else the platform's.
fn roots(ctx: &Ctx<'_>, url: &DatabaseUrl) -> TrustRoots {
    ctx.ca_file
        .clone()
        .or_else(|| url.root_cert().map(std::path::Path::to_path_buf))
        .map_or(TrustRoots::Platform, TrustRoots::CaFile)
}

/// The error and its causes on one line (each cause once: the driver repeats its source).
fn explain(e: &DbError) -> String {
    let mut text = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(s) = cur {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cur = s.source();
    }
    text
}

/// What to do about a connection failure.
fn connect_fix(e: &DbError) -> Fix {
    Fix::Manual(match e {
        DbError::Certificate { .. } | DbError::NoPlatformRoots => {
            "pass the CA bundle with --ca-file FILE (or PGSSLROOTCERT): for RDS, the global bundle global-bundle.pem linked from the RDS user guide's \"Using SSL/TLS to encrypt a connection to a DB instance\"".into()
        }
        DbError::NoTls { .. } => {
            "turn TLS on at the server (RDS enables it by default; set rds.force_ssl=1 in the parameter group to refuse plaintext)".into()
        }
        DbError::CaFile { .. } | DbError::EmptyCaFile { .. } => {
            "point --ca-file (or PGSSLROOTCERT) at a PEM file of CA certificates".into()
        }
        _ => "check the ECS → RDS check above; pass --database-url to check another way in".into(),
    })
}

pub(crate) async fn check(
    ctx: &Ctx<'_>,
    env: &Environment,
    stack: &StackState,
) -> Option<CheckResult> {
    let name = format!("{}/pgvector", env.name);
    let url = match &ctx.database_url {
        Some(u) => u.clone(),
        None => {
            let output = env.database_url_output.as_ref()?;
            if let Some(r) = without_stack(&name, stack) {
                return Some(r);
            }
            let Some(arn) = stack.output(output) else {
                return Some(CheckResult::fail(
                    name,
                    format!("the stack has no output {output}"),
                ));
            };
            match hoist_aws::secrets::Secrets::new(&ctx.aws)
                .current(arn)
                .await
            {
                Ok(Some(v)) => match DatabaseUrl::from_secret(v.expose()) {
                    Ok(Some(u)) => u,
                    Ok(None) => {
                        return Some(CheckResult::fail(
                            name,
                            format!(
                                "{arn} holds no database URL (expected postgres://… or RDS's JSON with host, username and password)"
                            ),
                        ));
                    }
                    Err(e) => {
                        return Some(CheckResult::fail(name, format!("{arn}: {e}")));
                    }
                },
                Ok(None) => {
                    return Some(CheckResult::fail(
                        name,
                        format!("{arn} (output {output}) is empty"),
                    ));
                }
                Err(e) => {
                    return Some(CheckResult::fail(
                        name,
                        format!("cannot read {arn}: {}", crate::hints::chain(&e)),
                    ));
                }
            }
        }
    };
    Some(check_url(ctx, &name, &url).await)
}

pub(crate) async fn check_url(ctx: &Ctx<'_>, name: &str, url: &DatabaseUrl) -> CheckResult {
    let db = match Database::connect(url, &roots(ctx, url)).await {
        Ok(db) => db,
        Err(e) => return CheckResult::fail(name, explain(&e)).fix(connect_fix(&e)),
    };
    // `Database::connect` succeeds only over TLS with the certificate verified.
    let over = " (over TLS, certificate verified)";
    match db.vector_status().await {
        Err(e) => CheckResult::fail(name, explain(&e)),
        Ok(VectorStatus::Enabled(version)) => CheckResult::ok(
            name,
            format!("vector {version} is enabled on {}{over}", url.display()),
        ),
        Ok(VectorStatus::Available) => CheckResult::fail(
            name,
            format!("the vector extension is not enabled on {}", url.display()),
        )
        .evidence("SELECT extversion FROM pg_extension WHERE extname = 'vector' returned no row")
        .fix(Fix::CreateVectorExtension {
            database_url: Box::new(url.clone()),
        }),
        Ok(VectorStatus::Unavailable) => CheckResult::fail(
            name,
            format!(
                "{} has no vector extension to enable (pg_available_extensions lacks it)",
                url.display()
            ),
        )
        .fix(Fix::Manual(
            "use an RDS PostgreSQL version with pgvector (15.2+ / 16)".into(),
        )),
    }
}

/// `CREATE EXTENSION IF NOT EXISTS vector`.
pub(crate) async fn enable(ctx: &Ctx<'_>, url: &DatabaseUrl) -> Result<(), String> {
    let db = Database::connect(url, &roots(ctx, url))
        .await
        .map_err(|e| explain(&e))?;
    db.enable_vector().await.map_err(|e| explain(&e))
}
