//! STS: `GetCallerIdentity` (which account and principal the credentials in use belong to)
//! and `AssumeRole` (the CDK bootstrap roles a deploy acts as).

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

/// The longest session `AssumeRole` grants without a role's raised `MaxSessionDuration` is
/// one hour, also the default; a deploy's waits stay within it.
const SESSION_SECONDS: i32 = 3600;

impl Sts {
    /// `sts:AssumeRole` on `role_arn`; the result acts with the role's temporary credentials
    /// (same region and endpoint).
    ///
    /// # Errors
    /// The AWS error (`AccessDenied` when the trust policy does not allow this identity or
    /// the role does not exist).
    pub async fn assume_role(
        &self,
        aws: &Aws,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
    ) -> Result<Aws, AwsError> {
        const ACTION: &str = "sts:AssumeRole";
        let out = self
            .client
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_owned))
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        let c = out.credentials().ok_or_else(|| AwsError::Unexpected {
            action: ACTION,
            detail: "no Credentials in the answer".into(),
        })?;
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        let credentials = aws_sdk_sts::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            expiry,
            "hoist-assume-role",
        );
        Ok(aws.with_credentials(credentials))
    }
}
