//! EC2 security groups and network interfaces: the ECS → RDS ingress rule `hoist doctor`
//! checks and repairs, and the rules and Lambda ENIs that block `hoist teardown`. The calls go
//! through [`crate::signed`] (EC2's Query API; its doc comment says why not the SDK).

use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};

use crate::signed::{EC2, query};
use crate::{Aws, AwsError};

fn p(key: impl Into<String>, value: impl Into<String>) -> (String, String) {
    (key.into(), value.into())
}

/// `Filter.1.Name=NAME&Filter.1.Value.1=VALUE`.
fn filter(name: &str, value: &str) -> [(String, String); 2] {
    [p("Filter.1.Name", name), p("Filter.1.Value.1", value)]
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
    const ACTION: &str = "ec2:DescribeSecurityGroups";
    let xml = match query(aws, &EC2, ACTION, &[p("GroupId.1", group_id)]).await {
        Ok(xml) => xml,
        Err(err) if err.code() == Some("InvalidGroup.NotFound") => return Ok(None),
        Err(err) => return Err(err),
    };
    let (groups, _) = parse_security_groups(&xml).map_err(|detail| unexpected(ACTION, detail))?;
    Ok(groups.into_iter().find(|g| g.group_id == group_id))
}

fn unexpected(action: &'static str, detail: String) -> AwsError {
    AwsError::Unexpected { action, detail }
}

/// The text of a leaf element.
fn text(tag: &mut ScopedDecoder<'_, '_>) -> Result<String, String> {
    try_data(tag)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| e.to_string())
}

/// `<securityGroupInfo><item>…` and `<nextToken>` of a `DescribeSecurityGroupsResponse`.
fn parse_security_groups(xml: &str) -> Result<Page<SecurityGroup>, String> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let (mut groups, mut next) = (Vec::new(), None);
    while let Some(mut tag) = root.next_tag() {
        if tag.start_el().matches("securityGroupInfo") {
            while let Some(mut item) = tag.next_tag() {
                groups.push(parse_security_group(&mut item)?);
            }
        } else if tag.start_el().matches("nextToken") {
            next = Some(text(&mut tag)?).filter(|t| !t.is_empty());
        }
    }
    Ok((groups, next))
}

