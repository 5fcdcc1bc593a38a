//! EC2's Query protocol, spoken directly for the six calls hoist makes.
//!
//! Why not `aws-sdk-ec2`: its generated code covers EC2's whole API (~700 operations) and was
//! the largest part of hoist's build — 607 s of a 1,074 s cold `cargo test --workspace
//! --no-run` on the 2-core CI machine (`cargo build --timings`, 2026-12-07), more than every
//! other AWS SDK crate together — for six calls on security groups and network interfaces.
//! Every user of `cargo install hoist` and every cold CI run paid it. What a client needs
//! beyond the wire format is taken from the SDK's own crates, not rewritten: the same
//! [`aws_config::SdkConfig`] (credential chain incl. SSO profiles and web identity, region,
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_EC2` / a profile's `endpoint_url`), request signing
//! with `aws-sigv4`, XML decoding with `aws-smithy-xml`, HTTP with reqwest, retries of
//! throttling, 5xx and unanswered requests with `backon` (EC2's standard retry codes).
//!
//! The wire format is EC2's documented Query API, version `2016-11-15`: a form-encoded POST of
//! `Action`, `Version` and the flattened parameters (`GroupId.1`, `Filter.1.Name`,
//! `Filter.1.Value.1`, `IpPermissions.1.Groups.1.GroupId`, …); answers are XML, errors are
//! `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors>…`.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_xml::decode::{Document, try_data};
use aws_types::service_config::ServiceConfigKey;
use backon::Retryable;

use crate::{Aws, AwsError, ErrorKind};

/// The Query API version every request names.
const VERSION: &str = "2016-11-15";

/// A failed attempt, and whether another may succeed.
struct Attempt {
    error: AwsError,
    retry: bool,
}

/// The endpoint EC2 calls go to: a configured one (`AWS_ENDPOINT_URL_EC2`, a profile's
/// `services` section, `AWS_ENDPOINT_URL`, a profile's `endpoint_url`), else EC2's regional
/// endpoint.
fn endpoint(aws: &Aws, region: &str) -> String {
    let config = aws.sdk_config();
    let key = ServiceConfigKey::builder()
        .service_id("EC2")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build();
    let configured = key
        .ok()
        .and_then(|key| config.service_config().and_then(|c| c.load_config(key)))
        .or_else(|| config.endpoint_url().map(str::to_owned));
    match configured {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if region.starts_with("cn-") => format!("https://ec2.{region}.amazonaws.com.cn"),
        None => format!("https://ec2.{region}.amazonaws.com"),
    }
}

/// `application/x-www-form-urlencoded` text of `Action`, `Version` and `params`.
fn form(action: &str, params: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("Action", action);
    out.append_pair("Version", VERSION);
    for (k, v) in params {
        out.append_pair(k, v);
    }
    out.finish()
}

/// Sends `action` (`DescribeSecurityGroups`, …) with `params`; the XML answer on success.
/// `iam_action` (`ec2:DescribeSecurityGroups`) names the call in errors.
pub(crate) async fn call(
    aws: &Aws,
    iam_action: &'static str,
    params: &[(String, String)],
) -> Result<String, AwsError> {
    let action = iam_action.trim_start_matches("ec2:");
    let body = form(action, params);
    let attempt = || once(aws, iam_action, &body);
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
            tracing::debug!(?wait, error = %a.error, "EC2 call failed; retrying");
        })
        .await
        .map_err(|a| a.error)
}

async fn once(aws: &Aws, iam_action: &'static str, body: &str) -> Result<String, Attempt> {
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
    let url = format!("{}/", endpoint(aws, &region));
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("ec2")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| transport(ErrorKind::Transport, Box::new(e)))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        [("content-type", content_type)].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| transport(ErrorKind::Transport, Box::new(e)))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| transport(ErrorKind::Transport, Box::new(e)))?
        .into_parts();
    let mut request = http_client()
        .post(&url)
        .header("content-type", content_type)
        .body(body.to_owned());
    for (name, value) in instructions.headers() {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| {
        let kind = if e.is_connect() || e.is_timeout() {
            ErrorKind::Unreachable
        } else {
            ErrorKind::Transport
        };
        transport(kind, Box::new(e.without_url()))
    })?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| transport(ErrorKind::Transport, Box::new(e.without_url())))?;
    if status.is_success() {
        return Ok(text);
    }
    let (code, message) = error_of(&text).unwrap_or_else(|| {
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
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default()
    })
}

/// EC2's error `Code` and `Message`, from `<Response><Errors><Error>…`.
fn error_of(xml: &str) -> Option<(String, String)> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().ok()?;
    while let Some(mut errors) = root.next_tag() {
        if !errors.start_el().matches("Errors") {
            continue;
        }
        while let Some(mut error) = errors.next_tag() {
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
            if let Some(code) = code {
                return Some((code, message));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{error_of, form};

    #[test]
    fn parameters_are_form_encoded_after_action_and_version() {
        let body = form(
            "AuthorizeSecurityGroupIngress",
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
        assert_eq!(error_of("<html>bad gateway</html>"), None);
        assert_eq!(error_of("not xml"), None);
    }
}
