//! EC2 security groups and network interfaces: the ECS → RDS ingress rule `hoist doctor`
//! checks and repairs, and the rules and Lambda ENIs that block `hoist teardown`.

use aws_sdk_ec2::types::{Filter, IpPermission, UserIdGroupPair};

use crate::{Aws, AwsError};

fn client(aws: &Aws) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(aws.sdk_config())
}

/// One ingress permission of a security group whose source is another security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupIngress {
    /// The group the rule belongs to (the destination, e.g. the RDS group).
    pub group_id: String,
    /// `tcp`, `udp`, `-1` (all).
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// The group traffic may come from (e.g. the ECS service's or the Lambda's group).
    pub source_group_id: String,
}

impl GroupIngress {
    /// Whether the rule lets TCP traffic reach `port`.
    #[must_use]
    pub fn allows_tcp_port(&self, port: i32) -> bool {
        match self.protocol.as_str() {
            "-1" => true,
            "tcp" | "6" => match (self.from_port, self.to_port) {
                (Some(from), Some(to)) => from <= port && port <= to,
                _ => true,
            },
            _ => false,
        }
    }
}

/// A security group as `DescribeSecurityGroups` returns it, reduced to what hoist reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: String,
    pub vpc_id: Option<String>,
    /// Ingress permissions whose source is a security group.
    pub group_ingress: Vec<GroupIngress>,
    /// `aws:cloudformation:stack-name` tag, when CloudFormation created the group.
    pub stack_name: Option<String>,
    /// `aws:cloudformation:logical-id` tag.
    pub logical_id: Option<String>,
}

/// The security group `group_id`; `None` when it does not exist.
///
/// # Errors
/// [`AwsError`] from `DescribeSecurityGroups` other than "not found".
pub async fn describe_security_group(
    aws: &Aws,
    group_id: &str,
) -> Result<Option<SecurityGroup>, AwsError> {
    let out = client(aws)
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let err = AwsError::from_sdk("ec2:DescribeSecurityGroups", e);
            if err.code() == Some("InvalidGroup.NotFound") {
                return Ok(None);
            }
            return Err(err);
        }
    };
    Ok(out
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(group_id))
        .map(convert))
}

fn convert(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    let group_id = g.group_id().unwrap_or_default().to_owned();
    let mut group_ingress = Vec::new();
    for perm in g.ip_permissions() {
        for pair in perm.user_id_group_pairs() {
            if let Some(source) = pair.group_id() {
                group_ingress.push(GroupIngress {
                    group_id: group_id.clone(),
                    protocol: perm.ip_protocol().unwrap_or("-1").to_owned(),
                    from_port: perm.from_port(),
                    to_port: perm.to_port(),
                    source_group_id: source.to_owned(),
                });
            }
        }
    }
    let tag = |key: &str| {
        g.tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    SecurityGroup {
        group_id,
        group_name: g.group_name().unwrap_or_default().to_owned(),
        vpc_id: g.vpc_id().map(str::to_owned),
        group_ingress,
        stack_name: tag("aws:cloudformation:stack-name"),
        logical_id: tag("aws:cloudformation:logical-id"),
    }
}

fn tcp_from_group(port: i32, source_group_id: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(source_group_id).build())
        .build()
}

