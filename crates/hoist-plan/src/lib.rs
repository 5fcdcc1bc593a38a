//! hoist-plan: plans as pure values — what exists, what should exist, and the changes between
//! them — and their rendering for people (`create` / `update` / `unchanged` with unified diffs)
//! and for `--json`.
//!
//! Owns: the generic [`Plan`] / [`Resource`] / [`Action`] / [`Diff`] model, its human and JSON
//! rendering, and the bootstrap planner ([`bootstrap::plan`]): desired vs. actual IAM OIDC
//! provider, roles, policies, legacy user and GitHub secrets/variables → the exact list of
//! operations `hoist bootstrap --apply` performs; the teardown planner ([`teardown::plan`]:
//! blocking ingress rules from the stack template's relations, then the stack; and the
//! `--cleanup` plan); the access-key planners ([`keys::rotate`], [`keys::migrate`]); and the
//! markdown rendering for `$GITHUB_STEP_SUMMARY`.
//!
//! Must not touch: AWS, GitHub, files, the clock or the environment. Callers read the actual
//! state, hand it over as data, and execute the operations of the plan they were shown.

pub mod bootstrap;
mod diff;
pub mod keys;
mod markdown;
mod model;
mod render;
pub mod teardown;

pub use diff::{Diff, unified_diff, unified_diff_headed};
pub use model::{Action, Plan, Resource, Summary};
