//! `cdk_app`: runs the app's synthesis the way the CDK CLI does (see `hoist_deploy::synth`),
//! so a deploy needs no Node CDK CLI, only the app's own runtime.
//!
//! The `app` command is split into words and run directly, not through a shell (as
//! `command = …` deploys are; see `command.rs`). Its output is progress and goes to stderr.

use std::path::{Path, PathBuf};

use hoist_deploy::synth::App;

use crate::exit::{BadInput, Failed};
use crate::printer::Printer;

/// Reads the app in `dir` (cdk.json, cdk.context.json); the directory is made absolute, as
/// the app runs in it and writes to `CDK_OUTDIR`.
pub(crate) fn read(dir: &Path) -> anyhow::Result<App> {
    let dir = dir.canonicalize().map_err(|e| {
        BadInput::new(format!("cdk_app {}: {e}", dir.display()))
            .hint("`cdk_app` in hoist.toml names the directory holding cdk.json (such as \"cdk\")")
    })?;
    hoist_deploy::synth::read_app(&dir).map_err(|e| {
        BadInput::new(format!("cdk_app {}: {e}", dir.display()))
            .hint(e.hint())
            .into()
    })
}

/// Synthesizes `app`; returns the assembly directory.
pub(crate) async fn run(
    app: &App,
    account: &str,
    region: &str,
    printer: &Printer,
) -> anyhow::Result<PathBuf> {
    let dir = &app.dir;
    let words = super::command::split_words(&app.command).map_err(|e| {
        BadInput::new(format!(
            "cannot split cdk.json's app command {:?}: {e}",
            app.command
        ))
    })?;
    let Some((program, args)) = words.split_first() else {
        return Err(BadInput::new("cdk.json's app command is empty").into());
    };
    let env = hoist_deploy::synth::app_env(app, account, region);
    printer.info(&format!(
        "synthesizing {} ({}) into {}",
        dir.display(),
        app.command,
        app.out_dir.display()
    ));
    let status = super::child::run(program, args, &app.dir, &env)
        .await
        .map_err(|e| {
            Failed::new(format!("cannot start {program} (cdk.json's app): {e}"))
                .hint("install the app's runtime on the runner (e.g. Python with aws-cdk-lib, and Node for jsii)")
        })?;
    if !status.success() {
        return Err(
            Failed::new(format!("synthesis failed ({status}): {}", app.command))
                .hint(format!(
                    "run `{}` in {} to see the app's error",
                    app.command,
                    dir.display()
                ))
                .into(),
        );
    }
    Ok(app.out_dir.clone())
}
