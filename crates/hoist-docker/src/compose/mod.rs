//! Compose projects as Docker reads them: which services there are, which have a `build:`,
//! the image name and platform of each, and running the build.
//!
//! Reading follows the Compose specification the way `docker compose` (compose-go) applies
//! it: the file, then the override file next to it (the first of `compose.override.yml`,
//! `compose.override.yaml`, `docker-compose.override.yml`, `docker-compose.override.yaml`)
//! when the file has one of Docker's default names (with another name it is an explicit
//! `-f`, and Docker adds no override); variables from the process environment, then the
//! project's `.env` ([`env`]); each file interpolated ([`interpolate`]) and merged on the
//! one before ([`merge`]); then `extends` ([`extends`]); then `profiles` (a service with
//! profiles is enabled only when one of them is in `COMPOSE_PROFILES`, `*` enables all). A
//! value whose interpolation fails (`${X:?message}`) is an error only if it survives the
//! merge, as in Docker since compose-go 2.1.
//!
//! Why a parser here and not a crate: `compose_spec` (0.3, the maintained typed model) reads
//! one file into types and does no interpolation, override merging, `extends` or profiles,
//! and its typed fields reject `${…}` before it could be interpolated; `docker compose
//! config` would do all of it but is not installed wherever `docker-compose` v1 is. hoist
//! needs five fields of each service, so it reads YAML values (`serde_norway`) and applies
//! the specification's rules to them.

mod build;
mod env;
mod error;
mod extends;
mod interpolate;
mod merge;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_norway::{Mapping, Value};

pub use build::{ComposeTool, DOCKER_DEFAULT_PLATFORM, build, build_args, compose_tool};
pub use env::Variables;
pub use error::{At, ComposeError};

use interpolate::Deferred;

/// The names `docker compose` finds by itself, in its order of preference.
const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override files `docker compose` adds to a default file, in its order of preference.
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// A compose project's buildable view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFile {
    /// The file named (hoist.toml's `compose_file`).
    pub path: PathBuf,
    /// Every file read, in merge order: `path`, then its override file if any.
    pub files: Vec<PathBuf>,
    /// The compose project name (`COMPOSE_PROJECT_NAME`, the file's `name:`, else its
    /// directory's name), normalized the way compose does.
    pub project: String,
    /// The active profiles (`COMPOSE_PROFILES`).
    pub profiles: Vec<String>,
    /// Every service, enabled or not, in the files' order.
    pub services: Vec<ComposeService>,
}

/// One service, after override files and `extends`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeService {
    pub name: String,
    /// The service's `image:`, which compose uses as the built image's name.
    pub image: Option<String>,
    /// Whether the service has a `build:` section (only those are pushed).
    pub builds: bool,
    /// The service's `platform:` (`os/arch[/variant]`), as written.
    pub platform: Option<String>,
    /// The service's `profiles:` (none: always enabled).
    pub profiles: Vec<String>,
}

impl ComposeFile {
    /// Reads the project whose file is `path`, interpolated with `environment` (the
    /// process's; it wins over `.env`).
    ///
    /// # Errors
    /// [`ComposeError`] naming the file and the service: unreadable or invalid files, a
    /// bad `.env` line, a required variable without a value, an invalid `$`, an `extends`
    /// of a service that does not exist or in a circle.
    pub fn load(path: &Path, environment: &Variables) -> Result<Self, ComposeError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let vars = environment.with_env_file(&dir.join(".env"))?;
        let mut files = vec![path.to_owned()];
        let default_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| DEFAULT_FILES.contains(&n));
        if default_name
            && let Some(o) = OVERRIDE_FILES
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
        {
            files.push(o);
        }
        let mut loader = Loader {
            vars: &vars,
            deferred: Deferred::default(),
            cache: HashMap::new(),
        };
        let mut doc = Mapping::new();
        for f in &files {
            merge::merge_document(&mut doc, loader.read(f)?);
        }
        let services = match doc.remove("services") {
            Some(Value::Mapping(s)) => s,
            _ => {
                return Err(ComposeError::invalid(
                    At::file(path),
                    "no `services:` mapping",
                ));
            }
        };
        let services = extends::resolve_all(path, services, &mut loader)?;
        loader.deferred.check(&Value::Mapping(doc.clone()))?;
        let mut out = Vec::new();
        for (name, body) in &services {
            let name = name.as_str().ok_or_else(|| {
                ComposeError::invalid(At::file(path), "a service name is not a string")
            })?;
            out.push(service(path, name, body, &mut loader.deferred)?);
        }
        let dir_name = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let raw = vars
            .get("COMPOSE_PROJECT_NAME")
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .or_else(|| doc.get("name").and_then(|v| v.as_str()).map(str::to_owned))
            .unwrap_or(dir_name);
        let profiles = vars
            .get("COMPOSE_PROFILES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            path: path.to_owned(),
            files,
            project: normalize_project(&raw),
            profiles,
            services: out,
        })
    }

    /// Whether a service is enabled by the active profiles.
    #[must_use]
    pub fn is_enabled(&self, service: &ComposeService) -> bool {
        service.profiles.is_empty()
            || service
                .profiles
                .iter()
                .any(|p| self.profiles.iter().any(|a| a == p || a == "*"))
    }

    /// The enabled services with a `build:`.
    #[must_use]
    pub fn buildable(&self) -> Vec<&ComposeService> {
        self.services
            .iter()
            .filter(|s| s.builds && self.is_enabled(s))
            .collect()
    }

    /// A service by name, enabled or not (Docker enables a service named explicitly).
    #[must_use]
    pub fn service(&self, name: &str) -> Option<&ComposeService> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The names a built image may have in the engine: the service's `image:`, else
    /// `<project>-<service>` (compose v2) and `<project>_<service>` (v1).
    #[must_use]
    pub fn image_candidates(&self, service: &ComposeService) -> Vec<String> {
        match &service.image {
            Some(i) => vec![i.clone()],
            None => vec![
                format!("{}-{}", self.project, service.name),
                format!("{}_{}", self.project, service.name),
            ],
        }
    }
}

