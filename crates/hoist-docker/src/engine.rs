//! The Docker engine API through bollard.

use std::path::Path;

use futures::StreamExt as _;
use tokio::io::AsyncWriteExt as _;

use crate::error::DockerError;

/// A connected Docker engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: bollard::Docker,
}

impl Engine {
    /// Connects with the local defaults (`DOCKER_HOST`, else the unix socket), negotiates the
    /// API version (engine 20.10 speaks 1.41) and pings.
    ///
    /// # Errors
    /// [`DockerError::NoEngine`] when nothing answers.
    pub async fn connect() -> Result<Self, DockerError> {
        let docker = bollard::Docker::connect_with_local_defaults().map_err(|source| DockerError::NoEngine { source })?;
        let docker = docker.negotiate_version().await.map_err(|source| DockerError::NoEngine { source })?;
        docker.ping().await.map_err(|source| DockerError::NoEngine { source })?;
        Ok(Self { docker })
    }

    /// The image ID (config digest) of `name`, or `None` when the engine does not have it.
    ///
    /// # Errors
    /// When the engine fails for another reason.
    pub async fn image_id(&self, name: &str) -> Result<Option<String>, DockerError> {
        match self.docker.inspect_image(name).await {
            Ok(i) => Ok(i.id),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(source) => Err(DockerError::Engine { action: format!("inspect image {name}"), source }),
        }
    }

    /// Exports `name` with the engine's image export API (what `docker save` uses) into the
    /// tar file `dest`.
    ///
    /// # Errors
    /// When the engine fails or `dest` cannot be written.
    pub async fn export(&self, name: &str, dest: &Path) -> Result<u64, DockerError> {
        let io = |source| DockerError::Io { path: dest.to_owned(), source };
        let file = tokio::fs::File::create(dest).await.map_err(io)?;
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
        let mut stream = self.docker.export_image(name);
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| DockerError::Engine { action: format!("export image {name}"), source })?;
            written += chunk.len() as u64;
            out.write_all(&chunk).await.map_err(io)?;
        }
        out.flush().await.map_err(io)?;
        Ok(written)
    }
}
