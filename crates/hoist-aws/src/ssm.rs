//! SSM Parameter Store: reading the CDK bootstrap version parameter
//! (`/cdk-bootstrap/QUALIFIER/version`), through SSM's JSON API ([`crate::signed`]).

use crate::signed::{SSM, json};
use crate::{Aws, AwsError};

/// An SSM client.
#[derive(Debug, Clone)]
pub struct Ssm {
    aws: Aws,
}

impl Ssm {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self { aws: aws.clone() }
    }

    /// The parameter's value, or `None` when SSM answers `ParameterNotFound`.
    ///
    /// # Errors
    /// Any other AWS error (such as `AccessDeniedException`).
    pub async fn parameter(&self, name: &str) -> Result<Option<String>, AwsError> {
        const ACTION: &str = "ssm:GetParameter";
        let body = serde_json::json!({ "Name": name });
        match json(&self.aws, &SSM, "AmazonSSM.GetParameter", ACTION, &body).await {
            Ok(answer) => Ok(answer
                .pointer("/Parameter/Value")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)),
            Err(err) if err.code() == Some("ParameterNotFound") => Ok(None),
            Err(err) => Err(err),
        }
    }
}
