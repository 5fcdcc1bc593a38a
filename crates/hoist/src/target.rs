//! Which environment a run deploys to, and which role it assumes there: settings resolution
//! shared by `hoist credentials` and `hoist deploy`.
//!
//! In GitHub Actions the event decides (`GITHUB_EVENT_NAME`, `GITHUB_REF`, the payload at
//! `GITHUB_EVENT_PATH`) by the same triggers bootstrap writes into the trust policies; `--env`
//! may only confirm that choice. Outside Actions, `--env` names the environment.

use hoist_config::{Config, Environment, GithubEvent, SubjectFormat};
use hoist_policy::github::GitHubRepo;

use crate::env_vars;
use crate::exit::{BadInput, Failed};
use crate::gha;

/// The GitHub event of this run, read from the runner's variables.
pub(crate) fn github_event() -> GithubEvent {
    let payload = env_vars::get(env_vars::GITHUB_EVENT_PATH)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok());
    GithubEvent {
        event_name: env_vars::get(env_vars::GITHUB_EVENT_NAME).unwrap_or_default(),
        git_ref: env_vars::get(env_vars::GITHUB_REF).unwrap_or_default(),
        payload,
    }
}

/// The environment this run acts on.
///
/// # Errors
/// `Failed` (exit 1) when the event deploys nowhere or `--env` contradicts it; `BadInput`
/// (exit 2) for an unknown `--env`, or none outside Actions.
pub(crate) fn choose_environment<'c>(
    config: &'c Config,
    flag: Option<&str>,
) -> anyhow::Result<&'c Environment> {
    let named = |name: &str| {
        config.environment(name).ok_or_else(|| {
            BadInput::new(format!("hoist.toml has no environment {name:?}")).hint(format!(
                "choose one of: {}",
                config.environment_names().join(", ")
            ))
        })
    };
    if !gha::in_actions() {
        let Some(name) = flag else {
            return Err(BadInput::new(
                "no environment given, and this is not a GitHub Actions run",
            )
            .hint(format!(
                "pass --env with one of: {}",
                config.environment_names().join(", ")
            ))
            .into());
        };
        return Ok(named(name)?);
    }
    let event = github_event();
    let env = hoist_config::resolve_environment(config, &event).map_err(|refusal| {
        Failed::new(format!("refusing to deploy: {}", refusal.reason)).hint(refusal.hint)
    })?;
    if let Some(name) = flag {
        named(name)?;
        if name != env.name {
            return Err(Failed::new(format!(
                "refusing to deploy: --env {name} was given, but this {} run on {} deploys to {:?}",
                event.event_name, event.git_ref, env.name
            ))
            .hint(format!(
                "drop --env, or run the workflow from what {name}'s trigger allows"
            ))
            .into());
        }
    }
    Ok(env)
}

/// The environment's AWS account: its `account_id` (its own, else `[aws]`'s), else
/// `AWS_ACCOUNT_ID` (STS cannot say it before there are credentials). The repository-wide
/// variable names `[aws]`'s account, so it is not used for an environment that signs in with
/// a profile of its own (another account).
pub(crate) fn account_id(config: &Config, env: &Environment) -> anyhow::Result<String> {
    if let Some(id) = &env.aws.account_id {
        return Ok(id.clone());
    }
    let same_account_as_aws = env.aws.profile == config.aws.profile;
    let variable = same_account_as_aws
        .then(|| env_vars::get(env_vars::AWS_ACCOUNT_ID))
        .flatten();
    Ok(variable.ok_or_else(|| {
        let hint = if same_account_as_aws {
            "set `account_id = \"123456789012\"` under [aws] in hoist.toml, or the AWS_ACCOUNT_ID variable (a repository variable, not a secret)".to_owned()
        } else {
            format!(
                "environment {} has its own profile: set `account_id = \"123456789012\"` under [environments.{}] in hoist.toml",
                env.name, env.name
            )
        };
        BadInput::new(format!(
            "the AWS account id of environment {} is unknown",
            env.name
        ))
        .hint(hint)
    })?)
}

/// The role's ARN: `arn:aws:iam::ACCOUNT:role/ROLE`.
pub(crate) fn role_arn(config: &Config, env: &Environment) -> anyhow::Result<String> {
    Ok(format!(
        "arn:aws:iam::{}:role/{}",
        account_id(config, env)?,
        env.role
    ))
}

/// The IAM OIDC provider's ARN in `account` for hoist.toml's issuer.
pub(crate) fn provider_arn(config: &Config, role_arn: &str) -> String {
    let account = role_arn.split(':').nth(4).unwrap_or("*");
    format!(
        "arn:aws:iam::{account}:oidc-provider/{}",
        config.oidc.provider_host()
    )
}

/// The `sub` bootstrap writes into `env`'s trust policy.
pub(crate) fn expected_subject(config: &Config, env: &Environment) -> String {
    let mut repo = GitHubRepo::new(&config.repository.owner, &config.repository.name);
    if let (SubjectFormat::Id, Some(owner), Some(id)) = (
        config.subject_format,
        config.repository.owner_id,
        config.repository.repository_id,
    ) {
        repo = repo.with_ids(owner, id);
    }
    format!("{}:{}", repo.subject_prefix(), env.trigger.subject_suffix())
}
