//! The access-key planners: `hoist keys rotate` (new key → GitHub secrets → verified → old
//! key retired) and `hoist keys migrate` (images workflow onto the OIDC push role, key
//! secrets and keys deleted).
//!
//! Rotation never converges by design: every run replaces the key. Migration converges: once
//! the workflow assumes the role and the secrets and keys are gone, it plans nothing.

mod migrate;
mod op;
mod rotate;

pub use migrate::{MigrateInput, WorkflowFile, migrate};
pub use op::Op;
pub use rotate::{QuotaFull, RotateInput, rotate};

/// The GitHub secrets of the ECR guide's workflow.
pub const KEY_ID_SECRET: &str = "AWS_ACCESS_KEY_ID";
pub const KEY_SECRET_SECRET: &str = "AWS_SECRET_ACCESS_KEY";

/// A plan of `hoist keys`.
pub type KeysPlan = crate::Plan<Op>;

/// An access key as `ListAccessKeys` (and `GetAccessKeyLastUsed`) show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    /// Creation time, seconds since the epoch.
    pub created: Option<i64>,
    /// Last use, seconds since the epoch.
    pub last_used: Option<i64>,
}

/// "3 days ago", "today", "never", from `then` to `now` (seconds since the epoch).
#[must_use]
pub fn ago(then: Option<i64>, now: i64) -> String {
    match then {
        None => "never".to_owned(),
        Some(t) => match (now - t).max(0) / 86_400 {
            0 => "today".to_owned(),
            1 => "1 day ago".to_owned(),
            n => format!("{n} days ago"),
        },
    }
}

/// The resource that retires `key` of `user`.
fn retire(user: &str, key: &AccessKey, now: i64) -> crate::Resource<Op> {
    crate::Resource::changed(
        "access-key",
        key.id.clone(),
        crate::Action::Delete,
        Vec::new(),
        vec![
            Op::DeactivateAccessKey {
                user: user.to_owned(),
                key_id: key.id.clone(),
            },
            Op::DeleteAccessKey {
                user: user.to_owned(),
                key_id: key.id.clone(),
            },
        ],
    )
    .note(format!(
        "{}, created {}, last used {}: deactivated, then deleted",
        if key.active { "active" } else { "inactive" },
        ago(key.created, now),
        ago(key.last_used, now)
    ))
}

#[cfg(test)]
mod tests;
