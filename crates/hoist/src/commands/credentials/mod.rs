//! `hoist credentials`: the job's OIDC token → `AssumeRoleWithWebIdentity` on the
//! environment's role → short-lived credentials, exported for later steps (`$GITHUB_ENV`),
//! printed as shell `export` lines, or served as an AWS `credential_process`.
//!
//! Before STS is asked, the token's claims are checked against the trust policy bootstrap
//! writes for the environment: a token that policy would deny is refused here, with the
//! explanation, instead of STS's bare "Not authorized".

mod explain;
mod output;

use anyhow::Context;
use hoist_aws::web_identity::{self, AssumeRequest, AssumedRole, Retry, WebIdentityError};
use hoist_config::{Config, Environment};
use hoist_oidc::{ActionsTokenClient, ActionsTokenError};

use crate::cli::CredentialsArgs;
use crate::env_vars;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::target;

/// STS bounds on `DurationSeconds`.
const MIN_DURATION: u32 = 900;

pub(crate) async fn run(
    settings: &Settings,
    args: CredentialsArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let CredentialsArgs {
        env,
        credential_process,
        duration,
    } = args;
    let config = settings.load_config()?;
    let environment = target::choose_environment(&config, env.as_deref())?;
    let duration = session_duration(&config, environment, duration)?;
    let role_arn = target::role_arn(&config, environment)?;
    let assumed = assume(settings, &config, environment, &role_arn, duration).await?;
    let region = settings
        .region
        .clone()
        .unwrap_or_else(|| environment.aws.region.clone());
    printer.info(&format!(
        "assumed {} for environment {} (expires {})",
        assumed.assumed_role_arn.as_deref().unwrap_or(&role_arn),
        environment.name,
        assumed.credentials.expiration()
    ));
    if credential_process {
        output::credential_process(printer, &assumed.credentials);
    } else if crate::gha::in_actions() {
        output::github_env(printer, &assumed.credentials, &region)?;
    } else if printer.json() {
        printer.json_value(&serde_json::json!({
            "environment": environment.name,
            "role_arn": role_arn,
            "assumed_role_arn": assumed.assumed_role_arn,
            "expiration": assumed.credentials.expiration(),
            "region": region,
        }));
    } else {
        output::export_lines(printer, &assumed.credentials, &region);
    }
    Ok(ExitStatus::Success)
}

/// `--duration`, else the environment's `session_duration`, within STS's bounds and the
/// role's `MaxSessionDuration`.
fn session_duration(config: &Config, env: &Environment, flag: Option<u32>) -> anyhow::Result<u32> {
    let duration = flag.unwrap_or(env.session_duration);
    let max = config.max_session_duration;
    if duration < MIN_DURATION || duration > max {
        return Err(BadInput::new(format!(
            "a {duration}-second session is outside what role {} allows ({MIN_DURATION}–{max} seconds)",
            env.role
        ))
        .hint(format!(
            "pass --duration between {MIN_DURATION} and {max}, or raise [bootstrap] max_session_duration (up to 43200) and re-run `hoist bootstrap --apply`"
        ))
        .into());
    }
    Ok(duration)
}

/// The OIDC token, the local trust pre-flight, then STS.
pub(crate) async fn assume(
    settings: &Settings,
    config: &Config,
    env: &Environment,
    role_arn: &str,
    duration: u32,
) -> anyhow::Result<AssumedRole> {
    let client = ActionsTokenClient::from_vars(
        env_vars::get(env_vars::ACTIONS_ID_TOKEN_REQUEST_URL),
        env_vars::get(env_vars::ACTIONS_ID_TOKEN_REQUEST_TOKEN),
    )
    .map_err(|e| match e {
        ActionsTokenError::NotAvailable { var } => anyhow::Error::from(
            BadInput::new(format!("no GitHub Actions OIDC token: {var} is not set"))
                .hint("`hoist credentials` runs inside a GitHub Actions job with `permissions: id-token: write`; on a workstation use your SSO profile instead (`aws sso login --profile NAME`, then --profile NAME)"),
        ),
        other => anyhow::Error::from(other),
    })?;
    let token = client
        .request(&config.oidc.audience)
        .await
        .context("cannot get the job's OIDC token")?;
    let claims = hoist_oidc::decode_unverified(token.expose())
        .context("the Actions runtime returned a token hoist cannot read")?;
    let check = explain::preflight(config, env, role_arn, &claims);
    if !check.decision.allowed() {
        let (message, hint) = check.explain(role_arn);
        return Err(Failed::new(format!("{message}\n  (STS was not called)"))
            .hint(hint)
            .into());
    }
    let repository =
        env_vars::get(env_vars::GITHUB_REPOSITORY).unwrap_or_else(|| config.repository.full_name());
    let run_id = env_vars::get(env_vars::GITHUB_RUN_ID).unwrap_or_else(|| "local".to_owned());
    let session = web_identity::session_name(&["hoist", &env.name, &repository, &run_id]);
    let aws = settings.aws_in(&env.aws).await;
    let sts = web_identity::client(&aws);
    let request = AssumeRequest {
        role_arn,
        session_name: &session,
        web_identity_token: token.expose(),
        duration_seconds: Some(duration),
    };
    match web_identity::assume(&sts, &request, Retry::default()).await {
        Ok(assumed) => Ok(assumed),
        Err(err) => Err(explain_sts_error(config, err, &check, role_arn)),
    }
}

