//! `hoist keys rotate --user NAME [--apply]`: new key → verified with `sts:GetCallerIdentity`
//! signed by the new key → GitHub secrets → old key deactivated and deleted. Planned by
//! `hoist_plan::keys::rotate`, applied by [`super::apply`].

use hoist_aws::iam_keys;
use hoist_plan::keys::{self, RotateInput};

use crate::cli::KeysArgs;
use crate::env_vars;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use super::apply::Executor;
use super::{access_key, report};
use crate::clock::now_secs;

/// The repository whose secrets hold the keys: hoist.toml's, else `GITHUB_REPOSITORY`.
pub(super) fn repository(config: Option<&hoist_config::Config>) -> anyhow::Result<String> {
    config
        .map(|c| c.repository.full_name())
        .or_else(|| env_vars::get(env_vars::GITHUB_REPOSITORY))
        .ok_or_else(|| {
            BadInput::new("no repository: hoist.toml is missing and GITHUB_REPOSITORY is not set")
                .hint("run in the directory of hoist.toml, pass --config, or export GITHUB_REPOSITORY=OWNER/NAME")
                .into()
        })
}

pub(crate) async fn rotate(
    settings: &Settings,
    args: KeysArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let KeysArgs { user, apply } = args;
    let config = settings.load_config().ok();
    let repo = repository(config.as_ref())?;
    let aws = settings.aws(config.as_ref()).await;
    let Some(user_arn) = iam_keys::user_arn(&aws, &user).await? else {
        return Err(Failed::new(format!("IAM user {user} does not exist"))
            .hint("check the name with `aws iam list-users`")
            .into());
    };
    let now = now_secs();
    let input = RotateInput {
        user: user.clone(),
        user_arn: user_arn.clone(),
        repository: repo.clone(),
        keys: iam_keys::list_access_keys(&aws, &user)
            .await?
            .iter()
            .map(access_key)
            .collect(),
        now,
    };
    let plan = keys::rotate(&input).map_err(|refusal| {
        let hint = refusal.hint(now);
        let failed = Failed::new(refusal.to_string());
        match hint {
            Some(h) => failed.hint(h),
            None => failed,
        }
    })?;
    let view = report::View {
        title: format!("Rotation plan for the access key of {user} ({user_arn}):"),
        apply_with: format!("hoist keys rotate --user {user} --apply"),
    };
    view.before(&plan, printer);
    let executor = Executor {
        aws: &aws,
        printer,
        root: std::path::Path::new("."),
        github_purpose: "storing the new key in GitHub secrets",
    };
    let applied = executor.run(&plan, apply, None).await?;
    let done = applied.as_ref().and_then(|a| a.new_key.as_deref()).map(|id| {
        format!(
            "{user} now uses {id} (stored in {} / {} of {repo}, verified with sts:GetCallerIdentity)",
            keys::KEY_ID_SECRET,
            keys::KEY_SECRET_SECRET
        )
    });
    view.after(&plan, applied.as_ref(), done.as_deref(), printer);
    Ok(ExitStatus::Success)
}
