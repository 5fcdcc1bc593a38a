//! hoist-policy: the trust engine. Pure — no I/O, no async, no network,
//! no clock.
//!
//! Owns:
//! - [`model`]: the IAM policy document model, parsed the way IAM accepts it
//!   (string-or-list, one-statement-or-list, percent-encoded `GetRole`
//!   output), serialized back faithfully, normalized for diffs;
//! - [`request`]: the request context STS builds for
//!   `sts:AssumeRoleWithWebIdentity` from GitHub OIDC claims;
//! - [`eval`]: the IAM evaluation of a trust policy against that request,
//!   with a per-statement, per-condition trace and a human explanation; and
//!   of identity-based policies with a permissions boundary against an API
//!   request (`evaluate_identity`);
//! - [`github`]: GitHub subject (`sub`) formats (branch, tag, environment,
//!   pull request, ID-based immutable subjects, custom templates) and the
//!   hints that explain a denial;
//! - [`generate`]: the policies hoist writes (GitHub trust policy, deploy
//!   role permissions by CDK or template mode, CloudFormation execution policy from
//!   the template's resource types, permissions boundary,
//!   and image-push permissions, the legacy ECR user policy);
//! - [`audit`]: static findings on trust policies, the emulation of AWS's
//!   GitHub trust-policy guardrail, and the privilege-escalation paths of
//!   permission policies.
//!
//! Must not touch: AWS or GitHub APIs, files, environment variables,
//! terminals (the `hoist` binary prints; `hoist-aws` fetches policies;
//! `hoist-oidc` verifies tokens and hands over their claims).

pub mod audit;
pub mod eval;
pub mod generate;
pub mod github;
pub mod glob;
pub mod model;
pub mod request;

pub use audit::{
    AuditContext, Finding, Severity, Tier, admits_provider_or_anyone, audit,
    audit_permission_policy, audit_with_protection, guardrail_violation, known_aws_managed_policy,
    unparseable_policy,
};
pub use eval::{
    Decision, IdentityDecision, IdentityRequest, Outcome, StatementTrace, evaluate,
    evaluate_identity,
};
pub use generate::{
    BoundaryError, DeployMode, DeployScope, ExecutionPolicy, ExecutionPolicyError,
    add_permissions_boundary, bounded_role_path, deploy_permissions_policy, ecr_push_policy,
    execution_policy, execution_policy_for_types, execution_role_trust_policy, github_trust_policy,
    legacy_ecr_user_policy, permissions_boundary_policy,
};
pub use glob::glob_match;
pub use model::{PolicyDocument, PolicyParseError};
pub use request::{ContextValue, WebIdentityRequest};
