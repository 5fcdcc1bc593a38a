//! `hoist keys migrate --user NAME [--apply]`: replace the access keys with the OIDC
//! image-push role bootstrap creates (`[images] push_role`): rewrite the deploy workflow, which
//! pushes with OIDC credentials (`hoist credentials`) instead of keys, delete the key secrets
//! from GitHub, then deactivate and delete the keys.
//! Planned by `hoist_plan::keys::migrate`, applied by [`super::apply`].

use anyhow::Context;
use hoist_plan::keys::{self, MigrateInput, WorkflowFile};

use crate::cli::KeysArgs;
use crate::commands::workflow::{self, generate};
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use super::apply::Executor;
use super::{access_key, report};
use crate::clock::now_secs;

const PURPOSE: &str = "deleting the key secrets";

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
    let repo = config.repository.full_name();
    let root = &settings.project_dir();
    // The deploy workflow pushes the images with OIDC credentials (`hoist credentials`).
    let cx = workflow::context(root, &settings.config_path, &config);
    let Some(file) = generate::files(&config, &cx)
        .into_iter()
        .find(|f| f.path == generate::deploy_path())
    else {
        return Err(anyhow::anyhow!("hoist generated no deploy workflow"));
    };
    let current = match std::fs::read_to_string(root.join(&file.path)) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.path)),
    };
    // With a token the secrets are read, so the plan says exactly which exist; `--apply`
    // needs the token anyway.
    let github = crate::github::required(PURPOSE).ok();
    let secrets = match &github {
        Some(client) => Some(
            client
                .list_secrets(&repo)
                .await?
                .into_iter()
                .map(|s| s.name)
                .collect(),
        ),
        None => None,
    };
    let input = MigrateInput {
        user: user.clone(),
        repository: repo.clone(),
        push_role: push_role.clone(),
        workflow: WorkflowFile {
            path: file.path.clone(),
            current,
            desired: file.text.clone(),
        },
        secrets,
        keys: hoist_aws::iam_keys::list_access_keys(&aws, &user)
            .await?
            .iter()
            .map(access_key)
            .collect(),
        now: now_secs(),
    };
    let plan = keys::migrate(&input);
    let view = report::View {
        title: format!(
            "Migration plan: {repo}'s image pushes from {user}'s access keys to the OIDC role {}:",
            role.arn
        ),
        apply_with: format!(
            "hoist keys migrate --user {user} --apply (commit the workflow before the keys go)"
        ),
    };
    view.before(&plan, printer);
    let executor = Executor {
        aws: &aws,
        printer,
        root,
        github_purpose: PURPOSE,
    };
    let applied = executor.run(&plan, apply, github.as_ref()).await?;
    let done = format!("{repo} now pushes images with {push_role}; {user} has no access keys");
    view.after(
        &plan,
        applied.as_ref(),
        applied.as_ref().map(|_| done.as_str()),
        printer,
    );
    Ok(ExitStatus::Success)
}
