//! The stack part of a deploy: change set, its rendering, execution, events, failure report.

use std::time::Duration;

use hoist_aws::AwsError;
use hoist_aws::cfn::{
    Cfn, Change, ChangeSetOutcome, ChangeSetRequest, StackEvent, Status, TemplateSource,
    first_failure, is_failed, is_terminal,
};
use hoist_deploy::plan::{DeployPlan, TemplateLocation};
use hoist_deploy::unchanged::{Deployed, difference};

use crate::error::{DeployError, Result};
use crate::events::Events;
use crate::interrupt::Interrupt;

/// What the deploy did with the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum StackResult {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "updated")]
    Updated,
    /// The template and parameters are those deployed, or CloudFormation found no change.
    #[serde(rename = "no changes")]
    NoChanges,
    /// Without `--apply`: the change set was shown and deleted.
    #[serde(rename = "planned")]
    Planned,
}

impl std::fmt::Display for StackResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::NoChanges => "no changes",
            Self::Planned => "planned",
        })
    }
}

/// What happened to the stack.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StackReport {
    pub name: String,
    pub result: StackResult,
    pub change_set_type: Option<&'static str>,
    pub changes: Vec<ChangeRow>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ChangeRow {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: String,
}

impl From<&Change> for ChangeRow {
    fn from(c: &Change) -> Self {
        let replacement = match (c.action.as_str(), c.replacement.as_deref()) {
            ("Modify", Some("True")) => "yes",
            ("Modify", Some("Conditional")) => "conditional",
            ("Modify", _) => "no",
            _ => "-",
        };
        Self {
            action: c.action.clone(),
            logical_id: c.logical_id.clone(),
            resource_type: c.resource_type.clone(),
            replacement: replacement.to_owned(),
        }
    }
}

/// What the change set step ended with.
enum Prepared {
    /// Nothing to execute: no changes, or a plan (the change set was shown and deleted).
    Done(StackReport),
    /// A change set ready to execute.
    Ready {
        id: String,
        create: bool,
        kind: &'static str,
        rows: Vec<ChangeRow>,
    },
}

/// Deploys the plan's template to its stack through a change set; executes it only with
/// `apply`. A stack whose deployed template, parameters and tags equal the plan's gets no
/// change set at all.
///
/// `assets` publishes what the template references (file and image assets): it runs while
/// CloudFormation computes the change set, which needs only the template, and the change set
/// is executed only once every asset is published. A failed publish or a signal before the
/// execution deletes the change set (and the empty stack of a CREATE): nothing changes.
#[allow(clippy::too_many_arguments)]
pub async fn deploy(
    cfn: &Cfn,
    plan: &DeployPlan,
    apply: bool,
    timeout: Duration,
    interrupt: &mut Interrupt,
    resume: &str,
    events: &dyn Events,
    assets: impl std::future::Future<Output = Result<()>>,
) -> Result<StackReport> {
    let name = plan.stack_name.as_str();
    let change_set_name = format!("hoist-{}", unix_millis());
    let both = futures::future::join(
        prepare(cfn, plan, apply, timeout, &change_set_name, events),
        assets,
    );
    let (prepared, published) = tokio::select! {
        both = both => both,
        signal = interrupt.recv() => {
            discard(cfn, plan, &change_set_name, None).await;
            return Err(DeployError::InterruptedChangeSet {
                signal,
                change_set: change_set_name.clone(),
                resume: resume.to_owned(),
            });
        }
    };
    let (id, create, kind, rows) = match (prepared?, published) {
        (Prepared::Done(report), published) => {
            published?;
            return Ok(report);
        }
        (Prepared::Ready { id, create, .. }, Err(e)) => {
            discard(cfn, plan, &change_set_name, Some((&id, create))).await;
            return Err(DeployError::AssetsNotPublished {
                change_set: change_set_name.clone(),
                source: Box::new(e),
            });
        }
        (
            Prepared::Ready {
                id,
                create,
                kind,
                rows,
            },
            Ok(()),
        ) => (id, create, kind, rows),
    };
    // A signal that came while the last asset finished still wins over the execution.
    if let Some(signal) = futures::FutureExt::now_or_never(interrupt.recv()) {
        discard(cfn, plan, &change_set_name, Some((&id, create))).await;
        return Err(DeployError::InterruptedBeforeExecute {
            signal,
            change_set: change_set_name.clone(),
            resume: resume.to_owned(),
        });
    }
    let last_seen = if create {
        None
    } else {
        cfn.events_since(name, None)
            .await?
            .first()
            .map(|e| e.event_id.clone())
    };
    if let Err(err) = cfn.execute_change_set(&id).await {
        // A change set that failed to start is not left behind.
        let _ = cfn.delete_change_set(&id).await;
        return Err(execute_refused(cfn, name, err).await);
    }
    let status = tokio::select! {
        status = follow(cfn, name, last_seen, timeout, events) => status?,
        signal = interrupt.recv() => {
            let now = cfn
                .describe_stack(name)
                .await
                .ok()
                .flatten()
                .map_or_else(|| "unknown".to_owned(), |s| s.status.to_string());
            return Err(DeployError::InterruptedExecuting {
                signal,
                stack: name.to_owned(),
                status: now,
                change_set: change_set_name.clone(),
                resume: resume.to_owned(),
            });
        }
    };
    Ok(StackReport {
        name: name.to_owned(),
        result: if create {
            StackResult::Created
        } else {
            StackResult::Updated
        },
        change_set_type: Some(kind),
        changes: rows,
        status: Some(status),
    })
}

