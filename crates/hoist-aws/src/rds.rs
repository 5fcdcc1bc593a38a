//! RDS instances: the endpoint and the VPC security groups of a stack's database, which
//! `hoist doctor` needs for the ECS → RDS rule and `hoist teardown` for the Lambda's rule.

use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};

use crate::signed::{RDS, query};
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
    const ACTION: &str = "rds:DescribeDBInstances";
    let params = [("DBInstanceIdentifier".to_owned(), identifier.to_owned())];
    let xml = match query(aws, &RDS, ACTION, &params).await {
        Ok(xml) => xml,
        Err(err)
            if err
                .code()
                .is_some_and(|c| c.starts_with("DBInstanceNotFound")) =>
        {
            return Ok(None);
        }
        Err(err) => return Err(err),
    };
    let instances = parse_db_instances(&xml).map_err(|detail| AwsError::Unexpected {
        action: ACTION,
        detail,
    })?;
    Ok(instances.into_iter().next())
}

fn text(tag: &mut ScopedDecoder<'_, '_>) -> Result<String, String> {
    try_data(tag)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| e.to_string())
}

/// `<DescribeDBInstancesResult><DBInstances><DBInstance>…` of a `DescribeDBInstancesResponse`.
fn parse_db_instances(xml: &str) -> Result<Vec<DbInstance>, String> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(mut result) = root.next_tag() {
        if !result.start_el().matches("DescribeDBInstancesResult") {
            continue;
        }
        while let Some(mut list) = result.next_tag() {
            if !list.start_el().matches("DBInstances") {
                continue;
            }
            while let Some(mut item) = list.next_tag() {
                out.push(parse_db_instance(&mut item)?);
            }
        }
    }
    Ok(out)
}

fn parse_db_instance(item: &mut ScopedDecoder<'_, '_>) -> Result<DbInstance, String> {
    let mut db = DbInstance {
        identifier: String::new(),
        status: String::new(),
        engine: String::new(),
        endpoint: None,
        port: None,
        security_groups: Vec::new(),
    };
    while let Some(mut field) = item.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "DBInstanceIdentifier" => db.identifier = text(&mut field)?,
            "DBInstanceStatus" => db.status = text(&mut field)?,
            "Engine" => db.engine = text(&mut field)?,
            "Endpoint" => {
                while let Some(mut e) = field.next_tag() {
                    if e.start_el().matches("Address") {
                        db.endpoint = Some(text(&mut e)?);
                    } else if e.start_el().matches("Port") {
                        let port = text(&mut e)?;
                        db.port = Some(port.parse().map_err(|e| format!("port {port:?}: {e}"))?);
                    }
                }
            }
            "VpcSecurityGroups" => {
                while let Some(mut membership) = field.next_tag() {
                    while let Some(mut f) = membership.next_tag() {
                        if f.start_el().matches("VpcSecurityGroupId") {
                            db.security_groups.push(text(&mut f)?);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::parse_db_instances;

    /// The shape of the RDS API Reference's DescribeDBInstances example.
    #[test]
    fn instances_are_read_from_rds_response() {
        let xml = r#"<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult>
    <DBInstances>
      <DBInstance>
        <DBInstanceIdentifier>hindsight-db</DBInstanceIdentifier>
        <Engine>postgres</Engine>
        <DBInstanceStatus>available</DBInstanceStatus>
        <Endpoint>
          <Port>5432</Port>
          <Address>hindsight-db.cg034hpkmmjt.ca-central-1.rds.amazonaws.com</Address>
          <HostedZoneId>Z1PVIF0B656C1W</HostedZoneId>
        </Endpoint>
        <VpcSecurityGroups>
          <VpcSecurityGroupMembership>
            <VpcSecurityGroupId>sg-1a2b</VpcSecurityGroupId>
            <Status>active</Status>
          </VpcSecurityGroupMembership>
          <VpcSecurityGroupMembership>
            <VpcSecurityGroupId>sg-3c4d</VpcSecurityGroupId>
            <Status>active</Status>
          </VpcSecurityGroupMembership>
        </VpcSecurityGroups>
        <DBSecurityGroups/>
      </DBInstance>
    </DBInstances>
  </DescribeDBInstancesResult>
  <ResponseMetadata><RequestId>9135fff3-8509-11e0-bd9b-a7b1ece36d51</RequestId></ResponseMetadata>
</DescribeDBInstancesResponse>"#;
        let found = parse_db_instances(xml).unwrap();
        assert_eq!(found.len(), 1);
        let db = &found[0];
        assert_eq!(db.identifier, "hindsight-db");
        assert_eq!(db.engine, "postgres");
        assert_eq!(db.status, "available");
        assert_eq!(db.port, Some(5432));
        assert_eq!(
            db.endpoint.as_deref(),
            Some("hindsight-db.cg034hpkmmjt.ca-central-1.rds.amazonaws.com")
        );
        assert_eq!(db.security_groups, ["sg-1a2b", "sg-3c4d"]);
    }
}
