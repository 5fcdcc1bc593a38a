//! RDS instances: the endpoint and the VPC security groups of a stack's database, which
//! `hoist doctor` needs for the ECS → RDS rule and `hoist teardown` for the Lambda's rule.

use crate::{Aws, AwsError};

/// A DB instance, reduced to what hoist reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInstance {
    pub identifier: String,
    /// `available`, `creating`, `deleting`, …
    pub status: String,
    pub engine: String,
    pub endpoint: Option<String>,
    pub port: Option<i32>,
    /// The VPC security group ids, in the order RDS lists them.
    pub security_groups: Vec<String>,
}

/// The instance `identifier`; `None` when it does not exist (`DBInstanceNotFound`).
///
/// # Errors
/// [`AwsError`] from `DescribeDBInstances`.
pub async fn describe_db_instance(
    aws: &Aws,
    identifier: &str,
) -> Result<Option<DbInstance>, AwsError> {
    let res = aws_sdk_rds::Client::new(aws.sdk_config())
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await;
    let out = match res {
        Ok(out) => out,
        Err(e) => {
            let err = AwsError::from_sdk("rds:DescribeDBInstances", e);
            if err
                .code()
                .is_some_and(|c| c.starts_with("DBInstanceNotFound"))
            {
                return Ok(None);
            }
            return Err(err);
        }
    };
    Ok(out.db_instances().first().map(|d| DbInstance {
        identifier: d.db_instance_identifier().unwrap_or(identifier).to_owned(),
        status: d.db_instance_status().unwrap_or_default().to_owned(),
        engine: d.engine().unwrap_or_default().to_owned(),
        endpoint: d.endpoint().and_then(|e| e.address()).map(str::to_owned),
        port: d.endpoint().and_then(|e| e.port()),
        security_groups: d
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .map(str::to_owned)
            .collect(),
    }))
}
