//! DescribeStacks in AWS's shape for SSM-typed template parameters.
//!
//! For a parameter of type `AWS::SSM::Parameter::Value<…>`, CloudFormation's DescribeStacks
//! answers the parameter's *name* as `ParameterValue` and the value it resolved as
//! `ResolvedValue` (API reference, `Parameter`: "ResolvedValue — Read-only. The value that
//! corresponds to a Systems Manager parameter key. This field is returned only for Systems
//! Manager parameter types in the template"). moto 5.2.x (checked up to 5.2.6) answers the
//! resolved value as `ParameterValue` and no `ResolvedValue`, which makes every client that
//! compares a deployed stack's parameters with what it would send (the CDK CLI, hoist) see a
//! change that is not there.
//!
//! The proxy enforces AWS's shape: it learns which names each stack was given (the parameters
//! of CreateStack, UpdateStack and executed change sets, falling back to the template's
//! `Default`), reads the stack's template from moto (GetTemplate) for the parameters' types,
//! and rewrites those members of moto's answer. It invents nothing: the value moto resolved
//! stays, as `ResolvedValue`.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::classify::Incoming;

/// A parameter as a create or update passed it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Passed {
    Value(String),
    UsePrevious,
}

/// What the proxy learned of each stack's passed parameters.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    /// Stack name → parameter key → the value last deployed with.
    stacks: HashMap<String, BTreeMap<String, String>>,
    /// Change set id (ARN) and `STACK\nNAME` → the stack and the parameters it carries.
    change_sets: HashMap<String, (String, BTreeMap<String, Passed>)>,
}

/// The `Parameters.member.N.*` fields of a query-protocol call.
fn passed(params: &Value) -> BTreeMap<String, Passed> {
    let mut members: BTreeMap<u32, (Option<String>, Option<String>, bool)> = BTreeMap::new();
    let Some(map) = params.as_object() else {
        return BTreeMap::new();
    };
    for (k, v) in map {
        let Some(rest) = k.strip_prefix("Parameters.member.") else {
            continue;
        };
        let Some((n, field)) = rest.split_once('.') else {
            continue;
        };
        let (Ok(n), Some(v)) = (n.parse::<u32>(), v.as_str()) else {
            continue;
        };
        let entry = members.entry(n).or_default();
        match field {
            "ParameterKey" => entry.0 = Some(v.to_owned()),
            "ParameterValue" => entry.1 = Some(v.to_owned()),
            "UsePreviousValue" => entry.2 = v == "true",
            _ => {}
        }
    }
    members
        .into_values()
        .filter_map(|(key, value, previous)| {
            let key = key?;
            Some(if previous {
                (key, Passed::UsePrevious)
            } else {
                (key, Passed::Value(value.unwrap_or_default()))
            })
        })
        .collect()
}

