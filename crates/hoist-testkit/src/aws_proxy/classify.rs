//! What a request is: service, action, signer and parameters, read from the wire the way AWS
//! routes it.
//!
//! - Query protocol (CloudFormation, STS, IAM, EC2, RDS): `Action=` in the form body or the URL
//!   query; parameters are the flat form fields (`Parameters.member.1.ParameterKey`, …).
//! - JSON protocols (Secrets Manager, ECS, ECR, SSM): `X-Amz-Target: Prefix.Action`; parameters
//!   are the JSON body.
//! - S3's REST protocol: the action follows from method, path and sub-resource (see [`s3_action`]).
//!
//! The service comes from the SigV4 credential scope, as AWS's front door routes it.

use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Map, Value};

use super::sigv4::{self, Scope};

/// The wire protocol a call used, which decides the shape of an error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Query,
    Json,
    RestXml,
}

/// A request, understood.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub(crate) service: String,
    pub(crate) action: String,
    pub(crate) scope: Option<Scope>,
    pub(crate) protocol: Protocol,
    /// Unredacted parameters: the limit checks need the real values.
    pub(crate) params: Value,
}

impl Incoming {
    /// A string parameter (query: form field; JSON: top-level key).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads a request the proxy received.
pub(crate) fn classify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Incoming {
    let query = form_pairs(uri.query().unwrap_or("").as_bytes());
    let scope = header(headers, "authorization")
        .and_then(sigv4::from_authorization)
        .or_else(|| sigv4::from_query(&query));
    let service = scope
        .as_ref()
        .map_or_else(|| "unsigned".to_owned(), |s| s.service.clone());

    if let Some(target) = header(headers, "x-amz-target") {
        let action = target.rsplit('.').next().unwrap_or(target).to_owned();
        let params = serde_json::from_slice(body).unwrap_or(Value::Null);
        return Incoming {
            service,
            action,
            scope,
            protocol: Protocol::Json,
            params,
        };
    }

    let is_form = header(headers, "content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let mut fields = query.clone();
    if is_form {
        fields.extend(form_pairs(body));
    }
    if service != "s3"
        && let Some((_, action)) = fields.iter().find(|(k, _)| k == "Action")
    {
        let action = action.clone();
        let params: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        return Incoming {
            service,
            action,
            scope,
            protocol: Protocol::Query,
            params: Value::Object(params),
        };
    }

    let (bucket, key) = bucket_and_key(uri, headers);
    let sub: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    let action = s3_action(method, bucket.is_some(), key.is_some(), &sub, headers);
    let mut params = Map::new();
    if let Some(b) = bucket {
        params.insert("Bucket".into(), Value::String(b));
    }
    if let Some(k) = key {
        params.insert("Key".into(), Value::String(k));
    }
    if matches!(action.as_str(), "PutObject" | "UploadPart") {
        // aws-chunked uploads carry the object's size in x-amz-decoded-content-length.
        let size = header(headers, "x-amz-decoded-content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(body.len() as u64);
        params.insert("Size".into(), Value::from(size));
    }
    Incoming {
        service: if service == "unsigned" && action != "Unknown" {
            "s3".to_owned()
        } else {
            service
        },
        action,
        scope,
        protocol: Protocol::RestXml,
        params: Value::Object(params),
    }
}

/// Bucket and key, path-style (`/bucket/key`) or virtual-hosted (`bucket.localhost:PORT/key`).
fn bucket_and_key(uri: &Uri, headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let path = uri.path().trim_start_matches('/');
    let host = header(headers, "host").unwrap_or("");
    let host = host.split(':').next().unwrap_or(host);
    if let Some(bucket) = host.strip_suffix(".localhost")
        && !bucket.is_empty()
    {
        let key = (!path.is_empty()).then(|| decode(path));
        return (Some(bucket.to_owned()), key);
    }
    let mut split = path.splitn(2, '/');
    let bucket = split.next().filter(|b| !b.is_empty()).map(decode);
    let key = split.next().filter(|k| !k.is_empty()).map(decode);
    (bucket, key)
}

/// The S3 action a REST request performs, named as in the S3 API reference.
pub(crate) fn s3_action(
    method: &Method,
    has_bucket: bool,
    has_key: bool,
    sub: &[&str],
    headers: &HeaderMap,
) -> String {
    let has = |s: &str| sub.contains(&s);
    let name = match (method.as_str(), has_bucket, has_key) {
        ("GET", false, _) => "ListBuckets",
        ("PUT", true, true) if has("partNumber") && has("uploadId") => "UploadPart",
        ("PUT", true, true) if header(headers, "x-amz-copy-source").is_some() => "CopyObject",
        ("PUT", true, true) if has("tagging") => "PutObjectTagging",
        ("PUT", true, true) => "PutObject",
        ("GET", true, true) => "GetObject",
        ("HEAD", true, true) => "HeadObject",
        ("DELETE", true, true) if has("uploadId") => "AbortMultipartUpload",
        ("DELETE", true, true) => "DeleteObject",
        ("POST", true, true) if has("uploads") => "CreateMultipartUpload",
        ("POST", true, true) if has("uploadId") => "CompleteMultipartUpload",
        ("POST", true, false) if has("delete") => "DeleteObjects",
        ("GET", true, false) if has("location") => "GetBucketLocation",
        ("GET", true, false) if has("policy") => "GetBucketPolicy",
        ("PUT", true, false) if has("policy") => "PutBucketPolicy",
        ("GET", true, false) if has("versioning") => "GetBucketVersioning",
        ("PUT", true, false) if has("versioning") => "PutBucketVersioning",
        ("PUT", true, false) if has("encryption") => "PutBucketEncryption",
        ("PUT", true, false) if has("lifecycle") => "PutBucketLifecycleConfiguration",
        ("PUT", true, false) if has("publicAccessBlock") => "PutPublicAccessBlock",
        ("GET", true, false) if has("versions") => "ListObjectVersions",
        ("GET", true, false) if has("list-type") => "ListObjectsV2",
        ("GET", true, false) => "ListObjects",
        ("PUT", true, false) => "CreateBucket",
        ("HEAD", true, false) => "HeadBucket",
        ("DELETE", true, false) => "DeleteBucket",
        _ => "Unknown",
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed(service: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential=ASIAKEY/20261201/ca-central-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
            ))
            .unwrap(),
        );
        h
    }

    #[test]
    fn query_protocol_action_and_fields() {
        let mut h = signed("cloudformation");
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let body = b"Action=CreateChangeSet&Version=2010-05-15&StackName=App&RoleARN=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx";
        let got = classify(&Method::POST, &"/".parse().unwrap(), &h, body);
        assert_eq!(got.service, "cloudformation");
        assert_eq!(got.action, "CreateChangeSet");
        assert_eq!(got.protocol, Protocol::Query);
        assert_eq!(got.param("RoleARN"), Some("arn:aws:iam::1:role/x"));
        assert_eq!(got.scope.unwrap().access_key, "ASIAKEY");
    }

    #[test]
    fn json_protocol_action_from_target() {
        let mut h = signed("secretsmanager");
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("secretsmanager.PutSecretValue"),
        );
        let got = classify(
            &Method::POST,
            &"/".parse().unwrap(),
            &h,
            br#"{"SecretId":"s"}"#,
        );
        assert_eq!(
            (got.action.as_str(), got.protocol),
            ("PutSecretValue", Protocol::Json)
        );
        assert_eq!(got.param("SecretId"), Some("s"));
    }

