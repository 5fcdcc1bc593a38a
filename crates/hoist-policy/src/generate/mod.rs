//! Policies hoist writes, each a pure function of what hoist.toml (and, for the execution
//! role, the stack's template) says:
//! - [`github_trust_policy`]: the GitHub OIDC trust policy of a deploy role;
//! - [`deploy_permissions_policy`]: the deploy role's permissions. The deploy role never
//!   mutates IAM: a CDK environment may only assume the CDK bootstrap roles of its qualifier;
//!   a template environment passes exactly its CloudFormation execution role to
//!   CloudFormation ([`scope`] has the names, [`deploy`] the statements);
//! - [`execution_policy`]: that execution role's permissions, generated from the resource
//!   types the template contains and the CloudFormation resource providers' handler
//!   permissions ([`execution`], table in `data/cfn_handler_permissions.json`);
//! - [`permissions_boundary_policy`] and [`add_permissions_boundary`]: the boundary that
//!   caps every role the execution role creates ([`boundary`]);
//! - [`ecr_push_policy`] and [`legacy_ecr_user_policy`] ([`ecr`]).
//!
//! Unknown account id: ARNs use `*` in the account segment. That is wider than one account
//! but still limited by the other segments; pass the account id to pin it.

pub mod boundary;
pub mod deploy;
pub mod ecr;
pub mod execution;
pub mod scope;

pub use boundary::{
    BoundaryError, BoundedTemplate, add_permissions_boundary, bounded_role_path,
    execution_role_trust_policy, permissions_boundary_policy,
};
pub use deploy::deploy_permissions_policy;
pub use ecr::{ecr_push_policy, legacy_ecr_user_policy};
pub use execution::{
    ExecutionPolicy, ExecutionPolicyError, execution_policy, execution_policy_for_types,
};
pub use scope::{DEFAULT_CDK_QUALIFIER, DeployMode, DeployScope, partition_for_region};

use crate::glob::has_wildcard;
use crate::model::{
    ConditionBlock, ConditionValue, Effect, OneOrMany, PolicyDocument, Principal, Statement,
};
use crate::request::{ASSUME_ROLE_WITH_WEB_IDENTITY, GITHUB_ISSUER_HOST};

/// The audience `aws-actions/configure-aws-credentials` requests.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

pub(crate) fn strings(v: &[&str]) -> OneOrMany<String> {
    OneOrMany::from_vec(v.iter().map(|s| (*s).to_owned()).collect())
}

pub(crate) fn owned(v: Vec<String>) -> OneOrMany<String> {
    OneOrMany::from_vec(v)
}

pub(crate) fn cond_values(v: &[String]) -> OneOrMany<ConditionValue> {
    OneOrMany::from_vec(
        v.iter()
            .map(|s| ConditionValue::String(s.clone()))
            .collect(),
    )
}

pub(crate) fn cond_value(v: &str) -> OneOrMany<ConditionValue> {
    OneOrMany::One(ConditionValue::String(v.to_owned()))
}

/// An Allow statement with a Sid.
pub(crate) fn allow(sid: &str, actions: &[&str], resources: Vec<String>) -> Statement {
    let mut st = Statement::new(Effect::Allow);
    st.sid = Some(sid.to_owned());
    st.action = Some(strings(actions));
    st.resource = Some(owned(resources));
    st
}

/// A Deny statement with a Sid.
pub(crate) fn deny(sid: &str, actions: &[&str], resources: Vec<String>) -> Statement {
    let mut st = allow(sid, actions, resources);
    st.effect = Effect::Deny;
    st
}

/// The trust policy for a role GitHub Actions assumes:
/// one Allow for `sts:AssumeRoleWithWebIdentity` from `provider_arn`, with
/// `StringEquals` on `aud` and on `sub` — or `StringLike` on `sub` when any
/// subject contains a wildcard.
pub fn github_trust_policy(
    provider_arn: &str,
    subjects: &[String],
    audience: &str,
) -> PolicyDocument {
    let aud_key = format!("{GITHUB_ISSUER_HOST}:aud");
    let sub_key = format!("{GITHUB_ISSUER_HOST}:sub");
    let mut condition = ConditionBlock::default();
    condition.insert(
        "StringEquals",
        &aud_key,
        OneOrMany::One(ConditionValue::String(audience.to_owned())),
    );
    let sub_op = if subjects.iter().any(|s| has_wildcard(s)) {
        "StringLike"
    } else {
        "StringEquals"
    };
    condition.insert(sub_op, &sub_key, cond_values(subjects));
    let mut st = Statement::new(Effect::Allow);
    st.principal = Some(Principal::federated(provider_arn));
    st.action = Some(OneOrMany::One(ASSUME_ROLE_WITH_WEB_IDENTITY.to_owned()));
    st.condition = condition;
    PolicyDocument::new(vec![st])
}
