//! hoist's push engine. Owns, for the images of one `hoist push` (or any caller):
//! - `current`: what a repository's tags point at now;
//! - `plan`: the [`PushPlan`], a value computed before any byte is sent saying per image
//!   whether it is unchanged, only retagged or needs layers uploaded (pure, table-tested
//!   without Docker or a registry);
//! - `source`: the images to push and where their bytes are (disk, or the Docker engine);
//! - `export`: the engine's one export stream, each changed layer compressed and uploaded as
//!   soon as it is complete, unchanged layers reused from the repository by diff_id;
//! - `registry`, `ecr`, `credentials`: the registry's URL and credentials (ECR's token only
//!   to ECR hosts), ECR repositories, and errors named the way the guide troubleshoots them;
//! - `run`: the whole push, read → decide → apply, and each image's [`ServiceResult`].
//!
//! Must not touch: argument parsing, settings files, the terminal (the CLI crate wires this
//! crate and prints what it returns), the process environment (the CLI reads it into a
//! [`registry::Target`]). Registry I/O goes through `hoist-registry`, the engine through
//! `hoist-docker`, ECR's control plane through `hoist-aws`. Errors are [`PushError`].

mod credentials;
pub mod current;
pub mod ecr;
pub mod error;
mod export;
mod guess;
pub mod plan;
pub mod registry;
pub mod run;
pub mod source;
pub mod tags;

pub use ecr::Control;
pub use error::PushError;
pub use plan::{Action, Decision, Identity, PushPlan, RepositoryCheck, ServicePlan};
pub use registry::{GithubToken, Registry, Target, connect};
pub use run::{Ctx, EXPLAIN_INTRO, Events, Outcome, ServiceResult, push_all};
pub use source::{EarlyEngine, EngineImage, Local, Source, engine_for, find_in_engine};
pub use tags::{Tag, expand_tags};