/// Turns STS's refusal into an explanation with a fix.
fn explain_sts_error(
    config: &Config,
    err: WebIdentityError,
    check: &explain::Preflight,
    role_arn: &str,
) -> anyhow::Error {
    match err {
        WebIdentityError::AccessDenied { .. } => {
            let hint = format!(
                "the token's sub {} matches what `hoist bootstrap` writes ({}), so the live trust policy of {role_arn} differs from it, or the role or the OIDC provider for {} does not exist: run `hoist doctor` or `hoist trust check --role {}`, then `hoist bootstrap --apply`",
                check
                    .actual_sub
                    .as_deref()
                    .map_or_else(|| "(none)".to_owned(), crate::untrusted::escape),
                check.expected_sub,
                config.oidc.provider_url,
                role_arn.rsplit('/').next().unwrap_or(role_arn),
            );
            Failed::new(format!("STS denied AssumeRoleWithWebIdentity: {err}"))
                .hint(hint)
                .into()
        }
        WebIdentityError::Duration { requested, .. } => {
            let hint = format!(
                "the role's MaxSessionDuration is below {requested} seconds: pass a smaller --duration, or set [bootstrap] max_session_duration and re-run `hoist bootstrap --apply`"
            );
            Failed::new(err.to_string()).hint(hint).into()
        }
        WebIdentityError::InvalidToken { .. } => Failed::new(err.to_string())
            .hint(format!(
                "check the IAM OIDC provider for {} exists with audience {} (`hoist doctor`)",
                config.oidc.provider_url, config.oidc.audience
            ))
            .into(),
        other => anyhow::Error::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"repository = "arshargithub/HindsightRoboMemSetup"
[aws]
region = "ca-central-1"
account_id = "123456789012"
[environments.dev]
branch = "main"
role = "GitHubActionsHindsightDev"
"#;

    fn claims(sub: &str) -> hoist_oidc::GithubClaims {
        hoist_oidc::GithubClaims::from_json_str(
            &serde_json::json!({"sub": sub, "aud": "sts.amazonaws.com", "iss": "https://token.actions.githubusercontent.com"}).to_string(),
            "test",
        )
        .unwrap()
    }

    /// STS's AccessDenied (its recorded wire form is parsed into this variant by
    /// hoist-aws's `recorded_access_denied_is_final_and_typed`) becomes an explanation
    /// naming both subjects and where to look.
    #[test]
    fn access_denied_from_sts_is_explained() {
        let config = hoist_config::parse(CONFIG, "hoist.toml").unwrap();
        let env = config.environment("dev").unwrap();
        let role = "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev";
        let check = explain::preflight(
            &config,
            env,
            role,
            &claims("repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main"),
        );
        assert!(check.decision.allowed());
        let err = WebIdentityError::AccessDenied {
            role_arn: role.into(),
            code: "AccessDenied".into(),
            message: "Not authorized to perform sts:AssumeRoleWithWebIdentity".into(),
        };
        let err = explain_sts_error(&config, err, &check, role);
        let text = format!("{err:#}");
        assert!(
            text.contains("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
            "{text}"
        );
        let hint = err
            .downcast_ref::<Failed>()
            .and_then(|f| f.hint.clone())
            .unwrap();
        assert!(
            hint.contains("repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main"),
            "{hint}"
        );
        assert!(
            hint.contains("hoist trust check --role GitHubActionsHindsightDev"),
            "{hint}"
        );
    }

    #[test]
    fn preflight_denies_environment_subject_on_a_branch_role() {
        let config = hoist_config::parse(CONFIG, "hoist.toml").unwrap();
        let env = config.environment("dev").unwrap();
        let role = "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev";
        let check = explain::preflight(
            &config,
            env,
            role,
            &claims("repo:arshargithub/HindsightRoboMemSetup:environment:dev"),
        );
        assert!(!check.decision.allowed());
        let (message, _hint) = check.explain(role);
        assert!(
            message.contains(
                "role expects sub: repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/main"
            ),
            "{message}"
        );
        assert!(
            message.contains(
                "this run has sub:  repo:arshargithub/HindsightRoboMemSetup:environment:dev"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_claim_cannot_inject_terminal_escapes_or_workflow_commands() {
        let config = hoist_config::parse(CONFIG, "hoist.toml").unwrap();
        let env = config.environment("dev").unwrap();
        let role = "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev";
        let sub = "repo:arshargithub/HindsightRoboMemSetup:ref:refs/heads/x\n::set-output name=role::admin\x1b[31m";
        let check = explain::preflight(&config, env, role, &claims(sub));
        assert!(!check.decision.allowed());
        let (message, hint) = check.explain(role);
        for text in [&message, &hint] {
            assert!(!text.contains('\x1b'), "{text}");
            assert!(
                text.lines().all(|l| !l.trim_start().starts_with("::")),
                "{text}"
            );
        }
        assert!(
            message.contains("x\\n::set-output name=role::admin\\u{1b}[31m"),
            "{message}"
        );
    }
}
