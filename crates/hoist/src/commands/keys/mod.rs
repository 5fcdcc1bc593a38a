//! `hoist keys list|rotate|migrate --user NAME [--apply]`: the ECR guide's IAM access keys,
//! for teams still on them. `rotate` and `migrate` show their plan without `--apply`.

mod github;
mod list;
mod migrate;
mod rotate;

pub(crate) use github::github_client;
pub(crate) use list::list;
pub(crate) use migrate::migrate;
pub(crate) use rotate::rotate;

/// The GitHub secrets of the ECR guide's workflow.
pub(crate) const KEY_ID_SECRET: &str = "AWS_ACCESS_KEY_ID";
pub(crate) const KEY_SECRET_SECRET: &str = "AWS_SECRET_ACCESS_KEY";

/// The flag age when hoist.toml is absent (its `[doctor] access_key_max_age_days` default).
pub(crate) const DEFAULT_MAX_AGE_DAYS: u32 = 90;

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// "3 days ago", "today", "never".
pub(crate) fn ago(then: Option<i64>, now: i64) -> String {
    match then {
        None => "never".to_owned(),
        Some(t) => match (now - t).max(0) / 86_400 {
            0 => "today".to_owned(),
            1 => "1 day ago".to_owned(),
            n => format!("{n} days ago"),
        },
    }
}
