//! The bootstrap planner: the GitHub OIDC provider, one deploy role per environment, the
//! image-push role, the legacy ECR user and the GitHub secrets/variables.
//!
//! Rules:
//! - Policies are compared semantically (`PolicyDocument::semantically_equal`): IAM returns
//!   them percent-encoded and reformatted, so bytes never decide.
//! - hoist manages the inline policies and managed attachments it names as *owned*; an owned
//!   policy that is present but no longer desired is removed (switching between
//!   `--admin` and least privilege), anything else on the role is left alone.
//! - Role tags hoist sets must have its values; other tags are left alone.
//! - The provider must list the audience among its client ids; thumbprints are not compared
//!   (IAM no longer uses them for GitHub's provider).
//! - GitHub secret values cannot be read back: an existing secret is `unchanged` unless
//!   [`DesiredGithub::rewrite_secrets`] is set; variables are compared by value.

mod actual;
mod compute;
mod desired;
mod op;

pub use actual::{Actual, ActualGithub, ActualProvider, ActualRole, ActualUser};
pub use compute::plan;
pub use desired::{
    Desired, DesiredGithub, DesiredProvider, DesiredRole, DesiredSecret, DesiredUser,
    RolePermissions,
};
pub use op::Op;

/// A bootstrap plan.
pub type BootstrapPlan = crate::Plan<Op>;

#[cfg(test)]
mod tests;
