//! Read state → the teardown plan (and the `--cleanup` plan).

use std::collections::{BTreeMap, BTreeSet};

use super::template::{Relations, SECURITY_GROUP};
use super::{IngressRule, Leftover, Op, TeardownPlan};
use crate::{Action, Diff, Resource};

/// One row of `DescribeStackResources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    /// `None` while the resource has none.
    pub physical_id: Option<String>,
    pub resource_type: String,
}

/// A stack as teardown reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualStack {
    pub name: String,
    pub stack_id: String,
    /// Such as `CREATE_COMPLETE`.
    pub status: String,
    pub resources: Vec<StackResource>,
    /// From the stack's template.
    pub relations: Relations,
    /// For each of the stack's security groups (physical id): every ingress rule in the
    /// account whose source it is.
    pub rules_from: BTreeMap<String, Vec<IngressRule>>,
}

impl ActualStack {
    /// The stack's security groups: physical id → logical id.
    #[must_use]
    pub fn groups(&self) -> BTreeMap<&str, &str> {
        self.resources
            .iter()
            .filter(|r| r.resource_type == SECURITY_GROUP)
            .filter_map(|r| Some((r.physical_id.as_deref()?, r.logical_id.as_str())))
            .collect()
    }
}

/// The plan that deletes `stack`: first the ingress rules that would block deleting its
/// security groups, then the stack. A stack that does not exist plans nothing.
///
/// A rule is revoked first when its source is one of the stack's groups and either
/// - a VPC Lambda function of the stack attaches its network interfaces to that group (the
///   template's `VpcConfig.SecurityGroupIds`): AWS releases those interfaces up to ~45 minutes
///   after the function is gone, and the rule keeps the group in use meanwhile; or
/// - the rule sits on a group outside the stack, which the delete leaves, rule and all.
///
/// Rules come in a fixed order (by source group, then rule), whatever order EC2 listed them in.
#[must_use]
pub fn plan(actual: Option<&ActualStack>) -> TeardownPlan {
    let Some(stack) = actual else {
        return TeardownPlan::default();
    };
    let groups = stack.groups();
    let mut resources = Vec::new();
    let mut seen = BTreeSet::new();
    for (source, rules) in &stack.rules_from {
        let Some(source_logical) = groups.get(source.as_str()).copied() else {
            continue;
        };
        let mut rules: Vec<&IngressRule> = rules.iter().collect();
        rules.sort();
        for rule in rules {
            if rule.source_group_id != *source || !seen.insert(rule.clone()) {
                continue;
            }
            if let Some(notes) = why_revoke(stack, &groups, source_logical, rule) {
                let mut res = Resource::changed(
                    "ingress-rule",
                    format!("{rule} ({source_logical})"),
                    Action::Delete,
                    Vec::new(),
                    vec![Op::RevokeIngress { rule: rule.clone() }],
                );
                for n in notes {
                    res = res.note(n);
                }
                resources.push(res);
            }
        }
    }
    let mut res = Resource::changed(
        "stack",
        stack.name.clone(),
        Action::Delete,
        vec![Diff::new("status", Some(stack.status.clone()), None)],
        vec![Op::DeleteStack {
            stack: stack.name.clone(),
            stack_id: stack.stack_id.clone(),
        }],
    );
    for r in &stack.resources {
        res = res.note(format!(
            "{} {} {}",
            r.resource_type,
            r.logical_id,
            r.physical_id.as_deref().unwrap_or("(no physical id)")
        ));
    }
    resources.push(res.note(
        "if the delete ends DELETE_FAILED on a VPC Lambda or the network it leaves in use, it is retried retaining those resources (removed later by --cleanup)",
    ));
    TeardownPlan { resources }
}

