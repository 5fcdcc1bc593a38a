//! pgvector (the guide's "pgvector extension not enabled"): connect with the database URL
//! (the stack's secret, or `--database-url`) and look for `vector` in `pg_extension`.

use hoist_config::Environment;

use super::super::check::{CheckResult, Fix};
use super::super::context::{Ctx, StackState};
use super::stack::without_stack;

/// A database URL, which holds a password: `Debug` shows host and database only.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DatabaseUrl(String);

impl DatabaseUrl {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// `host:port/db`, for messages.
    pub(crate) fn display(&self) -> String {
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        host.split('?').next().unwrap_or(host).to_owned()
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.display())
    }
}

/// A secret's value as a URL: the URL itself, or RDS's JSON (`host`, `port`, `username`,
/// `password`, `dbname`).
fn url_from_secret(value: &str) -> Option<String> {
    let v = value.trim();
    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        return Some(v.to_owned());
    }
    let j: serde_json::Value = serde_json::from_str(v).ok()?;
    if let Some(u) = j
        .get("url")
        .or_else(|| j.get("DATABASE_URL"))
        .and_then(|u| u.as_str())
    {
        return Some(u.to_owned());
    }
    let s = |k: &str| {
        j.get(k).and_then(|x| {
            x.as_str()
                .map(str::to_owned)
                .or_else(|| x.as_i64().map(|n| n.to_string()))
        })
    };
    Some(format!(
        "postgres://{}:{}@{}:{}/{}",
        s("username")?,
        s("password")?,
        s("host")?,
        s("port").unwrap_or_else(|| "5432".into()),
        s("dbname").unwrap_or_else(|| "postgres".into())
    ))
}

async fn connect(url: &DatabaseUrl) -> Result<tokio_postgres::Client, String> {
    let fut = tokio_postgres::connect(url.expose(), tokio_postgres::NoTls);
    let (client, conn) = match tokio::time::timeout(std::time::Duration::from_secs(10), fut).await {
        Err(_) => {
            return Err(format!(
                "connecting to {} timed out after 10 s (the ECS/RDS security group rule? a private subnet?)",
                url.display()
            ));
        }
        // The driver's error text never holds the password.
        Ok(Err(e)) => return Err(format!("cannot connect to {}: {e}", url.display())),
        Ok(Ok(x)) => x,
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

pub(crate) async fn check(
    ctx: &Ctx<'_>,
    env: &Environment,
    stack: &StackState,
) -> Option<CheckResult> {
    let name = format!("{}/pgvector", env.name);
    let url = match &ctx.database_url {
        Some(u) => DatabaseUrl::new(u.clone()),
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
                Ok(Some(v)) => match url_from_secret(v.expose()) {
                    Some(u) => DatabaseUrl::new(u),
                    None => {
                        return Some(CheckResult::fail(
                            name,
                            format!(
                                "{arn} holds no database URL (expected postgres://… or RDS's JSON)"
                            ),
                        ));
                    }
                },
                Ok(None) => {
                    return Some(CheckResult::fail(
                        name,
                        format!("{arn} (output {output}) is empty"),
                    ));
                }
                Err(e) => return Some(CheckResult::fail(name, format!("cannot read {arn}: {e}"))),
            }
        }
    };
    Some(check_url(&name, &url).await)
}

pub(crate) async fn check_url(name: &str, url: &DatabaseUrl) -> CheckResult {
    let client = match connect(url).await {
        Ok(c) => c,
        Err(e) => {
            return CheckResult::fail(name, e).fix(Fix::Manual(
                "check the ECS → RDS check above; pass --database-url to check another way in"
                    .into(),
            ));
        }
    };
    let installed = client
        .query_opt(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
            &[],
        )
        .await;
    match installed {
        Err(e) => CheckResult::fail(
            name,
            format!("querying pg_extension on {} failed: {e}", url.display()),
        ),
        Ok(Some(row)) => CheckResult::ok(
            name,
            format!(
                "vector {} is enabled on {}",
                row.get::<_, String>(0),
                url.display()
            ),
        ),
        Ok(None) => {
            let available = client
                .query_opt(
                    "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
                    &[],
                )
                .await
                .ok()
                .flatten();
            match available {
                Some(_) => CheckResult::fail(
                    name,
                    format!("the vector extension is not enabled on {}", url.display()),
                )
                .evidence(
                    "SELECT extversion FROM pg_extension WHERE extname = 'vector' returned no row",
                )
                .fix(Fix::CreateVectorExtension {
                    database_url: url.clone(),
                }),
                None => CheckResult::fail(
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
    }
}

/// `CREATE EXTENSION IF NOT EXISTS vector`.
pub(crate) async fn enable(url: &DatabaseUrl) -> Result<(), String> {
    let client = connect(url).await?;
    client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS vector")
        .await
        .map_err(|e| format!("CREATE EXTENSION on {} failed: {e}", url.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_in_debug() {
        let u = DatabaseUrl::new("postgres://app:hunter2@db.example:5432/app");
        assert_eq!(u.display(), "db.example:5432/app");
        assert!(!format!("{u:?}").contains("hunter2"));
    }

    #[test]
    fn rds_json_secret() {
        let u = url_from_secret(
            r#"{"username":"a","password":"p","host":"h","port":5432,"dbname":"d"}"#,
        )
        .unwrap();
        assert_eq!(u, "postgres://a:p@h:5432/d");
        assert_eq!(
            url_from_secret("postgres://x@y/z").unwrap(),
            "postgres://x@y/z"
        );
    }
}
