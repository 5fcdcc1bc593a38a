//! What to do when a stack delete ends `DELETE_FAILED`: which resources to retain on the
//! retry (the guide's "Stack deletion stuck on PgvectorEnabler / Lambda"). Decided from
//! CloudFormation's events by resource type and status reason, never by logical id.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// One `DescribeStackEvents` row, reduced to what the decision reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// Such as `DELETE_FAILED`.
    pub status: String,
    pub reason: Option<String>,
}

/// A resource retained by the retry, to be removed by `hoist teardown --cleanup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub reason: String,
}

/// Why a resource stuck, in the guide's words.
fn stuck_because(event: &StackEvent) -> Option<&'static str> {
    let reason = event.reason.as_deref().unwrap_or_default();
    match event.resource_type.as_str() {
        "AWS::EC2::SecurityGroup"
            if reason.contains("dependent object") || reason.contains("DependencyViolation") =>
        {
            Some("its network interfaces (Lambda VPC ENIs) or another group's rule still use it")
        }
        "AWS::Lambda::Function" => Some(
            "Lambda's VPC network interfaces were not released in time (AWS can take ~45 minutes)",
        ),
        "AWS::EC2::Subnet" | "AWS::EC2::VPC"
            if reason.contains("dependencies") || reason.contains("DependencyViolation") =>
        {
            Some("network interfaces left by a VPC Lambda are still in it")
        }
        _ => None,
    }
}

/// The resources to retain on the retry: those of this delete that ended `DELETE_FAILED`
/// (events newest first, as `DescribeStackEvents` returns them), latest event per resource.
///
/// # Errors
/// The failures hoist does not know how to get past by retaining, one line each.
pub fn retain_on_retry(events: &[StackEvent]) -> Result<Vec<Leftover>, Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut retain = Vec::new();
    let mut unknown = Vec::new();
    for e in events {
        if e.resource_type == "AWS::CloudFormation::Stack" || !seen.insert(e.logical_id.clone()) {
            continue;
        }
        if e.status != "DELETE_FAILED" {
            continue;
        }
        match stuck_because(e) {
            Some(why) => retain.push(Leftover {
                logical_id: e.logical_id.clone(),
                physical_id: e.physical_id.clone().filter(|p| !p.is_empty()),
                resource_type: e.resource_type.clone(),
                reason: why.to_owned(),
            }),
            None => unknown.push(format!(
                "{} ({}): {}",
                e.logical_id,
                e.resource_type,
                e.reason.clone().unwrap_or_default()
            )),
        }
    }
    if unknown.is_empty() {
        Ok(retain)
    } else {
        Err(unknown)
    }
}
