//! The claims a trust check evaluates: a claims file, a token (verified with `--jwks`, read
//! unverified without), or claims given on the command line.

use hoist_oidc::claims::GithubClaims;
use serde_json::{Map, Value};

use crate::exit::BadInput;

/// Claims and whether their signature was checked.
pub(super) struct LoadedClaims {
    pub(super) claims: Map<String, Value>,
    /// How the claims were obtained, for the output.
    pub(super) provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Provenance {
    /// A token whose signature, issuer, audience and times were verified against a JWKS.
    VerifiedToken,
    /// A token decoded without verification.
    UnverifiedToken,
    /// A claims file.
    ClaimsFile,
    /// `--sub`, `--aud` and `--claim` flags.
    Flags,
}

impl Provenance {
    pub(super) fn verified(self) -> bool {
        self == Self::VerifiedToken
    }

    pub(super) fn note(self) -> &'static str {
        match self {
            Self::VerifiedToken => {
                "claims verified: signature, issuer, audience and lifetime checked against the JWKS"
            }
            Self::UnverifiedToken => {
                "claims NOT verified: the token was decoded without checking its signature (pass --jwks URL|FILE to verify)"
            }
            Self::ClaimsFile => "claims read from a file, not from a signed token",
            Self::Flags => "claims given on the command line, not from a signed token",
        }
    }
}

pub(super) fn from_file(path: &std::path::Path) -> anyhow::Result<LoadedClaims> {
    let claims = GithubClaims::from_json_file(path).map_err(|e| BadInput::new(e.to_string()))?;
    Ok(LoadedClaims {
        claims: claims.as_map().clone(),
        provenance: Provenance::ClaimsFile,
    })
}

/// `--token JWT`, `--token -` (stdin) or `--token @FILE`.
pub(super) fn read_token_arg(arg: &str) -> anyhow::Result<String> {
    Ok(crate::secret_arg::read("--token", arg)?)
}

pub(super) async fn from_token(token: &str, jwks: Option<&str>) -> anyhow::Result<LoadedClaims> {
    let Some(jwks) = jwks else {
        let claims = hoist_oidc::jwt::decode_unverified(token)
            .map_err(|e| {
                BadInput::new(format!("the token cannot be read: {e}")).hint(
                    "pass the raw token value, without quotes or a `Bearer ` prefix: `--token @FILE` reads it from a file, `--token -` from stdin",
                )
            })?;
        return Ok(LoadedClaims {
            claims: claims.as_map().clone(),
            provenance: Provenance::UnverifiedToken,
        });
    };
    let source = hoist_oidc::discovery::JwksSource::parse(jwks).map_err(|e| {
        let hint = match &e {
            hoist_oidc::discovery::DiscoveryError::Transport(t) => crate::hints::for_cause(t),
            _ => None,
        };
        let refused = BadInput::new(e.to_string());
        match hint {
            Some(h) => refused.hint(h),
            None => refused,
        }
    })?;
    let keys = hoist_oidc::discovery::load(&source)
        .await
        .map_err(|e| BadInput::new(format!("cannot load the JWKS: {e}")))?;
    // The issuer stays GitHub's: a JWKS from elsewhere (a file, a mirror) must still sign
    // tokens that claim GitHub as their issuer.
    let opts = hoist_oidc::jwt::VerifyOptions::default();
    let claims = hoist_oidc::jwt::verify(token, &keys, &opts).map_err(|e| {
        BadInput::new(format!("the token was rejected: {e}"))
            .hint("a token that fails verification would also be refused by AWS STS")
    })?;
    Ok(LoadedClaims {
        claims: claims.as_map().clone(),
        provenance: Provenance::VerifiedToken,
    })
}

pub(super) fn from_flags(sub: &str, aud: &str, extra: &[String]) -> anyhow::Result<LoadedClaims> {
    let mut claims = Map::new();
    claims.insert("sub".into(), Value::String(sub.to_owned()));
    claims.insert("aud".into(), Value::String(aud.to_owned()));
    for kv in extra {
        let (k, v) = kv
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| {
                BadInput::new(format!("--claim {kv:?} is not KEY=VALUE"))
                    .hint("for example --claim environment=production")
            })?;
        claims.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    Ok(LoadedClaims {
        claims,
        provenance: Provenance::Flags,
    })
}
