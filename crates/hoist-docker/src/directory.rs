//! Building an image from a directory, as `docker build DIR` does: the directory is sent to
//! the engine as a tar build context (the `tar` crate writes it, with deterministic headers so
//! an unchanged directory is an unchanged context), with the Dockerfile, build args, target
//! stage and platform the caller names (a CDK asset manifest's `dockerImages[].source`).
//!
//! The engine's build API (`POST /build`) streams progress lines; a line carrying
//! `errorDetail` is the build's failure, reported with the engine's message.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use futures::StreamExt as _;

use crate::engine::Engine;
use crate::error::DockerError;

/// What to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildSpec {
    /// The build context.
    pub context: PathBuf,
    /// The Dockerfile, relative to the context (`Dockerfile` when `None`).
    pub dockerfile: Option<String>,
    pub build_args: BTreeMap<String, String>,
    /// The stage to build (`--target`).
    pub target: Option<String>,
    /// `os/arch[/variant]` (`--platform`).
    pub platform: Option<String>,
    /// The name the built image gets in the engine (`-t`).
    pub tag: String,
}

/// The directory `dir` as a tar stream: every file, directory and symlink below it (links
/// kept as links, never followed), with fixed owners, modes and times.
///
/// # Errors
/// [`DockerError::BuildContext`] when the directory cannot be read.
pub fn context_tar(dir: &Path) -> Result<Vec<u8>, DockerError> {
    let fail = |source| DockerError::BuildContext {
        dir: dir.to_path_buf(),
        source,
    };
    if !dir.is_dir() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "not a directory",
        )));
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    builder.follow_symlinks(false);
    builder.append_dir_all(".", dir).map_err(fail)?;
    builder.into_inner().map_err(fail)
}

impl Engine {
    /// Builds `spec` and returns the image ID (`sha256:…`) the engine gave the tag.
    ///
    /// # Errors
    /// The context cannot be read ([`DockerError::BuildContext`]), the engine refuses the
    /// request ([`DockerError::Engine`]), the build fails ([`DockerError::ImageBuild`], with
    /// the engine's message), or the tag is missing afterwards.
    pub async fn build_directory(&self, spec: &BuildSpec) -> Result<String, DockerError> {
        let context = context_tar(&spec.context)?;
        let args: HashMap<&str, &str> = spec
            .build_args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut options = bollard::query_parameters::BuildImageOptionsBuilder::new()
            .dockerfile(spec.dockerfile.as_deref().unwrap_or("Dockerfile"))
            .t(&spec.tag)
            .rm(true)
            .buildargs(&args);
        if let Some(target) = &spec.target {
            options = options.target(target);
        }
        if let Some(platform) = &spec.platform {
            options = options.platform(platform);
        }
        let started = std::time::Instant::now();
        let mut stream = self.docker().build_image(
            options.build(),
            None,
            Some(bollard::body_full(context.into())),
        );
        let mut log = Vec::new();
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                // The engine's own failure line (`{"error": …}`), as bollard hands it over.
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(DockerError::ImageBuild {
                        dir: spec.context.clone(),
                        message: error.trim().to_owned(),
                        log: log.concat(),
                    });
                }
                Err(source) => {
                    return Err(DockerError::Engine {
                        action: format!("build {}", spec.context.display()),
                        source,
                    });
                }
            };
            if let Some(line) = &info.stream {
                tracing::debug!(line = line.trim_end(), "build");
                log.push(line.clone());
            }
            if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                return Err(DockerError::ImageBuild {
                    dir: spec.context.clone(),
                    message: detail.trim().to_owned(),
                    log: log.concat(),
                });
            }
        }
        tracing::debug!(
            ms = started.elapsed().as_secs_f64() * 1e3,
            tag = spec.tag,
            "built"
        );
        let built = self
            .inspect(&spec.tag)
            .await?
            .ok_or_else(|| DockerError::ImageBuild {
                dir: spec.context.clone(),
                message: format!("the engine finished but has no image {}", spec.tag),
                log: log.concat(),
            })?;
        Ok(built.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(tar_bytes: &[u8]) -> Vec<(String, u32, u64)> {
        let mut archive = tar::Archive::new(tar_bytes);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.mtime().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn the_context_holds_the_tree_with_fixed_metadata_and_links_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), "a").unwrap();
        std::os::unix::fs::symlink("sub/a.txt", dir.path().join("link")).unwrap();
        let first = context_tar(dir.path()).unwrap();
        let names: Vec<String> = entries(&first).into_iter().map(|e| e.0).collect();
        for want in ["Dockerfile", "sub/a.txt", "link"] {
            assert!(names.iter().any(|n| n == want), "{names:?}");
        }
        let mut archive = tar::Archive::new(first.as_slice());
        let link = archive
            .entries()
            .unwrap()
            .map(Result::unwrap)
            .find(|e| e.path().unwrap().ends_with("link"))
            .unwrap();
        assert_eq!(link.header().entry_type(), tar::EntryType::Symlink);
        // Same tree later: the same bytes (no times or owners of this machine in it).
        std::thread::sleep(std::time::Duration::from_millis(1100));
        std::fs::write(dir.path().join("sub/a.txt"), "a").unwrap();
        assert_eq!(context_tar(dir.path()).unwrap(), first);
    }

    #[test]
    fn a_missing_directory_is_a_context_error() {
        let err = context_tar(Path::new("/nonexistent/hoist-context")).unwrap_err();
        assert!(matches!(err, DockerError::BuildContext { .. }), "{err}");
    }
}