/// Allows TCP `port` into `group_id` from `source_group_id`. An identical existing rule is
/// success (`InvalidPermission.Duplicate`).
///
/// # Errors
/// [`AwsError`] from `AuthorizeSecurityGroupIngress`.
pub async fn authorize_tcp_from_group(
    aws: &Aws,
    group_id: &str,
    port: i32,
    source_group_id: &str,
) -> Result<(), AwsError> {
    let res = client(aws)
        .authorize_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(tcp_from_group(port, source_group_id))
        .send()
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = AwsError::from_sdk("ec2:AuthorizeSecurityGroupIngress", e);
            if err.code() == Some("InvalidPermission.Duplicate") {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// Removes the ingress permission `rule` exactly as described (protocol, ports, source group).
/// A rule that is already gone is success (`InvalidPermission.NotFound`).
///
/// # Errors
/// [`AwsError`] from `RevokeSecurityGroupIngress`.
pub async fn revoke_group_ingress(aws: &Aws, rule: &GroupIngress) -> Result<(), AwsError> {
    let mut perm = IpPermission::builder()
        .ip_protocol(&rule.protocol)
        .user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(&rule.source_group_id)
                .build(),
        );
    if let Some(from) = rule.from_port {
        perm = perm.from_port(from);
    }
    if let Some(to) = rule.to_port {
        perm = perm.to_port(to);
    }
    let res = client(aws)
        .revoke_security_group_ingress()
        .group_id(&rule.group_id)
        .ip_permissions(perm.build())
        .send()
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = AwsError::from_sdk("ec2:RevokeSecurityGroupIngress", e);
            if err.code() == Some("InvalidPermission.NotFound") {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// Deletes a security group. AWS refuses (`DependencyViolation`) while a network interface
/// uses it or another group's rule references it.
///
/// # Errors
/// [`AwsError`] from `DeleteSecurityGroup` (`InvalidGroup.NotFound` included: callers decide).
pub async fn delete_security_group(aws: &Aws, group_id: &str) -> Result<(), AwsError> {
    client(aws)
        .delete_security_group()
        .group_id(group_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("ec2:DeleteSecurityGroup", e))
}

/// Every ingress rule in the account's groups whose source is `source_group_id` (what blocks
/// deleting that group).
///
/// # Errors
/// [`AwsError`] from `DescribeSecurityGroups`.
pub async fn rules_referencing(
    aws: &Aws,
    source_group_id: &str,
) -> Result<Vec<GroupIngress>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client(aws)
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("ip-permission.group-id")
                .values(source_group_id)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))?;
        for g in page.security_groups() {
            out.extend(
                convert(g)
                    .group_ingress
                    .into_iter()
                    .filter(|r| r.source_group_id == source_group_id),
            );
        }
    }
    Ok(out)
}

/// A network interface, reduced to what teardown reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInterface {
    pub id: String,
    /// `available`, `in-use`, …
    pub status: String,
    pub description: String,
    /// `AWS Lambda VPC ENI` … for Lambda's hyperplane interfaces.
    pub requester_id: Option<String>,
}

impl NetworkInterface {
    /// Whether Lambda created this interface (AWS removes those itself, up to ~45 minutes after
    /// the function is deleted).
    #[must_use]
    pub fn is_lambda(&self) -> bool {
        self.description.starts_with("AWS Lambda VPC ENI")
            || self
                .requester_id
                .as_deref()
                .is_some_and(|r| r.contains("lambda"))
    }
}

/// The network interfaces that use security group `group_id`.
///
/// # Errors
/// [`AwsError`] from `DescribeNetworkInterfaces`.
pub async fn network_interfaces_in_group(
    aws: &Aws,
    group_id: &str,
) -> Result<Vec<NetworkInterface>, AwsError> {
    let out = client(aws)
        .describe_network_interfaces()
        .filters(Filter::builder().name("group-id").values(group_id).build())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ec2:DescribeNetworkInterfaces", e))?;
    Ok(out
        .network_interfaces()
        .iter()
        .map(|n| NetworkInterface {
            id: n.network_interface_id().unwrap_or_default().to_owned(),
            status: n
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            description: n.description().unwrap_or_default().to_owned(),
            requester_id: n.requester_id().map(str::to_owned),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::GroupIngress;

    fn rule(protocol: &str, from: Option<i32>, to: Option<i32>) -> GroupIngress {
        GroupIngress {
            group_id: "sg-db".into(),
            protocol: protocol.into(),
            from_port: from,
            to_port: to,
            source_group_id: "sg-app".into(),
        }
    }

    #[test]
    fn port_ranges() {
        assert!(rule("tcp", Some(5432), Some(5432)).allows_tcp_port(5432));
        assert!(rule("tcp", Some(0), Some(65535)).allows_tcp_port(5432));
        assert!(!rule("tcp", Some(3306), Some(3306)).allows_tcp_port(5432));
        assert!(rule("-1", None, None).allows_tcp_port(5432));
        assert!(!rule("udp", Some(5432), Some(5432)).allows_tcp_port(5432));
    }
}
