//! A strict front door for moto_server: a loopback HTTP proxy that enforces the AWS limits hoist
//! relies on and records every call with the identity that signed it.
//!
//! moto enforces none of CloudFormation's or Secrets Manager's documented limits and no IAM, so a
//! test that talks to moto directly can pass where AWS would refuse. Tests point the AWS SDK (or
//! the CDK CLI) at [`StrictAws::endpoint`] instead: each request is classified (`classify`),
//! checked against AWS's documented limits (`limits`), refused with AWS's own error shape
//! (`errors`) or forwarded unchanged to moto, and recorded as a [`RecordedCall`].
//!
//! Identities: STS `AssumeRole*` answers passing through are read, and each access key id they
//! issue is mapped to the role ARN it was issued for, so a call signed with those credentials
//! records that role ([`RecordedCall::identity`]). Tests can then assert, as AWS's IAM would
//! decide, which role made each call.
//!
//! IAM's one rule the proxy enforces: `AssumeRole` of a role that does not exist is refused
//! with STS's `AccessDenied` (moto's STS issues credentials for any ARN; AWS's refuses, since no
//! trust policy allows the caller). Existence is asked of moto's IAM (`GetRole`).
//!
//! Recorded parameters never hold secret material: `SecretString`, `SecretBinary`,
//! `WebIdentityToken` and `SAMLAssertion` are replaced by their size.
//!
//! DescribeStacks reports SSM-typed template parameters as AWS does (`ParameterValue` the
//! parameter's name, `ResolvedValue` its value), where moto gives the value as `ParameterValue`
//! (`ssm_parameters`).
//!
//! With [`StrictAws::start_with_ecr_registry`], ECR's answers name a Distribution registry as
//! the repositories' host (`ecr`): moto has no ECR data plane, and the CDK CLI pushes images to
//! whatever ECR names.
//!
//! Control endpoints on the same port (not AWS's): `GET /_strict_aws/calls` returns the record as
//! JSON, `POST /_strict_aws/reset` empties it (the `hoist-aws-proxy` binary and `bench/deploy`
//! use them).

mod classify;
mod ecr;
mod errors;
mod limits;
mod sigv4;
mod ssm_parameters;
mod sts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::github::server::BackgroundServer;
use classify::Incoming;
use limits::Next;

pub use limits::{SECRET_VALUE_MAX, TEMPLATE_BODY_MAX, TEMPLATE_OBJECT_MAX};

/// Requests larger than this are refused outright (file assets in tests are far smaller).
const MAX_BODY: usize = 512 * 1024 * 1024;

/// One call as it reached the proxy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedCall {
    /// The SigV4 scope's service (`cloudformation`, `s3`, `sts`, …), or `unsigned`.
    pub service: String,
    /// The API action (`CreateChangeSet`, `PutObject`, `PutSecretValue`, …).
    pub action: String,
    /// The role ARN whose assumed-role credentials signed the call; `None` for base credentials.
    pub identity: Option<String>,
    /// The access key id that signed the call.
    pub access_key: Option<String>,
    /// Form fields (query protocol), the JSON body (JSON protocols), or `Bucket`/`Key`/`Size`
    /// (S3), with secret material replaced by its size.
    pub params: Value,
    /// The HTTP status answered (the proxy's own 400 when it refused the call).
    pub status: u16,
    /// The AWS error code when the proxy refused the call itself; such calls never reach moto.
    pub rejected: Option<String>,
    /// How long moto took to answer, in milliseconds (0 for a call the proxy refused): the
    /// server's share of a deploy's time, which no client can shorten (`bench/deploy`).
    pub upstream_ms: f64,
}

struct Shared {
    moto: String,
    moto_port: u16,
    ecr_registry: Option<String>,
    proxy_port: Mutex<u16>,
    client: reqwest::Client,
    calls: Mutex<Vec<RecordedCall>>,
    roles: Mutex<HashMap<String, String>>,
    ssm: Mutex<ssm_parameters::Learned>,
}

/// The running proxy. Stops when dropped.
pub struct StrictAws {
    server: BackgroundServer,
    shared: Arc<Shared>,
}

