//! `hoist keys rotate`: the plan, or the refusal when IAM's two-key quota is used up.

use super::{AccessKey, KEY_ID_SECRET, KEY_SECRET_SECRET, KeysPlan, Op, ago, retire};
use crate::{Action, Resource};

/// What rotate reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateInput {
    pub user: String,
    pub user_arn: String,
    /// `OWNER/NAME`, whose secrets hold the key.
    pub repository: String,
    pub keys: Vec<AccessKey>,
    /// Seconds since the epoch (for ages in notes).
    pub now: i64,
}

/// IAM allows two access keys per user: with two, no new one can be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{user} already has two access keys ({}): IAM allows two per user, so a new one cannot be created", .keys.join(", "))]
pub struct QuotaFull {
    pub user: String,
    pub keys: Vec<String>,
    /// The key to delete to get out: an inactive one, else the older one.
    pub spare: Option<AccessKey>,
}

impl QuotaFull {
    /// The command that gets past the refusal.
    #[must_use]
    pub fn hint(&self, now: i64) -> Option<String> {
        self.spare.as_ref().map(|k| {
            format!(
                "delete the key the workflow does not use, then rotate again: `aws iam delete-access-key --user-name {} --access-key-id {}` ({}, last used {})",
                self.user,
                k.id,
                if k.active { "active" } else { "inactive" },
                ago(k.last_used, now),
            )
        })
    }
}

/// The rotation plan: create and verify a new key, store it in the repository's secrets,
/// then retire the old key (if any).
///
/// # Errors
/// [`QuotaFull`] when the user already has two keys.
pub fn rotate(input: &RotateInput) -> Result<KeysPlan, QuotaFull> {
    let RotateInput {
        user,
        user_arn,
        repository,
        keys,
        now,
    } = input;
    if keys.len() >= 2 {
        return Err(QuotaFull {
            user: user.clone(),
            keys: keys.iter().map(|k| k.id.clone()).collect(),
            spare: keys.iter().find(|k| !k.active).or(keys.first()).cloned(),
        });
    }
    let old = keys.first();
    let mut new_key = Resource::changed(
        "access-key",
        format!("new key of {user}"),
        Action::Create,
        Vec::new(),
        vec![
            Op::CreateAccessKey { user: user.clone() },
            Op::VerifyNewKey {
                user_arn: user_arn.clone(),
            },
        ],
    )
    .note(format!(
        "verified before use: sts:GetCallerIdentity signed with the new key must answer {user_arn}"
    ));
    if old.is_none() {
        new_key = new_key.note("the user has no key now: nothing to retire");
    }
    let secrets = Resource::changed(
        "github-secrets",
        format!("{KEY_ID_SECRET}, {KEY_SECRET_SECRET} of {repository}"),
        Action::Update,
        Vec::new(),
        vec![Op::StoreNewKey {
            repository: repository.clone(),
            id_secret: KEY_ID_SECRET.to_owned(),
            key_secret: KEY_SECRET_SECRET.to_owned(),
            restore_id: old.map(|k| k.id.clone()),
        }],
    )
    .note("if a step up to here fails, the new key is deleted and the old one stays active");
    let mut resources = vec![new_key, secrets];
    resources.extend(old.map(|k| retire(user, k, *now)));
    Ok(KeysPlan { resources })
}
