//! Resolved settings: the global flags and environment turned into plain values before any
//! command runs, and the one place hoist.toml is read.

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::GlobalArgs;
use crate::env_vars;
use crate::exit::BadInput;

/// What every command may need, resolved from flags and environment.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) config_path: PathBuf,
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
        let config_path = config
            .or_else(|| env_vars::get(env_vars::HOIST_CONFIG).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(hoist_config::DEFAULT_FILE_NAME));
        Self {
            config_path,
            profile,
            region,
            json,
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
        let profile = self
            .profile
            .clone()
            .or_else(|| config.and_then(|c| c.aws.profile.clone()));
        let region = self
            .region
            .clone()
            .or_else(|| config.map(|c| c.aws.region.clone()));
        let aws = hoist_aws::Aws::load(profile.as_deref(), region.as_deref()).await;
        crate::hints::note_aws_target(crate::hints::AwsTarget {
            profile,
            region: aws.region(),
        });
        aws
    }
}
