//! SSM Parameter Store: reading the CDK bootstrap version parameter
//! (`/cdk-bootstrap/QUALIFIER/version`).

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::{Aws, AwsError};

/// An SSM client.
#[derive(Debug, Clone)]
pub struct Ssm {
    client: aws_sdk_ssm::Client,
}

impl Ssm {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self {
            client: aws_sdk_ssm::Client::new(aws.sdk_config()),
        }
    }

    /// The parameter's value, or `None` when SSM answers `ParameterNotFound`.
    ///
    /// # Errors
    /// Any other AWS error (such as `AccessDeniedException`).
    pub async fn parameter(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.client.get_parameter().name(name).send().await {
            Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_owned)),
            Err(err)
                if err.as_service_error().and_then(|e| e.code()) == Some("ParameterNotFound") =>
            {
                Ok(None)
            }
            Err(err) => Err(AwsError::from_sdk("ssm:GetParameter", err)),
        }
    }
}
