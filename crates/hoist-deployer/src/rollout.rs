//! Which ECS services a changed secret restarts, forcing their new deployments and waiting
//! until each one completed — or failed, which includes a circuit-breaker rollback after
//! which the service looks stable. `hoist deploy` and `hoist secret rotate` share it.

use std::collections::BTreeMap;
use std::time::Duration;

use hoist_aws::cfn::Cfn;
use hoist_aws::ecs::{Ecs, Rollout, ServiceState, judge};
use hoist_config::{Environment, Redeploy, ServiceRef};
use hoist_deploy::services::{reads_secret, service_from_arn};

use crate::error::{DeployError, Result};
use crate::events::Events;

/// Where a forced ECS deployment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RolloutState {
    #[serde(rename = "in progress")]
    InProgress,
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "timed out")]
    TimedOut,
}

impl std::fmt::Display for RolloutState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::InProgress => "in progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::TimedOut => "timed out",
        })
    }
}

/// One service's redeploy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Redeployed {
    pub cluster: String,
    pub service: String,
    pub previous_deployment: Option<String>,
    pub deployment: String,
    pub rollout: RolloutState,
    pub running: i32,
    pub desired: i32,
    pub reason: Option<String>,
}

/// The services to redeploy as `redeploy` asks: those hoist.toml names (through the stack
/// outputs), else those of the stack whose task definitions read a secret of `changed_arns`
/// (every service of the stack for `always`). A changed secret that no service reads is a
/// warning: running tasks keep the old value until they restart.
#[allow(clippy::too_many_arguments)]
pub async fn targets(
    env: &Environment,
    redeploy: Redeploy,
    cfn: &Cfn,
    ecs: &Ecs,
    outputs: &BTreeMap<String, String>,
    stack: &str,
    changed_arns: &[String],
    events: &dyn Events,
) -> Result<Vec<(String, String)>> {
    let changed = !changed_arns.is_empty();
    Ok(match redeploy {
        Redeploy::Never => vec![],
        _ if !env.services.is_empty() => {
            if redeploy == Redeploy::Always || changed {
                resolve(&env.services, outputs, stack)?
            } else {
                vec![]
            }
        }
        Redeploy::Always => discover(cfn, ecs, stack, None).await?,
        Redeploy::OnSecretChange if changed => {
            let found = discover(cfn, ecs, stack, Some(changed_arns)).await?;
            if found.is_empty() {
                events.warn(&format!(
                    "secret {} changed, but no service will restart: no AWS::ECS::Service of stack {stack} has a container whose secrets[].valueFrom names it, and hoist.toml names no services; running tasks keep the old value until they restart (name the service under [[environments.{}.services]], or force a new deployment)",
                    changed_arns.join(", "),
                    env.name
                ));
            }
            found
        }
        Redeploy::OnSecretChange => vec![],
    })
}

/// The cluster and service names of `refs`, from the stack outputs.
pub fn resolve(
    refs: &[ServiceRef],
    outputs: &BTreeMap<String, String>,
    stack: &str,
) -> Result<Vec<(String, String)>> {
    refs.iter()
        .map(|r| {
            let get = |key: &str| {
                outputs
                    .get(key)
                    .cloned()
                    .ok_or_else(|| DeployError::MissingServiceOutput {
                        stack: stack.to_owned(),
                        key: key.to_owned(),
                    })
            };
            Ok((get(&r.cluster_output)?, get(&r.service_output)?))
        })
        .collect()
}

/// The stack's ECS services (`AWS::ECS::Service` resources); with `secrets`, only those
/// with a container reading one of them (`secrets[].valueFrom`).
pub async fn discover(
    cfn: &Cfn,
    ecs: &Ecs,
    stack: &str,
    secrets: Option<&[String]>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for r in cfn.stack_resources(stack).await? {
        if r.resource_type != "AWS::ECS::Service" {
            continue;
        }
        let Some((cluster, service)) = r.physical_id.as_deref().and_then(service_from_arn) else {
            continue;
        };
        if let Some(secrets) = secrets {
            let state = ecs.describe(&cluster, &service).await?;
            let Some(td) = state.task_definition else {
                continue;
            };
            let refs = ecs.secret_references(&td).await?;
            if !refs
                .iter()
                .any(|v| secrets.iter().any(|arn| reads_secret(v, arn)))
            {
                continue;
            }
        }
        out.push((cluster, service));
    }
    Ok(out)
}

