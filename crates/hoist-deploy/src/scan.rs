//! A secret never rides in a template: before anything is uploaded, the template, the asset
//! manifests and the parameters are searched for the value of every secret hoist syncs.
//! A hit names the document, and for JSON templates the resource and property, never the
//! value. (This is the `cdk deploy --context api_key=$KEY` leak: the value lands in the
//! template, its S3 copy, CloudFormation's stored template and custom resources' logs.)

use std::collections::BTreeMap;

/// Shorter values cannot be told apart from ordinary template text, so they are not searched
/// for (hoist's secret patterns are all longer).
pub const MIN_SCANNED_LEN: usize = 8;

/// Where a secret's value was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The environment variable the value came from.
    pub secret: String,
    /// `template`, `asset manifest PATH`, `parameter NAME`.
    pub document: String,
    /// `resource X, property A.B` for a template resource, a JSON path, or `line N`.
    pub location: String,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the value of {} is in the {} ({})",
            self.secret, self.document, self.location
        )
    }
}

fn json_location(path: &[String]) -> String {
    match path {
        [top, resource, props, rest @ ..] if top == "Resources" && props == "Properties" => {
            if rest.is_empty() {
                format!("resource {resource}, its properties")
            } else {
                format!("resource {resource}, property {}", rest.join("."))
            }
        }
        [top, name, ..] if top == "Outputs" || top == "Parameters" || top == "Mappings" => {
            format!("{} {name}", top.trim_end_matches('s').to_lowercase())
        }
        [] => "the document".into(),
        _ => path.join("."),
    }
}

fn walk(value: &serde_json::Value, needle: &str, path: &mut Vec<String>, found: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if s.contains(needle) => found.push(json_location(path)),
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(v, needle, path, found);
                path.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                // A key holding the value is named by position only.
                if k.contains(needle) {
                    path.push("(a key holding it)".to_owned());
                    found.push(json_location(path));
                } else {
                    path.push(k.clone());
                }
                walk(v, needle, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Every place `document` holds `needle`: JSON paths when it parses as JSON (JSON escapes
/// are undone first), else line numbers.
fn locate(document: &str, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(document) {
        walk(&value, needle, &mut Vec::new(), &mut found);
        if !found.is_empty() {
            return found;
        }
    }
    for (i, line) in document.lines().enumerate() {
        if line.contains(needle) {
            found.push(format!("line {}", i + 1));
        }
    }
    found
}

/// Searches `documents` (label, text) and `parameters` for each of `secrets` (variable,
/// value). The values never appear in the result.
#[must_use]
pub fn scan(
    secrets: &[(&str, &str)],
    documents: &[(String, &str)],
    parameters: &BTreeMap<String, String>,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (name, value) in secrets {
        if value.len() < MIN_SCANNED_LEN {
            continue;
        }
        for (label, text) in documents {
            for location in locate(text, value) {
                hits.push(Hit {
                    secret: (*name).to_owned(),
                    document: label.clone(),
                    location,
                });
            }
        }
        for (k, v) in parameters {
            if v.contains(value) {
                hits.push(Hit {
                    secret: (*name).to_owned(),
                    document: format!("parameter {k}"),
                    location: "its value".into(),
                });
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-test-0123456789abcdefABCDEF";

    #[test]
    fn names_resource_and_property_never_the_value() {
        let template = format!(
            r#"{{"Resources": {{"Api": {{"Type": "AWS::Lambda::Function", "Properties": {{"Environment": {{"Variables": {{"API_KEY": "{KEY}"}}}}}}}},
                "Ok": {{"Type": "AWS::S3::Bucket"}}}}}}"#
        );
        let hits = scan(
            &[("LLM_API_KEY", KEY)],
            &[("template".into(), &template)],
            &BTreeMap::new(),
        );
        assert_eq!(
            hits,
            [Hit {
                secret: "LLM_API_KEY".into(),
                document: "template".into(),
                location: "resource Api, property Environment.Variables.API_KEY".into()
            }]
        );
        assert!(!hits[0].to_string().contains(KEY));
    }

    #[test]
    fn finds_values_inside_longer_strings_yaml_lines_and_parameters() {
        let yaml = format!(
            "Resources:\n  X:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: !Sub 'Bearer {KEY}'\n"
        );
        let params = BTreeMap::from([("ApiKey".to_owned(), KEY.to_owned())]);
        let hits = scan(&[("K", KEY)], &[("template".into(), &yaml)], &params);
        let where_: Vec<_> = hits
            .iter()
            .map(|h| (h.document.as_str(), h.location.as_str()))
            .collect();
        assert_eq!(
            where_,
            [("template", "line 5"), ("parameter ApiKey", "its value")]
        );
    }

    #[test]
    fn json_escapes_do_not_hide_a_value() {
        // A value with a quote is escaped in JSON text; the parsed string still holds it.
        let value = "abc\"def0123456";
        let doc = serde_json::json!({"Outputs": {"O": {"Value": value}}}).to_string();
        assert!(!doc.contains(value));
        let hits = scan(
            &[("S", value)],
            &[("template".into(), &doc)],
            &BTreeMap::new(),
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].location, "output O");
    }

    #[test]
    fn clean_documents_and_short_values_give_no_hit() {
        let doc = r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#;
        assert!(scan(&[("K", KEY)], &[("template".into(), doc)], &BTreeMap::new()).is_empty());
        assert!(
            scan(
                &[("K", "S3")],
                &[("template".into(), doc)],
                &BTreeMap::new()
            )
            .is_empty()
        );
    }
}
