//! Privilege-escalation paths in permission (identity-based) policies.
//!
//! The paths are the documented ones (Rhino Security Labs' list of AWS IAM
//! escalation methods, the IAM User Guide's "Permissions boundaries" and
//! "Granting a user permissions to pass a role"): changing or attaching
//! policies, creating or re-trusting roles without a required boundary,
//! passing a role to compute the caller controls, minting credentials for
//! other users, and assuming roles picked by a broad pattern.
//!
//! Each path is decided by hoist's own evaluator, not by reading the JSON
//! text: for every Allow statement whose `Action` covers a dangerous action,
//! the policy is evaluated for a probe request on a witness resource drawn
//! from that statement's `Resource` (wildcards and variables filled with a
//! made-up name that is not the caller's own), with no permissions boundary
//! and nothing else in the request context. The statement is offending when
//! it applies to the probe and no Deny stops it. So a condition such as
//! `iam:PermissionsBoundary` or `iam:PassedToService` closes a path exactly
//! when AWS would make it close.
//!
//! Two refinements keep the probe from trusting what AWS does not enforce, or
//! from flagging what the policy itself fences off:
//! - Resource tags the holder can set are not a fence: a condition on
//!   `aws:ResourceTag/…` (or `iam:ResourceTag/…`) is taken as met for
//!   `iam:PassRole` always (the IAM User Guide warns that tags do not reliably
//!   control passing a role), and for other role actions when the policy lets
//!   the holder tag the role with that value (`iam:TagRole`).
//! - Roles under a path named after a boundary (`role/NAME/…`, hoist's
//!   `bounded_role_path`) are taken to carry that boundary for `iam:PassRole`
//!   and `iam:UpdateAssumeRolePolicy` when the policy itself creates roles
//!   there only with a boundary policy named NAME and can neither remove nor
//!   replace a boundary there. A role's path is fixed at creation, so such a
//!   role came from a creator held to the boundary, or from an administrator
//!   who chose that path on purpose; a bounded role is no more than the holder
//!   could create itself.

use serde_json::json;

use super::rules::RuleInfo;
use super::{Finding, Severity};
use crate::eval::ActionMatch;
use crate::eval::{IdentityRequest, action_matches, evaluate_identity};
use crate::model::{Effect, PolicyDocument, Statement};

/// Every permission-policy rule.
pub const PERMISSION_RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "HOIST-P001",
        name: "create-policy-version",
        summary: "iam:CreatePolicyVersion lets the holder rewrite a managed policy (including one attached to itself) as administrator.",
    },
    RuleInfo {
        id: "HOIST-P002",
        name: "set-default-policy-version",
        summary: "iam:SetDefaultPolicyVersion lets the holder switch a managed policy to an older, wider version.",
    },
    RuleInfo {
        id: "HOIST-P003",
        name: "attach-policy",
        summary: "iam:Attach{User,Group,Role}Policy without a required boundary attaches AdministratorAccess.",
    },
    RuleInfo {
        id: "HOIST-P004",
        name: "put-inline-policy",
        summary: "iam:Put{User,Group,Role}Policy without a required boundary writes an administrator inline policy.",
    },
    RuleInfo {
        id: "HOIST-P005",
        name: "role-without-boundary",
        summary: "iam:CreateRole / UpdateAssumeRolePolicy / boundary removal without a required boundary: a new or re-trusted role the holder (or an outside account) can assume.",
    },
    RuleInfo {
        id: "HOIST-P006",
        name: "pass-role-to-compute",
        summary: "iam:PassRole combined with compute the holder controls (Lambda, ECS, EC2, CloudFormation, Glue) runs code as the passed role.",
    },
    RuleInfo {
        id: "HOIST-P007",
        name: "credentials-for-other-users",
        summary: "iam:CreateAccessKey / CreateLoginProfile / UpdateLoginProfile on users other than the caller: sign in as them.",
    },
    RuleInfo {
        id: "HOIST-P008",
        name: "assume-broad-roles",
        summary: "sts:AssumeRole of \"*\" or of roles matched by a wildcard: reaches more privileged roles.",
    },
];

const ACCOUNT: &str = "123456789012";
const PROBE: &str = "hoist-probe-other";
const SELF_NAME: &str = "hoist-probe-self";

