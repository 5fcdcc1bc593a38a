//! `hoist deploy`: the environment's stack through a change set (executed only with
//! `--apply`), then — after the stack finished, never before — its outputs, the secrets
//! synced into the secrets those outputs name, a forced ECS redeploy, and a wait until each
//! new deployment completed. `--skip-stack` starts at the outputs.
//!
//! The stack part is planned by `hoist-deploy` (template location, roles, assets,
//! pre-flight) before any mutating call and carried out by `hoist-deployer`; this module
//! resolves the request (environment, pushed images, secret values), installs the signal
//! handlers, records the GitHub deployment, and prints the outputs and the summary.

mod github_deployment;
mod pushed;
mod summary;

use std::time::Duration;

use anyhow::Context;
use hoist_deployer::{DeployError, Interrupt, Report, Request, secrets};

use crate::cli::DeployArgs;
use crate::exit::ExitStatus;
use crate::gha;
use crate::printer::Printer;
use crate::settings::Settings;
use crate::target;

pub(crate) async fn run(
    settings: &Settings,
    args: DeployArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let DeployArgs {
        env,
        apply,
        skip_stack,
        outputs_file,
        wait_timeout,
        pushed,
    } = args;
    let config = settings.load_config()?;
    let environment = target::choose_environment(&config, env.as_deref())?;
    // `{image:SERVICE}` becomes the digest this run pushed, before anything reads a parameter.
    let pushed = pushed::read(pushed.as_deref())?;
    let environment = &pushed::resolve_parameters(environment, &pushed)?;
    let timeout = Duration::from_secs(wait_timeout.unwrap_or(environment.wait_timeout));
    // Before any AWS call: a bad secret value changes nothing.
    let pending = secrets::read_and_check(environment)?;
    let base = settings.project_dir();

    let mut interrupt = Interrupt::signals().context("cannot listen for SIGINT/SIGTERM")?;
    let aws = settings.aws_in(&environment.aws).await;
    let mut report = Report::new(&environment.name, apply);
    // Only an applied deploy is recorded on GitHub.
    let recorder = if apply {
        github_deployment::Recorder::start(environment, printer).await
    } else {
        None
    };
    let profile = settings
        .profile
        .clone()
        .or_else(|| environment.aws.profile.clone());
    let request = Request {
        environment,
        apply,
        skip_stack,
        timeout,
        pushed: &pushed,
        pending: &pending,
        base: &base,
        profile: profile.as_deref(),
    };
    let outcome =
        hoist_deployer::deploy(&request, &aws, &mut interrupt, &mut report, printer).await;
    // Outputs were read when there are some, or when a deploy that was not a plan got
    // past its stack to a stack that has none.
    let planned = report
        .stack
        .as_ref()
        .is_some_and(|s| s.result == hoist_deployer::stack::StackResult::Planned);
    let read =
        !report.outputs.is_empty() || (outcome.is_ok() && !planned && environment.stack.is_some());
    let written = if read {
        publish_outputs(&report, outputs_file.as_deref())
    } else {
        Ok(())
    };
    let outcome = outcome.map_err(anyhow::Error::from).and(written);
    let url = environment
        .url_output
        .as_ref()
        .and_then(|key| report.outputs.get(key));
    if let (Ok(()), Some(key)) = (&outcome, &environment.url_output) {
        match url {
            Some(url) => {
                gha::set_output(gha::ENVIRONMENT_URL_OUTPUT, url)?;
                printer.info(&format!("environment {}: {url}", environment.name));
            }
            None if !report.outputs.is_empty() => printer.warn(&format!(
                "stack output {key} (url_output of environment {}) does not exist: no environment URL is recorded",
                environment.name
            )),
            None => {}
        }
    }
    if let Some(recorder) = recorder {
        recorder
            .finish(url.map(String::as_str), outcome.is_ok(), printer)
            .await;
    }
    // The summary ends every run that got somewhere; after a failed rollout too (its table
    // shows which service did not come up), except under --json, where the error document
    // is the one answer.
    let rollout_failed = matches!(
        outcome
            .as_ref()
            .err()
            .and_then(|e| e.downcast_ref::<DeployError>()),
        Some(DeployError::RolloutFailed { .. })
    );
    if outcome.is_ok() || (rollout_failed && !printer.json()) {
        summary::finish(&report, printer)?;
    }
    outcome.map(|()| ExitStatus::Success)
}

/// The stack outputs as step outputs and, with `--outputs-file`, as a JSON file.
fn publish_outputs(report: &Report, file: Option<&std::path::Path>) -> anyhow::Result<()> {
    for (k, v) in &report.outputs {
        gha::set_output(k, v)?;
    }
    if let Some(path) = file {
        std::fs::write(path, serde_json::to_string_pretty(&report.outputs)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
