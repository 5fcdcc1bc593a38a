//! The registry's `WWW-Authenticate` challenge (RFC 7235 §4.1 with the distribution token
//! spec's Bearer parameters: `realm`, `service`, `scope`, `error`), and the host rules that
//! decide where credentials may go: HTTPS except on loopback, same origin only.
//!
//! Hand-written rather than taken from a crate: the only maintained parser (`http-auth`)
//! brings digest-auth dependencies hoist never uses, while the grammar a registry sends is
//! one scheme followed by `name=token` or `name="quoted string"` pairs, parsed here in one
//! function and table-tested below with the challenges from Docker's token specification
//! and GitHub's and ECR's registries.

use url::Url;

/// How the registry wants a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm="…"`: send the credentials themselves (ECR, htpasswd registries).
    Basic,
    /// `Bearer realm="…",service="…",scope="…"`: trade the credentials (or nothing, for
    /// an anonymous pull) for a token at `realm`.
    Bearer {
        realm: String,
        service: Option<String>,
        /// The scopes the registry named, in order; a request may need more (a push needs
        /// `pull,push`, a mount also `pull` on the source repository).
        scopes: Vec<String>,
        /// `invalid_token`, `insufficient_scope`, … when the token sent was refused.
        error: Option<String>,
    },
}

impl Challenge {
    /// Parses one `WWW-Authenticate` value; `None` for a scheme hoist cannot answer
    /// (Digest, Negotiate, …) or a Bearer challenge without a realm.
    #[must_use]
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let (scheme, rest) = match header.find(char::is_whitespace) {
            Some(i) => (&header[..i], &header[i..]),
            None => (header, ""),
        };
        let params = params(rest)?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Self::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let scopes = params
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("scope"))
            .flat_map(|(_, v)| v.split(' ').filter(|s| !s.is_empty()).map(str::to_owned))
            .collect();
        Some(Self::Bearer {
            realm: get("realm")?,
            service: get("service"),
            scopes,
            error: get("error"),
        })
    }
}

/// `name=value` pairs separated by commas; values are tokens or quoted strings with
/// backslash escapes. `None` when the text is not of that form.
fn params(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || name.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name, value));
    }
}

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`): the only hosts
/// credentials may be sent to over plain HTTP.
#[must_use]
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether `url` may carry credentials: HTTPS, or plain HTTP to this machine.
#[must_use]
pub fn transport_is_safe(url: &Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url))
}

/// Same scheme, host and port: the only requests that get the registry's Authorization.
#[must_use]
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Whether `host` (`host[:port]`) is an ECR registry:
/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com` or `….amazonaws.com.cn`, the forms AWS documents
/// for private registries (FIPS endpoints are `ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com`).
/// ECR's authorization token is only ever sent to such a host.
#[must_use]
pub fn is_ecr_host(host: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let Some(rest) = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let [account, "dkr", ecr, region] = labels.as_slice() else {
        return false;
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (*ecr == "ecr" || *ecr == "ecr-fips")
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scopes: &[&str]) -> Challenge {
        Challenge::Bearer {
            realm: realm.into(),
            service: service.map(str::to_owned),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            error: None,
        }
    }

    #[test]
    fn challenges_registries_send() {
        let cases: &[(&str, Option<Challenge>)] = &[
            // Docker's token authentication specification, its example.
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
                Some(bearer(
                    "https://auth.docker.io/token",
                    Some("registry.docker.io"),
                    &["repository:samalba/my-app:pull,push"],
                )),
            ),
            // ghcr.io before any scope is known.
            (
                r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
                Some(bearer(
                    "https://ghcr.io/token",
                    Some("ghcr.io"),
                    &["repository:user/image:pull"],
                )),
            ),
            // Several scopes in one parameter are space-separated.
            (
                r#"bearer realm="http://127.0.0.1:5001/token", service="reg", scope="repository:a:pull repository:b:pull,push""#,
                Some(bearer(
                    "http://127.0.0.1:5001/token",
                    Some("reg"),
                    &["repository:a:pull", "repository:b:pull,push"],
                )),
            ),
            (
                r#"Bearer realm="https://r/token",service="r",error="insufficient_scope""#,
                Some(Challenge::Bearer {
                    realm: "https://r/token".into(),
                    service: Some("r".into()),
                    scopes: vec![],
                    error: Some("insufficient_scope".into()),
                }),
            ),
            // ECR and htpasswd registries.
            (
                r#"Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#,
                Some(Challenge::Basic),
            ),
            (r#"Basic realm="hoist-test""#, Some(Challenge::Basic)),
            ("Basic", Some(Challenge::Basic)),
            (r#"Bearer realm="a\"b""#, Some(bearer("a\"b", None, &[]))),
            // Not answerable.
            (r#"Bearer service="no realm""#, None),
            (r#"Digest realm="x", nonce="y""#, None),
            (r#"Bearer realm="unterminated"#, None),
            ("Bearer =x", None),
        ];
        for (header, want) in cases {
            assert_eq!(&Challenge::parse(header), want, "{header}");
        }
    }

    #[test]
    fn ecr_hosts_are_only_ecr_hosts() {
        for yes in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
            "123456789012.DKR.ECR.eu-west-3.amazonaws.com:443",
        ] {
            assert!(is_ecr_host(yes), "{yes}");
        }
        for no in [
            "ghcr.io",
            "registry-1.docker.io",
            "127.0.0.1:5000",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "x.123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr..amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.notamazonaws.com",
            "public.ecr.aws",
        ] {
            assert!(!is_ecr_host(no), "{no}");
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        let ok = |u: &str| transport_is_safe(&Url::parse(u).unwrap());
        assert!(ok("https://ghcr.io/token"));
        assert!(ok("http://127.0.0.1:5000/"));
        assert!(ok("http://127.8.0.1:5000/"));
        assert!(ok("http://localhost:5000/"));
        assert!(ok("http://[::1]:5000/"));
        assert!(!ok("http://registry.example:5000/"));
        assert!(!ok("http://10.0.0.1/"));
        assert!(!ok("ftp://127.0.0.1/"));
    }

    #[test]
    fn origins() {
        let same = |a: &str, b: &str| same_origin(&Url::parse(a).unwrap(), &Url::parse(b).unwrap());
        assert!(same(
            "https://r.example/v2/",
            "https://R.example:443/v2/x?y"
        ));
        assert!(!same("https://r.example/", "http://r.example/"));
        assert!(!same("http://127.0.0.1:5000/", "http://127.0.0.1:5001/"));
        assert!(!same("http://127.0.0.1:5000/", "http://localhost:5000/"));
        assert!(!same("https://r.example/", "https://s3.amazonaws.com/"));
    }
}
