//! Errors of the Docker engine and compose.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No engine answered on the socket (`DOCKER_HOST` or /var/run/docker.sock).
    #[error("no Docker engine answered")]
    NoEngine {
        #[source]
        source: bollard::errors::Error,
    },
    /// The engine answered with an error.
    #[error("the Docker engine failed to {action}")]
    Engine {
        action: String,
        #[source]
        source: bollard::errors::Error,
    },
    /// Neither `docker compose` nor `docker-compose` is installed.
    #[error("neither `docker compose` nor `docker-compose` is installed")]
    NoCompose,
    /// `docker compose build` failed; its output went to stderr.
    #[error("`{command}` failed ({status})")]
    BuildFailed { command: String, status: String },
    /// The built image is not in the engine under any name compose gives it.
    #[error(
        "the image of service {service:?} is not in the Docker engine (looked for {candidates})"
    )]
    ImageNotFound { service: String, candidates: String },
    /// A build context directory could not be read.
    #[error("cannot read the build context {dir}")]
    BuildContext {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The engine built nothing: a Dockerfile step failed (`log` is the build's output).
    #[error("the image build in {dir} failed: {message}")]
    ImageBuild {
        dir: PathBuf,
        message: String,
        log: String,
    },
}