/// Runs every permission rule over `policy` (one identity-based policy).
/// Findings name the offending statements and the fix.
pub fn audit_permission_policy(policy: &PolicyDocument) -> Vec<Finding> {
    let mut out = Vec::new();
    let simple: &[(usize, &[&str], &str, &str)] = &[
        (
            0,
            &["iam:CreatePolicyVersion"],
            "policy",
            "do not grant iam:CreatePolicyVersion to a deploy identity; manage policies from the bootstrap (administrator) side",
        ),
        (
            1,
            &["iam:SetDefaultPolicyVersion"],
            "policy",
            "do not grant iam:SetDefaultPolicyVersion; delete old policy versions instead of keeping wider ones around",
        ),
        (
            2,
            &[
                "iam:AttachUserPolicy",
                "iam:AttachGroupPolicy",
                "iam:AttachRolePolicy",
            ],
            "",
            "require the boundary: add \"Condition\": {\"StringEquals\": {\"iam:PermissionsBoundary\": \"arn:aws:iam::ACCOUNT:policy/BOUNDARY\"}} (groups cannot carry a boundary: drop group grants), or restrict iam:PolicyARN to named non-administrator policies",
        ),
        (
            3,
            &[
                "iam:PutUserPolicy",
                "iam:PutGroupPolicy",
                "iam:PutRolePolicy",
            ],
            "",
            "require the boundary with a StringEquals condition on iam:PermissionsBoundary (groups cannot carry one: drop group grants)",
        ),
        (
            4,
            &[
                "iam:CreateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRolePermissionsBoundary",
                "iam:PutRolePermissionsBoundary",
                "iam:CreateUser",
            ],
            "",
            "let only a CloudFormation execution role create roles, and require \"StringEquals\": {\"iam:PermissionsBoundary\": BOUNDARY_ARN} on CreateRole/PutRolePermissionsBoundary; grant UpdateAssumeRolePolicy only on roles under the boundary's path (role/BOUNDARY_NAME/…, created there only with it), never boundary removal",
        ),
        (
            6,
            &[
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:UpdateLoginProfile",
            ],
            "user",
            "limit the resource to the caller itself: arn:aws:iam::ACCOUNT:user/${aws:username}",
        ),
    ];
    for (rule, actions, kind, fix) in simple {
        let mut offending = Vec::new();
        let mut granted = Vec::new();
        for action in *actions {
            let resource_kind = if kind.is_empty() {
                resource_kind_of(action)
            } else {
                kind
            };
            let hits = allowing(policy, action, resource_kind, &[], |_| true);
            if !hits.is_empty() {
                granted.push(*action);
            }
            for i in hits {
                if !offending.contains(&i) {
                    offending.push(i);
                }
            }
        }
        push(
            &mut out,
            policy,
            *rule,
            &offending,
            Severity::Error,
            granted.join(", "),
            fix,
        );
    }
    pass_role_paths(policy, &mut out);
    let broad = allowing(policy, "sts:AssumeRole", "role", &[], broad_role_pattern);
    push(
        &mut out,
        policy,
        7,
        &broad,
        Severity::Error,
        "sts:AssumeRole".to_owned(),
        "name each role to assume exactly (e.g. arn:aws:iam::ACCOUNT:role/cdk-hnb659fds-deploy-role-ACCOUNT-REGION), with no wildcard in the account or role name",
    );
    out.sort_by(|a, b| a.statement.cmp(&b.statement).then(a.rule.cmp(b.rule)));
    out
}

fn resource_kind_of(action: &str) -> &'static str {
    if action.contains("User") {
        "user"
    } else if action.contains("Group") {
        "group"
    } else {
        "role"
    }
}

/// The compute that runs a passed role, with the actions that make it run
/// and the service principal PassRole hands the role to.
const COMPUTE: &[(&str, &[&str], &str)] = &[
    ("Lambda", &["lambda:CreateFunction"], "lambda.amazonaws.com"),
    (
        "ECS",
        &["ecs:RegisterTaskDefinition", "ecs:RunTask"],
        "ecs-tasks.amazonaws.com",
    ),
    ("EC2", &["ec2:RunInstances"], "ec2.amazonaws.com"),
    (
        "CloudFormation",
        &["cloudformation:CreateStack"],
        "cloudformation.amazonaws.com",
    ),
    ("Glue", &["glue:CreateDevEndpoint"], "glue.amazonaws.com"),
];

