//! EC2 for test set-up and read-back, spoken as raw Query requests to moto_server: a client
//! that shares no code with hoist's (`hoist_aws::ec2`), so what hoist did is checked by
//! something else. moto does not verify signatures; the Authorization header only names the
//! service (`…/ec2/aws4_request`), which is how moto_server routes the request.

#![allow(dead_code)]

pub struct Ec2Api {
    port: u16,
}

/// `(ip protocol, port, source group)` of an ingress permission.
pub type Ingress<'a> = (&'a str, i32, &'a str);

impl Ec2Api {
    pub fn new(port: u16) -> Self {
        Self { port }
    }

    /// POSTs `Action=…` with `params`; (HTTP status, body).
    pub fn call(&self, action: &str, params: &[(&str, &str)]) -> (u16, String) {
        super::raw_aws::query(self.port, "ec2", "2016-11-15", action, params)
    }

    fn ok(&self, action: &str, params: &[(&str, &str)]) -> String {
        let (status, body) = self.call(action, params);
        assert_eq!(status, 200, "{action} failed: {body}");
        body
    }

    /// The text of every `<tag>` in `xml`, in order.
    pub fn all(xml: &str, tag: &str) -> Vec<String> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut out = Vec::new();
        let mut rest = xml;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start + open.len()..];
            let Some(end) = after.find(&close) else { break };
            out.push(after[..end].to_owned());
            rest = &after[end + close.len()..];
        }
        out
    }

    fn first(xml: &str, tag: &str) -> String {
        Self::all(xml, tag)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
    }

    /// A subnet of moto's default VPC.
    pub fn default_subnet(&self) -> String {
        let xml = self.ok(
            "DescribeSubnets",
            &[
                ("Filter.1.Name", "default-for-az"),
                ("Filter.1.Value.1", "true"),
            ],
        );
        Self::first(&xml, "subnetId")
    }

    pub fn create_vpc(&self, cidr: &str) -> String {
        Self::first(&self.ok("CreateVpc", &[("CidrBlock", cidr)]), "vpcId")
    }

    pub fn create_subnet(&self, vpc: &str, cidr: &str) -> String {
        Self::first(
            &self.ok("CreateSubnet", &[("VpcId", vpc), ("CidrBlock", cidr)]),
            "subnetId",
        )
    }

    pub fn create_security_group(&self, name: &str, vpc: Option<&str>) -> String {
        let mut params = vec![("GroupName", name), ("GroupDescription", name)];
        if let Some(vpc) = vpc {
            params.push(("VpcId", vpc));
        }
        Self::first(&self.ok("CreateSecurityGroup", &params), "groupId")
    }

    fn ingress_call(&self, action: &str, group: &str, (protocol, port, source): Ingress<'_>) {
        let port = port.to_string();
        self.ok(
            action,
            &[
                ("GroupId", group),
                ("IpPermissions.1.IpProtocol", protocol),
                ("IpPermissions.1.FromPort", &port),
                ("IpPermissions.1.ToPort", &port),
                ("IpPermissions.1.Groups.1.GroupId", source),
            ],
        );
    }

    pub fn authorize_ingress(&self, group: &str, ingress: Ingress<'_>) {
        self.ingress_call("AuthorizeSecurityGroupIngress", group, ingress);
    }

    pub fn revoke_ingress(&self, group: &str, ingress: Ingress<'_>) {
        self.ingress_call("RevokeSecurityGroupIngress", group, ingress);
    }

    /// The source groups of `group`'s ingress rules; `None` when the group does not exist.
    pub fn ingress_sources(&self, group: &str) -> Option<Vec<String>> {
        let (status, xml) = self.call("DescribeSecurityGroups", &[("GroupId.1", group)]);
        if status != 200 {
            assert!(xml.contains("InvalidGroup.NotFound"), "{xml}");
            return None;
        }
        let permissions = Self::all(&xml, "ipPermissions")
            .into_iter()
            .next()
            .unwrap_or_default();
        Some(Self::all(&permissions, "groupId").into_iter().collect())
    }

    pub fn create_network_interface(&self, subnet: &str, group: &str, description: &str) -> String {
        Self::first(
            &self.ok(
                "CreateNetworkInterface",
                &[
                    ("SubnetId", subnet),
                    ("SecurityGroupId.1", group),
                    ("Description", description),
                ],
            ),
            "networkInterfaceId",
        )
    }

    pub fn delete_network_interface(&self, eni: &str) {
        self.ok("DeleteNetworkInterface", &[("NetworkInterfaceId", eni)]);
    }
}
