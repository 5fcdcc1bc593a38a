//! What to do when a stack delete ends `DELETE_FAILED`: which resources to retain on the
//! retry (the guide's "Stack deletion stuck on PgvectorEnabler / Lambda"). Pure, so it is
//! tested on CloudFormation's events directly.

use hoist_aws::cfn::StackEvent;

/// A resource retained by the retry, to be removed by `hoist teardown --cleanup`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Leftover {
    pub(crate) logical_id: String,
    pub(crate) physical_id: Option<String>,
    pub(crate) resource_type: String,
    pub(crate) reason: String,
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
/// `Err` lists failures hoist does not know how to get past by retaining.
pub(crate) fn retain_on_retry(events: &[StackEvent]) -> Result<Vec<Leftover>, Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(logical: &str, ty: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            event_id: format!("{logical}-{status}"),
            timestamp: "2026-11-20T10:00:00Z".into(),
            logical_id: logical.into(),
            physical_id: Some(match ty {
                "AWS::EC2::SecurityGroup" => "sg-0a1b2c3d4e5f60718".into(),
                "AWS::Lambda::Function" => "HindsightDevStack-PgvectorEnabler-AbCdEf123456".into(),
                _ => format!("{logical}-physical"),
            }),
            resource_type: ty.into(),
            status: status.into(),
            reason: reason.map(str::to_owned),
        }
    }

    /// The guide's case, newest first, with the status reasons worded as CloudFormation and
    /// EC2 word them ("resource sg-… has a dependent object", "The following resource(s)
    /// failed to delete: […]"). Written from AWS's documented messages, not captured from a
    /// live account: moto deletes stacks synchronously and never ends one DELETE_FAILED.
    fn guide_case() -> Vec<StackEvent> {
        vec![
            ev(
                "HindsightDevStack",
                "AWS::CloudFormation::Stack",
                "DELETE_FAILED",
                Some(
                    "The following resource(s) failed to delete: [PgvectorLambdaSecurityGroup, PgvectorEnabler]. ",
                ),
            ),
            ev(
                "PgvectorLambdaSecurityGroup",
                "AWS::EC2::SecurityGroup",
                "DELETE_FAILED",
                Some(
                    "resource sg-0a1b2c3d4e5f60718 has a dependent object (Service: Ec2, Status Code: 400, Request ID: 5f1c…)",
                ),
            ),
            ev(
                "PgvectorLambdaSecurityGroup",
                "AWS::EC2::SecurityGroup",
                "DELETE_IN_PROGRESS",
                None,
            ),
            ev(
                "PgvectorEnabler",
                "AWS::Lambda::Function",
                "DELETE_FAILED",
                Some(
                    "Resource handler returned message: \"Exceeded attempts to wait\" (RequestToken: 8d2…, HandlerErrorCode: NotStabilized)",
                ),
            ),
            ev(
                "PgvectorEnabler",
                "AWS::Lambda::Function",
                "DELETE_IN_PROGRESS",
                None,
            ),
            ev(
                "RdsInstance",
                "AWS::RDS::DBInstance",
                "DELETE_COMPLETE",
                None,
            ),
            ev(
                "HindsightDevStack",
                "AWS::CloudFormation::Stack",
                "DELETE_IN_PROGRESS",
                Some("User Initiated"),
            ),
        ]
    }

    #[test]
    fn retains_the_stuck_lambda_and_its_group() {
        let retain = retain_on_retry(&guide_case()).unwrap();
        let ids: Vec<&str> = retain.iter().map(|l| l.logical_id.as_str()).collect();
        assert_eq!(ids, ["PgvectorLambdaSecurityGroup", "PgvectorEnabler"]);
        assert_eq!(
            retain[0].physical_id.as_deref(),
            Some("sg-0a1b2c3d4e5f60718")
        );
    }

    #[test]
    fn a_resource_that_recovered_is_not_retained() {
        let mut events = guide_case();
        // Newest first: the group was deleted on a later attempt.
        events.insert(
            0,
            ev(
                "PgvectorLambdaSecurityGroup",
                "AWS::EC2::SecurityGroup",
                "DELETE_COMPLETE",
                None,
            ),
        );
        let retain = retain_on_retry(&events).unwrap();
        assert_eq!(retain.len(), 1);
        assert_eq!(retain[0].logical_id, "PgvectorEnabler");
    }

    #[test]
    fn unknown_failures_are_not_papered_over() {
        let events = vec![ev(
            "AppBucket",
            "AWS::S3::Bucket",
            "DELETE_FAILED",
            Some("The bucket you tried to delete is not empty"),
        )];
        let err = retain_on_retry(&events).unwrap_err();
        assert!(
            err[0].contains("AppBucket") && err[0].contains("not empty"),
            "{err:?}"
        );
    }
}
