//! The teardown planner: the stack's blocking ingress rules, then the stack; and, for
//! `--cleanup`, the retained security groups whose network interfaces are gone.
//!
//! Which rules block and which resources hold network interfaces come from the stack's own
//! template and resources ([`Relations`]): a VPC Lambda function's `SecurityGroupIds`, the
//! ingress rules that take their source from those groups. A `DELETE_FAILED` delete is retried
//! retaining the resources [`retain_on_retry`] picks from CloudFormation's events.

mod compute;
mod op;
mod retain;
mod template;

pub use compute::{ActualStack, Interface, LeftoverState, StackResource, cleanup_plan, plan};
pub use op::{IngressRule, Op};
pub use retain::{Leftover, StackEvent, retain_on_retry};
pub use template::{DeclaredIngress, Relations, SECURITY_GROUP, TemplateError};

/// A teardown plan.
pub type TeardownPlan = crate::Plan<Op>;

#[cfg(test)]
mod tests;
