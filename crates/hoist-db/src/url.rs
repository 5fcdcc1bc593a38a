//! [`DatabaseUrl`]: a PostgreSQL address as the driver's own parser and builder read it.
//!
//! libpq URLs often carry `sslmode=verify-full` and `sslrootcert=PATH`, which tokio-postgres
//! does not parse; hoist takes them out of the query string first (hoist always verifies, so
//! `verify-ca`/`verify-full` become the driver's `require`, and `sslrootcert` becomes the CA
//! bundle). `sslmode=disable` is refused: RDS PostgreSQL 15+ refuses plaintext connections,
//! and hoist sends no password in the clear.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Config, Host, SslMode};

use crate::DbError;

/// How long a connection attempt may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database address with its credentials. `Debug` and [`DatabaseUrl::display`] show
/// `host:port/db` only.
#[derive(Clone)]
pub struct DatabaseUrl {
    config: Config,
    /// `sslrootcert` from the URL.
    root_cert: Option<PathBuf>,
}

impl DatabaseUrl {
    /// Reads `postgres://…`/`postgresql://…` URLs (percent-encoded or not: the user info runs
    /// to the first `@`) and libpq's `key=value` strings.
    ///
    /// # Errors
    /// [`DbError::BadUrl`] naming what the driver refused, or `sslmode=disable`.
    pub fn parse(text: &str) -> Result<Self, DbError> {
        let text = text.trim();
        let (rest, root_cert) = take_libpq_extras(text)?;
        let config = Config::from_str(&rest).map_err(|e| DbError::BadUrl {
            reason: e.to_string(),
        })?;
        Self::from_config(config, root_cert)
    }

    /// A secret's value: a URL (`postgres://…`), JSON with `url`/`DATABASE_URL`, or RDS's
    /// JSON (`host`, `port`, `username`, `password`, `dbname`), the last built field by field
    /// with the driver's builder. `None` when the value is none of these.
    ///
    /// # Errors
    /// [`DbError::BadUrl`] when the value is a URL the driver refuses.
    pub fn from_secret(value: &str) -> Result<Option<Self>, DbError> {
        let v = value.trim();
        if v.starts_with("postgres://") || v.starts_with("postgresql://") {
            return Self::parse(v).map(Some);
        }
        let Ok(j) = serde_json::from_str::<serde_json::Value>(v) else {
            return Ok(None);
        };
        if let Some(u) = j
            .get("url")
            .or_else(|| j.get("DATABASE_URL"))
            .and_then(|u| u.as_str())
        {
            return Self::parse(u).map(Some);
        }
        let field = |k: &str| {
            j.get(k).and_then(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .or_else(|| x.as_u64().map(|n| n.to_string()))
            })
        };
        let (Some(user), Some(password), Some(host)) =
            (field("username"), field("password"), field("host"))
        else {
            return Ok(None);
        };
        let port = match field("port") {
            None => 5432,
            Some(p) => p.parse::<u16>().map_err(|_| DbError::BadUrl {
                reason: format!("the secret's port {p:?} is not a port number"),
            })?,
        };
        let mut config = Config::new();
        config
            .user(user)
            .password(password)
            .host(host)
            .port(port)
            .dbname(field("dbname").unwrap_or_else(|| "postgres".into()));
        Self::from_config(config, None).map(Some)
    }

    fn from_config(mut config: Config, root_cert: Option<PathBuf>) -> Result<Self, DbError> {
        if config.get_ssl_mode() == SslMode::Disable {
            return Err(DbError::BadUrl {
                reason: "sslmode=disable: hoist connects to databases over TLS only (RDS PostgreSQL 15+ refuses plaintext); remove sslmode from the URL".into(),
            });
        }
        if config.get_hosts().is_empty() {
            return Err(DbError::BadUrl {
                reason: "it names no host".into(),
            });
        }
        config.ssl_mode(SslMode::Require);
        config.connect_timeout(CONNECT_TIMEOUT);
        Ok(Self { config, root_cert })
    }

    /// `host:port/db`, for messages.
    #[must_use]
    pub fn display(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) if h.contains(':') => format!("[{h}]"),
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => String::new(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres");
        format!("{host}:{port}/{db}")
    }

    /// The CA bundle the URL names (`sslrootcert`), if any.
    #[must_use]
    pub fn root_cert(&self) -> Option<&std::path::Path> {
        self.root_cert.as_deref()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.display())
    }
}

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config && self.root_cert == other.root_cert
    }
}

