//! RS256-only verification of GitHub Actions OIDC tokens.
//!
//! The order is fixed and each failure has its own [`JwtError`] variant: shape (three base64url
//! parts of JSON), algorithm (only `RS256`; `none` and every other algorithm, `HS256` included,
//! are refused before any key is looked at), `kid` lookup in the JWKS, signature, then claims
//! (`iss`, `aud`, `exp`, `nbf`, `iat`, with a leeway). Nothing here ever prints a token.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use crate::claims::{ClaimsError, GithubClaims};
use crate::jwks::Jwks;
use crate::{AWS_AUDIENCE, GITHUB_ISSUER};

/// base64url, with or without padding (GitHub sends none).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What [`verify`] requires of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Expected `iss`. Default: `https://token.actions.githubusercontent.com`.
    pub issuer: String,
    /// Expected value in `aud`. Default: `sts.amazonaws.com`.
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. Default: 60.
    pub leeway_secs: u64,
    /// The time to check against, in seconds since the epoch; `None` reads the system clock.
    pub now: Option<i64>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            issuer: GITHUB_ISSUER.to_owned(),
            audience: AWS_AUDIENCE.to_owned(),
            leeway_secs: 60,
            now: None,
        }
    }
}

/// The JOSE header fields hoist reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtHeader {
    /// `alg`, as written.
    pub alg: String,
    /// `kid`, if any.
    pub kid: Option<String>,
    /// `typ`, if any.
    pub typ: Option<String>,
}

/// Why a token was refused. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// Not `header.payload.signature`.
    #[error(
        "malformed token: a JWT has 3 dot-separated parts, this one has {parts}; pass the raw token value (no quotes, no `Bearer ` prefix)"
    )]
    MalformedShape {
        /// Number of parts found.
        parts: usize,
    },
    /// A part is not base64url.
    #[error("malformed token: the {part} is not base64url; pass the raw token value")]
    MalformedBase64 {
        /// `header`, `payload` or `signature`.
        part: &'static str,
        /// The decode error.
        #[source]
        source: base64::DecodeError,
    },
    /// The header or payload is not a JSON object.
    #[error("malformed token: the {part} is not a JSON object")]
    MalformedJson {
        /// `header` or `payload`.
        part: &'static str,
        /// The parse error, if the text was not JSON at all.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// The header has no usable `alg`.
    #[error("malformed token: the header has no `alg` string")]
    MissingAlg,
    /// `alg: none`: an unsigned token.
    #[error(
        "refused: the token is unsigned (`alg: none`); GitHub signs every token with RS256, so this one was not issued by GitHub"
    )]
    AlgNone,
    /// Any algorithm other than RS256, refused before any key is used.
    #[error(
        "refused: the token uses algorithm `{alg}`, only RS256 is accepted (GitHub signs with RS256; `{alg}` tokens are forgeries or from another issuer)"
    )]
    UnsupportedAlgorithm {
        /// The `alg` in the header.
        alg: String,
    },
    /// The header names no key.
    #[error("refused: the token header has no `kid`, so no key of the JWKS can be chosen")]
    MissingKid,
    /// The `kid` is not in the JWKS.
    #[error("refused: the token's key id `{kid}` is not in the issuer's JWKS (known: {}); if GitHub rotated its keys, fetch the JWKS again (--jwks)", known.join(", "))]
    UnknownKid {
        /// The token's `kid`.
        kid: String,
        /// The key ids the JWKS has.
        known: Vec<String>,
    },
    /// The JWKS entry for the `kid` cannot verify RS256.
    #[error("refused: JWKS key `{kid}` cannot verify RS256 tokens: {reason}")]
    UnusableKey {
        /// The key id.
        kid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match the header and payload.
    #[error(
        "refused: the signature does not verify with JWKS key `{kid}`; the token was altered or signed by someone else"
    )]
    BadSignature {
        /// The key id used.
        kid: String,
    },
    /// A claim the check needs is absent.
    #[error(
        "refused: the token has no `{claim}` claim; GitHub always sends it, so the token was not issued by GitHub Actions"
    )]
    MissingClaim {
        /// The claim.
        claim: &'static str,
    },
    /// A claim has the wrong type.
    #[error("refused: the token's claims are invalid")]
    InvalidClaims(#[source] ClaimsError),
    /// `exp` is in the past (beyond the leeway).
    #[error(
        "refused: the token expired at {exp} (now {now}, leeway {leeway}s); GitHub tokens live about 5 minutes, request a fresh one"
    )]
    Expired {
        /// `exp`.
        exp: i64,
        /// The time checked against.
        now: i64,
        /// The leeway, in seconds.
        leeway: u64,
    },
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error(
        "refused: the token is not valid yet: `{claim}` is {value}, now is {now} (leeway {leeway}s); check this machine's clock"
    )]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// The claim's value.
        value: i64,
        /// The time checked against.
        now: i64,
        /// The leeway, in seconds.
        leeway: u64,
    },
    /// `iss` is not the expected issuer.
    #[error("refused: the token was issued by `{actual}`, expected `{expected}`")]
    WrongIssuer {
        /// Expected issuer.
        expected: String,
        /// The token's `iss`.
        actual: String,
    },
    /// `aud` does not contain the expected audience.
    #[error("refused: the token's audience is [{}], expected `{expected}`; request the token with audience `{expected}` (aws-actions/configure-aws-credentials does) or pass --audience", actual.join(", "))]
    WrongAudience {
        /// Expected audience.
        expected: String,
        /// The token's `aud` values.
        actual: Vec<String>,
    },
}