/// Removes an unexecuted change set — by id when it is known, else by name (it may or may not
/// have been created when the work was dropped) — and the empty `REVIEW_IN_PROGRESS` stack a
/// CREATE change set leaves. Best effort: failures are ignored (nothing was executed).
async fn discard(cfn: &Cfn, plan: &DeployPlan, change_set_name: &str, known: Option<(&str, bool)>) {
    let name = plan.stack_name.as_str();
    match known {
        Some((id, _)) => {
            let _ = cfn.delete_change_set(id).await;
        }
        None => {
            let _ = cfn.delete_change_set_named(name, change_set_name).await;
        }
    }
    let review = match known {
        Some((_, create)) => create,
        None => matches!(
            cfn.describe_stack(name)
                .await
                .ok()
                .flatten()
                .map(|s| s.status),
            Some(Status::ReviewInProgress)
        ),
    };
    if review {
        let _ = cfn.delete_stack(name, plan.execution_role.as_deref()).await;
    }
}

/// The change set step: the stack's state, the no-change comparison, the change set and its
/// changes. In a plan the change set (and a CREATE's empty stack) is deleted again.
async fn prepare(
    cfn: &Cfn,
    plan: &DeployPlan,
    apply: bool,
    timeout: Duration,
    change_set_name: &str,
    events: &dyn Events,
) -> Result<Prepared> {
    let name = plan.stack_name.as_str();
    let parameters = &plan.parameters;
    let existing = cfn.describe_stack(name).await?;
    let create = match existing.as_ref().map(|s| &s.status) {
        None | Some(Status::ReviewInProgress) => true,
        Some(Status::RollbackComplete) => {
            return Err(DeployError::RollbackComplete {
                stack: name.to_owned(),
            });
        }
        Some(status) if !is_terminal(status) => {
            return Err(DeployError::StackBusy {
                stack: name.to_owned(),
                status: status.to_string(),
            });
        }
        Some(_) => false,
    };
    let kind = if create { "CREATE" } else { "UPDATE" };
    if let Some(stack) = existing.as_ref().filter(|_| !create) {
        let deployed = Deployed {
            template: cfn.get_template(name).await?,
            parameters: stack.parameters.clone(),
            tags: stack.tags.clone(),
        };
        if let Some(why) = difference(&deployed, &plan.template, parameters, &plan.tags) {
            events.info(&format!(
                "stack {name}: {why}; CloudFormation computes the changes"
            ));
        } else {
            events.info(&format!(
                "stack {name}: no changes (deployed template, parameters and tags are the same; no change set created)"
            ));
            return Ok(Prepared::Done(StackReport {
                name: name.to_owned(),
                result: StackResult::NoChanges,
                change_set_type: None,
                changes: vec![],
                status: Some(stack.status.to_string()),
            }));
        }
    }
    let template = match &plan.location {
        TemplateLocation::Body => TemplateSource::Body(&plan.template),
        TemplateLocation::Url { url, .. } => TemplateSource::Url(url),
    };
    let id = cfn
        .create_change_set(&ChangeSetRequest {
            stack_name: name,
            change_set_name,
            template,
            parameters,
            role_arn: plan.execution_role.as_deref(),
            tags: &plan.tags,
            create,
        })
        .await?;
    events.info(&format!(
        "change set {change_set_name} ({kind}) for stack {name}"
    ));
    let outcome = cfn.wait_change_set(&id, timeout).await?;
    let changes = match outcome {
        ChangeSetOutcome::NoChanges => {
            let _ = cfn.delete_change_set(&id).await;
            events.info(&format!("stack {name}: no changes"));
            return Ok(Prepared::Done(StackReport {
                name: name.to_owned(),
                result: StackResult::NoChanges,
                change_set_type: Some(kind),
                changes: vec![],
                status: existing.map(|s| s.status.to_string()),
            }));
        }
        ChangeSetOutcome::Failed(reason) => {
            return Err(DeployError::ChangeSetFailed {
                stack: name.to_owned(),
                reason,
            });
        }
        ChangeSetOutcome::Ready(changes) => changes,
    };
    let rows: Vec<ChangeRow> = changes.iter().map(ChangeRow::from).collect();
    print_changes(events, name, &rows);
    if !apply {
        cfn.delete_change_set(&id).await?;
        if create {
            // CREATE change sets leave an empty REVIEW_IN_PROGRESS stack behind.
            cfn.delete_stack(name, plan.execution_role.as_deref())
                .await?;
        }
        events.info("plan only: change set deleted, nothing changed (pass --apply to execute it)");
        return Ok(Prepared::Done(StackReport {
            name: name.to_owned(),
            result: StackResult::Planned,
            change_set_type: Some(kind),
            changes: rows,
            status: existing.map(|s| s.status.to_string()),
        }));
    }
    Ok(Prepared::Ready {
        id,
        create,
        kind,
        rows,
    })
}

