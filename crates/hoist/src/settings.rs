//! Resolved settings: the global flags and environment turned into plain values before any
//! command runs, and the one place hoist.toml is read.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::GlobalArgs;
use crate::env_vars;
use crate::exit::BadInput;

/// What every command may need, resolved from flags and environment.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `--config`, else `HOIST_CONFIG`, else the nearest hoist.toml from the current directory
    /// up (see [`discover_config`]).
    pub(crate) config_path: PathBuf,
    /// Where `hoist init` writes: `--config`/`HOIST_CONFIG`, else hoist.toml in the current
    /// directory — never a parent's file.
    pub(crate) init_path: PathBuf,
    pub(crate) profile: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) json: bool,
}

impl Settings {
    pub(crate) fn resolve(args: GlobalArgs) -> Self {
        let GlobalArgs {
            config,
            profile,
            region,
            json,
            // Read by main (the printer and the log) before settings exist.
            quiet: _,
            verbose: _,
        } = args;
        let given = config.or_else(|| env_vars::get(env_vars::HOIST_CONFIG).map(PathBuf::from));
        let init_path = given
            .clone()
            .unwrap_or_else(|| PathBuf::from(hoist_config::DEFAULT_FILE_NAME));
        let config_path = given.unwrap_or_else(|| {
            std::env::current_dir()
                .ok()
                .and_then(|cwd| discover_config(&cwd))
                .unwrap_or_else(|| PathBuf::from(hoist_config::DEFAULT_FILE_NAME))
        });
        Self {
            config_path,
            init_path,
            profile,
            region,
            json,
        }
    }

    /// The directory hoist.toml is in: paths inside it are relative to this.
    pub(crate) fn project_dir(&self) -> PathBuf {
        match self.config_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Reads and validates hoist.toml. Errors exit 2 and name file:line:column.
    pub(crate) fn load_config(&self) -> anyhow::Result<hoist_config::Config> {
        let path = &self.config_path;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BadInput::new(format!("{} does not exist", path.display()))
                    .hint("run `hoist init --repository OWNER/NAME --region REGION` to write one, or pass --config FILE")
                    .into());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(hoist_config::parse(&text, &path.display().to_string())?)
    }

    /// The AWS SDK configuration: `--profile`/`--region` first, then hoist.toml's region and
    /// profile, then the SDK's default chain (environment, SSO profiles, web identity).
    pub(crate) async fn aws(&self, config: Option<&hoist_config::Config>) -> hoist_aws::Aws {
        self.aws_with(config.map(|c| &c.aws)).await
    }

    /// The AWS SDK configuration for one environment: as [`Settings::aws`], with the
    /// environment's own profile and region (its account) in place of `[aws]`'s.
    pub(crate) async fn aws_in(&self, place: &hoist_config::AwsSettings) -> hoist_aws::Aws {
        self.aws_with(Some(place)).await
    }

    async fn aws_with(&self, place: Option<&hoist_config::AwsSettings>) -> hoist_aws::Aws {
        let profile = self
            .profile
            .clone()
            .or_else(|| place.and_then(|p| p.profile.clone()));
        let region = self
            .region
            .clone()
            .or_else(|| place.map(|p| p.region.clone()));
        let aws = hoist_aws::Aws::load(profile.as_deref(), region.as_deref()).await;
        crate::hints::note_aws_target(crate::hints::AwsTarget {
            profile,
            region: aws.region(),
        });
        aws
    }
}

/// The nearest hoist.toml: in `cwd`, else in the closest ancestor that has one, the way cargo
/// finds Cargo.toml and just its justfile, so hoist runs from any subdirectory of a project.
/// A file in `cwd` is named relatively (`hoist.toml`), as messages have always shown it; one
/// found above is named by its full path. `None` when no directory up to the root has one.
fn discover_config(cwd: &Path) -> Option<PathBuf> {
    if cwd.join(hoist_config::DEFAULT_FILE_NAME).is_file() {
        return Some(PathBuf::from(hoist_config::DEFAULT_FILE_NAME));
    }
    cwd.ancestors()
        .skip(1)
        .map(|dir| dir.join(hoist_config::DEFAULT_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::discover_config;
    use std::path::PathBuf;

    #[test]
    fn the_current_directory_wins_and_is_named_relatively() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("a");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.path().join("hoist.toml"), "").unwrap();
        std::fs::write(sub.join("hoist.toml"), "").unwrap();
        assert_eq!(discover_config(&sub), Some(PathBuf::from("hoist.toml")));
    }

    #[test]
    fn the_nearest_ancestor_is_found_from_a_subdirectory() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.path().join("hoist.toml"), "").unwrap();
        std::fs::write(root.path().join("a/hoist.toml"), "").unwrap();
        assert_eq!(
            discover_config(&deep),
            Some(root.path().join("a/hoist.toml"))
        );
    }

    #[test]
    fn a_directory_named_hoist_toml_is_not_a_config() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("x");
        std::fs::create_dir_all(sub.join("hoist.toml")).unwrap();
        assert_eq!(discover_config(&sub), None);
    }
}
