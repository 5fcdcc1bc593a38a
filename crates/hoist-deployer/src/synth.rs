//! `cdk_app`: runs the app's synthesis the way the CDK CLI does (see `hoist_deploy::synth`),
//! so a deploy needs no Node CDK CLI, only the app's own runtime.
//!
//! The `app` command is split into words and run directly, not through a shell (as
//! `command = …` deploys are; see `command.rs`). Its output is progress and goes to stderr.

use std::path::{Path, PathBuf};

use hoist_deploy::synth::App;

use crate::error::{DeployError, Result};
use crate::events::Events;

/// Reads the app in `dir` (cdk.json, cdk.context.json); the directory is made absolute, as
/// the app runs in it and writes to `CDK_OUTDIR`.
pub fn read(dir: &Path) -> Result<App> {
    let dir = dir
        .canonicalize()
        .map_err(|source| DeployError::CdkAppDir {
            dir: dir.to_owned(),
            source,
        })?;
    hoist_deploy::synth::read_app(&dir).map_err(|source| DeployError::CdkApp { dir, source })
}

/// Synthesizes `app`; returns the assembly directory.
pub async fn run(app: &App, account: &str, region: &str, events: &dyn Events) -> Result<PathBuf> {
    let dir = &app.dir;
    const WHAT: &str = "cdk.json's app command";
    let words =
        crate::command::split_words(&app.command).map_err(|reason| DeployError::CommandSplit {
            what: WHAT,
            command: app.command.clone(),
            reason,
        })?;
    let Some((program, args)) = words.split_first() else {
        return Err(DeployError::CommandEmpty { what: WHAT });
    };
    let env = hoist_deploy::synth::app_env(app, account, region);
    events.info(&format!(
        "synthesizing {} ({}) into {}",
        dir.display(),
        app.command,
        app.out_dir.display()
    ));
    let status = crate::child::run(program, args, &app.dir, &env)
        .await
        .map_err(|source| DeployError::SynthStart {
            program: program.clone(),
            source,
        })?;
    if !status.success() {
        return Err(DeployError::SynthFailed {
            command: app.command.clone(),
            directory: dir.clone(),
            status,
        });
    }
    Ok(app.out_dir.clone())
}
