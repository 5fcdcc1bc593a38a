//! The images to push and where their bytes are: read from disk already (an OCI layout or a
//! `docker save` archive), or in the Docker engine under one of several names; finding the
//! engine's images by name, all at once.

use hoist_registry::{Descriptor, Digest, ImageManifest, LocalImage, Platform, media_type};

use crate::error::{PushError, source_chain};

/// One image to push and the repository it goes to.
pub struct Local {
    pub service: String,
    pub repository: String,
    pub image: Source,
    /// The image's platform: an index in the repository is compared through its manifest
    /// for it.
    pub platform: Platform,
}

/// Where an image's bytes are.
pub enum Source {
    /// Read already: an OCI layout or `docker save` archive given with `--image`.
    Ready(Box<LocalImage>),
    /// In the Docker engine under the first of these names it has.
    Engine { candidates: Vec<String> },
}

/// An image found in the engine. Its ID is the digest of its config, which lists every
/// layer's diff_id: so the content that would be pushed is known, digests and all, before
/// anything is exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineImage {
    pub name: String,
    pub config: Digest,
    pub diff_ids: Vec<Digest>,
}

impl EngineImage {
    /// The manifest's config and layer digests, layers by diff_id (sizes are known only
    /// after the export).
    #[must_use]
    pub fn manifest(&self) -> ImageManifest {
        let desc = |mt: &str, d: &Digest| Descriptor {
            media_type: mt.to_owned(),
            digest: d.clone(),
            size: 0,
            platform: None,
            annotations: None,
        };
        ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_owned()),
            config: desc(media_type::OCI_CONFIG, &self.config),
            layers: self
                .diff_ids
                .iter()
                .map(|d| desc(media_type::OCI_LAYER_TAR, d))
                .collect(),
        }
    }
}

/// A private scratch directory for spooled exports (tempfile makes it mode 0700 on unix:
/// layers may hold what only this user should read), removed on drop.
pub(crate) fn work_dir() -> Result<tempfile::TempDir, PushError> {
    tempfile::Builder::new()
        .prefix(&format!("hoist-push-{}-", std::process::id()))
        .tempdir()
        .map_err(|e| PushError::ScratchDir {
            dir: std::env::temp_dir(),
            source: std::sync::Arc::new(e),
        })
}

/// A connection to the engine started before it is known to be needed.
pub type EarlyEngine =
    tokio::task::JoinHandle<Result<hoist_docker::Engine, hoist_docker::DockerError>>;

/// Connects to the engine when some image is in it (finishing `early` if it was started).
///
/// # Errors
/// When no engine answers.
pub async fn engine_for(
    local: &[Local],
    early: Option<EarlyEngine>,
) -> Result<Option<hoist_docker::Engine>, PushError> {
    if !local
        .iter()
        .any(|l| matches!(l.image, Source::Engine { .. }))
    {
        if let Some(task) = early {
            task.abort();
        }
        return Ok(None);
    }
    let connected = match early {
        Some(task) => task.await.map_err(|e| PushError::Task {
            what: "connecting to the Docker engine",
            detail: e.to_string(),
        })?,
        None => hoist_docker::Engine::connect().await,
    };
    let engine = connected.map_err(|e| PushError::Docker {
        message: format!("{e}: {}", std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default()),
        hint: Some("start Docker (or set DOCKER_HOST); without an engine, push saved images with --image NAME=PATH".into()),
        source: std::sync::Arc::new(e),
    })?;
    Ok(Some(engine))
}

/// Finds the built image of each engine service (`None` for images read from disk), all at
/// once.
///
/// # Errors
/// When the engine fails, or holds a service's image under none of its names.
pub async fn find_in_engine(
    engine: Option<&hoist_docker::Engine>,
    local: &[Local],
) -> Result<Vec<Option<EngineImage>>, PushError> {
    let lookups = local.iter().map(|l| async move {
        let (Source::Engine { candidates }, Some(engine)) = (&l.image, engine) else {
            return Ok(None);
        };
        for c in candidates {
            let found = engine.inspect(c).await.map_err(|e| PushError::Docker {
                message: match source_chain(&e) {
                    chain if chain.is_empty() => e.to_string(),
                    chain => format!("{e}: {chain}"),
                },
                hint: None,
                source: std::sync::Arc::new(e),
            })?;
            if let Some(info) = found {
                let digest = |s: &str| {
                    Digest::parse(s).map_err(|detail| PushError::EngineImage {
                        image: c.clone(),
                        detail,
                    })
                };
                let diff_ids = info
                    .diff_ids
                    .iter()
                    .map(|d| digest(d))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(built) = built_for(&info)
                    && !built.matches(&l.platform)
                {
                    return Err(PushError::WrongPlatform {
                        service: l.service.clone(),
                        image: c.clone(),
                        built: built.to_string(),
                        wanted: l.platform.to_string(),
                    });
                }
                return Ok(Some(EngineImage {
                    name: c.clone(),
                    config: digest(&info.id)?,
                    diff_ids,
                }));
            }
        }
        let e = hoist_docker::DockerError::ImageNotFound {
            service: l.service.clone(),
            candidates: candidates.join(", "),
        };
        Err(PushError::Docker {
            message: e.to_string(),
            hint: Some("run without --no-build, or build with `docker compose build`".into()),
            source: std::sync::Arc::new(e),
        })
    });
    futures::future::try_join_all(lookups).await
}

/// The platform the engine says an image was built for, when it says (os and architecture).
fn built_for(info: &hoist_docker::ImageInfo) -> Option<Platform> {
    Some(Platform {
        os: info.os.clone()?,
        architecture: info.architecture.clone()?,
        variant: info.variant.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_image_is_known_by_its_config_and_diff_ids() {
        let d =
            |n: u8| Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).unwrap();
        let image = EngineImage {
            name: "web:latest".into(),
            config: d(1),
            diff_ids: vec![d(2), d(3)],
        };
        let m = image.manifest();
        assert_eq!(m.config.digest, d(1));
        assert_eq!(m.config.media_type, media_type::OCI_CONFIG);
        let layers: Vec<_> = m.layers.iter().map(|l| l.digest.clone()).collect();
        assert_eq!(layers, [d(2), d(3)]);
    }
}
