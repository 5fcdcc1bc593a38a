//! `{image:SERVICE}` in stack parameters and CDK context values: replaced by the image `hoist
//! push` pushed in the same run, as `REPOSITORY@sha256:…`, so a deploy runs exactly what its
//! run built (a digest, never a tag another push could move).
//!
//! What was pushed comes from `hoist push`'s step outputs (`SERVICE-image` =
//! `HOST/REPOSITORY@sha256:…`, where SERVICE is the compose name with every character but
//! `[A-Za-z0-9_-]` turned into `_`, see [`output_key`]). The generated workflow hands them to
//! the deploy step whole, as `toJSON(steps.push.outputs)`; [`PushedImages::from_push_outputs`]
//! reads that object. Pure: text in, text or a typed error out.

use std::collections::BTreeMap;

/// The opening of a reference; it ends at the next `}`.
const OPEN: &str = "{image:";

/// What `{image:…}` resolution refuses. Every message names where the reference is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("{place}: `{{image:` is not closed by `}}`")]
    Unclosed { place: String },
    #[error(
        "{place}: `{{image:{service}}}` does not name a service (letters, digits, `.`, `_`, `-`)"
    )]
    BadService { place: String, service: String },
    #[error(
        "{place} references {{image:{service}}}, but no image was pushed in this run (no push outputs were given)"
    )]
    NothingPushed { place: String, service: String },
    #[error(
        "{place} references {{image:{service}}}, but this run pushed no image for service {service:?} (pushed: {pushed})"
    )]
    NotPushed {
        place: String,
        service: String,
        pushed: String,
    },
    #[error("the push outputs are not a JSON object of strings: {reason}")]
    BadOutputs { reason: String },
    #[error(
        "push output {key} is {value:?}, not a reference by digest (REPOSITORY@sha256: and 64 hex digits)"
    )]
    NotByDigest { key: String, value: String },
}

/// The step-output key `hoist push` uses for a compose service.
#[must_use]
pub fn output_key(service: &str) -> String {
    service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The images a run pushed, by [`output_key`] of their service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushedImages {
    /// `None`: no push outputs were handed over at all (so every reference is an error).
    by_key: Option<BTreeMap<String, String>>,
}

impl PushedImages {
    /// No push in this run.
    #[must_use]
    pub fn none() -> Self {
        Self { by_key: None }
    }

    /// Reads `hoist push`'s step outputs as one JSON object (`toJSON(steps.push.outputs)`):
    /// every `KEY-image` value must be a reference by digest; other keys are ignored.
    ///
    /// # Errors
    /// Not an object of strings, or an `-image` value that is not `…@sha256:<64 hex>`.
    pub fn from_push_outputs(json: &str) -> Result<Self, ImageRefError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| ImageRefError::BadOutputs {
                reason: e.to_string(),
            })?;
        let serde_json::Value::Object(map) = value else {
            return Err(ImageRefError::BadOutputs {
                reason: "not an object".to_owned(),
            });
        };
        let mut by_key = BTreeMap::new();
        for (key, value) in map {
            let Some(service) = key.strip_suffix("-image") else {
                continue;
            };
            let Some(text) = value.as_str() else {
                return Err(ImageRefError::BadOutputs {
                    reason: format!("{key} is not a string"),
                });
            };
            if !is_digest_reference(text) {
                return Err(ImageRefError::NotByDigest {
                    key,
                    value: text.to_owned(),
                });
            }
            by_key.insert(service.to_owned(), text.to_owned());
        }
        Ok(Self {
            by_key: Some(by_key),
        })
    }

    /// The reference pushed for `service`, when there is one.
    #[must_use]
    pub fn get(&self, service: &str) -> Option<&str> {
        self.by_key
            .as_ref()?
            .get(&output_key(service))
            .map(String::as_str)
    }

    fn lookup(&self, place: &str, service: &str) -> Result<&str, ImageRefError> {
        let Some(by_key) = &self.by_key else {
            return Err(ImageRefError::NothingPushed {
                place: place.to_owned(),
                service: service.to_owned(),
            });
        };
        by_key
            .get(&output_key(service))
            .map(String::as_str)
            .ok_or_else(|| ImageRefError::NotPushed {
                place: place.to_owned(),
                service: service.to_owned(),
                pushed: if by_key.is_empty() {
                    "none".to_owned()
                } else {
                    by_key.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }
}

/// `REPOSITORY@sha256:` followed by exactly 64 lowercase hex digits, REPOSITORY not empty.
#[must_use]
pub fn is_digest_reference(s: &str) -> bool {
    let Some((repo, digest)) = s.rsplit_once('@') else {
        return false;
    };
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return false;
    };
    !repo.is_empty()
        && !repo.contains(char::is_whitespace)
        && hex.len() == 64
        && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The services `value` references, in order (duplicates kept).
///
/// # Errors
/// An unclosed `{image:` or a reference whose service is not a compose service name.
pub fn references<'a>(place: &str, value: &'a str) -> Result<Vec<&'a str>, ImageRefError> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let Some(end) = after.find('}') else {
            return Err(ImageRefError::Unclosed {
                place: place.to_owned(),
            });
        };
        let service = &after[..end];
        let valid = !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(ImageRefError::BadService {
                place: place.to_owned(),
                service: service.to_owned(),
            });
        }
        out.push(service);
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// `value` with every `{image:SERVICE}` replaced by the reference pushed for SERVICE. A value
/// without references is returned as it is, whatever was pushed.
///
/// # Errors
/// As [`references`], and a referenced service this run did not push.
pub fn resolve(place: &str, value: &str, images: &PushedImages) -> Result<String, ImageRefError> {
    let services = references(place, value)?;
    let mut out = value.to_owned();
    for service in services {
        let reference = images.lookup(place, service)?;
        out = out.replacen(&format!("{OPEN}{service}}}"), reference, 1);
    }
    Ok(out)
}

