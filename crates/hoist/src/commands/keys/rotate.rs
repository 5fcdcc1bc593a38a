//! `hoist keys rotate --user NAME [--apply]`: new key → GitHub secrets → verified with
//! `sts:GetCallerIdentity` signed by the new key → old key deactivated and deleted.
//!
//! Until the GitHub secrets hold the new pair (the switch), any failure removes the new key
//! and leaves the old one active. If the second secret fails after the first was written, the
//! first is put back to the old key id (ids are not secret; the old secret key was never
//! touched), so the workflow keeps a working pair. The secret key is never printed: it goes
//! from IAM's answer straight into the sealed box.

use std::time::Duration;

use hoist_aws::iam_keys::{self, AccessKey, NewAccessKey};
use hoist_aws::{Aws, AwsError};
use hoist_github::{GithubClient, SecretValue};
use serde_json::json;

use crate::cli::KeysArgs;
use crate::env_vars;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use super::{KEY_ID_SECRET, KEY_SECRET_SECRET, ago, github_client, now_secs};

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

/// The refusal when IAM's two-key quota is used up.
fn quota_refusal(user: &str, keys: &[AccessKey]) -> Failed {
    // The way out: delete the key that is not in use (an inactive one, else the older one).
    let spare = keys.iter().find(|k| !k.active).or_else(|| keys.first());
    let ids: Vec<&str> = keys.iter().map(|k| k.access_key_id.as_str()).collect();
    let mut f = Failed::new(format!(
        "{user} already has two access keys ({}): IAM allows two per user, so a new one cannot be created",
        ids.join(", ")
    ));
    if let Some(k) = spare {
        f = f.hint(format!(
            "delete the key the workflow does not use, then rotate again: `aws iam delete-access-key --user-name {user} --access-key-id {}` ({}, last used {})",
            k.access_key_id,
            if k.active { "active" } else { "inactive" },
            ago(k.last_used, now_secs()),
        ));
    }
    f
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
    let keys = iam_keys::list_access_keys(&aws, &user).await?;
    if keys.len() >= 2 {
        return Err(quota_refusal(&user, &keys).into());
    }
    let old = keys.first().cloned();
    let old_line = old.as_ref().map_or_else(
        || "(the user has no key now: nothing to retire)".to_owned(),
        |k| {
            format!(
                "deactivate and delete {} (created {})",
                k.access_key_id,
                ago(k.created, now_secs())
            )
        },
    );
    if !apply {
        printer.out(&format!(
            "Plan: rotate the access key of {user} ({user_arn})"
        ));
        printer.out("  1. create a new access key");
        printer.out(&format!(
            "  2. store it in the GitHub secrets {KEY_ID_SECRET} and {KEY_SECRET_SECRET} of {repo}"
        ));
        printer.out("  3. verify it: sts:GetCallerIdentity signed with the new key must answer this user's ARN");
        printer.out(&format!("  4. {old_line}"));
        printer
            .out("If a step before 4 fails, the new key is deleted and the old one stays active.");
        printer.out(&format!(
            "Apply with: hoist keys rotate --user {user} --apply"
        ));
        if printer.json() {
            printer.json_value(&json!({"user": user, "repository": repo, "apply": false, "old_key": old.as_ref().map(|k| &k.access_key_id)}));
        }
        return Ok(ExitStatus::Success);
    }
    // Fail on a missing token before anything is created.
    let github = github_client("storing the new key in GitHub secrets")?;

    let new = iam_keys::create_access_key(&aws, &user).await?;
    printer.info(&format!("created {} for {user}", new.access_key_id));
    if let Err(err) = switch(&aws, &github, &repo, &user_arn, &new, old.as_ref(), printer).await {
        // Before the switch: take the new key away again; the old one was never touched.
        let cleanup = iam_keys::delete_access_key(&aws, &user, &new.access_key_id).await;
        let kept = old.as_ref().map_or_else(String::new, |k| {
            format!("; {} is still active", k.access_key_id)
        });
        return Err(match cleanup {
            Ok(()) => err.context(format!("rotation stopped: the new key {} was deleted{kept}", new.access_key_id)),
            Err(e) => err.context(format!(
                "rotation stopped, and deleting the new key {} failed too ({e}): delete it with `aws iam delete-access-key --user-name {user} --access-key-id {}`{kept}",
                new.access_key_id, new.access_key_id
            )),
        });
    }
    if let Some(old) = &old {
        iam_keys::set_access_key_active(&aws, &user, &old.access_key_id, false).await?;
        printer.info(&format!("deactivated {}", old.access_key_id));
        iam_keys::delete_access_key(&aws, &user, &old.access_key_id).await?;
        printer.info(&format!("deleted {}", old.access_key_id));
    }
    printer.out(&format!(
        "{user} now uses {} (stored in {KEY_ID_SECRET} / {KEY_SECRET_SECRET} of {repo}, verified with sts:GetCallerIdentity)",
        new.access_key_id
    ));
    if printer.json() {
        printer.json_value(&json!({
            "user": user,
            "repository": repo,
            "apply": true,
            "new_key": new.access_key_id,
            "deleted_key": old.as_ref().map(|k| &k.access_key_id),
        }));
    }
    Ok(ExitStatus::Success)
}

