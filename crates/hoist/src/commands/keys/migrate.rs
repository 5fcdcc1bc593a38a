//! `hoist keys migrate --user NAME [--apply]`: replace the access keys with the OIDC
//! image-push role bootstrap creates (`[images] push_role`): rewrite the deploy workflow, which
//! pushes with OIDC credentials (`hoist credentials`) instead of keys, delete the key secrets
//! from GitHub, then deactivate and delete the keys.

use serde_json::json;

use crate::cli::KeysArgs;
use crate::commands::workflow::{self, generate};
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use super::{KEY_ID_SECRET, KEY_SECRET_SECRET, github_client};

pub(crate) async fn migrate(
    settings: &Settings,
    args: KeysArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let KeysArgs { user, apply } = args;
    let config = settings.load_config()?;
    let Some(images) = &config.images else {
        return Err(BadInput::new("hoist.toml has no [images] section: there is no image workflow to migrate")
            .hint("add [images] with push_role = \"…\" (see `hoist init`), run `hoist bootstrap --apply`, then migrate")
            .into());
    };
    let Some(push_role) = &images.push_role else {
        return Err(BadInput::new("[images] has no push_role: the OIDC role that replaces the keys is not configured")
            .hint("add push_role = \"GitHubActionsEcrPush\" under [images], run `hoist bootstrap --apply`, then `hoist keys migrate`")
            .into());
    };
    let aws = settings.aws(Some(&config)).await;
    let iam = hoist_aws::iam::Iam::new(&aws);
    let Some(role) = iam.get_role(push_role).await? else {
        return Err(Failed::new(format!(
            "the image-push role {push_role} does not exist yet"
        ))
        .hint("create it with `hoist bootstrap --apply`, then migrate")
        .into());
    };
    let keys = hoist_aws::iam_keys::list_access_keys(&aws, &user).await?;
    let repo = config.repository.full_name();
    let root = std::path::Path::new(".");
    // The deploy workflow pushes the images with OIDC credentials (`hoist credentials`).
    let cx = workflow::context(root, &settings.config_path, &config);
    let files: Vec<generate::Generated> = generate::files(&config, &cx);
    let mut diffs = Vec::new();
    for f in &files {
        let (state, diff) = workflow::compare(root, f)?;
        diffs.push((f.path.clone(), state, diff));
    }

    printer.out(&format!(
        "Plan: move {repo}'s image pushes from {user}'s access keys to the OIDC role {}",
        role.arn
    ));
    for (path, state, diff) in &diffs {
        match state {
            workflow::FileState::UpToDate => printer.out(&format!(
                "  1. {path} already pushes through OIDC, without keys"
            )),
            workflow::FileState::Missing => printer.out(&format!(
                "  1. write {path} (pushes through OIDC, without keys)"
            )),
            workflow::FileState::Differs => {
                printer.out(&format!(
                    "  1. rewrite {path} to push through OIDC, without keys:"
                ));
                if let Some(d) = diff {
                    printer.out(d.trim_end());
                }
            }
        }
    }
    printer.out(&format!(
        "  2. delete the GitHub secrets {KEY_ID_SECRET} and {KEY_SECRET_SECRET} of {repo}"
    ));
    if keys.is_empty() {
        printer.out(&format!("  3. {user} has no access keys left to delete"));
    }
    for k in &keys {
        printer.out(&format!(
            "  3. deactivate and delete {} of {user}",
            k.access_key_id
        ));
    }
    if !apply {
        printer.out(&format!("Apply with: hoist keys migrate --user {user} --apply (commit the workflow before the keys go)"));
        if printer.json() {
            printer.json_value(&json!({"user": user, "role": role.arn, "apply": false, "keys": keys.iter().map(|k| &k.access_key_id).collect::<Vec<_>>()}));
        }
        return Ok(ExitStatus::Success);
    }
    let github = github_client("deleting the key secrets")?;
    workflow::write_all(root, &files)?;
    printer.info("wrote the deploy workflow");
    let existing: Vec<String> = github
        .list_secrets(&repo)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    for name in [KEY_ID_SECRET, KEY_SECRET_SECRET] {
        if existing.iter().any(|n| n == name) {
            github.delete_secret(&repo, name).await?;
            printer.info(&format!("deleted GitHub secret {name}"));
        }
    }
    for k in &keys {
        hoist_aws::iam_keys::set_access_key_active(&aws, &user, &k.access_key_id, false).await?;
        hoist_aws::iam_keys::delete_access_key(&aws, &user, &k.access_key_id).await?;
        printer.info(&format!("deactivated and deleted {}", k.access_key_id));
    }
    printer.out(&format!(
        "{repo} now pushes images with {push_role}; {user} has no access keys"
    ));
    if printer.json() {
        printer.json_value(&json!({"user": user, "role": role.arn, "apply": true, "deleted_keys": keys.iter().map(|k| &k.access_key_id).collect::<Vec<_>>()}));
    }
    Ok(ExitStatus::Success)
}