/// Every parameter value resolved; `what` labels them in errors (`parameter`, `context`).
///
/// # Errors
/// As [`resolve`], naming the first key whose value fails.
pub fn resolve_all(
    what: &str,
    values: &BTreeMap<String, String>,
    images: &PushedImages,
) -> Result<BTreeMap<String, String>, ImageRefError> {
    values
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolve(&format!("{what} {k}"), v, images)?)))
        .collect()
}

/// Every string value of a CDK context map resolved (nested arrays and objects too); `what`
/// labels them in errors. Keys are not resolved: a reference is a value.
///
/// # Errors
/// As [`resolve`], naming the first key whose value fails.
pub fn resolve_context(
    context: &serde_json::Map<String, serde_json::Value>,
    images: &PushedImages,
) -> Result<serde_json::Map<String, serde_json::Value>, ImageRefError> {
    fn walk(
        place: &str,
        value: &serde_json::Value,
        images: &PushedImages,
    ) -> Result<serde_json::Value, ImageRefError> {
        use serde_json::Value;
        Ok(match value {
            Value::String(s) => Value::String(resolve(place, s, images)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| walk(&format!("{place}[{i}]"), v, images))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), walk(&format!("{place}.{k}"), v, images)?)))
                    .collect::<Result<_, ImageRefError>>()?,
            ),
            other => other.clone(),
        })
    }
    context
        .iter()
        .map(|(k, v)| Ok((k.clone(), walk(&format!("context {k}"), v, images)?)))
        .collect()
}

