//! `hoist keys list --user NAME`: each key's age, status and last use; keys older than
//! `access_key_max_age_days` are flagged.

use serde_json::json;

use crate::cli::KeysArgs;
use crate::exit::{ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use hoist_plan::keys::ago;

use super::DEFAULT_MAX_AGE_DAYS;
use crate::clock::now_secs;

pub(crate) async fn list(
    settings: &Settings,
    args: KeysArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let KeysArgs { user, apply: _ } = args;
    // hoist.toml is optional here: a team on keys may not have one yet.
    let config = settings.load_config().ok();
    let max_age = config
        .as_ref()
        .map_or(DEFAULT_MAX_AGE_DAYS, |c| c.access_key_max_age_days);
    let aws = settings.aws(config.as_ref()).await;
    if hoist_aws::iam_keys::user_arn(&aws, &user).await?.is_none() {
        return Err(Failed::new(format!("IAM user {user} does not exist"))
            .hint("check the name with `aws iam list-users`")
            .into());
    }
    let keys = hoist_aws::iam_keys::list_access_keys(&aws, &user).await?;
    let now = now_secs();
    let mut rows = Vec::new();
    if keys.is_empty() {
        printer.out(&format!("{user} has no access keys"));
    } else {
        printer.out(&format!(
            "{:<22} {:<8} {:>9}  LAST USED",
            "ACCESS KEY ID", "STATUS", "AGE"
        ));
    }
    for k in &keys {
        let age = k.age_days(now);
        let old = age.is_some_and(|a| a > i64::from(max_age));
        let used = match (&k.last_used_service, &k.last_used_region) {
            (Some(s), Some(r)) => format!("{} ({s}, {r})", ago(k.last_used, now)),
            (Some(s), None) => format!("{} ({s})", ago(k.last_used, now)),
            _ => ago(k.last_used, now),
        };
        printer.out(&format!(
            "{:<22} {:<8} {:>9}  {used}{}",
            k.access_key_id,
            if k.active { "Active" } else { "Inactive" },
            age.map_or_else(|| "?".to_owned(), |a| format!("{a} days")),
            if old {
                format!("  ← older than {max_age} days: `hoist keys rotate --user {user} --apply`")
            } else {
                String::new()
            },
        ));
        rows.push(json!({
            "access_key_id": k.access_key_id,
            "status": if k.active { "Active" } else { "Inactive" },
            "age_days": age,
            "last_used": k.last_used,
            "last_used_service": k.last_used_service,
            "last_used_region": k.last_used_region,
            "too_old": old,
        }));
    }
    if printer.json() {
        printer.json_value(&json!({"user": user, "max_age_days": max_age, "keys": rows}));
    }
    Ok(ExitStatus::Success)
}
