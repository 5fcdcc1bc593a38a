//! No-change deploys cost no change set: like the CDK CLI, the deployed template
//! (`GetTemplate`, stage `Original`), parameters and stack tags (`DescribeStacks`) are compared
//! with what would be sent; when nothing differs, `CreateChangeSet` is skipped. (A change set
//! would carry new tags to the stack and its resources even with an identical template, so a
//! tags-only change must not be skipped.)
//!
//! The comparison is conservative: anything it cannot prove equal (a `NoEcho` parameter
//! shown as `****`, a dropped parameter in a template that does not parse as JSON) counts
//! as a change, so the change set decides.

use std::collections::BTreeMap;

/// What the deployed stack holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub template: String,
    /// `ParameterKey` → `ParameterValue` from `DescribeStacks`.
    pub parameters: BTreeMap<String, String>,
    /// The stack's tags from `DescribeStacks`.
    pub tags: BTreeMap<String, String>,
}

/// A template as data: JSON, or YAML with CloudFormation's short-form tags (`!Ref`, `!Sub`,
/// …) kept as tags. JSON is YAML, so one parser reads both.
fn parsed(template: &str) -> Option<serde_norway::Value> {
    serde_norway::from_str(template).ok()
}

fn same_template(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => matches!((parsed(a), parsed(b)), (Some(x), Some(y)) if x == y),
    }
}

/// The `Default` of parameter `key` in a JSON or YAML template, as CloudFormation reports a
/// value (text; numbers and booleans as written).
fn default_of(template: &str, key: &str) -> Option<String> {
    use serde_norway::Value;
    let doc = parsed(template)?;
    match doc.get("Parameters")?.get(key)?.get("Default")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Why a deploy may change the stack: the first difference found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The template is not the one deployed.
    Template,
    /// The stack's tags differ.
    Tags,
    /// A parameter is new or has another value.
    Parameter(String),
    /// A `NoEcho` parameter: CloudFormation shows `****`, so equality cannot be proven.
    Hidden(String),
    /// A parameter hoist does not send is not at the template's default.
    NotDefault(String),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Template => f.write_str("the template differs from the deployed one"),
            Self::Tags => f.write_str("the stack's tags differ"),
            Self::Parameter(k) => write!(f, "parameter {k} is new or changed"),
            Self::Hidden(k) => write!(
                f,
                "parameter {k} is NoEcho (CloudFormation shows ****), so it cannot be compared"
            ),
            Self::NotDefault(k) => write!(
                f,
                "parameter {k} is not sent and its deployed value is not the template's default"
            ),
        }
    }
}

