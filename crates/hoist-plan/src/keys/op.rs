//! The calls `hoist keys rotate|migrate` make, as data. No secret value is part of an
//! operation: the new secret access key goes from IAM's answer straight into GitHub's sealed
//! box inside the executor.

use serde::Serialize;

/// One mutating call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// `iam:CreateAccessKey`.
    CreateAccessKey { user: String },
    /// `sts:GetCallerIdentity` signed with the new key must answer `user_arn`.
    VerifyNewKey { user_arn: String },
    /// GitHub: the id secret, then the secret-key secret, set to the new key. If the second
    /// fails, the id secret is put back to `restore_id` (deleted when `None`).
    StoreNewKey {
        repository: String,
        id_secret: String,
        key_secret: String,
        restore_id: Option<String>,
    },
    /// `iam:UpdateAccessKey` to `Inactive`.
    DeactivateAccessKey { user: String, key_id: String },
    /// `iam:DeleteAccessKey`.
    DeleteAccessKey { user: String, key_id: String },
    /// Writes a workflow file hoist generates.
    WriteWorkflow { path: String, text: String },
    /// GitHub `DELETE /repos/{o}/{r}/actions/secrets/{name}`.
    DeleteGithubSecret { repository: String, name: String },
}

impl Op {
    /// A one-line description, for progress lines.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::CreateAccessKey { user } => format!("created a new access key for {user}"),
            Self::VerifyNewKey { user_arn } => {
                format!("verified the new key: sts:GetCallerIdentity answers {user_arn}")
            }
            Self::StoreNewKey {
                repository,
                id_secret,
                key_secret,
                ..
            } => format!("stored {id_secret} and {key_secret} in {repository}"),
            Self::DeactivateAccessKey { key_id, .. } => format!("deactivated {key_id}"),
            Self::DeleteAccessKey { key_id, .. } => format!("deleted {key_id}"),
            Self::WriteWorkflow { path, .. } => format!("wrote {path}"),
            Self::DeleteGithubSecret { name, .. } => format!("deleted GitHub secret {name}"),
        }
    }
}
