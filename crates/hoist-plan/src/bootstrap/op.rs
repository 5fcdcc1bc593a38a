//! The calls a bootstrap plan makes, as data. Documents are compact JSON, exactly what is sent.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// One mutating call.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// `iam:CreateOpenIDConnectProvider`.
    CreateOidcProvider {
        url: String,
        client_ids: Vec<String>,
    },
    /// `iam:AddClientIDToOpenIDConnectProvider`.
    AddProviderClientId {
        provider_arn: String,
        client_id: String,
    },
    /// `iam:CreateRole` (with tags and max session duration).
    CreateRole {
        name: String,
        description: String,
        trust_policy: String,
        max_session_duration: u32,
        tags: BTreeMap<String, String>,
        permissions_boundary: Option<String>,
    },
    /// `iam:PutRolePermissionsBoundary`.
    PutRolePermissionsBoundary { role: String, policy_arn: String },
    /// `iam:CreatePolicy`.
    CreateManagedPolicy {
        name: String,
        description: String,
        document: String,
    },
    /// `iam:DeletePolicyVersion` (a non-default version, to make room).
    DeletePolicyVersion {
        policy_arn: String,
        version_id: String,
    },
    /// `iam:CreatePolicyVersion` as the default.
    CreatePolicyVersion {
        policy_arn: String,
        document: String,
    },
    /// `iam:UpdateAssumeRolePolicy`.
    UpdateTrustPolicy { role: String, trust_policy: String },
    /// `iam:UpdateRole` with `MaxSessionDuration`.
    SetMaxSessionDuration { role: String, seconds: u32 },
    /// `iam:TagRole`.
    TagRole {
        role: String,
        tags: BTreeMap<String, String>,
    },
    /// `iam:PutRolePolicy`.
    PutRolePolicy {
        role: String,
        policy_name: String,
        document: String,
    },
    /// `iam:DeleteRolePolicy`.
    DeleteRolePolicy { role: String, policy_name: String },
    /// `iam:AttachRolePolicy`.
    AttachRolePolicy { role: String, policy_arn: String },
    /// `iam:DetachRolePolicy`.
    DetachRolePolicy { role: String, policy_arn: String },
    /// `iam:CreateUser`.
    CreateUser { name: String },
    /// `iam:PutUserPolicy`.
    PutUserPolicy {
        user: String,
        policy_name: String,
        document: String,
    },
    /// GitHub `PUT /repos/{o}/{r}/actions/secrets/{name}` (sealed box).
    SetGithubSecret { name: String, value: String },
    /// GitHub `POST /repos/{o}/{r}/rulesets` (or `PUT …/rulesets/{id}`): tags `pattern`
    /// created, updated and deleted only by repository admins.
    PutTagRuleset {
        id: Option<u64>,
        name: String,
        pattern: String,
    },
    /// GitHub `POST|PATCH /repos/{o}/{r}/actions/variables`.
    SetGithubVariable {
        name: String,
        value: String,
        exists: bool,
    },
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret values never reach Debug output.
        match self {
            Self::SetGithubSecret { name, .. } => f
                .debug_struct("SetGithubSecret")
                .field("name", name)
                .field("value", &"<redacted>")
                .finish(),
            other => f.write_str(&other.describe()),
        }
    }
}

impl Op {
    /// A one-line description without secret values, for progress lines.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::CreateOidcProvider { url, .. } => format!("create OIDC provider {url}"),
            Self::AddProviderClientId {
                provider_arn,
                client_id,
            } => format!("add client id {client_id} to {provider_arn}"),
            Self::CreateRole { name, .. } => format!("create role {name}"),
            Self::PutRolePermissionsBoundary { role, policy_arn } => {
                format!("set permissions boundary {policy_arn} on role {role}")
            }
            Self::CreateManagedPolicy { name, .. } => format!("create managed policy {name}"),
            Self::DeletePolicyVersion {
                policy_arn,
                version_id,
            } => format!("delete version {version_id} of {policy_arn}"),
            Self::CreatePolicyVersion { policy_arn, .. } => {
                format!("set a new default version of {policy_arn}")
            }
            Self::UpdateTrustPolicy { role, .. } => format!("update trust policy of role {role}"),
            Self::SetMaxSessionDuration { role, seconds } => {
                format!("set max session duration of role {role} to {seconds}s")
            }
            Self::TagRole { role, .. } => format!("tag role {role}"),
            Self::PutRolePolicy {
                role, policy_name, ..
            } => format!("put inline policy {policy_name} on role {role}"),
            Self::DeleteRolePolicy { role, policy_name } => {
                format!("delete inline policy {policy_name} from role {role}")
            }
            Self::AttachRolePolicy { role, policy_arn } => {
                format!("attach {policy_arn} to role {role}")
            }
            Self::DetachRolePolicy { role, policy_arn } => {
                format!("detach {policy_arn} from role {role}")
            }
            Self::CreateUser { name } => format!("create user {name}"),
            Self::PutUserPolicy {
                user, policy_name, ..
            } => format!("put inline policy {policy_name} on user {user}"),
            Self::SetGithubSecret { name, .. } => format!("set GitHub secret {name}"),
            Self::SetGithubVariable { name, .. } => format!("set GitHub variable {name}"),
            Self::PutTagRuleset { name, pattern, .. } => {
                format!("put GitHub ruleset {name} on tags {pattern}")
            }
        }
    }
}