/// The first reason deploying `template` with `sent` parameters and `tags` could change the
/// stack; `None` when nothing would change.
#[must_use]
pub fn difference(
    deployed: &Deployed,
    template: &str,
    sent: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> Option<Difference> {
    if !same_template(&deployed.template, template) {
        return Some(Difference::Template);
    }
    if deployed.tags != *tags {
        return Some(Difference::Tags);
    }
    for (k, v) in sent {
        match deployed.parameters.get(k) {
            Some(d) if d == "****" => return Some(Difference::Hidden(k.clone())),
            Some(d) if d == v => {}
            _ => return Some(Difference::Parameter(k.clone())),
        }
    }
    for (k, v) in deployed
        .parameters
        .iter()
        .filter(|(k, _)| !sent.contains_key(*k))
    {
        if v == "****" {
            return Some(Difference::Hidden(k.clone()));
        }
        if default_of(template, k).as_deref() != Some(v.as_str()) {
            return Some(Difference::NotDefault(k.clone()));
        }
    }
    None
}

/// Whether deploying `template` with `sent` parameters and `tags` would change nothing.
#[must_use]
pub fn unchanged(
    deployed: &Deployed,
    template: &str,
    sent: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> bool {
    difference(deployed, template, sent, tags).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"{"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}, "Env": {"Type": "String"}, "Size": {"Type": "Number", "Default": 2}},
        "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#;

    fn deployed(params: &[(&str, &str)]) -> Deployed {
        Deployed {
            template: T.into(),
            parameters: params
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            tags: BTreeMap::new(),
        }
    }

    fn sent(params: &[(&str, &str)]) -> BTreeMap<String, String> {
        params
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn table() {
        let base = [
            ("BootstrapVersion", "/cdk-bootstrap/hnb659fds/version"),
            ("Env", "dev"),
            ("Size", "2"),
        ];
        let reformatted =
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(T).unwrap())
                .unwrap();
        let other = T.replace("AWS::S3::Bucket", "AWS::SQS::Queue");
        type Case<'a> = (&'a str, Deployed, &'a str, BTreeMap<String, String>, bool);
        let cases: &[Case<'_>] = &[
            (
                "same template and parameters",
                deployed(&base),
                T,
                sent(&[("Env", "dev")]),
                true,
            ),
            (
                "same JSON, other formatting",
                deployed(&base),
                &reformatted,
                sent(&[("Env", "dev")]),
                true,
            ),
            (
                "template differs",
                deployed(&base),
                &other,
                sent(&[("Env", "dev")]),
                false,
            ),
            (
                "a sent parameter differs",
                deployed(&base),
                T,
                sent(&[("Env", "prod")]),
                false,
            ),
            (
                "a sent parameter is new",
                deployed(&base),
                T,
                sent(&[("Env", "dev"), ("New", "x")]),
                false,
            ),
            (
                "an omitted parameter is not at its default",
                deployed(&[
                    ("BootstrapVersion", "/cdk-bootstrap/hnb659fds/version"),
                    ("Env", "dev"),
                    ("Size", "3"),
                ]),
                T,
                sent(&[("Env", "dev")]),
                false,
            ),
            (
                "NoEcho value cannot be compared",
                deployed(&[
                    ("BootstrapVersion", "/cdk-bootstrap/hnb659fds/version"),
                    ("Env", "****"),
                    ("Size", "2"),
                ]),
                T,
                sent(&[("Env", "****")]),
                false,
            ),
        ];
        for (name, d, t, s, want) in cases {
            assert_eq!(unchanged(d, t, s, &BTreeMap::new()), *want, "{name}");
        }
    }

    #[test]
    fn stack_tags_count_like_the_template() {
        let base = [
            ("BootstrapVersion", "/cdk-bootstrap/hnb659fds/version"),
            ("Env", "dev"),
            ("Size", "2"),
        ];
        let mut tagged = deployed(&base);
        tagged.tags = sent(&[("team", "robots")]);
        let params = sent(&[("Env", "dev")]);
        assert!(unchanged(&tagged, T, &params, &sent(&[("team", "robots")])));
        assert!(
            !unchanged(&tagged, T, &params, &sent(&[("team", "people")])),
            "a changed tag"
        );
        assert!(
            !unchanged(&tagged, T, &params, &BTreeMap::new()),
            "a removed tag"
        );
        assert!(
            !unchanged(&deployed(&base), T, &params, &sent(&[("team", "robots")])),
            "a new tag"
        );
    }

    #[test]
    fn yaml_templates_compare_as_data_and_give_their_defaults() {
        let yaml = "Parameters:\n  Env:\n    Type: String\n  Size:\n    Type: Number\n    Default: 2\n  Name:\n    Type: String\n    Default: api\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${Env}-bucket'\n";
        let respaced = yaml.replace("Type: AWS::S3::Bucket", "Type:   AWS::S3::Bucket");
        let deployed = Deployed {
            template: yaml.into(),
            parameters: sent(&[("Env", "dev"), ("Size", "2"), ("Name", "api")]),
            tags: BTreeMap::new(),
        };
        let none = BTreeMap::new();
        assert_eq!(
            difference(&deployed, &respaced, &sent(&[("Env", "dev")]), &none),
            None
        );
        let other = yaml.replace("!Sub '${Env}-bucket'", "!Sub '${Env}-other'");
        assert_eq!(
            difference(&deployed, &other, &sent(&[("Env", "dev")]), &none),
            Some(Difference::Template)
        );
        let mut resized = deployed.clone();
        resized.parameters.insert("Size".into(), "3".into());
        assert_eq!(
            difference(&resized, yaml, &sent(&[("Env", "dev")]), &none),
            Some(Difference::NotDefault("Size".into()))
        );
        let mut hidden = deployed.clone();
        hidden.parameters.insert("Env".into(), "****".into());
        assert_eq!(
            difference(&hidden, yaml, &sent(&[("Env", "dev")]), &none),
            Some(Difference::Hidden("Env".into()))
        );
    }
}