/// The notes that justify revoking `rule` first, or `None` when it does not block.
fn why_revoke(
    stack: &ActualStack,
    groups: &BTreeMap<&str, &str>,
    source_logical: &str,
    rule: &IngressRule,
) -> Option<Vec<String>> {
    let mut notes = Vec::new();
    let on_logical = groups.get(rule.group_id.as_str()).copied();
    if let Some(functions) = stack.relations.eni_holders.get(source_logical) {
        notes.push(format!(
            "{source_logical} holds the VPC network interfaces of {}, which AWS releases up to ~45 minutes after the function is deleted",
            functions.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    match on_logical {
        None => notes.push(format!(
            "{} is not in the stack: the rule outlives the delete and keeps {source_logical} in use",
            rule.group_id
        )),
        Some(on) if !notes.is_empty() => {
            if let Some(d) = stack.relations.declaration(on, source_logical) {
                notes.push(format!("declared by {} in the template", d.declared_by));
            }
        }
        Some(_) => {}
    }
    (!notes.is_empty()).then_some(notes)
}

/// A network interface that uses a retained group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub id: String,
    /// `available`, `in-use`, …
    pub status: String,
    /// Lambda created it (AWS removes it itself).
    pub lambda: bool,
}

/// A resource a retained delete left, with what `--cleanup` read about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftoverState {
    pub item: Leftover,
    /// For a security group: the interfaces that still use it.
    pub interfaces: Vec<Interface>,
    /// For a security group: every ingress rule whose source it is.
    pub rules_from: Vec<IngressRule>,
}

/// The `--cleanup` plan: each retained security group no interface uses any more is deleted
/// (after the rules that reference it); a group still in use, and anything that is not a
/// security group, stays (with what to do about it).
#[must_use]
pub fn cleanup_plan(items: &[LeftoverState]) -> TeardownPlan {
    let mut resources = Vec::new();
    for state in items {
        let item = &state.item;
        let Some(id) = item.physical_id.as_deref() else {
            continue;
        };
        let name = format!("{id} ({})", item.logical_id);
        if item.resource_type != SECURITY_GROUP {
            resources.push(
                Resource::unchanged(kind_of(&item.resource_type), name).note(by_hand(item, id)),
            );
            continue;
        }
        if !state.interfaces.is_empty() {
            let list: Vec<String> = state
                .interfaces
                .iter()
                .map(|n| {
                    format!(
                        "{} {}{}",
                        n.id,
                        n.status,
                        if n.lambda { " (Lambda)" } else { "" }
                    )
                })
                .collect();
            resources.push(Resource::unchanged("security-group", name).note(format!(
                "still has {} network interface(s): {} — try again later",
                list.len(),
                list.join(", ")
            )));
            continue;
        }
        for rule in &state.rules_from {
            resources.push(Resource::changed(
                "ingress-rule",
                format!("{rule} ({})", item.logical_id),
                Action::Delete,
                Vec::new(),
                vec![Op::RevokeIngress { rule: rule.clone() }],
            ));
        }
        resources.push(
            Resource::changed(
                "security-group",
                name,
                Action::Delete,
                Vec::new(),
                vec![Op::DeleteSecurityGroup {
                    group_id: id.to_owned(),
                }],
            )
            .note(item.reason.clone()),
        );
    }
    TeardownPlan { resources }
}

fn kind_of(resource_type: &str) -> &'static str {
    match resource_type {
        "AWS::Lambda::Function" => "lambda-function",
        "AWS::EC2::Subnet" => "subnet",
        "AWS::EC2::VPC" => "vpc",
        _ => "resource",
    }
}

fn by_hand(item: &Leftover, id: &str) -> String {
    match item.resource_type.as_str() {
        "AWS::Lambda::Function" => {
            format!("delete it by hand: `aws lambda delete-function --function-name {id}`")
        }
        "AWS::EC2::Subnet" => {
            format!("delete it by hand: `aws ec2 delete-subnet --subnet-id {id}`")
        }
        "AWS::EC2::VPC" => format!("delete it by hand: `aws ec2 delete-vpc --vpc-id {id}`"),
        other => format!("{other}: delete it by hand"),
    }
}