fn pass_role_paths(policy: &PolicyDocument, out: &mut Vec<Finding>) {
    let mut offending = Vec::new();
    let mut via = Vec::new();
    for (name, actions, service) in COMPUTE {
        let pass = allowing(
            policy,
            "iam:PassRole",
            "role",
            &[("iam:PassedToService", service)],
            |_| true,
        );
        if pass.is_empty() {
            continue;
        }
        let mut compute = Vec::new();
        let mut all = true;
        for action in *actions {
            // CloudFormation on named stacks runs only those stacks'
            // templates (the intended deploy path); a new stack of any name
            // is the escalation.
            let filter: fn(&str) -> bool = if *name == "CloudFormation" {
                broad_stack_pattern
            } else {
                |_| true
            };
            let allowed = allowing(policy, action, service_kind(action), &[], filter);
            if allowed.is_empty() {
                all = false;
                break;
            }
            compute.extend(allowed);
        }
        if all {
            via.push(*name);
            for i in pass.into_iter().chain(compute) {
                if !offending.contains(&i) {
                    offending.push(i);
                }
            }
        }
    }
    push(
        out,
        policy,
        5,
        &offending,
        Severity::Error,
        format!("iam:PassRole with {}", via.join(", ")),
        "condition PassRole on iam:PassedToService to the one service the deploy needs (e.g. cloudformation.amazonaws.com) and name the passed roles exactly, or pass only roles under the boundary's path (role/BOUNDARY_NAME/…) that the policy creates there only with that boundary; a resource-tag condition does not control PassRole",
    );
}

fn service_kind(action: &str) -> &'static str {
    match action.split_once(':').map(|(s, _)| s) {
        Some("cloudformation") => "stack",
        Some("lambda") => "function",
        Some("ecs") => "task",
        Some("ec2") => "instance",
        _ => "thing",
    }
}

