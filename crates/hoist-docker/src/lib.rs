//! The local Docker engine and docker compose, as `hoist push` uses them: the compose project
//! as Docker reads it (interpolation, `.env`, override files, `extends`, profiles), which
//! services have a `build:` and for which platform, building them (`docker compose build`,
//! or `docker-compose` v1 when only that exists), what the engine knows of a built image
//! (its ID and layer diff_ids), building an image from a directory (a tar build context with
//! the Dockerfile, build args, target and platform a CDK asset names), and exporting built
//! images from the engine (`docker save`'s stream, through the engine API with bollard) for
//! `hoist-registry` to spool and push.
//!
//! Must not touch: registries (pushing is `hoist-registry`'s; hoist never uses `docker push`)
//! or AWS.

mod compose;
mod directory;
mod engine;
mod error;

pub use compose::{
    At, ComposeError, ComposeFile, ComposeService, ComposeTool, DOCKER_DEFAULT_PLATFORM, Variables,
    build, build_args, compose_tool,
};
pub use directory::{BuildSpec, context_tar};
pub use engine::{Engine, ExportReader, ImageInfo};
pub use error::DockerError;
