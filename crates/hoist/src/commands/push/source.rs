//! Where the local images come from: the compose services (built, then found in the Docker
//! engine) or `--image NAME=PATH` (an OCI image layout or a `docker save` archive).

use std::path::Path;

use anyhow::Context as _;
use hoist_registry::{Descriptor, Digest, ImageManifest, LocalImage, media_type};

use crate::exit::{BadInput, Failed};
use crate::printer::Printer;

/// One image to push and the repository it goes to.
pub(crate) struct Local {
    pub(crate) service: String,
    pub(crate) repository: String,
    pub(crate) image: Source,
}

/// Where an image's bytes are.
pub(crate) enum Source {
    /// Read already: an OCI layout or `docker save` archive given with `--image`.
    Ready(Box<LocalImage>),
    /// In the Docker engine under the first of these names it has.
    Engine { candidates: Vec<String> },
}

/// An image found in the engine. Its ID is the digest of its config, which lists every
/// layer's diff_id, and hoist pushes layers uncompressed (digest = diff_id): so the manifest
/// that would be pushed is known, digests and all, before anything is exported.
#[derive(Debug, Clone)]
pub(crate) struct EngineImage {
    pub(crate) name: String,
    pub(crate) config: Digest,
    pub(crate) diff_ids: Vec<Digest>,
}

impl EngineImage {
    /// The manifest's config and layer digests (sizes are known only after the export).
    pub(crate) fn manifest(&self) -> ImageManifest {
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
pub(crate) fn work_dir() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("hoist-push-{}-", std::process::id()))
        .tempdir()
        .with_context(|| {
            format!(
                "cannot create a scratch directory in {}",
                std::env::temp_dir().display()
            )
        })
}

/// `--image NAME=PATH` (PATH may end in `:TAG` to pick one image of a layout or archive).
pub(crate) fn from_paths(specs: &[String]) -> anyhow::Result<Vec<Local>> {
    let mut out: Vec<Local> = Vec::new();
    for spec in specs {
        let Some((name, path)) = spec.split_once('=') else {
            return Err(BadInput::new(format!("--image {spec:?} is not NAME=PATH"))
                .hint("such as --image web=./web.tar")
                .into());
        };
        if name.is_empty() || path.is_empty() {
            return Err(BadInput::new(format!("--image {spec:?} is not NAME=PATH")).into());
        }
        let (path, tag) = match path.rsplit_once(':') {
            Some((p, t)) if !Path::new(path).exists() && Path::new(p).exists() => (p, Some(t)),
            _ => (path, None),
        };
        let image = LocalImage::open(Path::new(path), tag).map_err(|e| {
            BadInput::new(format!("--image {name}: {e}"))
                .hint("pass an OCI image layout directory or the tar written by `docker save`")
        })?;
        if out.iter().any(|l| l.service == name) {
            return Err(BadInput::new(format!("--image {name} is given twice")).into());
        }
        out.push(Local {
            service: name.to_owned(),
            repository: String::new(),
            image: Source::Ready(Box::new(image)),
        });
    }
    Ok(out)
}

/// The compose services to push, built unless `no_build`.
pub(crate) async fn from_compose(
    cfg: &hoist_config::Images,
    base_dir: &Path,
    only: &[String],
    no_build: bool,
    printer: &Printer,
) -> anyhow::Result<Vec<Local>> {
    let path = base_dir.join(&cfg.compose_file);
    let project = std::env::var("COMPOSE_PROJECT_NAME")
        .ok()
        .filter(|v| !v.is_empty());
    let compose = hoist_docker::ComposeFile::load(&path, project.as_deref()).map_err(|e| {
        BadInput::new(e.to_string()).hint("set compose_file in [images] of hoist.toml")
    })?;
    let wanted: Vec<String> = if !only.is_empty() {
        only.to_vec()
    } else if let Some(list) = &cfg.services {
        list.clone()
    } else {
        compose.buildable().iter().map(|s| s.name.clone()).collect()
    };
    if wanted.is_empty() {
        return Err(BadInput::new(format!(
            "{} has no service with a build: section",
            path.display()
        ))
        .into());
    }
    for name in &wanted {
        match compose.service(name) {
            None => {
                return Err(BadInput::new(format!(
                    "service {name:?} is not in {}",
                    path.display()
                ))
                .into());
            }
            Some(s) if !s.builds && no_build && s.image.is_none() => {
                return Err(BadInput::new(format!(
                    "service {name:?} has neither build: nor image:"
                ))
                .into());
            }
            Some(_) => {}
        }
    }
    if !no_build {
        let tool = hoist_docker::compose_tool().await.map_err(|e| {
            Failed::new(e.to_string()).hint("install the docker compose plugin, or docker-compose")
        })?;
        printer.info(&format!(
            "building {} with {}",
            wanted.join(", "),
            match tool {
                hoist_docker::ComposeTool::Plugin => "docker compose",
                hoist_docker::ComposeTool::Standalone => "docker-compose",
            }
        ));
        hoist_docker::build(tool, &compose, &wanted)
            .await
            .map_err(|e| Failed::new(e.to_string()))?;
    }
    Ok(wanted
        .iter()
        .map(|name| {
            let service = compose.service(name).expect("checked above");
            Local {
                service: name.clone(),
                repository: String::new(),
                image: Source::Engine {
                    candidates: compose.image_candidates(service),
                },
            }
        })
        .collect())
}

/// A connection to the engine started before it is known to be needed.
pub(crate) type EarlyEngine =
    tokio::task::JoinHandle<Result<hoist_docker::Engine, hoist_docker::DockerError>>;

/// Connects to the engine when some image is in it (finishing `early` if it was started).
pub(crate) async fn engine_for(
    local: &[Local],
    early: Option<EarlyEngine>,
) -> anyhow::Result<Option<hoist_docker::Engine>> {
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
        Some(task) => task
            .await
            .map_err(|e| Failed::new(format!("connecting to the Docker engine failed: {e}")))?,
        None => hoist_docker::Engine::connect().await,
    };
    let engine = connected.map_err(|e| {
        Failed::new(format!("{e}: {}", std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default()))
            .hint("start Docker (or set DOCKER_HOST); without an engine, push saved images with --image NAME=PATH")
    })?;
    Ok(Some(engine))
}

/// Finds the built image of each engine service (`None` for `--image` ones), all at once.
pub(crate) async fn find_in_engine(
    engine: Option<&hoist_docker::Engine>,
    local: &[Local],
) -> anyhow::Result<Vec<Option<EngineImage>>> {
    let lookups = local.iter().map(|l| async move {
        let (Source::Engine { candidates }, Some(engine)) = (&l.image, engine) else {
            return Ok(None);
        };
        for c in candidates {
            if let Some(info) = engine.inspect(c).await? {
                let digest = |s: &str| {
                    Digest::parse(s)
                        .map_err(|e| Failed::new(format!("the engine describes {c} oddly: {e}")))
                };
                let diff_ids = info
                    .diff_ids
                    .iter()
                    .map(|d| digest(d))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(Some(EngineImage {
                    name: c.clone(),
                    config: digest(&info.id)?,
                    diff_ids,
                }));
            }
        }
        Err(anyhow::Error::from(
            Failed::new(
                hoist_docker::DockerError::ImageNotFound {
                    service: l.service.clone(),
                    candidates: candidates.join(", "),
                }
                .to_string(),
            )
            .hint("run without --no-build, or build with `docker compose build`"),
        ))
    });
    futures::future::try_join_all(lookups).await
}
