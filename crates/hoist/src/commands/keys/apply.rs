//! Carries out exactly the operations of a `keys rotate|migrate` plan.
//!
//! Rotation is a transaction up to the switch: until [`Op::StoreNewKey`] has written both
//! GitHub secrets, any failure deletes the new key again (the old one was never touched). If
//! the second secret fails after the first was written, the first is put back to the old key
//! id (ids are not secret), so the workflow keeps a working pair. The secret key goes from
//! IAM's answer straight into the sealed box and is never printed.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use hoist_aws::iam_keys::{self, NewAccessKey};
use hoist_aws::{Aws, AwsError};
use hoist_github::{GithubClient, SecretValue};
use hoist_plan::keys::{KeysPlan, Op};

use crate::exit::Failed;
use crate::printer::Printer;

/// What the executor needs besides the plan.
pub(super) struct Executor<'a> {
    pub(super) aws: &'a Aws,
    pub(super) printer: &'a Printer,
    /// Where workflow paths are relative to.
    pub(super) root: &'a Path,
    /// Why GitHub is needed, for the error when `GITHUB_TOKEN` is missing.
    pub(super) github_purpose: &'a str,
}

/// What applying did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) operations: usize,
    /// The access key a rotation created.
    pub(super) new_key: Option<String>,
}

fn needs_github(op: &Op) -> bool {
    matches!(op, Op::StoreNewKey { .. } | Op::DeleteGithubSecret { .. })
}

impl Executor<'_> {
    /// Without `apply`, nothing. With it, every operation in plan order; a missing GitHub
    /// token fails before the first.
    pub(super) async fn run(
        &self,
        plan: &KeysPlan,
        apply: bool,
        github: Option<&GithubClient>,
    ) -> anyhow::Result<Option<Applied>> {
        if !apply {
            return Ok(None);
        }
        let owned;
        let github = match github {
            Some(g) => Some(g),
            None if plan.operations().any(needs_github) => {
                owned = crate::github::required(self.github_purpose)?;
                Some(&owned)
            }
            None => None,
        };
        let mut state = State::default();
        for op in plan.operations() {
            let result = self.one(op, github, &mut state).await;
            if let Err(err) = result {
                return Err(self.undo(err, &state, plan).await);
            }
            state.applied.operations += 1;
        }
        Ok(Some(state.applied))
    }

    async fn one(
        &self,
        op: &Op,
        github: Option<&GithubClient>,
        state: &mut State,
    ) -> anyhow::Result<()> {
        match op {
            Op::CreateAccessKey { user } => {
                let new = iam_keys::create_access_key(self.aws, user).await?;
                self.printer
                    .info(&format!("created {} for {user}", new.access_key_id));
                state.applied.new_key = Some(new.access_key_id.clone());
                state.new = Some((user.clone(), new));
                return Ok(());
            }
            Op::VerifyNewKey { user_arn } => {
                let (_, new) = state.new.as_ref().context("no new key to verify")?;
                let arn = verify(self.aws, new).await?;
                if arn != *user_arn {
                    return Err(Failed::new(format!(
                        "the new key answers as {arn}, not as {user_arn}"
                    ))
                    .into());
                }
            }
            Op::StoreNewKey {
                repository,
                id_secret,
                key_secret,
                restore_id,
            } => {
                let (_, new) = state.new.as_ref().context("no new key to store")?;
                let github = github.context("no GitHub client")?;
                store(
                    github,
                    repository,
                    id_secret,
                    key_secret,
                    restore_id.as_deref(),
                    new,
                )
                .await?;
                state.switched = true;
            }
            Op::DeactivateAccessKey { user, key_id } => {
                iam_keys::set_access_key_active(self.aws, user, key_id, false).await?;
            }
            Op::DeleteAccessKey { user, key_id } => {
                iam_keys::delete_access_key(self.aws, user, key_id).await?;
            }
            Op::WriteWorkflow { path, text } => {
                let file = self.root.join(path);
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(&file, text)
                    .with_context(|| format!("cannot write {}", file.display()))?;
            }
            Op::DeleteGithubSecret { repository, name } => {
                github
                    .context("no GitHub client")?
                    .delete_secret(repository, name)
                    .await?;
            }
        }
        self.printer.info(&format!("done: {}", op.describe()));
        Ok(())
    }

    /// Before the switch, takes the new key away again; says what is left either way.
    async fn undo(&self, err: anyhow::Error, state: &State, plan: &KeysPlan) -> anyhow::Error {
        let Some((user, new)) = state.new.as_ref().filter(|_| !state.switched) else {
            return err;
        };
        let old = plan.operations().find_map(|op| match op {
            Op::StoreNewKey { restore_id, .. } => restore_id.clone(),
            _ => None,
        });
        let kept = old.map_or_else(String::new, |k| format!("; {k} is still active"));
        let id = &new.access_key_id;
        match iam_keys::delete_access_key(self.aws, user, id).await {
            Ok(()) => err.context(format!("rotation stopped: the new key {id} was deleted{kept}")),
            Err(e) => err.context(format!(
                "rotation stopped, and deleting the new key {id} failed too ({e}): delete it with `aws iam delete-access-key --user-name {user} --access-key-id {id}`{kept}"
            )),
        }
    }
}

#[derive(Default)]
struct State {
    applied: Applied,
    /// The user and the key a rotation created (its secret lives only here).
    new: Option<(String, NewAccessKey)>,
    /// Both GitHub secrets hold the new key: no undo any more.
    switched: bool,
}

/// Writes the id secret, then the secret-key secret; if the second fails, puts the id secret
/// back to `restore_id` (or deletes it when there was no old key).
async fn store(
    github: &GithubClient,
    repo: &str,
    id_secret: &str,
    key_secret: &str,
    restore_id: Option<&str>,
    new: &NewAccessKey,
) -> anyhow::Result<()> {
    let key = github.public_key(repo).await?;
    github
        .put_secret_with_key(
            repo,
            &key,
            id_secret,
            &SecretValue::new(new.access_key_id.clone()),
        )
        .await?;
    let secret = SecretValue::new(new.secret_access_key.expose().to_owned());
    let Err(err) = github
        .put_secret_with_key(repo, &key, key_secret, &secret)
        .await
    else {
        return Ok(());
    };
    let restored = match restore_id {
        Some(id) => github
            .put_secret_with_key(repo, &key, id_secret, &SecretValue::new(id.to_owned()))
            .await
            .map(|_| ()),
        None => github.delete_secret(repo, id_secret).await,
    };
    let err = anyhow::Error::new(err).context(format!("storing {key_secret} in {repo} failed"));
    Err(match restored {
        Ok(()) => err.context(format!("{id_secret} was put back to the old key id")),
        Err(e) => err.context(format!(
            "putting {id_secret} back failed too ({e}): set it to the old key id by hand"
        )),
    })
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
