//! Waiting for a stack delete to end, printing each new event.

use std::time::{Duration, Instant};

use hoist_aws::cfn::{Cfn, Status};

use crate::printer::Printer;

pub(super) enum Ended {
    Deleted,
    Failed,
    TimedOut(String),
}

/// The newest event id of the stack (events after it belong to the next operation).
pub(super) async fn mark(cfn: &Cfn, stack_id: &str) -> Option<String> {
    cfn.events_since(stack_id, None)
        .await
        .ok()
        .and_then(|e| e.first().map(|e| e.event_id.clone()))
}

/// Polls until the delete ends, printing each new event.
pub(super) async fn wait(
    cfn: &Cfn,
    stack_id: &str,
    after: Option<String>,
    timeout: Duration,
    printer: &Printer,
) -> anyhow::Result<Ended> {
    let start = Instant::now();
    let mut last = after;
    loop {
        let status = cfn.describe_stack(stack_id).await?.map(|s| s.status);
        if let Ok(events) = cfn.events_since(stack_id, last.as_deref()).await {
            for e in events.iter().rev() {
                printer.info(&format!(
                    "  {} {} {}{}",
                    e.status,
                    e.logical_id,
                    e.resource_type,
                    e.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ));
            }
            if let Some(first) = events.first() {
                last = Some(first.event_id.clone());
            }
        }
        match status {
            None | Some(Status::DeleteComplete) => return Ok(Ended::Deleted),
            Some(Status::DeleteFailed) => return Ok(Ended::Failed),
            Some(s) if start.elapsed() > timeout => return Ok(Ended::TimedOut(s.to_string())),
            _ => tokio::time::sleep(Duration::from_secs(5)).await,
        }
    }
}
