//! Registry credentials with a redacting `Debug`.

use base64::Engine as _;

/// An error from a [`CredentialSource`], kept whole so the caller can recover its own type.
pub type CredentialError = Box<dyn std::error::Error + Send + Sync>;

/// Where credentials come from when the registry asks for them (a 401 challenge): for ECR,
/// `GetAuthorizationToken`; for other registries the Docker configuration. Called at most
/// once per client.
pub trait CredentialSource: Send + Sync {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<BasicAuth, CredentialError>>;

    /// Like [`CredentialSource::fetch`], where "no credentials" is an answer (an anonymous
    /// pull through a Bearer challenge) rather than an error. By default every fetch has some.
    fn fetch_optional(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Option<BasicAuth>, CredentialError>> {
        Box::pin(async move { self.fetch().await.map(Some) })
    }

    /// Whether these credentials may be sent to a Bearer challenge's token `realm` on another
    /// origin than the `registry` (Docker Hub's realm is auth.docker.io). By default yes;
    /// ECR's token is only ever sent to the ECR registry itself.
    fn may_send_to_realm(&self, realm: &url::Url, registry: &url::Url) -> bool {
        let _ = (realm, registry);
        true
    }
}

/// HTTP Basic credentials for the registry (ECR: user `AWS`, password from
/// GetAuthorizationToken). The password never appears in `Debug` output.
#[derive(Clone)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl BasicAuth {
    #[must_use]
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// From ECR's `authorizationToken`: base64 of `USER:PASSWORD`.
    ///
    /// # Errors
    /// A message (without the token) when it is not base64 of `user:password`.
    pub fn from_base64_token(token: &str) -> Result<Self, String> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .map_err(|_| "not base64".to_owned())?;
        let text = String::from_utf8(raw).map_err(|_| "not UTF-8 after base64".to_owned())?;
        let (user, password) = text
            .split_once(':')
            .ok_or_else(|| "no ':' between user and password".to_owned())?;
        Ok(Self::new(user, password))
    }

    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The `Authorization` header value.
    pub(crate) fn header(&self) -> String {
        let raw = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let auth = BasicAuth::new("AWS", "123456789012-auth-token");
        let shown = format!("{auth:?}");
        assert!(!shown.contains("auth-token"), "{shown}");
        assert!(shown.contains("AWS"));
        assert_eq!(auth.header(), "Basic QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu");
        let back = BasicAuth::from_base64_token("QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu").unwrap();
        assert_eq!(back.header(), auth.header());
        assert!(BasicAuth::from_base64_token("bm9jb2xvbg==").is_err());
    }
}