/// Verify the new key, then write both GitHub secrets. On error nothing in GitHub points at
/// the new key any more (or the error says what does).
async fn switch(
    aws: &Aws,
    github: &GithubClient,
    repo: &str,
    user_arn: &str,
    new: &NewAccessKey,
    old: Option<&AccessKey>,
    printer: &Printer,
) -> anyhow::Result<()> {
    let arn = verify(aws, new).await?;
    if arn != user_arn {
        return Err(Failed::new(format!("the new key answers as {arn}, not as {user_arn}")).into());
    }
    printer.info(&format!(
        "verified {}: sts:GetCallerIdentity answers {arn}",
        new.access_key_id
    ));
    let key = github.public_key(repo).await?;
    github
        .put_secret_with_key(
            repo,
            &key,
            KEY_ID_SECRET,
            &SecretValue::new(new.access_key_id.clone()),
        )
        .await?;
    let secret = SecretValue::new(new.secret_access_key.expose().to_owned());
    if let Err(err) = github
        .put_secret_with_key(repo, &key, KEY_SECRET_SECRET, &secret)
        .await
    {
        // Put the id back so the workflow keeps the old, working pair.
        let restored = match old {
            Some(k) => github
                .put_secret_with_key(
                    repo,
                    &key,
                    KEY_ID_SECRET,
                    &SecretValue::new(k.access_key_id.clone()),
                )
                .await
                .map(|_| ()),
            None => github.delete_secret(repo, KEY_ID_SECRET).await,
        };
        let err = anyhow::Error::new(err)
            .context(format!("storing {KEY_SECRET_SECRET} in {repo} failed"));
        return Err(match restored {
            Ok(()) => err.context(format!("{KEY_ID_SECRET} was put back to the old key id")),
            Err(e) => err.context(format!(
                "putting {KEY_ID_SECRET} back failed too ({e}): set it to the old key id by hand"
            )),
        });
    }
    printer.info(&format!(
        "stored {KEY_ID_SECRET} and {KEY_SECRET_SECRET} in {repo}"
    ));
    Ok(())
}

/// `GetCallerIdentity` with the new key. A new key takes a few seconds to be accepted
/// everywhere in AWS, so `InvalidClientTokenId` is retried for up to ~30 s. (moto checks no
/// signature unless its auth mode is on: against it this proves the call succeeds with the new
/// key id and answers the user's ARN, not that AWS accepts the secret.)
async fn verify(aws: &Aws, new: &NewAccessKey) -> Result<String, AwsError> {
    let mut attempt = 0;
    loop {
        match iam_keys::caller_arn_with_key(aws, new).await {
            Err(e) if attempt < 10 && e.code() == Some("InvalidClientTokenId") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            other => return other,
        }
    }
}