/// Forces a new deployment of each service.
pub async fn force(
    ecs: &Ecs,
    services: &[(String, String)],
    events: &dyn Events,
) -> Result<Vec<Redeployed>> {
    let mut out = Vec::new();
    for (cluster, service) in services {
        let before = ecs.describe(cluster, service).await?;
        let id = ecs.force_new_deployment(cluster, service).await?;
        events.info(&format!(
            "{service}: new deployment {id} started (cluster {cluster})"
        ));
        out.push(Redeployed {
            cluster: cluster.clone(),
            service: service.clone(),
            previous_deployment: before.primary().map(|d| d.id.clone()),
            deployment: id,
            rollout: RolloutState::InProgress,
            running: before.running,
            desired: before.desired,
            reason: None,
        });
    }
    Ok(out)
}

/// Waits until every deployment completed or failed, or `timeout` passes. On failure or
/// timeout, prints the stopped tasks' reasons and returns an error.
pub async fn wait(
    ecs: &Ecs,
    deployments: &mut [Redeployed],
    timeout: Duration,
    events: &dyn Events,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(200);
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    loop {
        for d in deployments
            .iter_mut()
            .filter(|d| d.rollout == RolloutState::InProgress)
        {
            let state: ServiceState = ecs.describe(&d.cluster, &d.service).await?;
            d.running = state.running;
            d.desired = state.desired;
            match judge(&state, &d.deployment) {
                Rollout::Completed => d.rollout = RolloutState::Completed,
                Rollout::Failed(reason) => {
                    d.rollout = RolloutState::Failed;
                    d.reason = Some(reason);
                }
                Rollout::InProgress => {}
            }
            let line = format!(
                "{}: {}/{} tasks running, pending {} ({})",
                d.service, state.running, state.desired, state.pending, d.rollout
            );
            if last.get(&d.service) != Some(&line) {
                events.info(&line);
                last.insert(d.service.clone(), line);
            }
        }
        let pending = deployments
            .iter()
            .any(|d| d.rollout == RolloutState::InProgress);
        let failed = deployments
            .iter()
            .any(|d| d.rollout == RolloutState::Failed);
        if !pending && !failed {
            return Ok(());
        }
        let timed_out = tokio::time::Instant::now() >= deadline;
        if !pending || timed_out {
            for d in deployments
                .iter_mut()
                .filter(|d| d.rollout == RolloutState::InProgress)
            {
                d.rollout = RolloutState::TimedOut;
            }
            return Err(report_failure(ecs, deployments, timeout, events).await);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn report_failure(
    ecs: &Ecs,
    deployments: &[Redeployed],
    timeout: Duration,
    events: &dyn Events,
) -> DeployError {
    let mut lines = Vec::new();
    for d in deployments
        .iter()
        .filter(|d| d.rollout != RolloutState::Completed)
    {
        let why = match d.rollout {
            RolloutState::TimedOut => format!(
                "not complete after {}s ({}/{} running)",
                timeout.as_secs(),
                d.running,
                d.desired
            ),
            _ => d.reason.clone().unwrap_or_else(|| "failed".into()),
        };
        lines.push(format!(
            "{}: deployment {} {}: {why}",
            d.service, d.deployment, d.rollout
        ));
        match ecs.stopped_tasks(&d.cluster, &d.service, 5).await {
            Ok(tasks) if tasks.is_empty() => {
                events.info(&format!("{}: no stopped tasks", d.service))
            }
            Ok(tasks) => {
                for t in tasks {
                    let task = t
                        .task_arn
                        .rsplit('/')
                        .next()
                        .unwrap_or(&t.task_arn)
                        .to_owned();
                    events.info(&format!(
                        "{}: stopped task {task}: {}",
                        d.service,
                        t.stopped_reason.as_deref().unwrap_or("no reason given")
                    ));
                    for (name, code, reason) in t.containers {
                        events.info(&format!(
                            "    container {name}: exit {}{}",
                            code.map_or_else(|| "-".to_owned(), |c| c.to_string()),
                            reason.map(|r| format!(", {r}")).unwrap_or_default()
                        ));
                    }
                }
            }
            Err(e) => events.warn(&format!(
                "cannot list the stopped tasks of {}: {e}",
                d.service
            )),
        }
    }
    DeployError::RolloutFailed { lines }
}
