//! The deploy engine's pure half: owns the CDK cloud-assembly model (typed `manifest.json` and
//! `*.assets.json`), placeholder resolution, directory-asset zipping, the secret scan of what
//! is about to be uploaded, and the deploy plan — a value computed before anything changes
//! (template location, roles, assets to publish, parameters, pre-flight findings), and the
//! `{image:SERVICE}` references in parameters and context resolved to pushed digests.
//!
//! Must not touch: AWS or any network (`hoist-deployer` executes the plan), printing.
//! The only I/O is reading the assembly directory and the asset files it names.

pub mod assembly;
pub mod boundary;
pub mod image_refs;
pub mod limits;
pub mod outputs;
pub mod placeholders;
pub mod plan;
pub mod preflight;
pub mod scan;
pub mod services;
pub mod synth;
pub mod unchanged;
pub mod zip_asset;

pub use assembly::{AssemblyError, StackAssembly};
pub use placeholders::Env;
pub use plan::{DeployPlan, PlanError, TemplateLocation};
