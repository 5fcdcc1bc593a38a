//! `hoist keys list|rotate|migrate --user NAME [--apply]`: the ECR guide's IAM access keys,
//! for teams still on them. `rotate` and `migrate` are planned in `hoist_plan::keys`, shown,
//! and applied only with `--apply` by [`apply`].

mod apply;
mod list;
mod migrate;
mod report;
mod rotate;

pub(crate) use list::list;
pub(crate) use migrate::migrate;
pub(crate) use rotate::rotate;

/// The flag age when hoist.toml is absent (its `[doctor] access_key_max_age_days` default).
pub(crate) const DEFAULT_MAX_AGE_DAYS: u32 = 90;

/// The planner's view of a listed key.
fn access_key(k: &hoist_aws::iam_keys::AccessKey) -> hoist_plan::keys::AccessKey {
    hoist_plan::keys::AccessKey {
        id: k.access_key_id.clone(),
        active: k.active,
        created: k.created,
        last_used: k.last_used,
    }
}
