//! Which images to push, from the command line: the compose services (built here, found in
//! the Docker engine by the push engine) or `--image NAME=PATH` (an OCI image layout or a
//! `docker save` archive).

use std::path::Path;

use hoist_push::{Local, Source};
use hoist_registry::LocalImage;

use crate::exit::{BadInput, Failed};
use crate::printer::Printer;

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
