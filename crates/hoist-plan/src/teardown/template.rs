//! What a stack's own template says about network interfaces and the rules between its
//! security groups: which groups a VPC Lambda function attaches its network interfaces to, and
//! which groups an ECS service's awsvpc configuration attaches its tasks to, which ingress
//! rules (standalone `AWS::EC2::SecurityGroupIngress` or inline
//! `SecurityGroupIngress` of an `AWS::EC2::SecurityGroup`) take their source from a group.
//!
//! Relations are read from the references CloudFormation resolves (`Ref`, `Fn::GetAtt`, in
//! long or short YAML form), never from logical-id names: renaming a resource changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// `AWS::EC2::SecurityGroup`.
pub const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
const INGRESS: &str = "AWS::EC2::SecurityGroupIngress";
const LAMBDA: &str = "AWS::Lambda::Function";
const ECS_SERVICE: &str = "AWS::ECS::Service";

/// A template hoist cannot read.
#[derive(Debug, thiserror::Error)]
#[error("the stack's template is neither JSON nor YAML hoist can read: {0}")]
pub struct TemplateError(String);

/// An ingress rule the template declares, between two of its own groups (logical ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredIngress {
    /// The `AWS::EC2::SecurityGroupIngress` resource, or the group holding the inline rule.
    pub declared_by: String,
    /// The group the rule is on (logical id).
    pub group: String,
    /// The group traffic comes from (logical id).
    pub source: String,
}

/// The relations teardown needs, by logical id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    /// Security group → the VPC Lambda functions that attach network interfaces to it.
    pub eni_holders: BTreeMap<String, BTreeSet<String>>,
    /// Ingress rules between the template's own groups.
    pub ingress: Vec<DeclaredIngress>,
    /// ECS service → the security groups its awsvpc configuration attaches its tasks to.
    pub service_groups: BTreeMap<String, BTreeSet<String>>,
}

impl Relations {
    /// Reads `body` (`GetTemplate`'s `TemplateBody`: JSON, or YAML with CloudFormation's
    /// short-form tags).
    ///
    /// # Errors
    /// [`TemplateError`] when the body parses as neither.
    pub fn from_template(body: &str) -> Result<Self, TemplateError> {
        let doc = parse(body)?;
        Ok(Self::from_value(&doc))
    }

    /// The relations of a template already parsed to JSON (long-form intrinsics).
    #[must_use]
    pub fn from_value(doc: &Value) -> Self {
        let empty = serde_json::Map::new();
        let resources = doc
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let type_of = |id: &str| {
            resources
                .get(id)
                .and_then(|r| r.get("Type"))
                .and_then(Value::as_str)
        };
        let groups_in = |v: &Value| -> BTreeSet<String> {
            let mut refs = BTreeSet::new();
            collect_refs(v, &mut refs);
            refs.into_iter()
                .filter(|id| type_of(id) == Some(SECURITY_GROUP))
                .collect()
        };
        let mut out = Self::default();
        for (id, res) in resources {
            let props = res.get("Properties").unwrap_or(&Value::Null);
            match res.get("Type").and_then(Value::as_str) {
                Some(LAMBDA) => {
                    let Some(vpc) = props.get("VpcConfig") else {
                        continue;
                    };
                    let ids = vpc.get("SecurityGroupIds").unwrap_or(&Value::Null);
                    for group in groups_in(ids) {
                        out.eni_holders.entry(group).or_default().insert(id.clone());
                    }
                }
                Some(ECS_SERVICE) => {
                    let groups = props
                        .pointer("/NetworkConfiguration/AwsvpcConfiguration/SecurityGroups")
                        .map(&groups_in)
                        .unwrap_or_default();
                    if !groups.is_empty() {
                        out.service_groups.insert(id.clone(), groups);
                    }
                }
                Some(INGRESS) => {
                    let on = props.get("GroupId").map(&groups_in).unwrap_or_default();
                    let from = props
                        .get("SourceSecurityGroupId")
                        .map(&groups_in)
                        .unwrap_or_default();
                    for group in &on {
                        for source in &from {
                            out.ingress.push(DeclaredIngress {
                                declared_by: id.clone(),
                                group: group.clone(),
                                source: source.clone(),
                            });
                        }
                    }
                }
                Some(SECURITY_GROUP) => {
                    let rules = props
                        .get("SecurityGroupIngress")
                        .and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    for rule in rules {
                        let from = rule
                            .get("SourceSecurityGroupId")
                            .map(&groups_in)
                            .unwrap_or_default();
                        for source in from {
                            out.ingress.push(DeclaredIngress {
                                declared_by: id.clone(),
                                group: id.clone(),
                                source,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The template's ingress declaration of a rule on `group` from `source` (logical ids).
    #[must_use]
    pub fn declaration(&self, group: &str, source: &str) -> Option<&DeclaredIngress> {
        self.ingress
            .iter()
            .find(|d| d.group == group && d.source == source)
    }
}

/// Every logical id `v` refers to through `Ref` or `Fn::GetAtt` (such as `!GetAtt Sg.GroupId`).
fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("Ref") {
                out.insert(id.clone());
            }
            match map.get("Fn::GetAtt") {
                Some(Value::Array(parts)) => {
                    if let Some(Value::String(id)) = parts.first() {
                        out.insert(id.clone());
                    }
                }
                Some(Value::String(dotted)) => {
                    let id = dotted.split_once('.').map_or(dotted.as_str(), |(id, _)| id);
                    out.insert(id.to_owned());
                }
                _ => {}
            }
            for value in map.values() {
                collect_refs(value, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

/// JSON first (what CDK and most tools produce), then YAML.
fn parse(body: &str) -> Result<Value, TemplateError> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return Ok(v);
    }
    let yaml: serde_norway::Value =
        serde_norway::from_str(body).map_err(|e| TemplateError(e.to_string()))?;
    Ok(to_json(yaml))
}

/// YAML → JSON, with CloudFormation's short forms (`!Ref X`, `!GetAtt A.B`, `!Sub …`) turned
/// into their long forms (`{"Ref": "X"}`, `{"Fn::GetAtt": "A.B"}`, `{"Fn::Sub": …}`).
fn to_json(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_norway::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string();
            let name = name.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                other => format!("Fn::{other}"),
            };
            let mut map = serde_json::Map::new();
            map.insert(key, to_json(tagged.value));
            Value::Object(map)
        }
    }
}