fn merge(into: &mut BTreeMap<String, String>, passed: &BTreeMap<String, Passed>) {
    let previous = std::mem::take(into);
    for (k, p) in passed {
        match p {
            Passed::Value(v) => {
                into.insert(k.clone(), v.clone());
            }
            Passed::UsePrevious => {
                if let Some(v) = previous.get(k) {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// The text of the first `<tag>…</tag>` in `xml`, unescaped.
fn element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(unescape(&xml[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Learned {
    /// Learns from a call moto answered with 200.
    pub(crate) fn learn(&mut self, call: &Incoming, answer: &str) {
        if call.service != "cloudformation" {
            return;
        }
        let stack = call.param("StackName").map(str::to_owned);
        match (call.action.as_str(), stack) {
            ("CreateStack" | "UpdateStack", Some(stack)) => {
                let passed = passed(&call.params);
                merge(self.stacks.entry(stack).or_default(), &passed);
            }
            ("CreateChangeSet", Some(stack)) => {
                let entry = (stack.clone(), passed(&call.params));
                if let Some(id) = element(answer, "Id") {
                    self.change_sets.insert(id, entry.clone());
                }
                if let Some(name) = call.param("ChangeSetName") {
                    self.change_sets.insert(format!("{stack}\n{name}"), entry);
                }
            }
            ("ExecuteChangeSet", stack) => {
                let Some(name) = call.param("ChangeSetName") else {
                    return;
                };
                let found = self.change_sets.get(name).cloned().or_else(|| {
                    stack.and_then(|s| self.change_sets.get(&format!("{s}\n{name}")).cloned())
                });
                if let Some((stack, passed)) = found {
                    merge(self.stacks.entry(stack).or_default(), &passed);
                }
            }
            _ => {}
        }
    }

    /// For each SSM-typed parameter of `template` (JSON or YAML), the parameter name AWS
    /// reports for `stack`: the value last passed, else the template's `Default`.
    pub(crate) fn ssm_names(&self, stack: &str, template: &str) -> BTreeMap<String, String> {
        let parsed: Option<Value> = serde_json::from_str(template)
            .ok()
            .or_else(|| serde_norway::from_str(template).ok());
        let Some(Value::Object(params)) = parsed.as_ref().and_then(|t| t.get("Parameters")) else {
            return BTreeMap::new();
        };
        let passed = self.stacks.get(stack);
        params
            .iter()
            .filter(|(_, p)| {
                p.get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value<"))
            })
            .filter_map(|(key, p)| {
                let name = passed.and_then(|m| m.get(key).cloned()).or_else(|| {
                    p.get("Default").and_then(|d| match d {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                })?;
                Some((key.clone(), name))
            })
            .collect()
    }
}

/// The stack names of a DescribeStacks answer, in order.
pub(crate) fn stack_names(answer: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = answer;
    while let Some(at) = rest.find("<StackName>") {
        if let Some(name) = element(&rest[at..], "StackName") {
            out.push(name);
        }
        rest = &rest[at + "<StackName>".len()..];
    }
    out
}

/// The template text of a GetTemplate answer.
pub(crate) fn template_body(answer: &str) -> Option<String> {
    element(answer, "TemplateBody")
}

/// `answer` (DescribeStacks, query protocol) with the parameters of `stack` named in `names`
/// reported as AWS does: `ParameterValue` the SSM parameter's name, `ResolvedValue` the value
/// moto resolved. `None` when nothing changes (none present, or already in AWS's shape).
pub(crate) fn rewrite(
    answer: &str,
    stack: &str,
    names: &BTreeMap<String, String>,
) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    // The stack's member: from its <StackName> to the next stack's <StackId> (or the end).
    let marker = format!("<StackName>{}</StackName>", escape(stack));
    let start = answer.find(&marker)?;
    let end = answer[start..]
        .find("<StackId>")
        .map_or(answer.len(), |i| i + start);
    let mut segment = answer[start..end].to_owned();
    let mut changed = false;
    for (key, name) in names {
        let open = format!(
            "<ParameterKey>{}</ParameterKey><ParameterValue>",
            escape(key)
        );
        let Some(at) = segment.find(&open) else {
            continue;
        };
        let value_start = at + open.len();
        let Some(len) = segment[value_start..].find("</ParameterValue>") else {
            continue;
        };
        let value_end = value_start + len;
        let after = value_end + "</ParameterValue>".len();
        if segment[after..].starts_with("<ResolvedValue>") {
            continue;
        }
        let resolved = segment[value_start..value_end].to_owned();
        segment = format!(
            "{}{}</ParameterValue><ResolvedValue>{resolved}</ResolvedValue>{}",
            &segment[..value_start],
            escape(name),
            &segment[after..]
        );
        changed = true;
    }
    changed.then(|| format!("{}{segment}{}", &answer[..start], &answer[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_proxy::classify::Protocol;

    const ANSWER: &str = "<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackId>arn:1</StackId><StackName>S1</StackName><Parameters><member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>30</ParameterValue></member><member><ParameterKey>Plain</ParameterKey><ParameterValue>a</ParameterValue></member></Parameters><Outputs/></member><member><StackId>arn:2</StackId><StackName>S2</StackName><Parameters><member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>7</ParameterValue></member></Parameters></member></Stacks></DescribeStacksResult></DescribeStacksResponse>";
    const TEMPLATE: &str = r#"{"Parameters":{"BootstrapVersion":{"Type":"AWS::SSM::Parameter::Value<String>","Default":"/cdk-bootstrap/hnb659fds/version"},"Plain":{"Type":"String","Default":"a"}},"Resources":{}}"#;

    fn call(action: &str, params: Value) -> Incoming {
        Incoming {
            service: "cloudformation".into(),
            action: action.into(),
            scope: None,
            protocol: Protocol::Query,
            params,
        }
    }

    #[test]
    fn ssm_parameters_get_their_name_and_resolved_value() {
        let learned = Learned::default();
        let names = learned.ssm_names("S1", TEMPLATE);
        assert_eq!(
            names,
            BTreeMap::from([(
                "BootstrapVersion".to_owned(),
                "/cdk-bootstrap/hnb659fds/version".to_owned()
            )])
        );
        let got = rewrite(ANSWER, "S1", &names).unwrap();
        assert!(got.contains("<StackName>S1</StackName><Parameters><member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>/cdk-bootstrap/hnb659fds/version</ParameterValue><ResolvedValue>30</ResolvedValue></member><member><ParameterKey>Plain</ParameterKey><ParameterValue>a</ParameterValue></member>"), "{got}");
        // The other stack is untouched; a second pass changes nothing.
        assert!(got.contains("<StackName>S2</StackName><Parameters><member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>7</ParameterValue></member>"), "{got}");
        assert_eq!(rewrite(&got, "S1", &names), None);
        assert_eq!(stack_names(ANSWER), ["S1", "S2"]);
    }

    #[test]
    fn a_passed_name_wins_over_the_default_once_executed() {
        let mut learned = Learned::default();
        let params = serde_json::json!({
            "StackName": "S1", "ChangeSetName": "cs1",
            "Parameters.member.1.ParameterKey": "BootstrapVersion",
            "Parameters.member.1.ParameterValue": "/custom/version",
        });
        learned.learn(
            &call("CreateChangeSet", params),
            "<CreateChangeSetResult><Id>arn:cs:1</Id></CreateChangeSetResult>",
        );
        // Not executed yet: the default still names it.
        assert_eq!(
            learned.ssm_names("S1", TEMPLATE)["BootstrapVersion"],
            "/cdk-bootstrap/hnb659fds/version"
        );
        learned.learn(
            &call(
                "ExecuteChangeSet",
                serde_json::json!({"ChangeSetName": "arn:cs:1"}),
            ),
            "",
        );
        assert_eq!(
            learned.ssm_names("S1", TEMPLATE)["BootstrapVersion"],
            "/custom/version"
        );
        // UsePreviousValue keeps it.
        learned.learn(
            &call(
                "UpdateStack",
                serde_json::json!({"StackName": "S1",
                    "Parameters.member.1.ParameterKey": "BootstrapVersion",
                    "Parameters.member.1.UsePreviousValue": "true"}),
            ),
            "",
        );
        assert_eq!(
            learned.ssm_names("S1", TEMPLATE)["BootstrapVersion"],
            "/custom/version"
        );
    }

    #[test]
    fn yaml_templates_and_no_ssm_parameters() {
        let learned = Learned::default();
        let yaml = "Parameters:\n  V:\n    Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>'\n    Default: /aws/service/ami\nResources: {}\n";
        assert_eq!(learned.ssm_names("S", yaml)["V"], "/aws/service/ami");
        assert!(
            learned
                .ssm_names("S", r#"{"Parameters":{"P":{"Type":"String"}}}"#)
                .is_empty()
        );
        assert_eq!(rewrite(ANSWER, "S1", &BTreeMap::new()), None);
        assert_eq!(
            template_body("<GetTemplateResult><TemplateBody>{&quot;a&quot;:&quot;Value&lt;String&gt;&quot;}</TemplateBody></GetTemplateResult>").as_deref(),
            Some(r#"{"a":"Value<String>"}"#)
        );
    }
}
