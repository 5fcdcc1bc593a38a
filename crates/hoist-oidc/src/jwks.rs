//! A JSON Web Key Set, as served at `{issuer}/.well-known/jwks`.
//!
//! Only RSA signing keys are usable for verification; other keys are kept (so a JWKS with
//! mixed keys parses) and refused when a token names them.

use serde::Deserialize;

/// One key of a JWKS. Fields GitHub sends that hoist does not use (`x5c`, `x5t`) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    /// Key type; `RSA` for GitHub.
    pub kty: String,
    /// Key id, matched against the token header's `kid`.
    #[serde(default)]
    pub kid: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default)]
    pub n: Option<String>,
    /// RSA exponent, base64url.
    #[serde(default)]
    pub e: Option<String>,
    /// Intended algorithm (`RS256`), when stated.
    #[serde(default)]
    pub alg: Option<String>,
    /// Intended use (`sig`), when stated.
    #[serde(default, rename = "use")]
    pub key_use: Option<String>,
}

/// A parsed JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwks {
    /// The keys, in served order.
    pub keys: Vec<Jwk>,
}

/// Why a JWKS could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// Not JSON of the JWKS shape.
    #[error("JWKS from {origin} is not a JSON object with a `keys` array")]
    Json {
        /// Where it came from (URL or path).
        origin: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// No keys at all: nothing could ever verify.
    #[error("JWKS from {origin} has no keys; point --jwks at the issuer's /.well-known/jwks")]
    Empty {
        /// Where it came from.
        origin: String,
    },
}

impl Jwks {
    /// Parses a JWKS document.
    pub fn from_json(text: &str) -> Result<Self, JwksError> {
        Self::from_json_named(text, "the given JSON")
    }

    /// Parses a JWKS document; `origin` (a URL or path) names its source in errors.
    pub fn from_json_named(text: &str, origin: &str) -> Result<Self, JwksError> {
        let jwks: Jwks = serde_json::from_str(text).map_err(|source| JwksError::Json {
            origin: origin.to_owned(),
            source,
        })?;
        if jwks.keys.is_empty() {
            return Err(JwksError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(jwks)
    }

    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }

    /// All key ids, for error messages.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_github_shape() {
        let text = r#"{"keys":[{"n":"abc","kty":"RSA","kid":"K1","alg":"RS256","e":"AQAB","use":"sig","x5c":["x"],"x5t":"t"},
                               {"kty":"EC","kid":"K2","crv":"P-256","x":"a","y":"b"}]}"#;
        let jwks = Jwks::from_json(text).unwrap();
        assert_eq!(jwks.kids(), vec!["K1", "K2"]);
        let k = jwks.find("K1").unwrap();
        assert_eq!(k.key_use.as_deref(), Some("sig"));
        assert_eq!(k.e.as_deref(), Some("AQAB"));
        assert!(jwks.find("nope").is_none());
    }

    #[test]
    fn rejects_empty_and_garbage() {
        assert!(matches!(
            Jwks::from_json(r#"{"keys":[]}"#),
            Err(JwksError::Empty { .. })
        ));
        assert!(matches!(
            Jwks::from_json("<html>"),
            Err(JwksError::Json { .. })
        ));
    }
}
