//! AWS calls for test set-up and read-back, spoken as raw requests to moto_server (or the
//! strict proxy in front of it): the Query protocol (EC2, RDS) and the JSON 1.1 protocol
//! (SSM). They share no code with hoist's own clients, so what hoist did is checked by
//! something else. moto does not verify signatures; the Authorization header only names the
//! service (`…/SERVICE/aws4_request`), which is how moto_server routes a request.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;

/// The port of an `http://127.0.0.1:PORT` endpoint.
pub fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {endpoint}"))
}

fn post(port: u16, service: &str, headers: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST / HTTP/1.0\r\nHost: {service}.ca-central-1.amazonaws.com\r\n{headers}Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/ca-central-1/{service}/aws4_request, SignedHeaders=host, Signature=x\r\nContent-Length: {}\r\n\r\n{body}",
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

/// A Query request: `Action`, `Version` and `params`, form-encoded; (HTTP status, body).
pub fn query(
    port: u16,
    service: &str,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action);
    form.append_pair("Version", version);
    for (k, v) in params {
        form.append_pair(k, v);
    }
    post(
        port,
        service,
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &form.finish(),
    )
}

/// A JSON 1.1 request with `X-Amz-Target: target`; (HTTP status, body).
pub fn json(port: u16, service: &str, target: &str, body: &serde_json::Value) -> (u16, String) {
    post(
        port,
        service,
        &format!("Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\n"),
        &body.to_string(),
    )
}

/// `ssm:PutParameter` of a `String` parameter.
pub fn put_ssm_parameter(port: u16, name: &str, value: &str) {
    let (status, body) = json(
        port,
        "ssm",
        "AmazonSSM.PutParameter",
        &serde_json::json!({"Name": name, "Value": value, "Type": "String", "Overwrite": true}),
    );
    assert_eq!(status, 200, "PutParameter {name}: {body}");
}

/// The text of the first `<tag>` in `xml`.
pub fn first(xml: &str, tag: &str) -> Option<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].to_owned())
}

/// `rds:ModifyDBInstance` setting the instance's VPC security groups, applied immediately.
pub fn rds_set_security_group(port: u16, id: &str, group: &str) {
    let (status, body) = query(
        port,
        "rds",
        "2014-10-31",
        "ModifyDBInstance",
        &[
            ("DBInstanceIdentifier", id),
            ("VpcSecurityGroupIds.VpcSecurityGroupId.1", group),
            ("ApplyImmediately", "true"),
        ],
    );
    assert_eq!(status, 200, "ModifyDBInstance {id}: {body}");
}

/// The port of the instance's endpoint (`rds:DescribeDBInstances`).
pub fn rds_port(port: u16, id: &str) -> i32 {
    let (status, body) = query(
        port,
        "rds",
        "2014-10-31",
        "DescribeDBInstances",
        &[("DBInstanceIdentifier", id)],
    );
    assert_eq!(status, 200, "DescribeDBInstances {id}: {body}");
    let endpoint = first(&body, "Endpoint").unwrap_or_else(|| panic!("no endpoint: {body}"));
    first(&endpoint, "Port")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port: {body}"))
}
