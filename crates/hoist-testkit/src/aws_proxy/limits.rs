//! AWS's documented limits that moto does not enforce, as pure checks on a classified request.
//!
//! Each limit, with its source in AWS's documentation:
//! - CloudFormation `TemplateBody`: 1..=51,200 bytes (API reference of CreateStack, UpdateStack,
//!   CreateChangeSet, ValidateTemplate; "Member must have length less than or equal to 51200").
//! - CloudFormation `TemplateURL`: an Amazon S3 URL starting with `https://` (or a Systems Manager
//!   document), naming a template of at most 1 MB; the sandbox's own S3 endpoint (loopback, the
//!   proxy's or moto's port, `http://` allowed) stands in for S3 — it is what
//!   `AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION` makes the CDK CLI send.
//! - Stack names: `[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters (CreateStack); where a call takes
//!   a name or an ARN, `([a-zA-Z][-a-zA-Z0-9]*)|(arn:\b(aws|aws-us-gov|aws-cn)\b:[-a-zA-Z0-9:/._+]*)`.
//! - Change set names: `[a-zA-Z][-a-zA-Z0-9]*`, 1..=128 (CreateChangeSet); name or ARN
//!   `[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/]*`, up to 1,600 (Describe/Execute/DeleteChangeSet).
//! - Template sections (CloudFormation quotas): 200 parameters, 200 outputs, 500 resources,
//!   200 mappings. AWS words only the resources message publicly ("Template format error: Number
//!   of resources, N, is greater than maximum allowed, 500"); the others follow the same wording.
//! - Secrets Manager `SecretString` / `SecretBinary`: at most 65,536 bytes (API reference and the
//!   Secrets Manager quotas page).
//!
//! The two name patterns are a single character class each, so they are checked by hand rather
//! than through a regex engine.

use serde_json::Value;

use super::classify::Incoming;
use super::errors::Rejection;

/// CloudFormation's `TemplateBody` limit, in bytes.
pub const TEMPLATE_BODY_MAX: usize = 51_200;
/// The largest template object a `TemplateURL` may name (1 MB), in bytes.
pub const TEMPLATE_OBJECT_MAX: u64 = 1_048_576;
/// Secrets Manager's secret value limit, in bytes.
pub const SECRET_VALUE_MAX: usize = 65_536;
pub(crate) const STACK_NAME_MAX: usize = 128;
pub(crate) const CHANGE_SET_NAME_MAX: usize = 128;
pub(crate) const CHANGE_SET_NAME_OR_ARN_MAX: usize = 1_600;
pub(crate) const SECTION_LIMITS: [(&str, &str, usize); 4] = [
    ("Parameters", "parameters", 200),
    ("Outputs", "outputs", 200),
    ("Resources", "resources", 500),
    ("Mappings", "mappings", 200),
];

/// CloudFormation actions that take `TemplateBody` / `TemplateURL`.
const TEMPLATE_ACTIONS: [&str; 6] = [
    "CreateStack",
    "UpdateStack",
    "CreateChangeSet",
    "ValidateTemplate",
    "GetTemplateSummary",
    "EstimateTemplateCost",
];

/// Where a template given by URL lives, for the proxy to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Object {
    pub(crate) bucket: String,
    pub(crate) key: String,
}

/// What the proxy must still do after the request-only checks passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    Forward,
    /// Fetch this template object and run [`check_template_object`] on it first.
    MeasureTemplate(S3Object),
}

/// Collects constraint violations into AWS's "N validation error(s) detected: …" message.
#[derive(Default)]
struct Violations(Vec<String>);

