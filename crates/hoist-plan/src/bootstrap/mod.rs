//! The bootstrap planner: the GitHub OIDC provider, permissions boundaries (customer managed
//! policies), one deploy role per environment, CloudFormation execution roles, the
//! image-push role, the legacy ECR user and the GitHub secrets/variables.
//!
//! Rules:
//! - Policies are compared semantically (`PolicyDocument::semantically_equal`): IAM returns
//!   them percent-encoded and reformatted, so bytes never decide.
//! - hoist manages the inline policies and managed attachments it names as *owned*; an owned
//!   policy that is present but no longer desired is removed (switching between
//!   `--admin` and least privilege), anything else on the role is left alone.
//! - Role tags hoist sets must have its values; other tags are left alone.
//! - A managed policy is changed by a new default version; when IAM's five versions are
//!   used up, the oldest non-default one is deleted first (planned, shown).
//! - A role's permissions boundary must be the desired one (set when absent or different).
//! - The provider must list the audience among its client ids; thumbprints are not compared
//!   (IAM no longer uses them for GitHub's provider).
//! - GitHub secret values cannot be read back: an existing secret is `unchanged` unless
//!   [`DesiredGithub::rewrite_secrets`] is set; variables are compared by value.
//! - A tag ruleset is unchanged when any active ruleset already restricts the pattern to
//!   admins; a ruleset of the same name that falls short is replaced (PUT), else one is created.

mod actual;
mod compute;
mod desired;
mod op;

pub use actual::{
    Actual, ActualGithub, ActualManagedPolicy, ActualProvider, ActualRole, ActualTagProtection,
    ActualUser,
};
pub use compute::plan;
pub use desired::{
    Desired, DesiredGithub, DesiredManagedPolicy, DesiredProvider, DesiredRole, DesiredSecret,
    DesiredTagRuleset, DesiredUser, RolePermissions,
};
pub use op::Op;

/// A bootstrap plan.
pub type BootstrapPlan = crate::Plan<Op>;

#[cfg(test)]
mod tests;
