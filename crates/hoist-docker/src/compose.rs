//! Compose files: the services with a `build:`, the image name compose gives each, and
//! running the build.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::error::DockerError;

/// A compose file's buildable view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFile {
    pub path: PathBuf,
    /// The compose project name (`COMPOSE_PROJECT_NAME`, the file's `name:`, else its
    /// directory's name), normalized the way compose does.
    pub project: String,
    pub services: Vec<ComposeService>,
}

/// One service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeService {
    pub name: String,
    /// The service's `image:`, which compose uses as the built image's name.
    pub image: Option<String>,
    /// Whether the service has a `build:` section (only those are pushed).
    pub builds: bool,
}

impl ComposeFile {
    /// Reads and parses `path`. `project_override` is `COMPOSE_PROJECT_NAME` when set.
    ///
    /// # Errors
    /// [`DockerError::ComposeFile`] when it cannot be read or has no `services:` mapping.
    pub fn load(path: &Path, project_override: Option<&str>) -> Result<Self, DockerError> {
        let err = |detail: String| DockerError::ComposeFile {
            path: path.to_owned(),
            detail,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let doc: serde_norway::Value =
            serde_norway::from_str(&text).map_err(|e| err(e.to_string()))?;
        let services = doc
            .get("services")
            .and_then(|s| s.as_mapping())
            .ok_or_else(|| err("no `services:` mapping".into()))?;
        let mut out = Vec::new();
        for (name, body) in services {
            let name = name
                .as_str()
                .ok_or_else(|| err("a service name is not a string".into()))?
                .to_owned();
            let image = body
                .get("image")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let builds = body.get("build").is_some_and(|b| !b.is_null());
            out.push(ComposeService {
                name,
                image,
                builds,
            });
        }
        let dir_name = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let raw = project_override
            .map(str::to_owned)
            .or_else(|| doc.get("name").and_then(|v| v.as_str()).map(str::to_owned))
            .unwrap_or(dir_name);
        Ok(Self {
            path: path.to_owned(),
            project: normalize_project(&raw),
            services: out,
        })
    }

    /// The services with a `build:`.
    #[must_use]
    pub fn buildable(&self) -> Vec<&ComposeService> {
        self.services.iter().filter(|s| s.builds).collect()
    }

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

/// compose's rule: lower-case, only `a-z 0-9 _ -`.
fn normalize_project(raw: &str) -> String {
    raw.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect()
}

/// Which compose is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeTool {
    /// The `docker compose` plugin (v2).
    Plugin,
    /// The standalone `docker-compose` (v1).
    Standalone,
}

impl ComposeTool {
    fn command(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Plugin => ("docker", &["compose"]),
            Self::Standalone => ("docker-compose", &[]),
        }
    }
}

/// `docker compose` when `docker compose version` works, else `docker-compose`.
///
/// # Errors
/// [`DockerError::NoCompose`] when neither runs.
pub async fn compose_tool() -> Result<ComposeTool, DockerError> {
    let works = |prog: &'static str, args: &'static [&'static str]| async move {
        tokio::process::Command::new(prog)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success())
    };
    if works("docker", &["compose", "version"]).await {
        Ok(ComposeTool::Plugin)
    } else if works("docker-compose", &["version"]).await {
        Ok(ComposeTool::Standalone)
    } else {
        Err(DockerError::NoCompose)
    }
}

/// Runs `<compose> -f FILE build SERVICE…`, its output going to hoist's stderr.
///
/// # Errors
/// [`DockerError::BuildFailed`] with the command line and exit status.
pub async fn build(
    tool: ComposeTool,
    file: &ComposeFile,
    services: &[String],
) -> Result<(), DockerError> {
    let (prog, pre) = tool.command();
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(pre)
        .arg("-f")
        .arg(&file.path)
        .arg("-p")
        .arg(&file.project)
        .arg("build")
        .args(services);
    // The child's stdout goes to our stderr: stdout is for hoist's own result.
    cmd.stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit());
    let line = format!(
        "{prog} {} -f {} -p {} build {}",
        pre.join(" "),
        file.path.display(),
        file.project,
        services.join(" ")
    )
    .replace("  ", " ");
    let status = cmd.status().await.map_err(|e| DockerError::BuildFailed {
        command: line.clone(),
        status: e.to_string(),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(DockerError::BuildFailed {
            command: line,
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_buildable_services_and_names() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("My App.1");
        std::fs::create_dir(&proj).unwrap();
        let path = proj.join("docker-compose.yml");
        std::fs::write(
            &path,
            "version: '3'\nservices:\n  web:\n    build: ./web\n  worker:\n    build:\n      context: ./worker\n    image: acme/worker:dev\n  db:\n    image: postgres:15\n",
        )
        .unwrap();
        let f = ComposeFile::load(&path, None).unwrap();
        assert_eq!(f.project, "myapp1");
        let names: Vec<_> = f.buildable().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names, ["web", "worker"]);
        assert_eq!(
            f.image_candidates(f.service("web").unwrap()),
            ["myapp1-web", "myapp1_web"]
        );
        assert_eq!(
            f.image_candidates(f.service("worker").unwrap()),
            ["acme/worker:dev"]
        );
        assert_eq!(
            ComposeFile::load(&path, Some("Other")).unwrap().project,
            "other"
        );
    }

    #[test]
    fn a_file_without_services_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yml");
        std::fs::write(&path, "version: '3'\n").unwrap();
        assert!(
            ComposeFile::load(&path, None)
                .unwrap_err()
                .to_string()
                .contains("no `services:`")
        );
    }
}
