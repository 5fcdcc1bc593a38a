//! The few AWS calls hoist signs itself instead of going through a generated SDK crate:
//! EC2's six (security groups, network interfaces), RDS's one (`DescribeDBInstances`) and
//! SSM's one (`GetParameter`).
//!
//! Why not `aws-sdk-ec2`, `aws-sdk-rds`, `aws-sdk-ssm`: their generated code covers each
//! service's whole API. Measured on the 2-core CI machine (`cargo --timings`, a cold
//! `cargo test --workspace --no-run`, 2026-12-07: 1,074 s wall): aws-sdk-ec2 took 607 s,
//! aws-sdk-rds 164 s and aws-sdk-ssm 157 s — 929 s of the 2,089 s all 512 units took (44%),
//! with aws-sdk-ec2 alone on the critical path for ten minutes — for eight calls. Every cold
//! CI run and every `cargo install hoist` paid it. What a client needs beyond the wire format comes from the SDK's own crates, not
//! rewritten: the same [`aws_config::SdkConfig`] (credential chain incl. SSO profiles and web
//! identity, region, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` and a profile's
//! `endpoint_url`), signing with `aws-sigv4`, XML decoding with `aws-smithy-xml`, HTTP with
//! reqwest, and retries of throttling, 5xx and unanswered requests with `backon`.
//!
//! The wire formats are the services' documented ones: the Query protocol (EC2 `2016-11-15`,
//! RDS `2014-10-31`: a form-encoded POST of `Action`, `Version` and flattened parameters; XML
//! answers; errors as `<Response><Errors><Error>` (EC2) or `<ErrorResponse><Error>` (RDS))
//! and the JSON 1.1 protocol (SSM: `X-Amz-Target: AmazonSSM.ACTION`, a JSON body; errors as
//! `{"__type": …, "message": …}`).

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_xml::decode::{Document, try_data};
use aws_types::service_config::ServiceConfigKey;
use backon::Retryable;

use crate::{Aws, AwsError, ErrorKind};

/// A service spoken here: how requests to it are signed, addressed and versioned.
pub(crate) struct Service {
    /// The SigV4 signing name and endpoint prefix (`ec2`, `rds`, `ssm`).
    name: &'static str,
    /// The SDK's service id, for `AWS_ENDPOINT_URL_<ID>` and a profile's `services` section.
    id: &'static str,
    /// The Query API version (Query services only).
    version: &'static str,
}

pub(crate) const EC2: Service = Service {
    name: "ec2",
    id: "EC2",
    version: "2016-11-15",
};
pub(crate) const RDS: Service = Service {
    name: "rds",
    id: "RDS",
    version: "2014-10-31",
};
pub(crate) const SSM: Service = Service {
    name: "ssm",
    id: "SSM",
    version: "",
};

/// A failed attempt, and whether another may succeed.
struct Attempt {
    error: AwsError,
    retry: bool,
}