impl StrictAws {
    /// Starts a proxy in front of `moto_endpoint` (`http://127.0.0.1:PORT`).
    ///
    /// # Panics
    /// When the endpoint is not an `http://host:port` URL or no loopback port can be bound.
    #[allow(clippy::unused_async)] // async for callers' symmetry; the server runs on its own thread
    pub async fn start(moto_endpoint: &str) -> StrictAws {
        Self::start_blocking(moto_endpoint)
    }

    /// [`StrictAws::start`] for synchronous tests and binaries.
    ///
    /// # Panics
    /// As [`StrictAws::start`].
    #[must_use]
    pub fn start_blocking(moto_endpoint: &str) -> StrictAws {
        Self::start_inner(moto_endpoint, None)
    }

    /// As [`StrictAws::start_blocking`], and ECR's answers name `registry` (`127.0.0.1:PORT` of
    /// a Distribution registry, e.g. [`crate::sandbox::Registry::host`]) instead of
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com`, so image pushes reach a real registry.
    ///
    /// # Panics
    /// As [`StrictAws::start`].
    #[must_use]
    pub fn start_with_ecr_registry(moto_endpoint: &str, registry: &str) -> StrictAws {
        Self::start_inner(moto_endpoint, Some(registry.to_owned()))
    }

    fn start_inner(moto_endpoint: &str, ecr_registry: Option<String>) -> StrictAws {
        let moto = moto_endpoint.trim_end_matches('/').to_owned();
        let moto_port = url::Url::parse(&moto)
            .ok()
            .and_then(|u| u.port_or_known_default())
            .expect("moto endpoint is http://host:port");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("reqwest client");
        let shared = Arc::new(Shared {
            moto,
            moto_port,
            ecr_registry,
            proxy_port: Mutex::new(0),
            client,
            calls: Mutex::new(Vec::new()),
            roles: Mutex::new(HashMap::new()),
            ssm: Mutex::new(ssm_parameters::Learned::default()),
        });
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let server = BackgroundServer::start("strict-aws", router);
        let port = server
            .base_url()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("proxy port");
        *shared.proxy_port.lock().expect("lock") = port;
        StrictAws { server, shared }
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        self.server.base_url()
    }

    /// The proxy's port (`AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION=http://localhost:PORT`).
    #[must_use]
    pub fn port(&self) -> u16 {
        *self.shared.proxy_port.lock().expect("lock")
    }

    /// Every call so far, in arrival order.
    #[must_use]
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.calls.lock().expect("lock").clone()
    }

    /// Forgets the calls recorded so far (the role map stays).
    pub fn clear_calls(&self) {
        self.shared.calls.lock().expect("lock").clear();
    }
}