/// The three decoded parts of a compact JWT.
struct Parts<'a> {
    signing_input: &'a str,
    signature_b64: &'a str,
    header: Map<String, Value>,
    payload: Map<String, Value>,
}

fn split(token: &str) -> Result<Parts<'_>, JwtError> {
    let token = token.trim();
    let pieces: Vec<&str> = token.split('.').collect();
    if pieces.len() != 3 {
        return Err(JwtError::MalformedShape {
            parts: pieces.len(),
        });
    }
    let header = json_part(pieces[0], "header")?;
    let payload = json_part(pieces[1], "payload")?;
    B64URL
        .decode(pieces[2])
        .map_err(|source| JwtError::MalformedBase64 {
            part: "signature",
            source,
        })?;
    let signing_input = &token[..pieces[0].len() + 1 + pieces[1].len()];
    Ok(Parts {
        signing_input,
        signature_b64: pieces[2],
        header,
        payload,
    })
}

fn json_part(b64: &str, part: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = B64URL
        .decode(b64)
        .map_err(|source| JwtError::MalformedBase64 { part, source })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JwtError::MalformedJson { part, source: None }),
        Err(source) => Err(JwtError::MalformedJson {
            part,
            source: Some(source),
        }),
    }
}

fn header_of(map: &Map<String, Value>) -> Result<JwtHeader, JwtError> {
    let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(JwtHeader {
        alg: text("alg").ok_or(JwtError::MissingAlg)?,
        kid: text("kid"),
        typ: text("typ"),
    })
}

/// Reads the header without verifying anything (for diagnostics such as "which kid?").
pub fn peek_header(token: &str) -> Result<JwtHeader, JwtError> {
    header_of(&split(token)?.header)
}

/// Decodes the claims WITHOUT verifying the signature or any claim.
///
/// For display only: callers must print that the claims were NOT verified.
pub fn decode_unverified(token: &str) -> Result<GithubClaims, JwtError> {
    let parts = split(token)?;
    GithubClaims::from_map(parts.payload).map_err(JwtError::InvalidClaims)
}

