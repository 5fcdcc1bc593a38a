//! Where the local images come from: the compose services (built, then exported from the
//! engine) or `--image NAME=PATH` (an OCI image layout or a `docker save` archive).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

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
    Ready(hoist_registry::LocalImage),
    /// Still in the Docker engine. Its image ID is the digest of its config, which lists every
    /// layer's diff_id: when the registry's `latest` has the same config digest the content is
    /// the same, and the image need not be exported or hashed at all.
    Engine(EngineImage),
}

pub(crate) struct EngineImage {
    pub(crate) engine: hoist_docker::Engine,
    pub(crate) name: String,
    /// `sha256:…`, the config digest.
    pub(crate) id: String,
    /// Where the export goes when the content changed.
    pub(crate) tar: PathBuf,
}

impl EngineImage {
    /// Exports the image from the engine and reads the archive.
    pub(crate) async fn export(&self) -> anyhow::Result<hoist_registry::LocalImage> {
        self.engine.export(&self.name, &self.tar).await.map_err(|e| Failed::new(format!("{e}")))?;
        hoist_registry::LocalImage::open(&self.tar, None).with_context(|| format!("reading the export of {}", self.name))
    }
}

/// A private scratch directory for exported images, removed on drop.
pub(crate) struct WorkDir(PathBuf);

impl WorkDir {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("hoist-push-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `--image NAME=PATH` (PATH may end in `:TAG` to pick one image of a layout or archive).
pub(crate) fn from_paths(specs: &[String]) -> anyhow::Result<Vec<Local>> {
    let mut out: Vec<Local> = Vec::new();
    for spec in specs {
        let Some((name, path)) = spec.split_once('=') else {
            return Err(BadInput::new(format!("--image {spec:?} is not NAME=PATH")).hint("such as --image web=./web.tar").into());
        };
        if name.is_empty() || path.is_empty() {
            return Err(BadInput::new(format!("--image {spec:?} is not NAME=PATH")).into());
        }
        let (path, tag) = match path.rsplit_once(':') {
            Some((p, t)) if !Path::new(path).exists() && Path::new(p).exists() => (p, Some(t)),
            _ => (path, None),
        };
        let image = hoist_registry::LocalImage::open(Path::new(path), tag)
            .map_err(|e| BadInput::new(format!("--image {name}: {e}")).hint("pass an OCI image layout directory or the tar written by `docker save`"))?;
        if out.iter().any(|l| l.service == name) {
            return Err(BadInput::new(format!("--image {name} is given twice")).into());
        }
        out.push(Local { service: name.to_owned(), repository: String::new(), image: Source::Ready(image) });
    }
    Ok(out)
}

/// Builds (unless `no_build`) and exports the compose services.
pub(crate) async fn from_compose(
    cfg: &hoist_config::Images,
    base_dir: &Path,
    only: &[String],
    no_build: bool,
    work: &WorkDir,
    printer: &Printer,
) -> anyhow::Result<Vec<Local>> {
    let path = base_dir.join(&cfg.compose_file);
    let project = std::env::var("COMPOSE_PROJECT_NAME").ok().filter(|v| !v.is_empty());
    let compose = hoist_docker::ComposeFile::load(&path, project.as_deref())
        .map_err(|e| BadInput::new(e.to_string()).hint("set compose_file in [images] of hoist.toml"))?;
    let wanted: Vec<String> = if !only.is_empty() {
        only.to_vec()
    } else if let Some(list) = &cfg.services {
        list.clone()
    } else {
        compose.buildable().iter().map(|s| s.name.clone()).collect()
    };
    if wanted.is_empty() {
        return Err(BadInput::new(format!("{} has no service with a build: section", path.display())).into());
    }
    for name in &wanted {
        match compose.service(name) {
            None => return Err(BadInput::new(format!("service {name:?} is not in {}", path.display())).into()),
            Some(s) if !s.builds && no_build && s.image.is_none() => {
                return Err(BadInput::new(format!("service {name:?} has neither build: nor image:")).into());
            }
            Some(_) => {}
        }
    }
    let engine = hoist_docker::Engine::connect().await.map_err(|e| {
        Failed::new(format!("{e}: {}", std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default()))
            .hint("start Docker (or set DOCKER_HOST); without an engine, push saved images with --image NAME=PATH")
    })?;
    if !no_build {
        let tool = hoist_docker::compose_tool().await.map_err(|e| Failed::new(e.to_string()).hint("install the docker compose plugin, or docker-compose"))?;
        printer.info(&format!("building {} with {}", wanted.join(", "), match tool {
            hoist_docker::ComposeTool::Plugin => "docker compose",
            hoist_docker::ComposeTool::Standalone => "docker-compose",
        }));
        hoist_docker::build(tool, &compose, &wanted).await.map_err(|e| Failed::new(e.to_string()))?;
    }
    let mut out = Vec::new();
    for name in &wanted {
        let service = compose.service(name).expect("checked above");
        let candidates = compose.image_candidates(service);
        let mut found = None;
        for c in &candidates {
            if let Some(id) = engine.image_id(c).await? {
                found = Some((c.clone(), id));
                break;
            }
        }
        let Some((image_name, id)) = found else {
            return Err(Failed::new(hoist_docker::DockerError::ImageNotFound { service: name.clone(), candidates: candidates.join(", ") }.to_string())
                .hint("run without --no-build, or build with `docker compose build`")
                .into());
        };
        let tar = work.path().join(format!("{name}.tar"));
        let image = Source::Engine(EngineImage { engine: engine.clone(), name: image_name, id, tar });
        out.push(Local { service: name.clone(), repository: String::new(), image });
    }
    Ok(out)
}
