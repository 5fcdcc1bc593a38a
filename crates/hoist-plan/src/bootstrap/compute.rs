//! Desired vs. actual → the bootstrap plan.

use std::collections::BTreeMap;

use hoist_policy::PolicyDocument;

use super::{
    Actual, ActualGithub, ActualManagedPolicy, ActualProvider, ActualRole, ActualTagProtection,
    ActualUser, BootstrapPlan, Desired, DesiredGithub, DesiredManagedPolicy, DesiredProvider,
    DesiredRole, DesiredTagRuleset, DesiredUser, Op, RolePermissions,
};
use crate::{Action, Diff, Resource};

/// The plan that makes `actual` what `desired` says, resource by resource, in apply order:
/// provider, managed policies (boundaries), roles (each followed by its permissions), legacy
/// user, GitHub.
#[must_use]
pub fn plan(desired: &Desired, actual: &Actual) -> BootstrapPlan {
    let mut resources = vec![provider(&desired.provider, actual.provider.as_ref())];
    for policy in &desired.policies {
        resources.push(managed_policy(policy, actual.policies.get(&policy.arn)));
    }
    for role in &desired.roles {
        resources.extend(role_resources(role, actual.roles.get(&role.name)));
    }
    if let Some(user) = &desired.user {
        resources.extend(user_resources(user, actual.user.as_ref()));
    }
    if let Some(github) = &desired.github {
        let empty = ActualGithub::default();
        resources.extend(github_resources(
            github,
            actual.github.as_ref().unwrap_or(&empty),
        ));
    }
    BootstrapPlan { resources }
}

/// Normalized pretty JSON, the form policies are diffed in.
fn pretty(doc: &PolicyDocument) -> String {
    serde_json::to_string_pretty(&doc.normalized()).unwrap_or_default()
}

/// `Some(diff)` when `actual_json` does not mean `desired`. Unparsable text always differs.
fn policy_diff(field: &str, desired: &PolicyDocument, actual_json: Option<&str>) -> Option<Diff> {
    let Some(json) = actual_json else {
        return Some(Diff::new(field, None, Some(pretty(desired))));
    };
    match PolicyDocument::parse_iam_encoded(json) {
        Ok(doc) if PolicyDocument::semantically_equal(&doc, desired) => None,
        Ok(doc) => Some(Diff::new(field, Some(pretty(&doc)), Some(pretty(desired)))),
        Err(_) => Some(Diff::new(
            field,
            Some(json.to_owned()),
            Some(pretty(desired)),
        )),
    }
}

