//! Running the build: `docker compose build` (the plugin), or `docker-compose` v1 when only
//! that is installed, with the same files, project and profiles hoist read.

use std::process::Stdio;

use super::ComposeFile;
use crate::error::DockerError;

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

/// The environment variable Docker reads for the platform of services without `platform:`.
pub const DOCKER_DEFAULT_PLATFORM: &str = "DOCKER_DEFAULT_PLATFORM";

/// The arguments of `<compose> … build SERVICE…`: every file hoist read (`-f` each, the
/// override too: compose applies it by itself only without `-f`), the project, and the
/// profiles of the services named (Docker enables a named service's profiles; v1 needs them).
#[must_use]
pub fn build_args(file: &ComposeFile, services: &[String]) -> Vec<String> {
    let mut args = Vec::new();
    for f in &file.files {
        args.push("-f".to_owned());
        args.push(f.display().to_string());
    }
    args.push("-p".to_owned());
    args.push(file.project.clone());
    let mut profiles: Vec<&str> = services
        .iter()
        .filter_map(|s| file.service(s))
        .flat_map(|s| s.profiles.iter().map(String::as_str))
        .collect();
    profiles.sort_unstable();
    profiles.dedup();
    for p in profiles {
        args.push("--profile".to_owned());
        args.push(p.to_owned());
    }
    args.push("build".to_owned());
    args.extend(services.iter().cloned());
    args
}

/// Runs `<compose> -f FILE… -p PROJECT [--profile P…] build SERVICE…`, its output going to
/// hoist's stderr. `default_platform` (`os/arch[/variant]`) is the platform of services
/// without `platform:` (compose reads it from `DOCKER_DEFAULT_PLATFORM`); `None` leaves the
/// environment as it is.
///
/// # Errors
/// [`DockerError::BuildFailed`] with the command line and exit status.
pub async fn build(
    tool: ComposeTool,
    file: &ComposeFile,
    services: &[String],
    default_platform: Option<&str>,
) -> Result<(), DockerError> {
    let (prog, pre) = tool.command();
    let args = build_args(file, services);
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(pre).args(&args);
    if let Some(p) = default_platform {
        cmd.env(DOCKER_DEFAULT_PLATFORM, p);
    }
    // The child's stdout goes to our stderr: stdout is for hoist's own result.
    cmd.stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit());
    let line = std::iter::once(prog)
        .chain(pre.iter().copied())
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
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
