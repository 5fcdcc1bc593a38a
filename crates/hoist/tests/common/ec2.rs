//! EC2 for test set-up and read-back, spoken as raw Query requests to moto_server: a client
//! that shares no code with hoist's (`hoist_aws::ec2`), so what hoist did is checked by
//! something else. moto does not verify signatures; the Authorization header only names the
//! service (`…/ec2/aws4_request`), which is how moto_server routes the request.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;

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
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action);
        form.append_pair("Version", "2016-11-15");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let body = form.finish();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "POST / HTTP/1.0\r\nHost: ec2.ca-central-1.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/ca-central-1/ec2/aws4_request, SignedHeaders=host, Signature=x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
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