/// One resolved service's fields hoist uses; a failed interpolation left in it is its error.
fn service(
    path: &Path,
    name: &str,
    body: &Value,
    deferred: &mut Deferred,
) -> Result<ComposeService, ComposeError> {
    let at = At::service(path, name);
    deferred.check(body)?;
    if !body.is_mapping() {
        return Err(ComposeError::invalid(at, "the service is not a mapping"));
    }
    let text = |key: &str| -> Result<Option<String>, ComposeError> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ComposeError::invalid(
                at.clone(),
                format!("`{key}:` is not a string"),
            )),
        }
    };
    let profiles = match body.get("profiles") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|p| {
                p.as_str().map(str::to_owned).ok_or_else(|| {
                    ComposeError::invalid(at.clone(), "`profiles:` holds a non-string")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ComposeError::invalid(at, "`profiles:` is not a list"));
        }
    };
    Ok(ComposeService {
        name: name.to_owned(),
        image: text("image")?,
        builds: body.get("build").is_some_and(|b| !b.is_null()),
        platform: text("platform")?,
        profiles,
    })
}

/// Reads compose files: parsed, YAML merge keys applied, services in long form, values
/// interpolated (failures deferred).
struct Loader<'a> {
    vars: &'a Variables,
    deferred: Deferred,
    cache: HashMap<PathBuf, Rc<Mapping>>,
}

impl Loader<'_> {
    fn read(&mut self, path: &Path) -> Result<Mapping, ComposeError> {
        let text = std::fs::read_to_string(path).map_err(|source| ComposeError::Read {
            path: path.to_owned(),
            source,
        })?;
        let yaml = |source| ComposeError::Yaml {
            path: path.to_owned(),
            source,
        };
        let mut value: Value = serde_norway::from_str(&text).map_err(yaml)?;
        value.apply_merge().map_err(yaml)?;
        let Value::Mapping(mut doc) = value else {
            return Err(ComposeError::invalid(
                At::file(path),
                "the file is not a mapping",
            ));
        };
        for (key, v) in &mut doc {
            if key.as_str() == Some("services")
                && let Value::Mapping(services) = v
            {
                for (name, body) in services.iter_mut() {
                    let at = At::service(path, name.as_str().unwrap_or_default());
                    merge::normalize_service(body);
                    self.deferred.interpolate(body, self.vars, &at);
                }
            } else {
                self.deferred.interpolate(v, self.vars, &At::file(path));
            }
        }
        Ok(doc)
    }
}

impl extends::Files for Loader<'_> {
    fn services(&mut self, path: &Path) -> Result<Rc<Mapping>, ComposeError> {
        if let Some(s) = self.cache.get(path) {
            return Ok(s.clone());
        }
        let services = match self.read(path)?.remove("services") {
            Some(Value::Mapping(s)) => Rc::new(s),
            _ => Rc::new(Mapping::new()),
        };
        self.cache.insert(path.to_owned(), services.clone());
        Ok(services)
    }
}

/// compose's rule: lower-case, only `a-z 0-9 _ -`.
fn normalize_project(raw: &str) -> String {
    raw.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect()
}

#[cfg(test)]
mod tests;
