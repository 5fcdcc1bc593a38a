//! RSA-2048 signing keys, generated once per test process (generation is slow in debug builds).

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

pub(crate) struct TestKey {
    pub(crate) kid: String,
    encoding: EncodingKey,
    pub(crate) n_b64: String,
    pub(crate) e_b64: String,
    pub(crate) public_pem: String,
}

impl TestKey {
    fn generate() -> Self {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("generate RSA key");
        let public = RsaPublicKey::from(&private);
        let n = public.n().to_bytes_be();
        let e = public.e().to_bytes_be();
        // GitHub's kids are upper-case hex thumbprints; derive one from the modulus.
        let kid = n[n.len() - 20..]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let der = private.to_pkcs1_der().expect("pkcs1 der");
        TestKey {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            n_b64: URL_SAFE_NO_PAD.encode(&n),
            e_b64: URL_SAFE_NO_PAD.encode(&e),
            public_pem: public
                .to_public_key_pem(LineEnding::LF)
                .expect("public pem"),
        }
    }

    /// The JWK GitHub's JWKS lists for a key.
    pub(crate) fn jwk(&self) -> Value {
        json!({
            "n": self.n_b64,
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "e": self.e_b64,
            "use": "sig",
        })
    }

    /// RS256 signature of `signing_input`, base64url.
    pub(crate) fn sign_rs256(&self, signing_input: &str) -> String {
        jsonwebtoken::crypto::sign(signing_input.as_bytes(), &self.encoding, Algorithm::RS256)
            .expect("RS256 sign")
    }
}

/// The issuer's key.
pub(crate) fn primary() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(TestKey::generate)
}

/// A second key nobody publishes: signs forgeries that reuse the issuer's `kid`.
pub(crate) fn foreign() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(TestKey::generate)
}

/// Compact JWS from a header and payload, signed by `sign` over `b64(header).b64(payload)`.
pub(crate) fn compact(
    header: &Value,
    payload: &Value,
    sign: impl FnOnce(&str) -> String,
) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = sign(&input);
    format!("{input}.{signature}")
}