    #[test]
    fn s3_put_object_path_style_with_decoded_size() {
        let mut h = signed("s3");
        h.insert(
            "x-amz-decoded-content-length",
            HeaderValue::from_static("1234"),
        );
        let got = classify(
            &Method::PUT,
            &"/cdk-assets/abc%20d.json".parse().unwrap(),
            &h,
            b"chunked...",
        );
        assert_eq!(got.action, "PutObject");
        assert_eq!(got.params["Bucket"], "cdk-assets");
        assert_eq!(got.params["Key"], "abc d.json");
        assert_eq!(got.params["Size"], 1234);
    }

    #[test]
    fn s3_virtual_hosted_and_sub_resources() {
        let mut h = signed("s3");
        h.insert("host", HeaderValue::from_static("bkt.localhost:4566"));
        let got = classify(&Method::HEAD, &"/k".parse().unwrap(), &h, b"");
        assert_eq!(
            (got.action.as_str(), &got.params["Bucket"]),
            ("HeadObject", &Value::from("bkt"))
        );
        let h = signed("s3");
        let got = classify(
            &Method::GET,
            &"/b?list-type=2&prefix=x".parse().unwrap(),
            &h,
            b"",
        );
        assert_eq!(got.action, "ListObjectsV2");
        let got = classify(&Method::GET, &"/b?location".parse().unwrap(), &h, b"");
        assert_eq!(got.action, "GetBucketLocation");
    }
}
