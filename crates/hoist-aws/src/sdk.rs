//! The SDK configuration every client is built from.

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;

/// A loaded AWS configuration: credentials chain, region and endpoint.
#[derive(Clone, Debug)]
pub struct Aws {
    config: aws_config::SdkConfig,
    /// Credentials fetched for the calls hoist signs itself (EC2's Query API), reused until
    /// five minutes before they expire, as the SDK's identity cache does for its clients.
    signing_credentials: std::sync::Arc<tokio::sync::Mutex<Option<Credentials>>>,
}

impl Aws {
    /// Loads the default chain (environment, shared config and SSO profiles, web identity,
    /// container and instance metadata). `profile` and `region` override the chain's choice.
    /// `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) are honoured by
    /// the SDK itself, which is how tests point hoist at the sandbox.
    pub async fn load(profile: Option<&str>, region: Option<&str>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        Self {
            config: loader.load().await,
            signing_credentials: std::sync::Arc::default(),
        }
    }

    /// The region in effect, if any source gave one.
    #[must_use]
    pub fn region(&self) -> Option<String> {
        self.config.region().map(ToString::to_string)
    }

    /// The same configuration (region, endpoint) acting with other credentials: the
    /// temporary ones of an assumed role.
    #[must_use]
    pub fn with_credentials(&self, credentials: aws_sdk_sts::config::Credentials) -> Self {
        Self {
            config: self
                .config
                .to_builder()
                .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                    credentials,
                ))
                .build(),
            signing_credentials: std::sync::Arc::default(),
        }
    }

    /// Credentials for a request hoist signs itself: from the configuration's provider (the
    /// same chain the SDK clients use), cached until five minutes before they expire.
    pub(crate) async fn signing_credentials(
        &self,
    ) -> Result<Credentials, Box<dyn std::error::Error + Send + Sync>> {
        use aws_credential_types::provider::ProvideCredentials;
        let mut cached = self.signing_credentials.lock().await;
        let fresh = |c: &Credentials| {
            c.expiry().is_none_or(|at| {
                at > std::time::SystemTime::now() + std::time::Duration::from_secs(300)
            })
        };
        if let Some(c) = cached.as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let provider = self
            .config
            .credentials_provider()
            .ok_or("no credentials provider is configured")?;
        let credentials = provider.provide_credentials().await?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// The underlying SDK configuration, for building service clients.
    #[must_use]
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.config
    }
}
