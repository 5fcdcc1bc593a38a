//! The rotation plan: a value computed from reads only (the GitHub repository's public key and
//! secret names, the stack's outputs, the secret's current value, the stack's services), shown
//! without `--apply` and carried out exactly by [`super::apply`].

use std::collections::BTreeMap;

use hoist_aws::cfn::Cfn;
use hoist_aws::ecs::Ecs;
use hoist_aws::secrets::{SecretValue, Secrets, SecretsError};
use hoist_config::{Environment, Redeploy, SecretSync};
use hoist_github::{GithubClient, PublicKey};

use crate::exit::{BadInput, Failed};
use crate::printer::Printer;
use hoist_deployer::rollout;
use hoist_deployer::secrets::{missing_output, read_outputs};

/// What `hoist secret rotate` will do, in the order it does it.
#[derive(Debug, serde::Serialize)]
pub(super) struct RotationPlan {
    pub(super) environment: String,
    pub(super) name: String,
    pub(super) github: GithubStep,
    pub(super) secrets_manager: SecretStep,
    /// The services forced to a new deployment (empty when the value does not change).
    pub(super) services: Vec<ServiceStep>,
    /// Why no service restarts, when none does.
    pub(super) no_redeploy: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub(super) struct GithubStep {
    pub(super) repository: String,
    pub(super) secret: String,
    /// `create` or `replace`: GitHub never returns a secret's value, so an existing secret is
    /// written again on every `--apply` (with the same value, nothing a workflow reads changes).
    pub(super) action: &'static str,
    #[serde(skip)]
    pub(super) key: PublicKey,
}

#[derive(Debug, serde::Serialize)]
pub(super) struct SecretStep {
    pub(super) stack: String,
    pub(super) output: String,
    pub(super) secret_arn: String,
    /// `put` (a new current version) or `unchanged` (it already holds the value).
    pub(super) action: &'static str,
}

#[derive(Debug, serde::Serialize)]
pub(super) struct ServiceStep {
    pub(super) cluster: String,
    pub(super) service: String,
}

/// The secret hoist.toml names `name` in `env`.
pub(super) fn spec<'e>(env: &'e Environment, name: &str) -> anyhow::Result<&'e SecretSync> {
    env.secrets.iter().find(|s| s.env == name).ok_or_else(|| {
        let have: Vec<&str> = env.secrets.iter().map(|s| s.env.as_str()).collect();
        BadInput::new(format!(
            "environment {} syncs no secret {name} (it syncs: {})",
            env.name,
            if have.is_empty() {
                "none".to_owned()
            } else {
                have.join(", ")
            }
        ))
        .hint(format!(
            "hoist rotates the secrets of [[environments.{}.secrets]] (their `env` name, which is also the GitHub secret's)",
            env.name
        ))
        .into()
    })
}

/// Everything the plan needs to read.
pub(super) struct Reads<'a> {
    pub(super) env: &'a Environment,
    pub(super) spec: &'a SecretSync,
    pub(super) repository: &'a str,
    pub(super) github: &'a GithubClient,
    pub(super) cfn: &'a Cfn,
    pub(super) ecs: &'a Ecs,
    pub(super) secrets: &'a Secrets,
}

/// Computes the plan; nothing changes.
pub(super) async fn compute(
    r: &Reads<'_>,
    value: &SecretValue,
    printer: &Printer,
) -> anyhow::Result<RotationPlan> {
    let Reads { env, spec, .. } = *r;
    let stack = env.stack.as_deref().ok_or_else(|| {
        BadInput::new(format!(
            "environment {} names no stack, so hoist cannot find the secret behind output {}",
            env.name, spec.output
        ))
        .hint(format!(
            "add `stack = \"NAME\"` under [environments.{}]",
            env.name
        ))
    })?;

    // GitHub first: the key proves the token may write secrets before anything changes.
    let key = r.github.public_key(r.repository).await?;
    let exists = r
        .github
        .list_secrets(r.repository)
        .await?
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case(&spec.env));
    let github = GithubStep {
        repository: r.repository.to_owned(),
        secret: spec.env.clone(),
        action: if exists { "replace" } else { "create" },
        key,
    };

    let outputs: BTreeMap<String, String> = read_outputs(r.cfn, stack).await?;
    let arn = outputs
        .get(&spec.output)
        .ok_or_else(|| missing_output(stack, &spec.output, &outputs))?
        .clone();
    let current = r.secrets.current(&arn).await.map_err(|e| match e {
        SecretsError::NotFound { secret_id } => anyhow::Error::from(
            Failed::new(format!(
                "Secret not found: {secret_id} (from output {} of stack {stack})",
                spec.output
            ))
            .hint("the output names a secret that does not exist; check `aws cloudformation describe-stacks`"),
        ),
        other => other.into(),
    })?;
    let changes = current.as_ref() != Some(value);

    // The services, found as a deploy finds them; a rotation restarts only for a new value
    // (`redeploy = "always"` means on every deploy, not on a rotation that changes nothing).
    let redeploy = match env.redeploy {
        Redeploy::Never => Redeploy::Never,
        _ => Redeploy::OnSecretChange,
    };
    let changed = if changes { vec![arn.clone()] } else { vec![] };
    let services: Vec<ServiceStep> = rollout::targets(
        env, redeploy, r.cfn, r.ecs, &outputs, stack, &changed, printer,
    )
    .await?
    .into_iter()
    .map(|(cluster, service)| ServiceStep { cluster, service })
    .collect();
    let no_redeploy = if !changes {
        Some(format!("{arn} already holds this value"))
    } else if env.redeploy == Redeploy::Never {
        Some(format!(
            "redeploy = \"never\" in [environments.{}]: running tasks keep the old value until they restart",
            env.name
        ))
    } else if services.is_empty() {
        Some(format!(
            "no service of stack {stack} reads {arn}: running tasks keep the old value until they restart"
        ))
    } else {
        None
    };

    Ok(RotationPlan {
        environment: env.name.clone(),
        name: spec.env.clone(),
        github,
        secrets_manager: SecretStep {
            stack: stack.to_owned(),
            output: spec.output.clone(),
            secret_arn: arn,
            action: if changes { "put" } else { "unchanged" },
        },
        services,
        no_redeploy,
    })
}

/// The plan for people (stdout).
pub(super) fn print(plan: &RotationPlan, printer: &Printer) {
    printer.out(&format!(
        "Rotate {} (environment {})",
        plan.name, plan.environment
    ));
    let g = &plan.github;
    printer.out(&format!(
        "  github  {} Actions secret {} of {} (GitHub never returns a secret's value: it is written on every --apply)",
        g.action, g.secret, g.repository
    ));
    let s = &plan.secrets_manager;
    match s.action {
        "put" => printer.out(&format!(
            "  aws     put a new value into {} (output {} of stack {})",
            s.secret_arn, s.output, s.stack
        )),
        _ => printer.out(&format!(
            "  aws     unchanged: {} (output {} of stack {}) already holds this value",
            s.secret_arn, s.output, s.stack
        )),
    }
    for svc in &plan.services {
        printer.out(&format!(
            "  ecs     force a new deployment of {} (cluster {}), then wait until it completed",
            svc.service, svc.cluster
        ));
    }
    if let Some(why) = &plan.no_redeploy {
        printer.out(&format!("  ecs     nothing to redeploy: {why}"));
    }
}
