//! `hoist bootstrap`: the GitHub OIDC provider, one deploy role per environment (trust admits
//! exactly that environment's trigger), the image-push role, the legacy ECR user and the GitHub
//! secrets/variables — planned as a value, printed, and applied only with `--apply`.
//!
//! Order: hoist.toml is validated and every trust policy checked (guardrail + audit) before
//! any AWS call; then only read calls build the plan; `--apply` runs exactly the plan's
//! operations. GitHub secrets cannot be read back, so an existing one is `unchanged` unless
//! `--rewrite-secrets` is given.

mod accounts;
mod apply;
mod cdk;
mod desired;
mod failure;
mod read;
mod report;

use hoist_aws::iam::Iam;
use hoist_aws::sts::Sts;
use hoist_config::{Config, Permissions, SubjectFormat};
use hoist_github::GithubClient;

use crate::cli::BootstrapArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) async fn run(
    settings: &Settings,
    args: BootstrapArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let BootstrapArgs {
        apply,
        admin,
        legacy_ecr_user,
        rewrite_secrets,
    } = args;
    let mut config = settings.load_config()?;
    let legacy_ecr_user = legacy_ecr_user.or_else(|| config.legacy_ecr_user.clone());
    if let Some(name) = &legacy_ecr_user {
        check_user_name(name)?;
    }
    let several = config.has_several_accounts();
    if several && (settings.profile.is_some() || settings.region.is_some()) {
        return Err(BadInput::new(
            "--profile and --region cannot choose the account: hoist.toml places environments in several accounts or regions",
        )
        .hint("drop them; set `profile` (and `region`, `account_id`) under each [environments.NAME] that lives elsewhere than [aws]")
        .into());
    }
    let github = crate::github::optional()?;
    resolve_repository_ids(&mut config, github.as_ref()).await?;

    let admin_in_effect = admin || config.permissions == Permissions::Admin;
    if admin_in_effect {
        report::admin_warning(&config, printer);
    } else {
        for env in config.environments.iter().filter(|e| e.stack.is_none()) {
            printer.warn(&format!(
                "environment {} names no stack in hoist.toml: role {} gets no CloudFormation stack permissions (set stack = \"NAME\" under [environments.{}])",
                env.name, env.role, env.name
            ));
        }
    }

    // One plan per account (and region): each with its own credentials, provider and roles.
    // `[aws]`'s account also holds the image-push role, the legacy user and the repository-wide
    // GitHub settings.
    let repository = config.repository.full_name();
    let mut planned = Vec::new();
    for (first, part) in accounts::split(&config, legacy_ecr_user.is_some()) {
        let aws = settings.aws_in(&part.aws).await;
        let iam = Iam::new(&aws);
        let account_id = accounts::account_id(&part, &Sts::new(&aws), several).await?;
        let opts = desired::Options {
            account_id: &account_id,
            admin,
            legacy_ecr_user: legacy_ecr_user.clone().filter(|_| first),
            github: github
                .as_ref()
                .map(|_| desired::GithubOptions { rewrite_secrets }),
            base_dir: settings.project_dir(),
        };
        let (mut desired, warnings) = desired::desired(&part, &opts)?;
        if !first && let Some(g) = &mut desired.github {
            g.variables.clear();
        }
        for w in &warnings {
            printer.warn(w);
        }
        let mut actual = match read::aws_state(&iam, &desired).await {
            Ok(a) => a,
            Err(e) => return Err(e.into()),
        };
        if let Some(client) = &github {
            actual.github =
                Some(read::github_state(client, &repository, desired.github.as_ref()).await?);
        }
        let plan = hoist_plan::bootstrap::plan(&desired, &actual);
        let gh_lines = if github.is_none() {
            report::gh_lines(&part, &account_id, first)
        } else {
            Vec::new()
        };
        planned.push(accounts::AccountPlan {
            account_id,
            region: part.aws.region.clone(),
            iam,
            plan,
            gh_lines,
        });
    }

    let github_target = github.as_ref().map(|c| (c, repository.as_str()));
    let applied = apply::accounts(&planned, apply, several, github_target, printer).await?;
    report::plans(
        &planned,
        printer,
        applied.is_some(),
        applied.as_deref().unwrap_or_default(),
    );
    Ok(ExitStatus::Success)
}

/// IAM user names: letters, digits and `+=,.@_-`, 1 to 64 characters.
fn check_user_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(BadInput::new(format!(
            "--legacy-ecr-user {name:?} is not a valid IAM user name"
        ))
        .hint("use letters, digits and +=,.@_- (at most 64), such as github-ecr-push")
        .into())
    }
}

/// With ID-based subjects, the ids must be GitHub's: a wrong id writes a trust policy no token
/// can ever match. Ids missing from hoist.toml are read from the GitHub API; ids present are
/// checked against it when a token is available.
async fn resolve_repository_ids(
    config: &mut Config,
    client: Option<&GithubClient>,
) -> anyhow::Result<()> {
    if config.subject_format != SubjectFormat::Id {
        return Ok(());
    }
    let (owner_id, repository_id) = (config.repository.owner_id, config.repository.repository_id);
    let Some(client) = client else {
        if owner_id.is_none() || repository_id.is_none() {
            return Err(BadInput::new("subject_format = \"id\" needs owner_id and repository_id")
                .hint("set them in [github] (`gh api repos/OWNER/NAME --jq '.owner.id, .id'` prints them), or set GITHUB_TOKEN so hoist reads them")
                .into());
        }
        return Ok(());
    };
    let repo = client.repository(&config.repository.full_name()).await?;
    match (owner_id, repository_id) {
        (None, None) => {
            config.repository.owner_id = Some(repo.owner_id);
            config.repository.repository_id = Some(repo.id);
            Ok(())
        }
        (o, r) if o == Some(repo.owner_id) && r == Some(repo.id) => Ok(()),
        (o, r) => Err(BadInput::new(format!(
            "hoist.toml gives owner_id {} and repository_id {} but GitHub says {} is owner {} / repository {}",
            o.map_or("(none)".to_owned(), |v| v.to_string()),
            r.map_or("(none)".to_owned(), |v| v.to_string()),
            repo.full_name,
            repo.owner_id,
            repo.id
        ))
        .hint(format!("set owner_id = {} and repository_id = {} in [github]", repo.owner_id, repo.id))
        .into()),
    }
}
