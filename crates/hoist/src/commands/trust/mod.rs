//! `hoist trust check` and `hoist trust audit`: the trust engine on the command line.

mod audit;
mod check;
mod claims;
mod policy_source;

pub(crate) use audit::audit;
pub(crate) use check::check;
