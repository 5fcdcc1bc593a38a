//! No-change deploys cost no change set: like the CDK CLI, the deployed template
//! (`GetTemplate`, stage `Original`) and parameters (`DescribeStacks`) are compared with
//! what would be sent; when nothing differs, `CreateChangeSet` is skipped.
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
        _ => false,
    }
}

/// The `Default` of parameter `key` in a JSON template.
fn default_of(template: &str, key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(template).ok()?;
    match v.pointer(&format!("/Parameters/{key}/Default"))? {
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Whether deploying `template` with `sent` would change nothing.
#[must_use]
pub fn unchanged(deployed: &Deployed, template: &str, sent: &BTreeMap<String, String>) -> bool {
    if !same_template(&deployed.template, template) {
        return false;
    }
    for (k, v) in sent {
        match deployed.parameters.get(k) {
            Some(d) if d == v && d != "****" => {}
            _ => return false,
        }
    }
    deployed
        .parameters
        .iter()
        .filter(|(k, _)| !sent.contains_key(*k))
        .all(|(k, v)| v != "****" && default_of(template, k).as_deref() == Some(v.as_str()))
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
            assert_eq!(unchanged(d, t, s), *want, "{name}");
        }
    }
}
