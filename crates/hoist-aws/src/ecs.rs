//! ECS: force a new deployment, follow it, and say why tasks stopped.
//!
//! A rollout is judged by the deployment hoist started, not by the service's counts: the
//! deployment circuit breaker rolls a failed deployment back to the previous one, after
//! which the service looks stable although the new tasks never ran ([`judge`]).

use aws_sdk_ecs::types::DesiredStatus;

use crate::{Aws, AwsError};

/// One deployment of a service, as `DescribeServices` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED` (absent without the circuit breaker).
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub desired: i32,
    pub running: i32,
    pub failed_tasks: i32,
}

/// A service's counts and deployments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub cluster: String,
    pub service: String,
    /// The service's task definition ARN.
    pub task_definition: Option<String>,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub deployments: Vec<Deployment>,
}

impl ServiceState {
    /// The `PRIMARY` deployment (the one ECS is rolling towards).
    #[must_use]
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }
}

/// Where the deployment hoist started stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    InProgress,
    Completed,
    /// Failed, or rolled back by the circuit breaker; the reason says which.
    Failed(String),
}

/// Judges the rollout of deployment `started` from the service's current state.
///
/// Completed: its `rolloutState` is `COMPLETED`, or (services without the circuit breaker
/// report none) it is the only deployment and runs the desired count — the rule of ECS's
/// `services-stable` waiter. Failed: `rolloutState` `FAILED`, or the `PRIMARY` deployment is
/// another one (the circuit breaker rolled back), even though the service then looks stable.
#[must_use]
pub fn judge(state: &ServiceState, started: &str) -> Rollout {
    let Some(ours) = state.deployments.iter().find(|d| d.id == started) else {
        let primary = state.primary().map_or("none", |d| d.id.as_str());
        return Rollout::Failed(format!(
            "deployment {started} is gone; the PRIMARY deployment is {primary} (the circuit breaker rolled back)"
        ));
    };
    if ours.rollout_state.as_deref() == Some("FAILED") {
        let reason = ours
            .rollout_state_reason
            .clone()
            .unwrap_or_else(|| "rollout FAILED".to_owned());
        return Rollout::Failed(reason);
    }
    if ours.status != "PRIMARY" {
        let primary = state.primary().map_or("none", |d| d.id.as_str());
        return Rollout::Failed(format!(
            "deployment {started} is {} and {primary} is PRIMARY again (the circuit breaker rolled back){}",
            ours.status,
            ours.rollout_state_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    let stable_by_waiter_rule = state.deployments.len() == 1
        && ours.running == ours.desired
        && ours.desired == state.desired;
    match ours.rollout_state.as_deref() {
        Some("COMPLETED") => Rollout::Completed,
        Some("IN_PROGRESS") | None if stable_by_waiter_rule && state.running == state.desired => {
            Rollout::Completed
        }
        _ => Rollout::InProgress,
    }
}

/// A stopped task and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedTask {
    pub task_arn: String,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<String>,
    /// `(container, exit code, reason)` for containers that say something.
    pub containers: Vec<(String, Option<i32>, Option<String>)>,
}

/// An ECS client.
#[derive(Debug, Clone)]
pub struct Ecs {
    client: aws_sdk_ecs::Client,
}

impl Ecs {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self {
            client: aws_sdk_ecs::Client::new(aws.sdk_config()),
        }
    }

    /// `UpdateService --force-new-deployment`; returns the new `PRIMARY` deployment's id.
    ///
    /// # Errors
    /// The AWS error (unknown cluster or service, permissions).
    pub async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<String, AwsError> {
        let out = self
            .client
            .update_service()
            .cluster(cluster)
            .service(service)
            .force_new_deployment(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:UpdateService", e))?;
        let svc = out
            .service
            .ok_or_else(|| unexpected("ecs:UpdateService", "no service in the answer"))?;
        svc.deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.id().map(str::to_owned))
            .ok_or_else(|| unexpected("ecs:UpdateService", "no PRIMARY deployment in the answer"))
    }

    /// The service's counts and deployments.
    ///
    /// # Errors
    /// The AWS error, or `Unexpected` when ECS does not know the service.
    pub async fn describe(&self, cluster: &str, service: &str) -> Result<ServiceState, AwsError> {
        let out = self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeServices", e))?;
        let Some(svc) = out.services().first() else {
            let why = out
                .failures()
                .first()
                .and_then(|f| f.reason())
                .unwrap_or("MISSING")
                .to_owned();
            return Err(AwsError::Service {
                action: "ecs:DescribeServices",
                code: why,
                message: format!("service {service} in cluster {cluster}"),
            });
        };
        Ok(ServiceState {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            task_definition: svc.task_definition().map(str::to_owned),
            desired: svc.desired_count(),
            running: svc.running_count(),
            pending: svc.pending_count(),
            deployments: svc
                .deployments()
                .iter()
                .map(|d| Deployment {
                    id: d.id().unwrap_or_default().to_owned(),
                    status: d.status().unwrap_or_default().to_owned(),
                    rollout_state: d.rollout_state().map(|s| s.as_str().to_owned()),
                    rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                    desired: d.desired_count(),
                    running: d.running_count(),
                    failed_tasks: d.failed_tasks(),
                })
                .collect(),
        })
    }

    /// Every container's `secrets[].valueFrom` in the task definition
    /// (`DescribeTaskDefinition`).
    ///
    /// # Errors
    /// The AWS error.
    pub async fn secret_references(&self, task_definition: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .client
            .describe_task_definition()
            .task_definition(task_definition)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeTaskDefinition", e))?;
        Ok(out
            .task_definition()
            .map(|td| {
                td.container_definitions()
                    .iter()
                    .flat_map(|c| c.secrets())
                    .map(|s| s.value_from().to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Up to `limit` of the service's stopped tasks with their reasons (ECS keeps them about
    /// an hour).
    ///
    /// # Errors
    /// The AWS error.
    pub async fn stopped_tasks(
        &self,
        cluster: &str,
        service: &str,
        limit: i32,
    ) -> Result<Vec<StoppedTask>, AwsError> {
        let list = self
            .client
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Stopped)
            .max_results(limit)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:ListTasks", e))?;
        if list.task_arns().is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(list.task_arns().to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeTasks", e))?;
        Ok(out
            .tasks()
            .iter()
            .map(|t| StoppedTask {
                task_arn: t.task_arn().unwrap_or_default().to_owned(),
                stopped_reason: t.stopped_reason().map(str::to_owned),
                stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
                containers: t
                    .containers()
                    .iter()
                    .filter(|c| c.exit_code().is_some_and(|x| x != 0) || c.reason().is_some())
                    .map(|c| {
                        (
                            c.name().unwrap_or_default().to_owned(),
                            c.exit_code(),
                            c.reason().map(str::to_owned),
                        )
                    })
                    .collect(),
            })
            .collect())
    }

    /// The security groups of a service's awsvpc network configuration.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn service_security_groups(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<String>, AwsError> {
        let out = self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:DescribeServices", e))?;
        Ok(out
            .services()
            .first()
            .and_then(|s| s.network_configuration())
            .and_then(|n| n.awsvpc_configuration())
            .map(|a| a.security_groups().to_vec())
            .unwrap_or_default())
    }
}

fn unexpected(action: &'static str, detail: &str) -> AwsError {
    AwsError::Unexpected {
        action,
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(id: &str, status: &str, rollout: Option<&str>, running: i32) -> Deployment {
        Deployment {
            id: id.into(),
            status: status.into(),
            rollout_state: rollout.map(Into::into),
            rollout_state_reason: None,
            desired: 1,
            running,
            failed_tasks: 0,
        }
    }

    fn state(deployments: Vec<Deployment>, running: i32) -> ServiceState {
        ServiceState {
            cluster: "c".into(),
            service: "s".into(),
            task_definition: None,
            desired: 1,
            running,
            pending: 0,
            deployments,
        }
    }

    #[test]
    fn completed_rollout() {
        assert_eq!(
            judge(
                &state(vec![dep("new", "PRIMARY", Some("COMPLETED"), 1)], 1),
                "new"
            ),
            Rollout::Completed
        );
    }

    #[test]
    fn in_progress_while_old_tasks_still_run() {
        let s = state(
            vec![
                dep("new", "PRIMARY", Some("IN_PROGRESS"), 0),
                dep("old", "ACTIVE", Some("COMPLETED"), 1),
            ],
            1,
        );
        assert_eq!(judge(&s, "new"), Rollout::InProgress);
    }

    #[test]
    fn circuit_breaker_rollback_is_a_failure_although_stable() {
        // After a rollback ECS makes the previous task definition's deployment PRIMARY again,
        // and the service is "stable" with 1/1 running: still a failed deploy.
        let mut ours = dep("new", "ACTIVE", Some("FAILED"), 0);
        ours.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".into());
        let s = state(
            vec![dep("rollback", "PRIMARY", Some("COMPLETED"), 1), ours],
            1,
        );
        match judge(&s, "new") {
            Rollout::Failed(r) => assert!(r.contains("circuit breaker"), "{r}"),
            other => panic!("{other:?}"),
        }
        let s = state(vec![dep("rollback", "PRIMARY", Some("COMPLETED"), 1)], 1);
        assert!(matches!(judge(&s, "new"), Rollout::Failed(r) if r.contains("rollback")));
    }

    #[test]
    fn waiter_rule_without_circuit_breaker() {
        assert_eq!(
            judge(&state(vec![dep("new", "PRIMARY", None, 1)], 1), "new"),
            Rollout::Completed
        );
        assert_eq!(
            judge(&state(vec![dep("new", "PRIMARY", None, 0)], 0), "new"),
            Rollout::InProgress
        );
    }
}