fn parse_security_group(item: &mut ScopedDecoder<'_, '_>) -> Result<SecurityGroup, String> {
    let mut group = SecurityGroup {
        group_id: String::new(),
        group_name: String::new(),
        vpc_id: None,
        group_ingress: Vec::new(),
        stack_name: None,
        logical_id: None,
    };
    let mut permissions = Vec::new();
    while let Some(mut field) = item.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "groupId" => group.group_id = text(&mut field)?,
            "groupName" => group.group_name = text(&mut field)?,
            "vpcId" => group.vpc_id = Some(text(&mut field)?),
            "ipPermissions" => {
                while let Some(mut perm) = field.next_tag() {
                    permissions.push(parse_permission(&mut perm)?);
                }
            }
            "tagSet" => {
                while let Some(mut tag) = field.next_tag() {
                    let (key, value) = parse_tag(&mut tag)?;
                    match key.as_str() {
                        "aws:cloudformation:stack-name" => group.stack_name = Some(value),
                        "aws:cloudformation:logical-id" => group.logical_id = Some(value),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    for (protocol, from_port, to_port, sources) in permissions {
        for source in sources {
            group.group_ingress.push(GroupIngress {
                group_id: group.group_id.clone(),
                protocol: protocol.clone(),
                from_port,
                to_port,
                source_group_id: source,
            });
        }
    }
    Ok(group)
}

type Permission = (String, Option<i32>, Option<i32>, Vec<String>);

/// One `<ipPermissions><item>`: protocol, ports and the source groups (`<groups><item><groupId>`).
fn parse_permission(perm: &mut ScopedDecoder<'_, '_>) -> Result<Permission, String> {
    let (mut protocol, mut from, mut to, mut sources) = ("-1".to_owned(), None, None, Vec::new());
    let port = |s: String| s.parse::<i32>().map_err(|e| format!("port {s:?}: {e}"));
    while let Some(mut field) = perm.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "ipProtocol" => protocol = text(&mut field)?,
            "fromPort" => from = Some(port(text(&mut field)?)?),
            "toPort" => to = Some(port(text(&mut field)?)?),
            "groups" => {
                while let Some(mut pair) = field.next_tag() {
                    while let Some(mut f) = pair.next_tag() {
                        if f.start_el().matches("groupId") {
                            sources.push(text(&mut f)?);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok((protocol, from, to, sources))
}

fn parse_tag(tag: &mut ScopedDecoder<'_, '_>) -> Result<(String, String), String> {
    let (mut key, mut value) = (String::new(), String::new());
    while let Some(mut field) = tag.next_tag() {
        if field.start_el().matches("key") {
            key = text(&mut field)?;
        } else if field.start_el().matches("value") {
            value = text(&mut field)?;
        }
    }
    Ok((key, value))
}

/// `IpPermissions.1.*` for one permission whose source is a security group.
fn permission_params(
    protocol: &str,
    from_port: Option<i32>,
    to_port: Option<i32>,
    source_group_id: &str,
) -> Vec<(String, String)> {
    let mut params = vec![
        p("IpPermissions.1.IpProtocol", protocol),
        p("IpPermissions.1.Groups.1.GroupId", source_group_id),
    ];
    if let Some(from) = from_port {
        params.push(p("IpPermissions.1.FromPort", from.to_string()));
    }
    if let Some(to) = to_port {
        params.push(p("IpPermissions.1.ToPort", to.to_string()));
    }
    params
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
    let mut params = vec![p("GroupId", group_id)];
    params.extend(permission_params(
        "tcp",
        Some(port),
        Some(port),
        source_group_id,
    ));
    match query(aws, &EC2, "ec2:AuthorizeSecurityGroupIngress", &params).await {
        Ok(_) => Ok(()),
        Err(err) if err.code() == Some("InvalidPermission.Duplicate") => Ok(()),
        Err(err) => Err(err),
    }
}

/// Removes the ingress permission `rule` exactly as described (protocol, ports, source group).
/// A rule that is already gone is success (`InvalidPermission.NotFound`).
///
/// # Errors
/// [`AwsError`] from `RevokeSecurityGroupIngress`.
pub async fn revoke_group_ingress(aws: &Aws, rule: &GroupIngress) -> Result<(), AwsError> {
    let mut params = vec![p("GroupId", &rule.group_id)];
    params.extend(permission_params(
        &rule.protocol,
        rule.from_port,
        rule.to_port,
        &rule.source_group_id,
    ));
    match query(aws, &EC2, "ec2:RevokeSecurityGroupIngress", &params).await {
        Ok(_) => Ok(()),
        Err(err) if err.code() == Some("InvalidPermission.NotFound") => Ok(()),
        Err(err) => Err(err),
    }
}

/// Deletes a security group. AWS refuses (`DependencyViolation`) while a network interface
/// uses it or another group's rule references it.
///
/// # Errors
/// [`AwsError`] from `DeleteSecurityGroup` (`InvalidGroup.NotFound` included: callers decide).
pub async fn delete_security_group(aws: &Aws, group_id: &str) -> Result<(), AwsError> {
    query(
        aws,
        &EC2,
        "ec2:DeleteSecurityGroup",
        &[p("GroupId", group_id)],
    )
    .await
    .map(|_| ())
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
    let groups = all_pages(
        aws,
        "ec2:DescribeSecurityGroups",
        &filter("ip-permission.group-id", source_group_id),
        parse_security_groups,
    )
    .await?;
    Ok(groups
        .into_iter()
        .flat_map(|g| g.group_ingress)
        .filter(|r| r.source_group_id == source_group_id)
        .collect())
}

/// One page of a Describe answer: its items and the `nextToken`, if any.
type Page<T> = (Vec<T>, Option<String>);

/// Every page of a Describe call: `params` plus `NextToken` until the answer names none.
async fn all_pages<T>(
    aws: &Aws,
    action: &'static str,
    params: &[(String, String)],
    parse: fn(&str) -> Result<Page<T>, String>,
) -> Result<Vec<T>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut page = params.to_vec();
        if let Some(t) = &token {
            page.push(p("NextToken", t));
        }
        let xml = query(aws, &EC2, action, &page).await?;
        let (items, next) = parse(&xml).map_err(|detail| unexpected(action, detail))?;
        out.extend(items);
        match next {
            Some(next) => token = Some(next),
            None => return Ok(out),
        }
    }
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
    all_pages(
        aws,
        "ec2:DescribeNetworkInterfaces",
        &filter("group-id", group_id),
        parse_network_interfaces,
    )
    .await
}

/// `<networkInterfaceSet><item>…` and `<nextToken>` of a `DescribeNetworkInterfacesResponse`.
fn parse_network_interfaces(xml: &str) -> Result<Page<NetworkInterface>, String> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let (mut interfaces, mut next) = (Vec::new(), None);
    while let Some(mut tag) = root.next_tag() {
        if tag.start_el().matches("networkInterfaceSet") {
            while let Some(mut item) = tag.next_tag() {
                let mut n = NetworkInterface {
                    id: String::new(),
                    status: String::new(),
                    description: String::new(),
                    requester_id: None,
                };
                while let Some(mut field) = item.next_tag() {
                    let name = field.start_el().local().to_owned();
                    match name.as_str() {
                        "networkInterfaceId" => n.id = text(&mut field)?,
                        "status" => n.status = text(&mut field)?,
                        "description" => n.description = text(&mut field)?,
                        "requesterId" => n.requester_id = Some(text(&mut field)?),
                        _ => {}
                    }
                }
                interfaces.push(n);
            }
        } else if tag.start_el().matches("nextToken") {
            next = Some(text(&mut tag)?).filter(|t| !t.is_empty());
        }
    }
    Ok((interfaces, next))
}

#[cfg(test)]
mod tests {
    use super::{GroupIngress, parse_network_interfaces, parse_security_groups};

    /// The shape of the EC2 API Reference's DescribeSecurityGroups example, with a rule whose
    /// source is a group, an IP-range rule (not a group: not read), tags and a page token.
    const GROUPS: &str = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
   <securityGroupInfo>
      <item>
         <ownerId>123456789012</ownerId>
         <groupId>sg-1a2b3c4d</groupId>
         <groupName>RdsSecurityGroup</groupName>
         <groupDescription>Database &amp; friends</groupDescription>
         <vpcId>vpc-614cc409</vpcId>
         <ipPermissions>
            <item>
               <ipProtocol>tcp</ipProtocol>
               <fromPort>5432</fromPort>
               <toPort>5432</toPort>
               <groups>
                  <item>
                     <userId>123456789012</userId>
                     <groupId>sg-9a8d7f5c</groupId>
                  </item>
               </groups>
               <ipRanges/>
            </item>
            <item>
               <ipProtocol>tcp</ipProtocol>
               <fromPort>22</fromPort>
               <toPort>22</toPort>
               <groups/>
               <ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges>
            </item>
            <item>
               <ipProtocol>-1</ipProtocol>
               <groups><item><userId>123456789012</userId><groupId>sg-all</groupId></item></groups>
            </item>
         </ipPermissions>
         <ipPermissionsEgress>
            <item>
               <ipProtocol>-1</ipProtocol>
               <groups><item><groupId>sg-egress</groupId></item></groups>
            </item>
         </ipPermissionsEgress>
         <tagSet>
            <item><key>aws:cloudformation:stack-name</key><value>HindsightDevStack</value></item>
            <item><key>aws:cloudformation:logical-id</key><value>RdsSecurityGroup</value></item>
         </tagSet>
      </item>
   </securityGroupInfo>
   <nextToken>page-2</nextToken>
</DescribeSecurityGroupsResponse>"#;

    #[test]
    fn security_groups_are_read_from_ec2s_response() {
        let (groups, next) = parse_security_groups(GROUPS).unwrap();
        assert_eq!(next.as_deref(), Some("page-2"));
        let [g] = groups.as_slice() else {
            panic!("{groups:?}")
        };
        assert_eq!(g.group_id, "sg-1a2b3c4d");
        assert_eq!(g.group_name, "RdsSecurityGroup");
        assert_eq!(g.vpc_id.as_deref(), Some("vpc-614cc409"));
        assert_eq!(g.stack_name.as_deref(), Some("HindsightDevStack"));
        assert_eq!(g.logical_id.as_deref(), Some("RdsSecurityGroup"));
        // Ingress from groups only; egress is not ingress.
        assert_eq!(
            g.group_ingress,
            [
                GroupIngress {
                    group_id: "sg-1a2b3c4d".into(),
                    protocol: "tcp".into(),
                    from_port: Some(5432),
                    to_port: Some(5432),
                    source_group_id: "sg-9a8d7f5c".into(),
                },
                GroupIngress {
                    group_id: "sg-1a2b3c4d".into(),
                    protocol: "-1".into(),
                    from_port: None,
                    to_port: None,
                    source_group_id: "sg-all".into(),
                },
            ]
        );
    }

    #[test]
    fn an_empty_answer_and_a_bad_port() {
        let empty = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><securityGroupInfo/></DescribeSecurityGroupsResponse>"#;
        assert_eq!(parse_security_groups(empty).unwrap(), (vec![], None));
        let bad_port = GROUPS.replace("<fromPort>5432</fromPort>", "<fromPort>x</fromPort>");
        assert!(parse_security_groups(&bad_port).is_err());
    }

    #[test]
    fn network_interfaces_are_read_from_ec2s_response() {
        let xml = r#"<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>fc45294c-006b-457b-bab9-012f5b3b0e40</requestId>
  <networkInterfaceSet>
    <item>
      <networkInterfaceId>eni-0f7db2ee1EXAMPLE</networkInterfaceId>
      <subnetId>subnet-1a2b3c4d</subnetId>
      <description>AWS Lambda VPC ENI-PgvectorEnabler-1a2b</description>
      <requesterId>AROAEXAMPLE:hoist-pgvector</requesterId>
      <requesterManaged>true</requesterManaged>
      <status>in-use</status>
      <groupSet><item><groupId>sg-1a2b3c4d</groupId><groupName>lambda</groupName></item></groupSet>
    </item>
    <item>
      <networkInterfaceId>eni-2</networkInterfaceId>
      <description/>
      <status>available</status>
    </item>
  </networkInterfaceSet>
</DescribeNetworkInterfacesResponse>"#;
        let (found, next) = parse_network_interfaces(xml).unwrap();
        assert_eq!(next, None);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].id, "eni-0f7db2ee1EXAMPLE");
        assert_eq!(found[0].status, "in-use");
        assert!(found[0].is_lambda());
        assert_eq!(found[1].description, "");
        assert!(!found[1].is_lambda());
    }

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
