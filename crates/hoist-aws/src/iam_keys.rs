//! IAM access keys of the ECR guide's user (`github-ecr-push`): list with age and last use,
//! create, deactivate, delete, and prove a new key works (`sts:GetCallerIdentity` signed with
//! it). The secret half of a key lives only in [`SecretAccessKey`], whose `Debug` is redacted.

use aws_sdk_iam::types::StatusType;

use crate::{Aws, AwsError};

fn client(aws: &Aws) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(aws.sdk_config())
}

/// The secret access key of a new key. Never printed: `Debug` shows `<redacted>`, there is no
/// `Display`; [`SecretAccessKey::expose`] hands the value to the one place that stores it.
#[derive(Clone)]
pub struct SecretAccessKey(String);

impl SecretAccessKey {
    /// The value, for sealing into a GitHub secret or signing a request.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretAccessKey(<redacted>)")
    }
}

/// A key that was just created: the only moment AWS returns its secret.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub secret_access_key: SecretAccessKey,
}

/// An access key as listed, with its last use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub active: bool,
    /// Seconds since the Unix epoch.
    pub created: Option<i64>,
    /// Seconds since the Unix epoch; `None` when never used.
    pub last_used: Option<i64>,
    /// The service of the last use (`N/A` when never used).
    pub last_used_service: Option<String>,
    pub last_used_region: Option<String>,
}

impl AccessKey {
    /// Whole days between `created` and `now` (seconds since the epoch).
    #[must_use]
    pub fn age_days(&self, now: i64) -> Option<i64> {
        self.created.map(|c| (now - c).max(0) / 86_400)
    }
}

/// The user's ARN; `None` when the user does not exist.
///
/// # Errors
/// [`AwsError`] from `GetUser`.
pub async fn user_arn(aws: &Aws, user: &str) -> Result<Option<String>, AwsError> {
    match client(aws).get_user().user_name(user).send().await {
        Ok(out) => Ok(out.user().map(|u| u.arn().to_owned())),
        Err(e) => {
            let err = AwsError::from_sdk("iam:GetUser", e);
            if err.code() == Some("NoSuchEntity") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// The user's keys (at most two), oldest first, each with its last use.
///
/// # Errors
/// [`AwsError`] from `ListAccessKeys` or `GetAccessKeyLastUsed`.
pub async fn list_access_keys(aws: &Aws, user: &str) -> Result<Vec<AccessKey>, AwsError> {
    let iam = client(aws);
    let out = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:ListAccessKeys", e))?;
    let mut keys = Vec::new();
    for meta in out.access_key_metadata() {
        let Some(id) = meta.access_key_id() else {
            continue;
        };
        let used = iam
            .get_access_key_last_used()
            .access_key_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:GetAccessKeyLastUsed", e))?;
        let last = used.access_key_last_used();
        keys.push(AccessKey {
            access_key_id: id.to_owned(),
            active: meta.status() == Some(&StatusType::Active),
            created: meta.create_date().map(aws_smithy_types::DateTime::secs),
            last_used: last
                .and_then(|l| l.last_used_date())
                .map(aws_smithy_types::DateTime::secs),
            last_used_service: last
                .map(|l| l.service_name().to_owned())
                .filter(|s| s != "N/A"),
            last_used_region: last.map(|l| l.region().to_owned()).filter(|s| s != "N/A"),
        });
    }
    keys.sort_by_key(|k| k.created);
    Ok(keys)
}

/// Creates a key. IAM allows two per user (`LimitExceeded` beyond).
///
/// # Errors
/// [`AwsError`] from `CreateAccessKey`.
pub async fn create_access_key(aws: &Aws, user: &str) -> Result<NewAccessKey, AwsError> {
    let out = client(aws)
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:CreateAccessKey", e))?;
    let key = out.access_key().ok_or(AwsError::Unexpected {
        action: "iam:CreateAccessKey",
        detail: "no AccessKey in the answer".into(),
    })?;
    Ok(NewAccessKey {
        access_key_id: key.access_key_id().to_owned(),
        secret_access_key: SecretAccessKey(key.secret_access_key().to_owned()),
    })
}

/// Sets a key `Active` or `Inactive`.
///
/// # Errors
/// [`AwsError`] from `UpdateAccessKey`.
pub async fn set_access_key_active(
    aws: &Aws,
    user: &str,
    access_key_id: &str,
    active: bool,
) -> Result<(), AwsError> {
    client(aws)
        .update_access_key()
        .user_name(user)
        .access_key_id(access_key_id)
        .status(if active {
            StatusType::Active
        } else {
            StatusType::Inactive
        })
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("iam:UpdateAccessKey", e))
}

/// Deletes a key.
///
/// # Errors
/// [`AwsError`] from `DeleteAccessKey`.
pub async fn delete_access_key(aws: &Aws, user: &str, access_key_id: &str) -> Result<(), AwsError> {
    client(aws)
        .delete_access_key()
        .user_name(user)
        .access_key_id(access_key_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("iam:DeleteAccessKey", e))
}

/// The caller ARN `sts:GetCallerIdentity` returns when signed with `key` (same region and
/// endpoint as `aws`, no other credentials). Proves AWS accepts the key.
///
/// # Errors
/// [`AwsError`] from `GetCallerIdentity`.
pub async fn caller_arn_with_key(aws: &Aws, key: &NewAccessKey) -> Result<String, AwsError> {
    let creds = aws_sdk_sts::config::Credentials::new(
        key.access_key_id.clone(),
        key.secret_access_key.expose().to_owned(),
        None,
        None,
        "hoist-keys-rotate",
    );
    let conf = aws_sdk_sts::config::Builder::from(aws.sdk_config())
        .credentials_provider(creds)
        .build();
    let out = aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("sts:GetCallerIdentity", e))?;
    out.arn().map(str::to_owned).ok_or(AwsError::Unexpected {
        action: "sts:GetCallerIdentity",
        detail: "no Arn in the answer".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_in_debug() {
        let key = NewAccessKey {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: SecretAccessKey("wJalrXUtnFEMI".into()),
        };
        let shown = format!("{key:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("AKIAEXAMPLE"));
    }

    #[test]
    fn age_in_whole_days() {
        let k = AccessKey {
            access_key_id: "A".into(),
            active: true,
            created: Some(0),
            last_used: None,
            last_used_service: None,
            last_used_region: None,
        };
        assert_eq!(k.age_days(86_400 * 91 + 5), Some(91));
        assert_eq!(k.age_days(-5), Some(0));
    }
}