/// Whether any value references an image.
#[must_use]
pub fn any_reference(values: &BTreeMap<String, String>) -> bool {
    values.values().any(|v| v.contains(OPEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &str = "123456789012.dkr.ecr.ca-central-1.amazonaws.com/hindsight-web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const API: &str = "127.0.0.1:5000/my.api@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    fn pushed() -> PushedImages {
        PushedImages::from_push_outputs(&format!(
            r#"{{"web-image": "{WEB}", "web-digest": "sha256:0123", "my_api-image": "{API}"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn values_resolve_to_the_digests_just_pushed() {
        let images = pushed();
        let table: &[(&str, Result<&str, &str>)] = &[
            ("{image:web}", Ok(WEB)),
            // A name push turned into an output key (`.` → `_`) is found by its compose name.
            ("{image:my.api}", Ok(API)),
            ("no reference", Ok("no reference")),
            ("{sha} and {other}", Ok("{sha} and {other}")),
            ("", Ok("")),
            ("{image:web}", Ok(WEB)),
            (
                "{image:worker}",
                Err(
                    "parameter P references {image:worker}, but this run pushed no image for service \"worker\" (pushed: my_api, web)",
                ),
            ),
            (
                "{image:web",
                Err("parameter P: `{image:` is not closed by `}`"),
            ),
            (
                "{image:}",
                Err(
                    "parameter P: `{image:}` does not name a service (letters, digits, `.`, `_`, `-`)",
                ),
            ),
            (
                "{image:a b}",
                Err(
                    "parameter P: `{image:a b}` does not name a service (letters, digits, `.`, `_`, `-`)",
                ),
            ),
        ];
        for (value, want) in table {
            let got = resolve("parameter P", value, &images).map_err(|e| e.to_string());
            assert_eq!(
                got.as_deref(),
                want.map_err(str::to_owned).as_deref(),
                "{value}"
            );
        }
        let both = resolve(
            "p",
            "web={image:web},api={image:my.api},again={image:web}",
            &images,
        )
        .unwrap();
        assert_eq!(both, format!("web={WEB},api={API},again={WEB}"));
    }

    #[test]
    fn without_a_push_only_references_fail() {
        let none = PushedImages::none();
        assert_eq!(resolve("p", "plain", &none).unwrap(), "plain");
        assert_eq!(
            resolve("parameter ImageUri", "{image:web}", &none)
                .unwrap_err()
                .to_string(),
            "parameter ImageUri references {image:web}, but no image was pushed in this run (no push outputs were given)"
        );
        // A push that pushed nothing (every service failed or none configured) says so.
        let empty = PushedImages::from_push_outputs("{}").unwrap();
        assert!(
            resolve("p", "{image:web}", &empty)
                .unwrap_err()
                .to_string()
                .ends_with("(pushed: none)")
        );
    }

    #[test]
    fn push_outputs_must_name_digests() {
        let table: &[(&str, Option<&str>)] = &[
            (
                r#"{"web-image": "repo:latest"}"#,
                Some(
                    "push output web-image is \"repo:latest\", not a reference by digest (REPOSITORY@sha256: and 64 hex digits)",
                ),
            ),
            (
                r#"{"web-image": "repo@sha256:ABC"}"#,
                Some(
                    "push output web-image is \"repo@sha256:ABC\", not a reference by digest (REPOSITORY@sha256: and 64 hex digits)",
                ),
            ),
            (
                r#"{"web-image": 3}"#,
                Some(
                    "the push outputs are not a JSON object of strings: web-image is not a string",
                ),
            ),
            (
                "[]",
                Some("the push outputs are not a JSON object of strings: not an object"),
            ),
            (r#"{"web-digest": 3, "other": null}"#, None),
        ];
        for (json, want) in table {
            let got = PushedImages::from_push_outputs(json)
                .err()
                .map(|e| e.to_string());
            assert_eq!(got.as_deref(), *want, "{json}");
        }
        assert!(PushedImages::from_push_outputs("not json").is_err());
    }

    #[test]
    fn context_values_resolve_at_any_depth() {
        let context: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"image": "{image:web}", "n": 3, "nested": {"list": ["x", "{image:my.api}"]}, "{image:web}": true}"#,
        )
        .unwrap();
        let out = resolve_context(&context, &pushed()).unwrap();
        assert_eq!(out["image"], WEB);
        assert_eq!(out["n"], 3);
        assert_eq!(out["nested"]["list"][1], API);
        assert_eq!(out["{image:web}"], true, "keys are not references");
        let err = resolve_context(&context, &PushedImages::none()).unwrap_err();
        assert!(
            err.to_string().starts_with("context image references"),
            "{err}"
        );
        let mut only_nested = context.clone();
        only_nested.remove("image");
        let err = resolve_context(&only_nested, &PushedImages::none()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("context nested.list[1] references"),
            "{err}"
        );
    }

    #[test]
    fn digest_references() {
        let hex = "a".repeat(64);
        assert!(is_digest_reference(&format!("r@sha256:{hex}")));
        assert!(is_digest_reference(&format!("h:5000/a/b@sha256:{hex}")));
        assert!(!is_digest_reference(&format!("@sha256:{hex}")));
        assert!(!is_digest_reference(&format!(
            "r@sha256:{}",
            "a".repeat(63)
        )));
        assert!(!is_digest_reference(&format!("r@sha512:{hex}")));
        assert!(!is_digest_reference(&format!("r r@sha256:{hex}")));
    }

    #[test]
    fn maps_resolve_and_name_their_key() {
        let mut params = BTreeMap::new();
        params.insert("EnvName".to_owned(), "dev".to_owned());
        params.insert("ImageUri".to_owned(), "{image:web}".to_owned());
        assert!(any_reference(&params));
        let out = resolve_all("parameter", &params, &pushed()).unwrap();
        assert_eq!(out["ImageUri"], WEB);
        assert_eq!(out["EnvName"], "dev");
        let err = resolve_all("context", &params, &PushedImages::none()).unwrap_err();
        assert!(
            err.to_string().starts_with("context ImageUri references"),
            "{err}"
        );
        params.remove("ImageUri");
        assert!(!any_reference(&params));
        assert_eq!(
            resolve_all("parameter", &params, &PushedImages::none()).unwrap(),
            params
        );
        assert_eq!(output_key("my.api/x"), "my_api_x");
    }
}