fn redact(mut params: Value) -> Value {
    if let Value::Object(map) = &mut params {
        for key in [
            "SecretString",
            "SecretBinary",
            "WebIdentityToken",
            "SAMLAssertion",
        ] {
            if let Some(v) = map.get_mut(key) {
                let len = v.as_str().map_or(0, str::len);
                *v = Value::String(format!("<redacted: {len} bytes>"));
            }
        }
    }
    params
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response(),
    };
    let path = parts.uri.path();
    if let Some(control) = path.strip_prefix("/_strict_aws/") {
        return control_endpoint(&shared, control);
    }
    if path.starts_with("/moto-api") {
        return forward(&shared, &parts, body)
            .await
            .map_or_else(|e| e, |(r, _)| r);
    }

    let call = classify::classify(&parts.method, &parts.uri, &parts.headers, &body);
    let ports = [*shared.proxy_port.lock().expect("lock"), shared.moto_port];
    let verdict = match limits::check_request(&call, &ports) {
        Err(rejection) => Err(rejection),
        Ok(Next::Forward) if call.service == "sts" && call.action == "AssumeRole" => {
            match call.param("RoleArn") {
                Some(role) if !role_exists(&shared, role).await => {
                    Err(errors::Rejection::access_denied(format!(
                        "User: {} is not authorized to perform: sts:AssumeRole on resource: {role}",
                        caller(&shared, &call)
                    )))
                }
                _ => Ok(()),
            }
        }
        Ok(Next::Forward) => Ok(()),
        Ok(Next::MeasureTemplate(object)) => match fetch_object(&shared, &object).await {
            // A missing object: moto answers as it does; the proxy adds no rule of its own.
            None => Ok(()),
            Some(bytes) => limits::check_template_object(&bytes),
        },
    };
    let mut upstream_ms = 0.0;
    let (response, status, rejected, answer) = match verdict {
        Err(rejection) => {
            let code = rejection.code.to_owned();
            let response = rejection.into_response(call.protocol);
            (response, 400, Some(code), None)
        }
        Ok(()) => {
            let started = std::time::Instant::now();
            let forwarded = forward(&shared, &parts, body).await;
            upstream_ms = started.elapsed().as_secs_f64() * 1000.0;
            match forwarded {
                Ok((response, answer)) => {
                    let status = response.status().as_u16();
                    (response, status, None, Some(answer))
                }
                Err(response) => (response, 502, None, None),
            }
        }
    };
    let mut response = response;
    if let (Some(answer), true) = (answer, status == 200) {
        learn_role(&shared, &call, &answer);
        let text = String::from_utf8_lossy(&answer);
        shared.ssm.lock().expect("lock").learn(&call, &text);
        if call.service == "cloudformation"
            && call.action == "DescribeStacks"
            && call.protocol == classify::Protocol::Query
            && let Some(text) = ssm_in_aws_shape(&shared, &parts, &text).await
        {
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            response = Response::from_parts(parts, Body::from(text));
        }
        if let (Some(registry), "ecr") = (&shared.ecr_registry, call.service.as_str())
            && let Some(text) =
                ecr::rewrite_registry_hosts(&String::from_utf8_lossy(&answer), registry)
        {
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            response = Response::from_parts(parts, Body::from(text));
        }
    }
    record(&shared, call, status, rejected, upstream_ms);
    response
}

/// moto's DescribeStacks `answer` with each stack's SSM-typed parameters as AWS reports them
/// (`ssm_parameters`); the types come from the stack's template, read from moto as the caller.
async fn ssm_in_aws_shape(
    shared: &Shared,
    parts: &axum::http::request::Parts,
    answer: &str,
) -> Option<String> {
    let mut out: Option<String> = None;
    for stack in ssm_parameters::stack_names(answer) {
        let body = format!(
            "Action=GetTemplate&Version=2010-05-15&TemplateStage=Original&StackName={}",
            percent_encoding::utf8_percent_encode(&stack, percent_encoding::NON_ALPHANUMERIC)
        );
        let mut request = shared
            .client
            .post(format!("{}/", shared.moto))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(auth) = parts.headers.get("authorization") {
            request = request.header("authorization", auth.clone());
        }
        let Ok(reply) = request.body(body).send().await else {
            continue;
        };
        if !reply.status().is_success() {
            continue;
        }
        let Some(template) = ssm_parameters::template_body(&reply.text().await.unwrap_or_default())
        else {
            continue;
        };
        let names = shared
            .ssm
            .lock()
            .expect("lock")
            .ssm_names(&stack, &template);
        let current = out.as_deref().unwrap_or(answer);
        if let Some(rewritten) = ssm_parameters::rewrite(current, &stack, &names) {
            out = Some(rewritten);
        }
    }
    out
}

/// Whether moto's IAM has the role `arn` names (`GetRole`; any answer but NoSuchEntity counts
/// as present, so the proxy adds no refusal of its own when moto cannot tell).
async fn role_exists(shared: &Shared, arn: &str) -> bool {
    let Some(name) = arn
        .split_once(":role/")
        .map(|(_, n)| n.rsplit('/').next().unwrap_or(n))
    else {
        return true;
    };
    let body = format!(
        "Action=GetRole&Version=2010-05-08&RoleName={}",
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
    );
    let answer = shared
        .client
        .post(format!("{}/", shared.moto))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=strict-aws-proxy/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body)
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => !r.text().await.unwrap_or_default().contains("NoSuchEntity"),
        Err(_) => true,
    }
}