/// Verifies an RS256 token against `jwks` and the expectations in `opts`.
pub fn verify(token: &str, jwks: &Jwks, opts: &VerifyOptions) -> Result<GithubClaims, JwtError> {
    let parts = split(token)?;
    let header = header_of(&parts.header)?;
    if header.alg.eq_ignore_ascii_case("none") {
        return Err(JwtError::AlgNone);
    }
    if header.alg != "RS256" {
        return Err(JwtError::UnsupportedAlgorithm { alg: header.alg });
    }
    let kid = header.kid.ok_or(JwtError::MissingKid)?;
    let key = rsa_key(jwks, &kid)?;
    let valid = jsonwebtoken::crypto::verify(
        parts.signature_b64,
        parts.signing_input.as_bytes(),
        &key,
        Algorithm::RS256,
    )
    .map_err(|e| JwtError::UnusableKey {
        kid: kid.clone(),
        reason: e.to_string(),
    })?;
    if !valid {
        return Err(JwtError::BadSignature { kid });
    }
    let claims = GithubClaims::from_map(parts.payload).map_err(JwtError::InvalidClaims)?;
    check_claims(&claims, opts)?;
    Ok(claims)
}

fn rsa_key(jwks: &Jwks, kid: &str) -> Result<DecodingKey, JwtError> {
    let jwk = jwks.find(kid).ok_or_else(|| JwtError::UnknownKid {
        kid: kid.to_owned(),
        known: jwks.kids(),
    })?;
    let unusable = |reason: &str| JwtError::UnusableKey {
        kid: kid.to_owned(),
        reason: reason.to_owned(),
    };
    if jwk.kty != "RSA" {
        return Err(unusable(&format!("its kty is `{}`, not `RSA`", jwk.kty)));
    }
    if let Some(alg) = jwk.alg.as_deref().filter(|a| *a != "RS256") {
        return Err(unusable(&format!("it is declared for `{alg}`")));
    }
    if let Some(key_use) = jwk.key_use.as_deref().filter(|u| *u != "sig") {
        return Err(unusable(&format!("its use is `{key_use}`, not `sig`")));
    }
    let (Some(n), Some(e)) = (jwk.n.as_deref(), jwk.e.as_deref()) else {
        return Err(unusable("it lacks the RSA `n` or `e` member"));
    };
    DecodingKey::from_rsa_components(n, e).map_err(|err| unusable(&err.to_string()))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn check_claims(claims: &GithubClaims, opts: &VerifyOptions) -> Result<(), JwtError> {
    let iss = claims
        .iss
        .as_deref()
        .ok_or(JwtError::MissingClaim { claim: "iss" })?;
    let aud = claims
        .aud
        .as_ref()
        .ok_or(JwtError::MissingClaim { claim: "aud" })?;
    let exp = claims.exp.ok_or(JwtError::MissingClaim { claim: "exp" })?;
    let iat = claims.iat.ok_or(JwtError::MissingClaim { claim: "iat" })?;
    if claims.sub.is_none() {
        return Err(JwtError::MissingClaim { claim: "sub" });
    }
    if iss != opts.issuer {
        return Err(JwtError::WrongIssuer {
            expected: opts.issuer.clone(),
            actual: iss.to_owned(),
        });
    }
    if !aud.contains(&opts.audience) {
        return Err(JwtError::WrongAudience {
            expected: opts.audience.clone(),
            actual: aud.values().map(str::to_owned).collect(),
        });
    }
    let now = opts.now.unwrap_or_else(now_secs);
    let leeway = opts.leeway_secs;
    let lee = i64::try_from(leeway).unwrap_or(i64::MAX);
    if now.saturating_sub(lee) > exp {
        return Err(JwtError::Expired { exp, now, leeway });
    }
    for (claim, value) in [("nbf", claims.nbf), ("iat", Some(iat))] {
        if let Some(value) = value
            && value > now.saturating_add(lee)
        {
            return Err(JwtError::NotYetValid {
                claim,
                value,
                now,
                leeway,
            });
        }
    }
    Ok(())
}
