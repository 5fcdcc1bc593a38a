//! Several accounts: hoist.toml split into one part per place its environments live (account,
//! region, profile), each planned and applied with its own credentials.

use hoist_aws::iam::Iam;
use hoist_aws::sts::Sts;
use hoist_config::Config;
use hoist_plan::bootstrap::BootstrapPlan;

use crate::exit::Failed;

/// One account's plan and the client that applies it.
pub(super) struct AccountPlan {
    pub(super) account_id: String,
    pub(super) region: String,
    pub(super) iam: Iam,
    pub(super) plan: BootstrapPlan,
    /// `gh` commands when there is no GitHub token.
    pub(super) gh_lines: Vec<String>,
}

/// The configuration as each account sees it: `[aws]` replaced by the place, the
/// environments living there, and — in `[aws]`'s own part only, marked `true` — the image-push
/// role. `[aws]`'s part is left out when nothing lives there (no environment, no images, no
/// legacy user).
pub(super) fn split(config: &Config, legacy_user: bool) -> Vec<(bool, Config)> {
    config
        .accounts()
        .into_iter()
        .enumerate()
        .filter_map(|(n, (place, envs))| {
            let first = n == 0;
            if first && envs.is_empty() && config.images.is_none() && !legacy_user {
                return None;
            }
            let mut part = config.clone();
            part.aws = place;
            part.environments = envs.into_iter().cloned().collect();
            if !first {
                part.images = None;
            }
            Some((first, part))
        })
        .collect()
}

/// The part's account: hoist.toml's, else the one its credentials belong to (STS). With
/// several accounts a configured id is checked against the credentials too, so roles are
/// never created in the wrong account.
pub(super) async fn account_id(part: &Config, sts: &Sts, several: bool) -> anyhow::Result<String> {
    let configured = part.aws.account_id.clone();
    if let (Some(id), false) = (&configured, several) {
        return Ok(id.clone());
    }
    let who = sts.caller_identity().await?;
    match configured {
        Some(id) if id != who.account => {
            let credentials = part
                .aws
                .profile
                .as_deref()
                .map_or_else(|| "[aws]".to_owned(), |p| format!("profile {p}"));
            let what = if part.environments.is_empty() {
                "the image-push role".to_owned()
            } else {
                part.environments
                    .iter()
                    .map(|e| format!("environment {}", e.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Err(Failed::new(format!(
                "the credentials of {credentials} are for account {}, but hoist.toml places {what} in account {id}",
                who.account
            ))
            .hint("set `profile = \"…\"` (a profile signed in to that account) under the environment's table in hoist.toml, or correct its account_id")
            .into())
        }
        _ => Ok(who.account),
    }
}