/// The caller as STS's AccessDenied names it: the assumed role, else the account's user.
fn caller(shared: &Shared, call: &Incoming) -> String {
    call.scope
        .as_ref()
        .and_then(|s| {
            shared
                .roles
                .lock()
                .expect("lock")
                .get(&s.access_key)
                .cloned()
        })
        .unwrap_or_else(|| "arn:aws:iam::123456789012:user/moto".to_owned())
}

fn learn_role(shared: &Shared, call: &Incoming, answer: &[u8]) {
    if call.service != "sts" || !call.action.starts_with("AssumeRole") {
        return;
    }
    if let (Some(role), Some(key)) = (
        call.param("RoleArn"),
        sts::issued_access_key(&String::from_utf8_lossy(answer)),
    ) {
        shared
            .roles
            .lock()
            .expect("lock")
            .insert(key, role.to_owned());
    }
}

fn record(
    shared: &Shared,
    call: Incoming,
    status: u16,
    rejected: Option<String>,
    upstream_ms: f64,
) {
    let access_key = call.scope.as_ref().map(|s| s.access_key.clone());
    let identity = access_key
        .as_ref()
        .and_then(|k| shared.roles.lock().expect("lock").get(k).cloned());
    let entry = RecordedCall {
        service: call.service,
        action: call.action,
        identity,
        access_key,
        params: redact(call.params),
        status,
        rejected,
        upstream_ms,
    };
    shared.calls.lock().expect("lock").push(entry);
}

fn control_endpoint(shared: &Shared, what: &str) -> Response {
    match what {
        "calls" => {
            let calls = shared.calls.lock().expect("lock").clone();
            axum::Json(calls).into_response()
        }
        "reset" => {
            shared.calls.lock().expect("lock").clear();
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// GETs an object from moto's S3 (path-style).
async fn fetch_object(shared: &Shared, object: &limits::S3Object) -> Option<Bytes> {
    // RFC 3986 unreserved characters stay as they are, as S3's own URI encoding leaves them.
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string();
    let key: Vec<String> = object.key.split('/').map(encode).collect();
    let url = format!(
        "{}/{}/{}",
        shared.moto,
        encode(&object.bucket),
        key.join("/")
    );
    // moto refuses anonymous reads of a private bucket, as S3 does; it checks no signature, so
    // a well-formed SigV4 header suffices (CloudFormation reads the object as the caller).
    let response = shared
        .client
        .get(&url)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=strict-aws-proxy/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.bytes().await.ok()
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection" | "keep-alive" | "transfer-encoding" | "te" | "trailer" | "upgrade" | "expect"
    )
}

/// Sends the request on to moto unchanged (Host included, so moto sees the same addressing
/// style) and returns its answer and the answer's body.
async fn forward(
    shared: &Shared,
    parts: &axum::http::request::Parts,
    body: Bytes,
) -> Result<(Response, Bytes), Response> {
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let url = format!("{}{path_and_query}", shared.moto);
    let mut request = shared.client.request(parts.method.clone(), url);
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let upstream = request.body(body).send().await.map_err(|e| {
        (
            StatusCode::BAD_GATEWAY,
            format!("strict-aws proxy: moto did not answer: {e}"),
        )
            .into_response()
    })?;
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let bytes = upstream.bytes().await.map_err(|e| {
        (
            StatusCode::BAD_GATEWAY,
            format!("strict-aws proxy: reading moto's answer: {e}"),
        )
            .into_response()
    })?;
    let mut response = Response::new(Body::from(bytes.clone()));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !is_hop_by_hop(name) {
            response.headers_mut().append(name, value.clone());
        }
    }
    Ok((response, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_material_is_replaced_by_its_size() {
        let got = redact(
            serde_json::json!({"SecretId": "s", "SecretString": "sk-123", "WebIdentityToken": "eyJ"}),
        );
        assert_eq!(got["SecretId"], "s");
        assert_eq!(got["SecretString"], "<redacted: 6 bytes>");
        assert_eq!(got["WebIdentityToken"], "<redacted: 3 bytes>");
    }
}