/// The endpoint a service's calls go to: a configured one (`AWS_ENDPOINT_URL_<ID>`, a
/// profile's `services` section, `AWS_ENDPOINT_URL`, a profile's `endpoint_url`), else the
/// service's regional endpoint.
fn endpoint(aws: &Aws, service: &Service, region: &str) -> String {
    let config = aws.sdk_config();
    let key = ServiceConfigKey::builder()
        .service_id(service.id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build();
    let configured = key
        .ok()
        .and_then(|key| config.service_config().and_then(|c| c.load_config(key)))
        .or_else(|| config.endpoint_url().map(str::to_owned));
    match configured {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if region.starts_with("cn-") => {
            format!("https://{}.{region}.amazonaws.com.cn", service.name)
        }
        None => format!("https://{}.{region}.amazonaws.com", service.name),
    }
}

/// `application/x-www-form-urlencoded` text of `Action`, `Version` and `params`.
fn form(action: &str, version: &str, params: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("Action", action);
    out.append_pair("Version", version);
    for (k, v) in params {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A Query request: `iam_action` (`ec2:DescribeSecurityGroups`) names the action and the
/// call in errors; the XML answer on success.
pub(crate) async fn query(
    aws: &Aws,
    service: &Service,
    iam_action: &'static str,
    params: &[(String, String)],
) -> Result<String, AwsError> {
    let action = iam_action.split_once(':').map_or(iam_action, |(_, a)| a);
    let request = Request {
        service,
        iam_action,
        content_type: "application/x-www-form-urlencoded; charset=utf-8",
        target: None,
        body: form(action, service.version, params),
    };
    send(aws, &request).await
}

/// A JSON 1.1 request (`X-Amz-Target: PREFIX.ACTION`); the JSON answer on success.
pub(crate) async fn json(
    aws: &Aws,
    service: &Service,
    target: &str,
    iam_action: &'static str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, AwsError> {
    let request = Request {
        service,
        iam_action,
        content_type: "application/x-amz-json-1.1",
        target: Some(target),
        body: body.to_string(),
    };
    let text = send(aws, &request).await?;
    serde_json::from_str(&text).map_err(|e| AwsError::Unexpected {
        action: iam_action,
        detail: format!("the answer is not JSON: {e}"),
    })
}

/// One signed POST, with its protocol's content type and (JSON) target.
struct Request<'a> {
    service: &'a Service,
    iam_action: &'static str,
    content_type: &'static str,
    target: Option<&'a str>,
    body: String,
}

async fn send(aws: &Aws, request: &Request<'_>) -> Result<String, AwsError> {
    let attempt = || once(aws, request);
    attempt
        .retry(
            backon::ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(5))
                .with_max_times(3)
                .with_jitter(),
        )
        .when(|a: &Attempt| a.retry)
        .notify(|a: &Attempt, wait| {
            tracing::debug!(?wait, error = %a.error, "AWS call failed; retrying");
        })
        .await
        .map_err(|a| a.error)
}

async fn once(aws: &Aws, request: &Request<'_>) -> Result<String, Attempt> {
    let Request {
        service,
        iam_action,
        content_type,
        target,
        body,
    } = request;
    let iam_action = *iam_action;
    let transport = |kind: ErrorKind, source: Box<dyn std::error::Error + Send + Sync>| Attempt {
        retry: kind != ErrorKind::Credentials,
        error: AwsError::Transport {
            action: iam_action,
            kind,
            source,
        },
    };
    let region = aws.region().ok_or_else(|| Attempt {
        retry: false,
        error: AwsError::Unexpected {
            action: iam_action,
            detail: "no AWS region is configured".to_owned(),
        },
    })?;
    let credentials = aws
        .signing_credentials()
        .await
        .map_err(|e| transport(ErrorKind::Credentials, e))?;
    let url = format!("{}/", endpoint(aws, service, &region));
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name(service.name)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| transport(ErrorKind::Transport, Box::new(e)))?
        .into();
    let mut headers = vec![("content-type", *content_type)];
    if let Some(target) = target {
        headers.push(("x-amz-target", target));
    }
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| transport(ErrorKind::Transport, Box::new(e)))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| transport(ErrorKind::Transport, Box::new(e)))?
        .into_parts();
    let mut http = http_client().post(&url).body(body.clone());
    for (name, value) in headers.iter().copied().chain(instructions.headers()) {
        http = http.header(name, value);
    }
    let response = http.send().await.map_err(|e| {
        let kind = if e.is_connect() || e.is_timeout() {
            ErrorKind::Unreachable
        } else {
            ErrorKind::Transport
        };
        transport(kind, Box::new(e.without_url()))
    })?;
    let status = response.status();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response
        .text()
        .await
        .map_err(|e| transport(ErrorKind::Transport, Box::new(e.without_url())))?;
    if status.is_success() {
        return Ok(text);
    }
    let found = if target.is_some() {
        json_error_of(&text, error_type.as_deref())
    } else {
        error_of(&text)
    };
    let (code, message) = found.unwrap_or_else(|| {
        (
            format!("HTTP{}", status.as_u16()),
            text.chars().take(300).collect(),
        )
    });
    let kind = crate::kind_of_code(&code);
    Err(Attempt {
        retry: status.is_server_error() || kind == ErrorKind::Throttling,
        error: AwsError::Service {
            action: iam_action,
            code,
            message,
        },
    })
}

fn http_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    // hoist's user agent and redirect policy, as every hoist HTTP client has them.
    CLIENT.get_or_init(|| {
        hoist_http::client_builder(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    })
}