impl Eq for DatabaseUrl {}

/// The URL without `sslrootcert` and with `sslmode=verify-*` as `require`, and the root
/// cert. Key-value strings pass through unchanged.
fn take_libpq_extras(text: &str) -> Result<(String, Option<PathBuf>), DbError> {
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        return Ok((text.to_owned(), None));
    }
    // The driver reads the user info up to the first `@`; the query starts at the first `?`
    // after it (a `?` inside the password is not a query).
    let after_creds = text.find('@').map_or(0, |i| i + 1);
    let Some(q) = text[after_creds..].find('?').map(|i| i + after_creds) else {
        return Ok((text.to_owned(), None));
    };
    let (head, query) = (&text[..q], &text[q + 1..]);
    let mut kept = Vec::new();
    let mut root_cert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(v)
            .decode_utf8()
            .map_err(|_| DbError::BadUrl {
                reason: format!("the value of {k} is not UTF-8"),
            })?;
        match (k, value.as_ref()) {
            ("sslrootcert", path) => root_cert = Some(PathBuf::from(path)),
            ("sslmode", "verify-ca" | "verify-full") => {
                kept.push("sslmode=require".to_owned());
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let rest = if kept.is_empty() {
        head.to_owned()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    Ok((rest, root_cert))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(u: &DatabaseUrl) -> String {
        String::from_utf8(u.config().get_password().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn passwords_with_url_delimiters_survive_percent_encoded_or_raw() {
        for (url, want) in [
            (
                "postgres://app:p%25w%23d%3Fx@db.example:5432/app",
                "p%w#d?x",
            ),
            ("postgres://app:p#w?d@db.example:5432/app", "p#w?d"),
            (
                "postgres://app:p%40ss@db.example/app?sslmode=require",
                "p@ss",
            ),
            (
                "host=db.example port=5432 user=app password='p%#?' dbname=app",
                "p%#?",
            ),
        ] {
            let u = DatabaseUrl::parse(url).unwrap();
            assert_eq!(password(&u), want, "{url}");
            assert_eq!(u.display(), "db.example:5432/app");
            assert!(!format!("{u:?}").contains(want));
        }
    }

    #[test]
    fn rds_json_is_built_field_by_field() {
        let u = DatabaseUrl::from_secret(
            r#"{"username":"a","password":"p@s#s?%2F","host":"h.rds.amazonaws.com","port":5433,"dbname":"d"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(password(&u), "p@s#s?%2F");
        assert_eq!(u.display(), "h.rds.amazonaws.com:5433/d");
        assert!(DatabaseUrl::from_secret("not a url").unwrap().is_none());
        // A managed master-user secret has no host: not a database address.
        assert!(
            DatabaseUrl::from_secret(r#"{"username":"a","password":"p"}"#)
                .unwrap()
                .is_none()
        );
        assert!(
            DatabaseUrl::from_secret(r#"{"url":"postgres://x@y/z"}"#)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn libpq_verify_modes_and_root_cert_are_taken_out() {
        let u = DatabaseUrl::parse(
            "postgresql://u:pw@h:5432/d?sslmode=verify-full&sslrootcert=%2Fetc%2Frds.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(u.root_cert(), Some(std::path::Path::new("/etc/rds.pem")));
        assert_eq!(u.config().get_ssl_mode(), SslMode::Require);
        assert_eq!(u.config().get_application_name(), Some("x"));
    }

    #[test]
    fn tls_is_always_required() {
        let u = DatabaseUrl::parse("postgres://u@h/d?sslmode=prefer").unwrap();
        assert_eq!(u.config().get_ssl_mode(), SslMode::Require);
        let e = DatabaseUrl::parse("postgres://u@h/d?sslmode=disable").unwrap_err();
        assert!(e.to_string().contains("TLS only"), "{e}");
    }

    #[test]
    fn driver_errors_never_hold_the_password() {
        let e = DatabaseUrl::parse("postgres://u:sekrit-9@h:notaport/d").unwrap_err();
        assert!(!e.to_string().contains("sekrit-9"), "{e}");
        let e = DatabaseUrl::parse("postgres://u:sekrit-9@h/d?bogus=1").unwrap_err();
        assert!(!e.to_string().contains("sekrit-9"), "{e}");
    }
}
