//! The permissions boundary bootstrap creates, the trust policy of the CloudFormation
//! execution role, and [`add_permissions_boundary`], which puts the boundary on every
//! `AWS::IAM::Role` of a template before it is deployed, and the role under the boundary's
//! path ([`bounded_role_path`]): only roles there may be passed or re-trusted.
//!
//! The boundary allows everything except what would let a role it caps escape it (AWS's
//! "delegate role creation with a boundary" pattern): changing or deleting the boundary,
//! removing it from a role, creating or changing a role without it, IAM users, access keys,
//! login profiles and groups, identity providers, account and organization settings, policy
//! versions and `iam:PassRole` / trust changes outside the stacks' roles, and anything on the
//! roles hoist itself manages.

use serde_json::Value;

use super::scope::DeployScope;
use super::{allow, cond_value, deny};
use crate::model::{Effect, OneOrMany, PolicyDocument, Principal, PrincipalMap, Statement};

/// Role calls that can only create or change a role carrying the boundary.
pub(crate) const BOUNDED_ROLE_ACTIONS: &[&str] = &[
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteRolePolicy",
];

/// The path of every role that carries the boundary `boundary_arn`: `/NAME/`, NAME being the
/// boundary policy's name (`arn:aws:iam::1:policy/App-Boundary` → `/App-Boundary/`).
///
/// A role's path is part of its ARN (`role/App-Boundary/STACK-Fn-X`) and is fixed when the
/// role is created. The execution role may create a role there only with the boundary and
/// may never remove it, so a policy can grant `iam:PassRole` and
/// `iam:UpdateAssumeRolePolicy` on exactly the roles that carry the boundary — which no
/// condition key can express: IAM has none for an existing role's boundary on those actions,
/// and AWS documents `aws:ResourceTag` as unreliable for `iam:PassRole`.
#[must_use]
pub fn bounded_role_path(boundary_arn: &str) -> String {
    let name = boundary_arn.rsplit('/').next().unwrap_or(boundary_arn);
    format!("/{name}/")
}

/// IAM identities with long-lived credentials, never created under the boundary.
const USER_ACTIONS: &[&str] = &[
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:UploadSSHPublicKey",
    "iam:UploadSigningCertificate",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:AddUserToGroup",
    "iam:CreateGroup",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
];

/// Account-wide settings, identity providers and AWS Organizations.
const ACCOUNT_ACTIONS: &[&str] = &[
    "organizations:*",
    "account:*",
    "iam:CreateAccountAlias",
    "iam:DeleteAccountAlias",
    "iam:UpdateAccountPasswordPolicy",
    "iam:DeleteAccountPasswordPolicy",
    "iam:CreateOpenIDConnectProvider",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:CreateSAMLProvider",
    "iam:UpdateSAMLProvider",
];

