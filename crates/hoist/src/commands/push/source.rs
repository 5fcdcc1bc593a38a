//! Which images to push, from the command line: the compose services (built here, found in
//! the Docker engine by the push engine) or `--image NAME=PATH` (an OCI image layout or a
//! `docker save` archive).

use std::path::Path;

use hoist_docker::{ComposeFile, Variables};
use hoist_push::{Local, Source};
use hoist_registry::{LocalImage, Platform};

use crate::env_vars;
use crate::exit::{BadInput, Failed};
use crate::printer::Printer;

/// The platform of images that name none: `[images] platform`, else `DOCKER_DEFAULT_PLATFORM`
/// (what compose builds for then), else linux/amd64.
pub(crate) fn default_platform(cfg: &hoist_config::Images) -> anyhow::Result<Platform> {
    if let Some(p) = &cfg.platform {
        // hoist-config checked the form already.
        return Ok(Platform::parse(p)?);
    }
    match env_vars::get(env_vars::DOCKER_DEFAULT_PLATFORM) {
        Some(p) => Platform::parse(&p).map_err(|e| {
            BadInput::new(format!("{}: {e}", env_vars::DOCKER_DEFAULT_PLATFORM))
                .hint("unset it, or set a platform such as linux/arm64")
                .into()
        }),
        None => Ok(Platform::linux_amd64()),
    }
}

/// `--image NAME=PATH` (PATH may end in `:TAG` to pick one image of a layout or archive).
pub(crate) fn from_paths(specs: &[String], platform: &Platform) -> anyhow::Result<Vec<Local>> {
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
        let image = LocalImage::open_for(Path::new(path), tag, platform).map_err(|e| {
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
            platform: platform.clone(),
        });
    }
    Ok(out)
}

/// The compose project as Docker reads it; its errors are bad input (exit 2), each with
/// its fix.
fn load(path: &Path) -> anyhow::Result<ComposeFile> {
    // Interpolation sees the whole process environment, as `docker compose` does.
    let environment = Variables::from_pairs(std::env::vars());
    ComposeFile::load(path, &environment).map_err(|e| {
        let hint = e.hint();
        BadInput::new(crate::hints::chain(&e)).hint(hint).into()
    })
}

/// The compose services to push, built unless `no_build`; `default` is the platform of
/// services without `platform:`.
pub(crate) async fn from_compose(
    cfg: &hoist_config::Images,
    base_dir: &Path,
    only: &[String],
    no_build: bool,
    default: &Platform,
    printer: &Printer,
) -> anyhow::Result<Vec<Local>> {
    let path = base_dir.join(&cfg.compose_file);
    let compose = load(&path)?;
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
        let default_platform = cfg.platform.as_deref();
        hoist_docker::build(tool, &compose, &wanted, default_platform)
            .await
            .map_err(|e| Failed::new(e.to_string()))?;
    }
    wanted
        .iter()
        .map(|name| {
            let service = compose.service(name).expect("checked above");
            let platform = match &service.platform {
                None => default.clone(),
                Some(p) => Platform::parse(p).map_err(|e| {
                    BadInput::new(format!(
                        "{}, service {name:?}: {e}",
                        compose.files.last().unwrap_or(&compose.path).display()
                    ))
                    .hint("platform: takes os/arch[/variant], such as linux/arm64")
                })?,
            };
            Ok(Local {
                service: name.clone(),
                repository: String::new(),
                image: Source::Engine {
                    candidates: compose.image_candidates(service),
                },
                platform,
            })
        })
        .collect()
}