/// A Query error's `Code` and `Message`: EC2's `<Response><Errors><Error>…` or the other
/// Query services' `<ErrorResponse><Error>…`.
fn error_of(xml: &str) -> Option<(String, String)> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().ok()?;
    if root.start_el().matches("ErrorResponse") {
        while let Some(mut error) = root.next_tag() {
            if error.start_el().matches("Error") {
                return code_and_message(&mut error);
            }
        }
        return None;
    }
    while let Some(mut errors) = root.next_tag() {
        if !errors.start_el().matches("Errors") {
            continue;
        }
        while let Some(mut error) = errors.next_tag() {
            if let Some(found) = code_and_message(&mut error) {
                return Some(found);
            }
        }
    }
    None
}

fn code_and_message(
    error: &mut aws_smithy_xml::decode::ScopedDecoder<'_, '_>,
) -> Option<(String, String)> {
    let (mut code, mut message) = (None, String::new());
    while let Some(mut field) = error.next_tag() {
        if field.start_el().matches("Code") {
            code = try_data(&mut field).ok().map(|c| c.into_owned());
        } else if field.start_el().matches("Message") {
            message = try_data(&mut field)
                .map(|m| m.into_owned())
                .unwrap_or_default();
        }
    }
    code.map(|c| (c, message))
}

/// A JSON 1.1 error: `__type` (or the `x-amzn-ErrorType` header), without the namespace
/// before `#` or the detail after `:`, and `message`/`Message`.
fn json_error_of(body: &str, header: Option<&str>) -> Option<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let raw = doc
        .get("__type")
        .and_then(serde_json::Value::as_str)
        .or(header)?;
    let code = raw.rsplit('#').next().unwrap_or(raw);
    let code = code.split(':').next().unwrap_or(code).to_owned();
    let message = doc
        .get("message")
        .or_else(|| doc.get("Message"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((code, message))
}

#[cfg(test)]
mod tests {
    use super::{error_of, form, json_error_of};

    #[test]
    fn parameters_are_form_encoded_after_action_and_version() {
        let body = form(
            "AuthorizeSecurityGroupIngress",
            "2016-11-15",
            &[
                ("GroupId".into(), "sg-1".into()),
                ("IpPermissions.1.Groups.1.GroupId".into(), "sg-2 &x".into()),
            ],
        );
        assert_eq!(
            body,
            "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1&IpPermissions.1.Groups.1.GroupId=sg-2+%26x"
        );
    }

    #[test]
    fn errors_are_read_from_ec2s_error_document() {
        // The shape of EC2's "Error codes" page.
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group 'sg-1' does not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"#;
        assert_eq!(
            error_of(xml),
            Some((
                "InvalidGroup.NotFound".to_owned(),
                "The security group 'sg-1' does not exist".to_owned()
            ))
        );
        // RDS's shape ("Common Errors" of the RDS API Reference).
        let rds = r#"<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance db-1 not found.</Message></Error><RequestId>1a2b</RequestId></ErrorResponse>"#;
        assert_eq!(
            error_of(rds),
            Some((
                "DBInstanceNotFound".to_owned(),
                "DBInstance db-1 not found.".to_owned()
            ))
        );
        assert_eq!(error_of("<html>bad gateway</html>"), None);
        assert_eq!(error_of("not xml"), None);
    }

    #[test]
    fn json_errors_name_the_type_without_its_namespace() {
        assert_eq!(
            json_error_of(r#"{"__type":"ParameterNotFound","message":""}"#, None),
            Some(("ParameterNotFound".to_owned(), String::new()))
        );
        assert_eq!(
            json_error_of(
                r#"{"__type":"com.amazonaws.ssm#AccessDeniedException","Message":"User is not authorized"}"#,
                None
            ),
            Some((
                "AccessDeniedException".to_owned(),
                "User is not authorized".to_owned()
            ))
        );
        assert_eq!(
            json_error_of("", Some("ThrottlingException:http://internal.amazon.com/")),
            Some(("ThrottlingException".to_owned(), String::new()))
        );
        assert_eq!(json_error_of("{}", None), None);
    }
}
