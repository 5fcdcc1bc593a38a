//! Actions repository secrets: public key, sealed-box encryption, put, list, delete.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_box::aead::OsRng;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::GithubClient;
use crate::error::{GithubError, Permission};
use crate::repo::RepoRef;
use crate::token::SecretValue;

/// The repository public key secrets are sealed to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PublicKey {
    /// Identifier to send back with each secret.
    pub key_id: String,
    /// The X25519 public key, base64.
    pub key: String,
}

/// Whether a PUT created or replaced the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// HTTP 201: the secret did not exist.
    Created,
    /// HTTP 204: an existing secret was replaced.
    Updated,
}

/// A secret as listed (values are never readable).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SecretMeta {
    /// Name (GitHub upper-cases it).
    pub name: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last update, RFC 3339.
    pub updated_at: String,
}

/// GitHub's rule for secret and variable names.
pub(crate) fn check_name(kind: &'static str, name: &str) -> Result<(), GithubError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.to_ascii_uppercase().starts_with("GITHUB_");
    if ok {
        Ok(())
    } else {
        Err(GithubError::InvalidName {
            kind,
            name: name.to_owned(),
        })
    }
}

impl PublicKey {
    /// Seals `value` to this key (libsodium `crypto_box_seal`), base64-encoded.
    pub fn seal(&self, repo: &str, name: &str, value: &SecretValue) -> Result<String, GithubError> {
        let bad = |reason: &str| GithubError::BadPublicKey {
            repo: repo.to_owned(),
            reason: reason.to_owned(),
        };
        let bytes = STANDARD
            .decode(self.key.trim())
            .map_err(|_| bad("not base64"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| bad(&format!("{} bytes", b.len())))?;
        let key = crypto_box::PublicKey::from(bytes);
        let sealed = key
            .seal(&mut OsRng, value.expose().as_bytes())
            .map_err(|_| GithubError::Encrypt {
                name: name.to_owned(),
            })?;
        Ok(STANDARD.encode(sealed))
    }
}

impl GithubClient {
    /// `GET /repos/{owner}/{repo}/actions/secrets/public-key`.
    pub async fn public_key(&self, owner_repo: &str) -> Result<PublicKey, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/actions/secrets/public-key", repo.path());
        self.get_json(&path, Permission::Secrets, &repo).await
    }

    /// Encrypts `value` to the repository key and PUTs it as secret `name`.
    pub async fn put_secret(
        &self,
        owner_repo: &str,
        name: &str,
        value: &SecretValue,
    ) -> Result<PutOutcome, GithubError> {
        check_name("secret", name)?;
        let key = self.public_key(owner_repo).await?;
        self.put_secret_with_key(owner_repo, &key, name, value)
            .await
    }

    /// As [`Self::put_secret`], with a public key already fetched (for several secrets).
    pub async fn put_secret_with_key(
        &self,
        owner_repo: &str,
        key: &PublicKey,
        name: &str,
        value: &SecretValue,
    ) -> Result<PutOutcome, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        check_name("secret", name)?;
        let encrypted_value = key.seal(&repo.full_name(), name, value)?;
        let body = json!({ "encrypted_value": encrypted_value, "key_id": key.key_id });
        let path = format!("{}/actions/secrets/{name}", repo.path());
        let answer = self
            .send(Method::PUT, &path, Permission::Secrets, &repo, Some(&body))
            .await?;
        Ok(if answer.status == StatusCode::CREATED {
            PutOutcome::Created
        } else {
            PutOutcome::Updated
        })
    }

    /// `GET /repos/{owner}/{repo}/actions/secrets`, all pages.
    pub async fn list_secrets(&self, owner_repo: &str) -> Result<Vec<SecretMeta>, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/actions/secrets", repo.path());
        self.get_all(&path, 100, "secrets", Permission::Secrets, &repo)
            .await
    }

    /// `DELETE /repos/{owner}/{repo}/actions/secrets/{name}`.
    pub async fn delete_secret(&self, owner_repo: &str, name: &str) -> Result<(), GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        check_name("secret", name)?;
        let path = format!("{}/actions/secrets/{name}", repo.path());
        self.send(Method::DELETE, &path, Permission::Secrets, &repo, None)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_with_the_secret_key() {
        let secret = crypto_box::SecretKey::generate(&mut OsRng);
        let key = PublicKey {
            key_id: "1".into(),
            key: STANDARD.encode(secret.public_key().as_bytes()),
        };
        let sealed = key.seal("o/r", "N", &SecretValue::new("hunter2")).unwrap();
        let opened = secret.unseal(&STANDARD.decode(sealed).unwrap()).unwrap();
        assert_eq!(opened, b"hunter2");
    }

    #[test]
    fn bad_keys_and_names() {
        let key = PublicKey {
            key_id: "1".into(),
            key: STANDARD.encode([1u8; 31]),
        };
        assert!(matches!(
            key.seal("o/r", "N", &SecretValue::new("x")),
            Err(GithubError::BadPublicKey { .. })
        ));
        for bad in ["", "1ABC", "GITHUB_TOKEN", "A-B", "A B"] {
            assert!(check_name("secret", bad).is_err(), "{bad}");
        }
        check_name("secret", "AWS_ROLE_ARN_DEV").unwrap();
        check_name("secret", "_x1").unwrap();
    }
}