impl Violations {
    fn add(&mut self, value: Option<&str>, member: &str, constraint: String) {
        let value = value.map_or_else(String::new, |v| format!(" '{v}'"));
        self.0.push(format!(
            "Value{value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }
    fn into_result(self, make: fn(String) -> Rejection) -> Result<(), Rejection> {
        if self.0.is_empty() {
            return Ok(());
        }
        let n = self.0.len();
        let noun = if n == 1 { "error" } else { "errors" };
        Err(make(format!(
            "{n} validation {noun} detected: {}",
            self.0.join("; ")
        )))
    }
}

fn max_len(v: &mut Violations, value: Option<&str>, member: &str, len: usize, max: usize) {
    if len > max {
        v.add(
            value,
            member,
            format!("Member must have length less than or equal to {max}"),
        );
    }
}

/// `[a-zA-Z][-a-zA-Z0-9]*`
pub(crate) fn is_plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `arn:\b(aws|aws-us-gov|aws-cn)\b:[-a-zA-Z0-9:/._+]*`
fn is_partition_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:") else {
        return false;
    };
    ["aws:", "aws-us-gov:", "aws-cn:"].iter().any(|p| {
        rest.strip_prefix(p).is_some_and(|tail| {
            tail.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-:/._+".contains(c))
        })
    })
}

/// `arn:[-a-zA-Z0-9:/]*`
fn is_change_set_arn(s: &str) -> bool {
    s.strip_prefix("arn:").is_some_and(|tail| {
        tail.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-:/".contains(c))
    })
}

fn check_names(call: &Incoming) -> Result<(), Rejection> {
    let mut v = Violations::default();
    let stack = call.param("StackName");
    let change_set = call.param("ChangeSetName");
    match call.action.as_str() {
        "CreateStack" => {
            if let Some(name) = stack {
                if !is_plain_name(name) {
                    v.add(
                        Some(name),
                        "stackName",
                        "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
                            .into(),
                    );
                }
                max_len(&mut v, Some(name), "stackName", name.len(), STACK_NAME_MAX);
            }
        }
        "CreateChangeSet" => {
            if let Some(name) = stack {
                if !(is_plain_name(name) || is_partition_arn(name)) {
                    v.add(Some(name), "stackName", "Member must satisfy regular expression pattern: ([a-zA-Z][-a-zA-Z0-9]*)|(arn:\\b(aws|aws-us-gov|aws-cn)\\b:[-a-zA-Z0-9:/._+]*)".into());
                } else if is_plain_name(name) {
                    max_len(&mut v, Some(name), "stackName", name.len(), STACK_NAME_MAX);
                }
            }
            if let Some(name) = change_set {
                if !is_plain_name(name) {
                    v.add(
                        Some(name),
                        "changeSetName",
                        "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
                            .into(),
                    );
                }
                max_len(
                    &mut v,
                    Some(name),
                    "changeSetName",
                    name.len(),
                    CHANGE_SET_NAME_MAX,
                );
            }
        }
        "DescribeChangeSet" | "ExecuteChangeSet" | "DeleteChangeSet" => {
            if let Some(name) = change_set {
                if !(is_plain_name(name) || is_change_set_arn(name)) {
                    v.add(
                        Some(name),
                        "changeSetName",
                        "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/]*".into(),
                    );
                }
                max_len(
                    &mut v,
                    Some(name),
                    "changeSetName",
                    name.len(),
                    CHANGE_SET_NAME_OR_ARN_MAX,
                );
            }
        }
        _ => {}
    }
    v.into_result(Rejection::validation_error)
}

/// The bucket and key of a `TemplateURL` AWS accepts, or AWS's refusal.
///
/// `sandbox_ports` are the loopback ports that serve the sandbox's S3 (the proxy's and moto's).
pub(crate) fn parse_template_url(url: &str, sandbox_ports: &[u16]) -> Result<S3Object, Rejection> {
    let unsupported = || Rejection::validation_error("TemplateURL must be a supported URL.");
    let parsed = url::Url::parse(url).map_err(|_| unsupported())?;
    let host = parsed.host_str().ok_or_else(unsupported)?;
    let segments: Vec<String> = parsed
        .path()
        .trim_start_matches('/')
        .splitn(2, '/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let path_style = |segments: &[String]| match segments {
        [bucket, key] if !bucket.is_empty() && !key.is_empty() => Ok(S3Object {
            bucket: bucket.clone(),
            key: key.clone(),
        }),
        _ => Err(unsupported()),
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1");
    if loopback {
        let port = parsed.port_or_known_default().unwrap_or(0);
        if matches!(parsed.scheme(), "http" | "https") && sandbox_ports.contains(&port) {
            return path_style(&segments);
        }
        return Err(unsupported());
    }
    if parsed.scheme() != "https" {
        return Err(unsupported());
    }
    let prefix = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
        .ok_or_else(unsupported)?;
    let labels: Vec<&str> = prefix.split('.').collect();
    let s3_at = labels
        .iter()
        .position(|l| *l == "s3" || l.starts_with("s3-"))
        .ok_or_else(unsupported)?;
    let after = &labels[s3_at + 1..];
    let region_ok = |r: &str| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let tail_ok = match after {
        [] => true,
        [region] => region_ok(region),
        ["dualstack", region] => region_ok(region),
        _ => false,
    };
    if !tail_ok {
        return Err(unsupported());
    }
    if s3_at == 0 {
        path_style(&segments)
    } else {
        let key = parsed.path().trim_start_matches('/').to_owned();
        let key = percent_encoding::percent_decode_str(&key)
            .decode_utf8_lossy()
            .into_owned();
        if key.is_empty() {
            return Err(unsupported());
        }
        Ok(S3Object {
            bucket: labels[..s3_at].join("."),
            key,
        })
    }
}

/// Checks that need only the request. `Ok(Next::MeasureTemplate)` asks the caller to fetch the
/// template object and run [`check_template_object`] before forwarding.
pub(crate) fn check_request(call: &Incoming, sandbox_ports: &[u16]) -> Result<Next, Rejection> {
    match call.service.as_str() {
        "cloudformation" => {
            check_names(call)?;
            if !TEMPLATE_ACTIONS.contains(&call.action.as_str()) {
                return Ok(Next::Forward);
            }
            if let Some(body) = call.param("TemplateBody") {
                let mut v = Violations::default();
                max_len(&mut v, None, "templateBody", body.len(), TEMPLATE_BODY_MAX);
                v.into_result(Rejection::validation_error)?;
                check_template_sections(body)?;
                return Ok(Next::Forward);
            }
            match call.param("TemplateURL") {
                Some(url) if url.starts_with("ssm-doc://") => Ok(Next::Forward),
                Some(url) => parse_template_url(url, sandbox_ports).map(Next::MeasureTemplate),
                None => Ok(Next::Forward),
            }
        }
        "secretsmanager" => {
            if matches!(
                call.action.as_str(),
                "CreateSecret" | "PutSecretValue" | "UpdateSecret"
            ) {
                let mut v = Violations::default();
                if let Some(s) = call.param("SecretString") {
                    // The value is never echoed: AWS omits sensitive values from the message.
                    max_len(&mut v, None, "secretString", s.len(), SECRET_VALUE_MAX);
                }
                if let Some(b) = call.param("SecretBinary") {
                    use base64::Engine as _;
                    let len = base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .map_or(b.len(), |d| d.len());
                    max_len(&mut v, None, "secretBinary", len, SECRET_VALUE_MAX);
                }
                v.into_result(Rejection::validation_exception)?;
            }
            Ok(Next::Forward)
        }
        _ => Ok(Next::Forward),
    }
}

/// The 1 MB limit and the section quotas, on a template fetched from its `TemplateURL`.
pub(crate) fn check_template_object(body: &[u8]) -> Result<(), Rejection> {
    if body.len() as u64 > TEMPLATE_OBJECT_MAX {
        return Err(Rejection::validation_error(format!(
            "Template may not exceed {TEMPLATE_OBJECT_MAX} bytes in size."
        )));
    }
    check_template_sections(&String::from_utf8_lossy(body))
}

/// Counts a section's entries; `None` when the template does not parse (CloudFormation itself,
/// here moto, then answers with its own format error).
fn section_sizes(template: &str) -> Option<Vec<(&'static str, usize)>> {
    let count_json = |doc: &Value, name: &str| {
        doc.get(name)
            .and_then(Value::as_object)
            .map_or(0, serde_json::Map::len)
    };
    if let Ok(doc) = serde_json::from_str::<Value>(template) {
        return Some(
            SECTION_LIMITS
                .iter()
                .map(|(name, noun, _)| (*noun, count_json(&doc, name)))
                .collect(),
        );
    }
    // YAML templates use short-form tags (!Ref, !Sub): serde_norway's own Value keeps them.
    let doc: serde_norway::Value = serde_norway::from_str(template).ok()?;
    Some(
        SECTION_LIMITS
            .iter()
            .map(|(name, noun, _)| {
                let n = doc
                    .get(*name)
                    .and_then(serde_norway::Value::as_mapping)
                    .map_or(0, serde_norway::Mapping::len);
                (*noun, n)
            })
            .collect(),
    )
}

fn check_template_sections(template: &str) -> Result<(), Rejection> {
    let Some(sizes) = section_sizes(template) else {
        return Ok(());
    };
    for ((noun, n), (_, _, max)) in sizes.into_iter().zip(SECTION_LIMITS) {
        if n > max {
            return Err(Rejection::validation_error(format!(
                "Template format error: Number of {noun}, {n}, is greater than maximum allowed, {max}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
