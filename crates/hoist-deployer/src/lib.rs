//! The deploy engine's executing half: owns running a `hoist-deploy` plan against AWS — the
//! CDK app's synthesis, the pre-flight probes (roles assumed, bootstrap version, bucket), the
//! template and asset publishing (files to S3, images built by the Docker engine and pushed
//! to ECR, each with its publishing role), the change set (compared with what is deployed
//! first, executed only when applying, followed to the end), the stack's outputs, the secrets
//! synced into the secrets they name, and the ECS services redeployed and waited for.
//!
//! Every long step can be interrupted ([`Interrupt`]): what was in flight is cleaned up (no
//! stray change set) and the error names the command that resumes. Errors are one typed
//! [`DeployError`] with its hint; output goes through [`Events`].
//!
//! Must not touch: argument parsing, configuration loading, printing formats or GitHub — the
//! binary wires those. Pure decisions (the plan, the no-change comparison, which services
//! read a secret) live in `hoist-deploy`.

mod child;
pub mod command;
pub mod error;
pub mod events;
pub mod images;
pub mod interrupt;
pub mod preflight;
pub mod publish;
pub mod report;
pub mod rollout;
mod run;
pub mod secrets;
pub mod source;
pub mod stack;
pub mod synth;

pub use error::{DeployError, Result};
pub use events::{Events, Silent};
pub use interrupt::{Interrupt, guarded};
pub use report::Report;
pub use run::{Request, deploy};
