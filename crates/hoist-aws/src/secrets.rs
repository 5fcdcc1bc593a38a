//! Secrets Manager: read a secret's current value to compare, write a new version.
//!
//! Values travel as [`SecretValue`], whose `Debug` and `Display` never show them; errors
//! carry the secret's ARN and AWS's code, never the value.

use std::fmt;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::{Aws, AwsError};

/// A secret's plaintext. Only [`SecretValue::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The plaintext: only for sending to Secrets Manager or comparing.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue(<redacted, {} bytes>)", self.0.len())
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a secret could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// `ResourceNotFoundException`: the ARN names no secret (wrong output, stack not finished).
    #[error("secret {secret_id} not found in Secrets Manager")]
    NotFound { secret_id: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Whether [`Secrets::put_if_changed`] wrote a new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// The secret already held this value: nothing written.
    Unchanged,
    /// A new `AWSCURRENT` version was written.
    Updated { version_id: Option<String> },
}

/// A Secrets Manager client.
#[derive(Debug, Clone)]
pub struct Secrets {
    client: aws_sdk_secretsmanager::Client,
}

impl Secrets {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self {
            client: aws_sdk_secretsmanager::Client::new(aws.sdk_config()),
        }
    }

    /// The current (`AWSCURRENT`) string value, or `None` when the secret has no value yet
    /// (the stack created it empty).
    ///
    /// # Errors
    /// [`SecretsError::NotFound`] for an unknown ARN, else the AWS error.
    pub async fn current(&self, secret_id: &str) -> Result<Option<SecretValue>, SecretsError> {
        match self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.secret_string.map(SecretValue)),
            Err(err) => {
                let code = err
                    .as_service_error()
                    .and_then(|e| e.code())
                    .unwrap_or_default()
                    .to_owned();
                let message = err
                    .as_service_error()
                    .and_then(|e| e.message())
                    .unwrap_or_default()
                    .to_owned();
                // A secret created without a value has no AWSCURRENT version yet.
                // AWS: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT".
                if code == "ResourceNotFoundException" && message.contains("secret value") {
                    return Ok(None);
                }
                if code == "ResourceNotFoundException" {
                    return Err(SecretsError::NotFound {
                        secret_id: secret_id.to_owned(),
                    });
                }
                Err(AwsError::from_sdk("secretsmanager:GetSecretValue", err).into())
            }
        }
    }

    /// Writes `value` as the new current version unless the secret already holds it.
    ///
    /// # Errors
    /// [`SecretsError::NotFound`] for an unknown ARN, else the AWS error.
    pub async fn put_if_changed(
        &self,
        secret_id: &str,
        value: &SecretValue,
    ) -> Result<PutOutcome, SecretsError> {
        if self.current(secret_id).await?.as_ref() == Some(value) {
            return Ok(PutOutcome::Unchanged);
        }
        match self
            .client
            .put_secret_value()
            .secret_id(secret_id)
            .secret_string(value.expose())
            .send()
            .await
        {
            Ok(out) => Ok(PutOutcome::Updated {
                version_id: out.version_id,
            }),
            Err(err) => {
                if err.as_service_error().and_then(|e| e.code())
                    == Some("ResourceNotFoundException")
                {
                    return Err(SecretsError::NotFound {
                        secret_id: secret_id.to_owned(),
                    });
                }
                Err(AwsError::from_sdk("secretsmanager:PutSecretValue", err).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_never_in_debug_or_display() {
        let v = SecretValue::new("sk-live-abcdef");
        assert!(!format!("{v:?}").contains("abcdef"));
        assert_eq!(v.to_string(), "<redacted>");
    }
}