/// `*`, or a wildcard in the account or role-name part of a role ARN.
fn broad_role_pattern(pattern: &str) -> bool {
    if !pattern.starts_with("arn:") {
        return true;
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    parts.len() != 6 || parts[4].contains(['*', '?']) || parts[5].contains(['*', '?', '$'])
}

/// `*`, or a stack ARN whose stack name has a wildcard.
fn broad_stack_pattern(pattern: &str) -> bool {
    if !pattern.starts_with("arn:") {
        return true;
    }
    let resource = pattern.splitn(6, ':').nth(5).unwrap_or("*");
    let name = resource
        .strip_prefix("stack/")
        .map(|r| r.split('/').next().unwrap_or(r))
        .unwrap_or(resource);
    name.contains(['*', '?', '$'])
}

/// A concrete resource inside `pattern`: wildcards and policy variables
/// become a made-up name that is not the caller's own. Non-ARN patterns
/// (`*`) get a made-up ARN of the action's service.
fn witness(pattern: &str, action: &str, kind: &str) -> String {
    if !pattern.starts_with("arn:") {
        let service = action.split_once(':').map_or("iam", |(s, _)| s);
        let region = if service == "iam" { "" } else { "us-east-1" };
        return format!("arn:aws:{service}:{region}:{ACCOUNT}:{kind}/{PROBE}");
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("${") {
            match rest.find('}') {
                Some(end) => {
                    out.push_str(PROBE);
                    rest = &rest[end + 1..];
                    continue;
                }
                None => {
                    out.push_str(PROBE);
                    break;
                }
            }
        }
        match c {
            '*' => out.push_str(PROBE),
            '?' => out.push('x'),
            other => out.push(other),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Indices of Allow statements that grant `action` on a witness of one of
/// their resources (kept by `filter`) when evaluated with the whole policy.
fn allowing(
    policy: &PolicyDocument,
    action: &str,
    kind: &str,
    context: &[(&str, &str)],
    filter: impl Fn(&str) -> bool,
) -> Vec<usize> {
    let mut hits = Vec::new();
    for (i, st) in policy.statements.iter().enumerate() {
        if st.effect != Effect::Allow || !names_action(st, action) {
            continue;
        }
        let patterns: Vec<String> = match (&st.resource, &st.not_resource) {
            (Some(r), _) => r.iter().cloned().collect(),
            (None, Some(_)) => vec!["*".to_owned()],
            (None, None) => continue,
        };
        for p in patterns.iter().filter(|p| filter(p)) {
            let w = witness(p, action, kind);
            let plain = probe(policy, action, &w, context);
            let mut tagged = context.to_vec();
            let tags = settable_resource_tags(policy, st, action, &w);
            tagged.extend(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let granted = [plain, probe(policy, action, &w, &tagged)].iter().any(|d| {
                d.allowed()
                    && d.statements
                        .iter()
                        .any(|t| t.index == i && t.applies && t.effect == Effect::Allow)
            });
            if granted && !carries_boundary_by_path(policy, action, &w) {
                hits.push(i);
                break;
            }
        }
    }
    hits
}

fn probe(
    policy: &PolicyDocument,
    action: &str,
    resource: &str,
    context: &[(&str, &str)],
) -> crate::eval::IdentityDecision {
    let mut req = IdentityRequest::new(action, resource)
        .with("aws:username", SELF_NAME)
        .with("aws:PrincipalAccount", ACCOUNT);
    for (k, v) in context {
        req = req.with(k, v);
    }
    evaluate_identity(&[policy], None, &req)
}

/// The resource tags `st` asks for that the holder can make true: every one
/// for `iam:PassRole` (tags do not reliably control it), otherwise those the
/// policy lets the holder put on the role (`iam:TagRole` with that key and
/// value).
fn settable_resource_tags(
    policy: &PolicyDocument,
    st: &Statement,
    action: &str,
    role: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for b in &st.condition.operators {
        for e in &b.entries {
            let lower = e.key.to_ascii_lowercase();
            let Some(tag) = lower
                .strip_prefix("aws:resourcetag/")
                .or_else(|| lower.strip_prefix("iam:resourcetag/"))
            else {
                continue;
            };
            let Some(value) = e.values.iter().next().map(|v| {
                v.as_str()
                    .chars()
                    .map(|c| if matches!(c, '*' | '?') { 'x' } else { c })
                    .collect::<String>()
            }) else {
                continue;
            };
            let tag = &e.key[e.key.len() - tag.len()..];
            let settable = action == "iam:PassRole"
                || probe(
                    policy,
                    "iam:TagRole",
                    role,
                    &[
                        (&format!("aws:RequestTag/{tag}"), &value),
                        ("aws:TagKeys", tag),
                    ],
                )
                .allowed();
            if settable {
                out.push((e.key.clone(), value));
            }
        }
    }
    out
}

/// Whether `role` sits under a path named after a boundary that every role
/// there must carry, as far as this policy goes (see the module's notes):
/// only for passing and re-trusting a role.
fn carries_boundary_by_path(policy: &PolicyDocument, action: &str, role: &str) -> bool {
    if !matches!(action, "iam:PassRole" | "iam:UpdateAssumeRolePolicy") {
        return false;
    }
    let Some(path_name) = role
        .splitn(6, ':')
        .nth(5)
        .and_then(|r| r.strip_prefix("role/"))
        .and_then(|r| r.split_once('/'))
        .map(|(first, _)| first)
    else {
        return false;
    };
    let other = format!("arn:aws:iam::{ACCOUNT}:policy/{PROBE}");
    let denied = |action: &str, ctx: &[(&str, &str)]| !probe(policy, action, role, ctx).allowed();
    let fenced = denied("iam:CreateRole", &[])
        && denied("iam:CreateRole", &[("iam:PermissionsBoundary", &other)])
        && denied("iam:DeleteRolePermissionsBoundary", &[])
        && denied(
            "iam:PutRolePermissionsBoundary",
            &[("iam:PermissionsBoundary", &other)],
        );
    fenced
        && boundary_values(policy).iter().any(|b| {
            b.rsplit('/').next() == Some(path_name)
                && !denied("iam:CreateRole", &[("iam:PermissionsBoundary", b)])
        })
}

/// Every value the policy compares `iam:PermissionsBoundary` with.
fn boundary_values(policy: &PolicyDocument) -> Vec<String> {
    let mut out = Vec::new();
    for st in &policy.statements {
        for (_, e) in st.condition.entries_for_key("iam:PermissionsBoundary") {
            for v in e.values.iter() {
                let v = v.as_str().into_owned();
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

fn names_action(st: &Statement, action: &str) -> bool {
    match (&st.action, &st.not_action) {
        (Some(a), _) => a
            .iter()
            .any(|p| action_matches(p, action) == ActionMatch::Match),
        (None, Some(na)) => !na
            .iter()
            .any(|p| action_matches(p, action) != ActionMatch::NoMatch),
        (None, None) => false,
    }
}

fn push(
    out: &mut Vec<Finding>,
    policy: &PolicyDocument,
    rule: usize,
    offending: &[usize],
    severity: Severity,
    what: String,
    fix: &str,
) {
    let Some(&first) = offending.iter().min() else {
        return;
    };
    let info = PERMISSION_RULES[rule];
    let statements: Vec<&Statement> = offending.iter().map(|&i| &policy.statements[i]).collect();
    let labels: Vec<String> = offending
        .iter()
        .map(|&i| policy.statements[i].label(i))
        .collect();
    out.push(Finding {
        rule: info.id,
        name: info.name,
        severity,
        statement: Some(first),
        sid: policy.statements[first].sid.clone(),
        fragment: json!(statements).to_string(),
        message: format!(
            "statement(s) {} allow {what} with no boundary or condition that stops it: {}",
            labels.join(", "),
            info.summary
        ),
        fix: fix.to_owned(),
    });
}