fn tag_lines(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn provider(desired: &DesiredProvider, actual: Option<&ActualProvider>) -> Resource<Op> {
    const KIND: &str = "oidc-provider";
    let name = desired
        .arn
        .rsplit_once('/')
        .map_or(desired.arn.as_str(), |(_, host)| host)
        .to_owned();
    let name = desired
        .url
        .strip_prefix("https://")
        .map_or(name, ToOwned::to_owned);
    match actual {
        None => Resource::changed(
            KIND,
            name,
            Action::Create,
            vec![
                Diff::new("url", None, Some(desired.url.clone())),
                Diff::new("client ids", None, Some(desired.audience.clone())),
            ],
            vec![Op::CreateOidcProvider {
                url: desired.url.clone(),
                client_ids: vec![desired.audience.clone()],
            }],
        ),
        Some(p) if !p.client_ids.iter().any(|c| c == &desired.audience) => {
            let before = p.client_ids.join(", ");
            let mut after_ids = p.client_ids.clone();
            after_ids.push(desired.audience.clone());
            Resource::changed(
                KIND,
                name,
                Action::Update,
                vec![Diff::new(
                    "client ids",
                    Some(if before.is_empty() {
                        "(none)".to_owned()
                    } else {
                        before
                    }),
                    Some(after_ids.join(", ")),
                )],
                vec![Op::AddProviderClientId {
                    provider_arn: p.arn.clone(),
                    client_id: desired.audience.clone(),
                }],
            )
            .note(format!(
                "tokens carry aud={}; a provider without that client id rejects them",
                desired.audience
            ))
        }
        Some(_) => Resource::unchanged(KIND, name),
    }
}

fn managed_policy(
    desired: &DesiredManagedPolicy,
    actual: Option<&ActualManagedPolicy>,
) -> Resource<Op> {
    const KIND: &str = "managed-policy";
    let Some(actual) = actual else {
        return Resource::changed(
            KIND,
            desired.name.clone(),
            Action::Create,
            vec![Diff::new("document", None, Some(pretty(&desired.document)))],
            vec![Op::CreateManagedPolicy {
                name: desired.name.clone(),
                description: desired.description.clone(),
                document: desired.document.to_json(),
            }],
        )
        .note(desired.purpose.clone());
    };
    let Some(diff) = policy_diff("document", &desired.document, Some(&actual.document)) else {
        return Resource::unchanged(KIND, desired.name.clone()).note(desired.purpose.clone());
    };
    let mut ops = Vec::new();
    // IAM keeps at most five versions: the default plus four others.
    if actual.non_default_versions.len() >= 4
        && let Some(oldest) = actual.non_default_versions.first()
    {
        ops.push(Op::DeletePolicyVersion {
            policy_arn: desired.arn.clone(),
            version_id: oldest.clone(),
        });
    }
    ops.push(Op::CreatePolicyVersion {
        policy_arn: desired.arn.clone(),
        document: desired.document.to_json(),
    });
    Resource::changed(KIND, desired.name.clone(), Action::Update, vec![diff], ops)
        .note(desired.purpose.clone())
}

fn role_resources(desired: &DesiredRole, actual: Option<&ActualRole>) -> Vec<Resource<Op>> {
    let mut out = vec![role(desired, actual)];
    out.extend(permissions(desired, actual));
    out
}

fn role(desired: &DesiredRole, actual: Option<&ActualRole>) -> Resource<Op> {
    const KIND: &str = "iam-role";
    let Some(actual) = actual else {
        let boundary = desired
            .permissions_boundary
            .iter()
            .map(|b| Diff::new("permissions boundary", None, Some(b.clone())));
        return Resource::changed(
            KIND,
            desired.name.clone(),
            Action::Create,
            [
                Diff::new("trust policy", None, Some(pretty(&desired.trust))),
                Diff::new(
                    "max session duration",
                    None,
                    Some(desired.max_session_duration.to_string()),
                ),
                Diff::new("tags", None, Some(tag_lines(&desired.tags))),
            ]
            .into_iter()
            .chain(boundary)
            .collect(),
            vec![Op::CreateRole {
                name: desired.name.clone(),
                description: desired.description.clone(),
                trust_policy: desired.trust.to_json(),
                max_session_duration: desired.max_session_duration,
                tags: desired.tags.clone(),
                permissions_boundary: desired.permissions_boundary.clone(),
            }],
        )
        .note(desired.purpose.clone());
    };
    let mut diffs = Vec::new();
    let mut ops = Vec::new();
    if let Some(d) = policy_diff("trust policy", &desired.trust, Some(&actual.trust_json)) {
        diffs.push(d);
        ops.push(Op::UpdateTrustPolicy {
            role: desired.name.clone(),
            trust_policy: desired.trust.to_json(),
        });
    }
    if actual.max_session_duration != desired.max_session_duration {
        diffs.push(Diff::new(
            "max session duration",
            Some(actual.max_session_duration.to_string()),
            Some(desired.max_session_duration.to_string()),
        ));
        ops.push(Op::SetMaxSessionDuration {
            role: desired.name.clone(),
            seconds: desired.max_session_duration,
        });
    }
    let wrong: BTreeMap<String, String> = desired
        .tags
        .iter()
        .filter(|(k, v)| actual.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !wrong.is_empty() {
        let before: BTreeMap<String, String> = wrong
            .keys()
            .filter_map(|k| actual.tags.get(k).map(|v| (k.clone(), v.clone())))
            .collect();
        diffs.push(Diff::new(
            "tags",
            Some(if before.is_empty() {
                "(none)".to_owned()
            } else {
                tag_lines(&before)
            }),
            Some(tag_lines(&wrong)),
        ));
        ops.push(Op::TagRole {
            role: desired.name.clone(),
            tags: wrong,
        });
    }
    if let Some(boundary) = &desired.permissions_boundary
        && actual.permissions_boundary.as_ref() != Some(boundary)
    {
        diffs.push(Diff::new(
            "permissions boundary",
            Some(
                actual
                    .permissions_boundary
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned()),
            ),
            Some(boundary.clone()),
        ));
        ops.push(Op::PutRolePermissionsBoundary {
            role: desired.name.clone(),
            policy_arn: boundary.clone(),
        });
    }
    if ops.is_empty() {
        Resource::unchanged(KIND, desired.name.clone()).note(desired.purpose.clone())
    } else {
        Resource::changed(KIND, desired.name.clone(), Action::Update, diffs, ops)
            .note(desired.purpose.clone())
    }
}

fn permissions(desired: &DesiredRole, actual: Option<&ActualRole>) -> Vec<Resource<Op>> {
    let role = &desired.name;
    let mut out = Vec::new();
    match &desired.permissions {
        RolePermissions::Inline { name, document } => {
            let kind = "role-policy";
            let label = format!("{role}/{name}");
            let current = actual.and_then(|a| a.inline.get(name)).map(String::as_str);
            match policy_diff("permission policy", document, current) {
                None => out.push(Resource::unchanged(kind, label)),
                Some(diff) => {
                    let action = if current.is_some() {
                        Action::Update
                    } else {
                        Action::Create
                    };
                    let op = Op::PutRolePolicy {
                        role: role.clone(),
                        policy_name: name.clone(),
                        document: document.to_json(),
                    };
                    out.push(Resource::changed(kind, label, action, vec![diff], vec![op]));
                }
            }
        }
        RolePermissions::Managed { arn } => {
            let kind = "managed-policy";
            let label = format!("{role}/{}", arn.rsplit('/').next().unwrap_or(arn));
            if actual.is_some_and(|a| a.managed.contains(arn)) {
                out.push(Resource::unchanged(kind, label));
            } else {
                let op = Op::AttachRolePolicy {
                    role: role.clone(),
                    policy_arn: arn.clone(),
                };
                out.push(Resource::changed(
                    kind,
                    label,
                    Action::Create,
                    vec![Diff::new("attach", None, Some(arn.clone()))],
                    vec![op],
                ));
            }
        }
    }
    let Some(actual) = actual else { return out };
    for name in &desired.owned_inline {
        let wanted =
            matches!(&desired.permissions, RolePermissions::Inline { name: n, .. } if n == name);
        if !wanted && actual.inline.contains_key(name) {
            let op = Op::DeleteRolePolicy {
                role: role.clone(),
                policy_name: name.clone(),
            };
            out.push(
                Resource::changed(
                    "role-policy",
                    format!("{role}/{name}"),
                    Action::Delete,
                    Vec::new(),
                    vec![op],
                )
                .note("replaced by the managed policy attached above"),
            );
        }
    }
    for arn in &desired.owned_managed {
        let wanted =
            matches!(&desired.permissions, RolePermissions::Managed { arn: a } if a == arn);
        if !wanted && actual.managed.contains(arn) {
            let op = Op::DetachRolePolicy {
                role: role.clone(),
                policy_arn: arn.clone(),
            };
            out.push(
                Resource::changed(
                    "managed-policy",
                    format!("{role}/{}", arn.rsplit('/').next().unwrap_or(arn)),
                    Action::Delete,
                    Vec::new(),
                    vec![op],
                )
                .note("replaced by the least-privilege inline policy"),
            );
        }
    }
    out
}

fn user_resources(desired: &DesiredUser, actual: Option<&ActualUser>) -> Vec<Resource<Op>> {
    let mut out = Vec::new();
    if actual.is_some() {
        out.push(Resource::unchanged("iam-user", desired.name.clone()));
    } else {
        out.push(
            Resource::changed(
                "iam-user",
                desired.name.clone(),
                Action::Create,
                Vec::new(),
                vec![Op::CreateUser {
                    name: desired.name.clone(),
                }],
            )
            .note("access keys are not created here"),
        );
    }
    let label = format!("{}/{}", desired.name, desired.policy_name);
    let current = actual
        .and_then(|a| a.inline.get(&desired.policy_name))
        .map(String::as_str);
    match policy_diff("permission policy", &desired.policy, current) {
        None => out.push(Resource::unchanged("user-policy", label)),
        Some(diff) => {
            let action = if current.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            let op = Op::PutUserPolicy {
                user: desired.name.clone(),
                policy_name: desired.policy_name.clone(),
                document: desired.policy.to_json(),
            };
            out.push(Resource::changed(
                "user-policy",
                label,
                action,
                vec![diff],
                vec![op],
            ));
        }
    }
    out
}

fn github_resources(desired: &DesiredGithub, actual: &ActualGithub) -> Vec<Resource<Op>> {
    let mut out = Vec::new();
    for (name, secret) in &desired.secrets {
        let exists = actual.secret_names.contains(&name.to_ascii_uppercase());
        let op = Op::SetGithubSecret {
            name: name.clone(),
            value: secret.value.clone(),
        };
        let value = Diff::new("value", None, Some(format!("<{}>", secret.description)));
        out.push(match (exists, desired.rewrite_secrets) {
            (false, _) => Resource::changed("github-secret", name.clone(), Action::Create, vec![value], vec![op]),
            (true, true) => Resource::changed("github-secret", name.clone(), Action::Update, vec![value], vec![op])
                .note("rewritten because --rewrite-secrets was given"),
            (true, false) => Resource::unchanged("github-secret", name.clone())
                .note("exists; GitHub never returns secret values, so hoist cannot compare it (--rewrite-secrets writes it again)"),
        });
    }
    for (name, value) in &desired.variables {
        let current = actual
            .variables
            .get(name)
            .or_else(|| actual.variables.get(&name.to_ascii_uppercase()));
        out.push(match current {
            Some(v) if v == value => Resource::unchanged("github-variable", name.clone()),
            Some(v) => Resource::changed(
                "github-variable",
                name.clone(),
                Action::Update,
                vec![Diff::new("value", Some(v.clone()), Some(value.clone()))],
                vec![Op::SetGithubVariable {
                    name: name.clone(),
                    value: value.clone(),
                    exists: true,
                }],
            ),
            None => Resource::changed(
                "github-variable",
                name.clone(),
                Action::Create,
                vec![Diff::new("value", None, Some(value.clone()))],
                vec![Op::SetGithubVariable {
                    name: name.clone(),
                    value: value.clone(),
                    exists: false,
                }],
            ),
        });
    }
    for rs in &desired.tag_rulesets {
        out.push(tag_ruleset(rs, actual.tag_protection.get(&rs.pattern)));
    }
    out
}

fn tag_ruleset(desired: &DesiredTagRuleset, actual: Option<&ActualTagProtection>) -> Resource<Op> {
    const KIND: &str = "github-ruleset";
    let empty = ActualTagProtection::default();
    let actual = actual.unwrap_or(&empty);
    let why = format!(
        "prod ({}) trusts tags {}: only admins may create, move or delete them",
        desired.environment, desired.pattern
    );
    if let Some(by) = &actual.protected_by {
        return Resource::unchanged(KIND, desired.name.clone()).note(format!(
            "tags {} already restricted by ruleset {by}",
            desired.pattern
        ));
    }
    let after = format!(
        "target tag, active, include refs/tags/{}, rules creation/update/deletion, bypass: repository admins",
        desired.pattern
    );
    let op = |id| Op::PutTagRuleset {
        id,
        name: desired.name.clone(),
        pattern: desired.pattern.clone(),
    };
    match &actual.same_name {
        Some((id, gap)) => Resource::changed(
            KIND,
            desired.name.clone(),
            Action::Update,
            vec![Diff::new("ruleset", Some(gap.clone()), Some(after))],
            vec![op(Some(*id))],
        )
        .note(why),
        None => Resource::changed(
            KIND,
            desired.name.clone(),
            Action::Create,
            vec![Diff::new("ruleset", None, Some(after))],
            vec![op(None)],
        )
        .note(why),
    }
}
