//! The local Docker engine and docker compose, as `hoist push` uses them: which compose
//! services have a `build:`, building them (`docker compose build`, or `docker-compose` v1
//! when only that exists), and exporting a built image from the engine (`docker save`'s
//! stream, through the engine API with bollard) to a tar file that `hoist-registry` reads.
//!
//! Must not touch: registries (pushing is `hoist-registry`'s; hoist never uses `docker push`)
//! or AWS.

mod compose;
mod engine;
mod error;

pub use compose::{ComposeFile, ComposeService, ComposeTool, build, compose_tool};
pub use engine::Engine;
pub use error::DockerError;
