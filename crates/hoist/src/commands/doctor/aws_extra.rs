//! Interim AWS calls that hoist-aws does not offer yet (issue 5): the stack's resources,
//! `DeleteStack` with `RetainResources`, a service's awsvpc security groups, whether an ECR
//! image tag exists. To move into hoist-aws `cfn.rs` / `ecs.rs` / `ecr.rs`.

use hoist_aws::{Aws, AwsError};

/// One row of `DescribeStackResources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StackResource {
    pub(crate) logical_id: String,
    pub(crate) physical_id: Option<String>,
    pub(crate) resource_type: String,
    pub(crate) status: String,
}

pub(crate) async fn stack_resources(aws: &Aws, stack: &str) -> Result<Vec<StackResource>, AwsError> {
    let out = aws_sdk_cloudformation::Client::new(aws.sdk_config())
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudformation:DescribeStackResources", e))?;
    Ok(out
        .stack_resources()
        .iter()
        .filter_map(|r| {
            Some(StackResource {
                logical_id: r.logical_resource_id()?.to_owned(),
                physical_id: r.physical_resource_id().filter(|p| !p.is_empty() && *p != "None").map(str::to_owned),
                resource_type: r.resource_type()?.to_owned(),
                status: r.resource_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            })
        })
        .collect())
}

/// `DeleteStack`, retaining `retain` (logical ids; only valid on a DELETE_FAILED stack).
pub(crate) async fn delete_stack(aws: &Aws, stack: &str, retain: &[String]) -> Result<(), AwsError> {
    let mut req = aws_sdk_cloudformation::Client::new(aws.sdk_config()).delete_stack().stack_name(stack);
    if !retain.is_empty() {
        req = req.set_retain_resources(Some(retain.to_vec()));
    }
    req.send().await.map(|_| ()).map_err(|e| AwsError::from_sdk("cloudformation:DeleteStack", e))
}

/// The security groups of a service's awsvpc network configuration.
pub(crate) async fn service_security_groups(aws: &Aws, cluster: &str, service: &str) -> Result<Vec<String>, AwsError> {
    let out = aws_sdk_ecs::Client::new(aws.sdk_config())
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

/// Whether repository `repo` exists (`None` when not) and holds tag `tag`.
pub(crate) async fn image_tag_exists(aws: &Aws, repo: &str, tag: &str) -> Result<Option<bool>, AwsError> {
    let res = aws_sdk_ecr::Client::new(aws.sdk_config())
        .describe_images()
        .repository_name(repo)
        .image_ids(aws_sdk_ecr::types::ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await;
    match res {
        Ok(out) => Ok(Some(!out.image_details().is_empty())),
        Err(e) => {
            let err = AwsError::from_sdk("ecr:DescribeImages", e);
            match err.code() {
                Some("RepositoryNotFoundException") => Ok(None),
                Some("ImageNotFoundException") => Ok(Some(false)),
                _ => Err(err),
            }
        }
    }
}