/// The boundary's document. `boundary_arn` is the ARN of the managed policy this document
/// becomes; `protected_roles` are the ARNs of the roles hoist manages (deploy and execution
/// roles), which nothing under the boundary may touch.
#[must_use]
pub fn permissions_boundary_policy(
    scope: &DeployScope,
    boundary_arn: &str,
    protected_roles: &[String],
) -> PolicyDocument {
    let stack_roles = scope.iam_per_stack(&format!(
        "role{}{{stack}}-*",
        bounded_role_path(boundary_arn)
    ));
    let mut st = vec![allow("Ceiling", &["*"], vec!["*".to_owned()])];
    st.push(deny(
        "DenyChangingTheBoundary",
        &[
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:TagPolicy",
            "iam:UntagPolicy",
        ],
        vec![boundary_arn.to_owned()],
    ));
    st.push(deny(
        "DenyRemovingBoundaries",
        &[
            "iam:DeleteRolePermissionsBoundary",
            "iam:DeleteUserPermissionsBoundary",
        ],
        vec!["*".to_owned()],
    ));
    let mut unbounded = deny(
        "DenyRolesWithoutThisBoundary",
        BOUNDED_ROLE_ACTIONS,
        vec!["*".to_owned()],
    );
    unbounded.condition.insert(
        "StringNotEquals",
        "iam:PermissionsBoundary",
        cond_value(boundary_arn),
    );
    st.push(unbounded);
    st.push(deny("DenyUsersAndKeys", USER_ACTIONS, vec!["*".to_owned()]));
    st.push(deny(
        "DenyAccountAndOrganizations",
        ACCOUNT_ACTIONS,
        vec!["*".to_owned()],
    ));
    let mut versions = deny(
        "DenyPolicyVersionsOutsideTheStacks",
        &["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
        Vec::new(),
    );
    versions.resource = None;
    versions.not_resource = Some(OneOrMany::from_vec(scope.iam_per_stack("policy/{stack}-*")));
    st.push(versions);
    let mut outside = deny(
        "DenyPassingOrRetrustingOtherRoles",
        &["iam:PassRole", "iam:UpdateAssumeRolePolicy"],
        Vec::new(),
    );
    outside.resource = None;
    outside.not_resource = Some(OneOrMany::from_vec(
        [stack_roles, vec![scope.iam_arn("role/aws-service-role/*")]].concat(),
    ));
    st.push(outside);
    if !protected_roles.is_empty() {
        st.push(deny(
            "DenyHoistRoles",
            &["iam:*", "sts:AssumeRole"],
            protected_roles.to_vec(),
        ));
    }
    PolicyDocument::new(st)
}

/// The trust policy of a CloudFormation execution role: only CloudFormation assumes it.
#[must_use]
pub fn execution_role_trust_policy() -> PolicyDocument {
    let mut st = Statement::new(Effect::Allow);
    st.principal = Some(Principal::Map(PrincipalMap {
        service: Some(OneOrMany::One("cloudformation.amazonaws.com".to_owned())),
        ..PrincipalMap::default()
    }));
    st.action = Some(OneOrMany::One("sts:AssumeRole".to_owned()));
    PolicyDocument::new(vec![st])
}

/// Why a template could not be given the boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundaryError {
    /// Not JSON (YAML templates are converted before this step).
    #[error("the template is not JSON: {0}")]
    NotJson(String),
    /// No `Resources` object.
    #[error("the template has no Resources object")]
    NoResources,
    /// A role's `Properties` is not an object.
    #[error("resource {0} (AWS::IAM::Role) has Properties that are not an object")]
    BadProperties(String),
}

/// A template whose roles carry the boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedTemplate {
    /// The template, compact JSON.
    pub template: String,
    /// Logical ids of the roles whose `PermissionsBoundary` or `Path` was set or replaced,
    /// for the plan.
    pub changed_roles: Vec<String>,
}

/// Sets `PermissionsBoundary` to `boundary_arn` and `Path` to [`bounded_role_path`] on every
/// `AWS::IAM::Role` of `template_json` (replacing any other value: the execution role could
/// not create the role, or pass it, otherwise). CloudFormation replaces a role whose path
/// changes.
///
/// # Errors
/// [`BoundaryError`] when the template is not a JSON object with `Resources`.
pub fn add_permissions_boundary(
    template_json: &str,
    boundary_arn: &str,
) -> Result<BoundedTemplate, BoundaryError> {
    let mut template: Value =
        serde_json::from_str(template_json).map_err(|e| BoundaryError::NotJson(e.to_string()))?;
    let resources = template
        .get_mut("Resources")
        .and_then(Value::as_object_mut)
        .ok_or(BoundaryError::NoResources)?;
    let mut changed_roles = Vec::new();
    for (logical_id, resource) in resources.iter_mut() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::IAM::Role") {
            continue;
        }
        let Some(obj) = resource.as_object_mut() else {
            continue;
        };
        let props = obj
            .entry("Properties")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        let props = props
            .as_object_mut()
            .ok_or_else(|| BoundaryError::BadProperties(logical_id.clone()))?;
        let mut changed = false;
        for (key, wanted) in [
            ("PermissionsBoundary", boundary_arn.to_owned()),
            ("Path", bounded_role_path(boundary_arn)),
        ] {
            let wanted = Value::String(wanted);
            if props.get(key) != Some(&wanted) {
                props.insert(key.to_owned(), wanted);
                changed = true;
            }
        }
        if changed {
            changed_roles.push(logical_id.clone());
        }
    }
    Ok(BoundedTemplate {
        template: template.to_string(),
        changed_roles,
    })
}