fn print_changes(events: &dyn Events, stack: &str, rows: &[ChangeRow]) {
    events.out(&format!("Change set for {stack}: {} change(s)", rows.len()));
    let w = rows
        .iter()
        .map(|r| r.logical_id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let t = rows
        .iter()
        .map(|r| r.resource_type.len())
        .max()
        .unwrap_or(4)
        .max(4);
    events.out(&format!(
        "  {:<9} {:<w$} {:<t$} {}",
        "ACTION", "RESOURCE", "TYPE", "REPLACEMENT"
    ));
    for r in rows {
        let sign = match r.action.as_str() {
            "Add" => "+ add",
            "Remove" => "- remove",
            "Modify" => "~ modify",
            other => other,
        };
        events.out(&format!(
            "  {sign:<9} {:<w$} {:<t$} {}",
            r.logical_id, r.resource_type, r.replacement
        ));
    }
}

/// `ExecuteChangeSet` itself failed (some CloudFormation implementations answer resource
/// errors here instead of in events): report the API error and where the stack stands.
async fn execute_refused(cfn: &Cfn, name: &str, err: AwsError) -> DeployError {
    let status = cfn
        .describe_stack(name)
        .await
        .ok()
        .flatten()
        .map_or_else(|| "unknown".to_owned(), |s| s.status.to_string());
    let failed = cfn
        .events_since(name, None)
        .await
        .ok()
        .and_then(|ev| first_failure(&ev).cloned());
    let resource = failed.as_ref().map_or_else(
        || "not named by CloudFormation's answer".to_owned(),
        |f| format!("{} ({})", f.logical_id, f.resource_type),
    );
    DeployError::ExecuteRefused {
        stack: name.to_owned(),
        resource,
        status,
        source: Box::new(err),
    }
}

/// Streams events until the stack settles; a failed or rolled-back stack is an error naming
/// the first failed resource and its reason.
async fn follow(
    cfn: &Cfn,
    name: &str,
    mut last_seen: Option<String>,
    timeout: Duration,
    events: &dyn Events,
) -> Result<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut operation: Vec<StackEvent> = Vec::new();
    let mut delay = Duration::from_millis(100);
    loop {
        let fresh = cfn.events_since(name, last_seen.as_deref()).await?;
        if let Some(newest) = fresh.first() {
            last_seen = Some(newest.event_id.clone());
        }
        for e in fresh.iter().rev() {
            events.info(&format!(
                "  {} {} {} {}{}",
                e.timestamp,
                e.logical_id,
                e.resource_type,
                e.status,
                e.reason
                    .as_deref()
                    .map(|r| format!(" — {r}"))
                    .unwrap_or_default()
            ));
        }
        operation.splice(0..0, fresh);
        let stack = cfn
            .describe_stack(name)
            .await?
            .ok_or_else(|| DeployError::StackVanished {
                stack: name.to_owned(),
            })?;
        if is_terminal(&stack.status) {
            if is_failed(&stack.status) {
                let (resource, reason) = first_failure(&operation).map_or_else(
                    || {
                        (
                            "unknown".to_owned(),
                            stack
                                .status_reason
                                .clone()
                                .unwrap_or_else(|| "no reason given".into()),
                        )
                    },
                    |f| {
                        (
                            format!("{} ({})", f.logical_id, f.resource_type),
                            f.reason.clone().unwrap_or_default(),
                        )
                    },
                );
                return Err(DeployError::StackFailed {
                    stack: name.to_owned(),
                    resource,
                    reason,
                    status: stack.status.to_string(),
                });
            }
            events.info(&format!("stack {name}: {}", stack.status));
            return Ok(stack.status.to_string());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DeployError::StackTimedOut {
                stack: name.to_owned(),
                status: stack.status.to_string(),
                secs: timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

fn unix_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_column() {
        let c = |action: &str, repl: Option<&str>| Change {
            action: action.into(),
            logical_id: "X".into(),
            physical_id: None,
            resource_type: "AWS::EC2::SecurityGroup".into(),
            replacement: repl.map(Into::into),
        };
        assert_eq!(
            ChangeRow::from(&c("Modify", Some("True"))).replacement,
            "yes"
        );
        assert_eq!(
            ChangeRow::from(&c("Modify", Some("False"))).replacement,
            "no"
        );
        assert_eq!(ChangeRow::from(&c("Add", None)).replacement, "-");
    }
}
