//! STS `GetCallerIdentity`: which account and principal the credentials in use belong to.

use crate::{Aws, AwsError};

/// Who the current credentials are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The 12-digit account id.
    pub account: String,
    /// The principal's ARN (`arn:aws:sts::…:assumed-role/…` for SSO and roles).
    pub arn: String,
    pub user_id: String,
}

/// An STS client for signed calls.
#[derive(Clone, Debug)]
pub struct Sts {
    client: aws_sdk_sts::Client,
}

impl Sts {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self {
            client: aws_sdk_sts::Client::new(aws.sdk_config()),
        }
    }

    /// `sts:GetCallerIdentity`. Needs no permission, only valid credentials, so its failure
    /// means there are none (or they expired).
    ///
    /// # Errors
    /// When no credentials are found, they are invalid or expired, or STS cannot be reached.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        const ACTION: &str = "sts:GetCallerIdentity";
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        let field = |v: Option<&str>, name: &str| {
            v.map(ToOwned::to_owned)
                .ok_or_else(|| AwsError::Unexpected {
                    action: ACTION,
                    detail: format!("no {name} in the answer"),
                })
        };
        Ok(CallerIdentity {
            account: field(out.account(), "Account")?,
            arn: field(out.arn(), "Arn")?,
            user_id: field(out.user_id(), "UserId")?,
        })
    }
}
