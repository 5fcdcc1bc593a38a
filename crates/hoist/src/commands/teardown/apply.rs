//! Carries out exactly the operations of the teardown (or `--cleanup`) plan that was shown.

use std::time::Duration;

use hoist_aws::Aws;
use hoist_aws::cfn::Cfn;
use hoist_plan::teardown::{Leftover, Op, StackEvent, TeardownPlan, retain_on_retry};

use crate::exit::Failed;
use crate::printer::Printer;

use super::read::ingress;
use super::wait::{Ended, mark, wait};

/// What the executor needs besides the plan.
pub(super) struct Executor<'a> {
    pub(super) aws: &'a Aws,
    pub(super) printer: &'a Printer,
    /// How long one delete may take.
    pub(super) timeout: Duration,
    /// A template environment's execution role (name): CloudFormation deletes as it.
    pub(super) execution_role: Option<String>,
}

/// What applying did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) operations: usize,
    /// Resources a retried delete retained (for `--cleanup`).
    pub(super) retained: Vec<Leftover>,
    /// Groups whose delete failed (left for the next `--cleanup`).
    pub(super) failed_groups: Vec<String>,
}

impl Executor<'_> {
    /// The execution role's ARN in the stack's own partition and account (read from the
    /// stack id `arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/…`).
    fn role_arn(&self, stack_id: &str) -> Option<String> {
        let role = self.execution_role.as_deref()?;
        let mut parts = stack_id.split(':');
        let (Some("arn"), Some(partition), _, _, Some(account)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        Some(format!("arn:{partition}:iam::{account}:role/{role}"))
    }

    /// Without `apply`, nothing: the plan was only shown. With it, `confirm` first (when there is
    /// anything to do), then every operation in plan order.
    pub(super) async fn run(
        &self,
        plan: &TeardownPlan,
        apply: bool,
        confirm: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<Option<Applied>> {
        if !apply {
            return Ok(None);
        }
        let mut applied = Applied::default();
        if plan.operations().next().is_none() {
            return Ok(Some(applied));
        }
        confirm()?;
        for op in plan.operations() {
            self.one(op, &mut applied).await?;
            applied.operations += 1;
        }
        Ok(Some(applied))
    }

    async fn one(&self, op: &Op, applied: &mut Applied) -> anyhow::Result<()> {
        match op {
            Op::RevokeIngress { rule } => {
                hoist_aws::ec2::revoke_group_ingress(self.aws, &ingress(rule)).await?;
                self.printer.info(&format!("done: {}", op.describe()));
            }
            Op::DeleteStack { stack, stack_id } => {
                applied.retained = self.delete_stack(stack, stack_id).await?;
                self.printer.out(&op.describe());
            }
            Op::DeleteSecurityGroup { group_id } => {
                match hoist_aws::ec2::delete_security_group(self.aws, group_id).await {
                    Ok(()) => self.printer.out(&op.describe()),
                    Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
                        self.printer.out(&format!("{group_id} is already gone"));
                    }
                    Err(e) => {
                        self.printer.warn(&format!("{group_id}: {e}"));
                        applied.failed_groups.push(group_id.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// `DeleteStack`, waited for; on `DELETE_FAILED`, once more retaining what
    /// [`retain_on_retry`] picks. Returns what was retained.
    async fn delete_stack(&self, stack: &str, stack_id: &str) -> anyhow::Result<Vec<Leftover>> {
        let cfn = Cfn::new(self.aws);
        let before = mark(&cfn, stack_id).await;
        cfn.delete_stack(stack_id, self.role_arn(stack_id).as_deref())
            .await?;
        self.printer.info(&format!("deleting {stack} …"));
        match wait(&cfn, stack_id, before.clone(), self.timeout, self.printer).await? {
            Ended::Deleted => Ok(Vec::new()),
            Ended::TimedOut(s) => Err(Failed::new(format!(
                "{stack} is still {s} after {} s",
                self.timeout.as_secs()
            ))
            .hint("a VPC Lambda's network interfaces can take ~45 minutes to go: wait, then run teardown again (it retries retaining them if the delete fails)")
            .into()),
            Ended::Failed => {
                let events: Vec<StackEvent> = cfn
                    .events_since(stack_id, before.as_deref())
                    .await?
                    .into_iter()
                    .map(|e| StackEvent {
                        logical_id: e.logical_id,
                        physical_id: e.physical_id,
                        resource_type: e.resource_type,
                        status: e.status.to_string(),
                        reason: e.reason,
                    })
                    .collect();
                let retain = retain_on_retry(&events).map_err(|unknown| {
                    Failed::new(format!("deleting {stack} failed: {}", unknown.join("; ")))
                        .hint("fix the cause, then run `hoist teardown` again")
                })?;
                let ids: Vec<String> = retain.iter().map(|l| l.logical_id.clone()).collect();
                self.printer.info(&format!(
                    "{stack} is DELETE_FAILED; retrying the delete retaining {}",
                    ids.join(", ")
                ));
                for l in &retain {
                    self.printer.info(&format!(
                        "  retain {} {}: {}",
                        l.logical_id,
                        l.physical_id.as_deref().unwrap_or(""),
                        l.reason
                    ));
                }
                let again = mark(&cfn, stack_id).await;
                cfn.delete_stack_retaining(stack_id, &ids, self.role_arn(stack_id).as_deref())
                    .await?;
                match wait(&cfn, stack_id, again, self.timeout, self.printer).await? {
                    Ended::Deleted => Ok(retain),
                    _ => Err(Failed::new(format!(
                        "the retry of deleting {stack} did not complete"
                    ))
                    .hint("look at the stack's events in the CloudFormation console, then run `hoist teardown` again")
                    .into()),
                }
            }
        }
    }
}
