//! Carries out a [`RotationPlan`], in its order: the GitHub secret first (so that a deploy
//! after a failure further on syncs the new value, never the old one back), then the stack's
//! Secrets Manager secret, then the services' new deployments and the wait for them.

use std::time::Duration;

use hoist_aws::secrets::{PutOutcome, SecretValue};

use super::plan::{Reads, RotationPlan};
use crate::printer::Printer;
use hoist_deployer::rollout::{self, Redeployed};

/// What the apply did.
#[derive(Debug, Default, serde::Serialize)]
pub(super) struct Applied {
    /// `created` or `replaced`.
    pub(super) github: Option<&'static str>,
    /// `updated` or `unchanged`.
    pub(super) secrets_manager: Option<&'static str>,
    pub(super) services: Vec<Redeployed>,
}

/// Without `apply`, nothing (`false`): the plan was only shown. With it, `plan` in its order
/// (`true`); on a failed or timed-out rollout, `applied` holds what was done and the error is
/// returned.
pub(super) async fn run(
    plan: &RotationPlan,
    apply: bool,
    value: &SecretValue,
    clients: &Reads<'_>,
    timeout: Duration,
    applied: &mut Applied,
    printer: &Printer,
) -> anyhow::Result<bool> {
    if !apply {
        return Ok(false);
    }
    let Reads {
        github,
        secrets,
        ecs,
        ..
    } = *clients;
    let g = &plan.github;
    let outcome = github
        .put_secret_with_key(
            &g.repository,
            &g.key,
            &g.secret,
            &hoist_github::SecretValue::new(value.expose()),
        )
        .await?;
    let done = match outcome {
        hoist_github::PutOutcome::Created => "created",
        hoist_github::PutOutcome::Updated => "replaced",
    };
    printer.info(&format!(
        "GitHub secret {} of {}: {done}",
        g.secret, g.repository
    ));
    applied.github = Some(done);

    let s = &plan.secrets_manager;
    let done = match secrets.put_if_changed(&s.secret_arn, value).await? {
        PutOutcome::Updated { .. } => "updated",
        PutOutcome::Unchanged => "unchanged",
    };
    printer.info(&format!("secret {}: {done}", s.secret_arn));
    applied.secrets_manager = Some(done);

    if plan.services.is_empty() {
        return Ok(true);
    }
    let targets: Vec<(String, String)> = plan
        .services
        .iter()
        .map(|s| (s.cluster.clone(), s.service.clone()))
        .collect();
    applied.services = rollout::force(ecs, &targets, printer).await?;
    rollout::wait(ecs, &mut applied.services, timeout, printer).await?;
    Ok(true)
}

/// The result for people (stdout).
pub(super) fn print(plan: &RotationPlan, applied: &Applied, printer: &Printer) {
    printer.out(&format!(
        "Rotated {} (environment {})",
        plan.name, plan.environment
    ));
    if let Some(done) = applied.github {
        printer.out(&format!(
            "  github  {done} Actions secret {} of {}",
            plan.github.secret, plan.github.repository
        ));
    }
    if let Some(done) = applied.secrets_manager {
        printer.out(&format!(
            "  aws     {done} {}",
            plan.secrets_manager.secret_arn
        ));
    }
    for d in &applied.services {
        printer.out(&format!(
            "  ecs     {} (cluster {}): deployment {} {}",
            d.service, d.cluster, d.deployment, d.rollout
        ));
    }
    if applied.services.is_empty()
        && let Some(why) = &plan.no_redeploy
    {
        printer.out(&format!("  ecs     nothing redeployed: {why}"));
    }
}
