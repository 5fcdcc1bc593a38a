//! AWS's error answers, in each protocol's documented shape.
//!
//! - Query protocol (CloudFormation): HTTP 400, `text/xml`,
//!   `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`.
//! - JSON protocol (Secrets Manager): HTTP 400, `application/x-amz-json-1.1`,
//!   `{"__type": "…", "message": "…"}` plus the `x-amzn-ErrorType` header.
//!
//! The AWS SDKs parse exactly these shapes, so a refused call surfaces in hoist as the same typed
//! error real AWS would produce.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::classify::Protocol;

/// A call the proxy refuses, as AWS would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Rejection {
    /// CloudFormation's `ValidationError` (query protocol).
    pub(crate) fn validation_error(message: impl Into<String>) -> Self {
        Self {
            code: "ValidationError",
            message: message.into(),
        }
    }

    /// The JSON services' `ValidationException` (AWS's common error for a constraint violation).
    pub(crate) fn validation_exception(message: impl Into<String>) -> Self {
        Self {
            code: "ValidationException",
            message: message.into(),
        }
    }

    /// STS's `AccessDenied` for an `AssumeRole` IAM would refuse (query protocol; AWS answers
    /// it with HTTP 403).
    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        Self {
            code: "AccessDenied",
            message: message.into(),
        }
    }

    /// The answer in the caller's protocol.
    pub(crate) fn into_response(self, protocol: Protocol) -> Response {
        let request_id = request_id();
        let mut response = match protocol {
            Protocol::Json => {
                let body = serde_json::json!({ "__type": self.code, "message": self.message });
                let mut r = (StatusCode::BAD_REQUEST, body.to_string()).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-amz-json-1.1"),
                );
                if let Ok(v) = HeaderValue::from_str(self.code) {
                    r.headers_mut().insert("x-amzn-errortype", v);
                }
                r
            }
            Protocol::Query | Protocol::RestXml => {
                let body = format!(
                    "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
                    xml_escape(self.code),
                    xml_escape(&self.message)
                );
                let status = if self.code == "AccessDenied" {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::BAD_REQUEST
                };
                let mut r = (status, body).into_response();
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
                r
            }
        };
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-amzn-requestid", v);
        }
        response
    }
}

fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml_metacharacters() {
        assert_eq!(xml_escape("a<b>&'\""), "a&lt;b&gt;&amp;&apos;&quot;");
    }

    #[test]
    fn request_ids_look_like_aws_ones() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }
}
