//! `hoist deploy`: the environment's stack through a change set (executed only with
//! `--apply`), then — after the stack finished, never before — its outputs, the secrets
//! synced into the secrets those outputs name, a forced ECS redeploy, and a wait until each
//! new deployment completed. `--skip-stack` starts at the outputs.

mod asset_zip;
mod cdk;
mod command;
mod secrets;
mod services;
mod stack;
mod summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hoist_aws::cfn::Cfn;
use hoist_aws::ecs::Ecs;
use hoist_aws::secrets::Secrets;
use hoist_config::{DeploySource, Redeploy};

use crate::cli::DeployArgs;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::gha;
use crate::printer::Printer;
use crate::settings::Settings;

use super::credentials::target;

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
    } = args;
    let config = settings.load_config()?;
    let environment = target::choose_environment(&config, env.as_deref())?;
    let timeout = Duration::from_secs(wait_timeout.unwrap_or(environment.wait_timeout));
    // Before any AWS call: a bad secret value changes nothing.
    let pending = secrets::read_and_check(environment)?;
    let base = settings
        .config_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };

    let aws = settings.aws(Some(&config)).await;
    let cfn = Cfn::new(&aws);
    let mut report = summary::Report::new(&environment.name, apply);

    // 1. The stack.
    match (&environment.deploy, skip_stack) {
        (_, true) | (None, _) => {}
        (Some(DeploySource::Command(cmd)), false) => {
            report.command = Some(command::run(cmd, &base, apply, printer).await?.to_owned());
        }
        (Some(source @ (DeploySource::Template(_) | DeploySource::CdkOut(_))), false) => {
            let name = environment.stack.as_deref().ok_or_else(|| {
                BadInput::new(format!(
                    "environment {} has a template but no stack name",
                    environment.name
                ))
                .hint(format!(
                    "add `stack = \"NAME\"` under [environments.{}]",
                    environment.name
                ))
            })?;
            let (body, parameters) = match source {
                DeploySource::Template(path) => {
                    let path = base.join(path);
                    let body = std::fs::read_to_string(&path).map_err(|e| {
                        BadInput::new(format!("cannot read the template {}: {e}", path.display()))
                    })?;
                    (body, environment.parameters.clone())
                }
                DeploySource::CdkOut(dir) => {
                    let assembly = cdk::load(&base.join(dir), name)?;
                    if apply {
                        cdk::publish_assets(&aws, &assembly, &config, printer).await?;
                    }
                    let mut params = assembly.parameters.clone();
                    params.extend(environment.parameters.clone());
                    (assembly.template, params)
                }
                DeploySource::Command(_) => unreachable!("matched above"),
            };
            let stack =
                stack::deploy(&cfn, name, &body, &parameters, apply, timeout, printer).await?;
            let planned = stack.result == "planned";
            report.stack = Some(stack);
            if planned {
                plan_rest(environment, printer);
                report.finish(printer)?;
                return Ok(ExitStatus::Success);
            }
        }
    }

    // 2. Outputs, read after the stack finished.
    let Some(stack_name) = environment.stack.as_deref() else {
        if !pending.is_empty() || !environment.services.is_empty() {
            return Err(BadInput::new(format!(
                "environment {} syncs secrets or redeploys services but names no stack",
                environment.name
            ))
            .hint("add `stack = \"NAME\"`: the secret ARNs and service names come from its outputs")
            .into());
        }
        report.finish(printer)?;
        return Ok(ExitStatus::Success);
    };
    let outputs = read_outputs(&cfn, stack_name).await?;
    for (k, v) in &outputs {
        gha::set_output(k, v)?;
    }
    if let Some(path) = &outputs_file {
        std::fs::write(path, serde_json::to_string_pretty(&outputs)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    report.outputs.clone_from(&outputs);

    // 3. Secrets.
    let synced = secrets::sync(&Secrets::new(&aws), &outputs, stack_name, &pending, apply).await?;
    let changed = synced.iter().any(|s| s.changed);
    for s in &synced {
        printer.info(&format!("secret {} → {}: {}", s.env, s.output, s.result));
    }
    report.secrets = synced;

    // 4. Redeploy and wait.
    let redeploy = match environment.redeploy {
        Redeploy::Always => true,
        Redeploy::OnSecretChange => changed,
        Redeploy::Never => false,
    };
    if redeploy && !environment.services.is_empty() {
        let targets = services::resolve(&environment.services, &outputs, stack_name)?;
        if apply {
            let ecs = Ecs::new(&aws);
            let mut deployments = services::force(&ecs, &targets, printer).await?;
            let waited = services::wait(&ecs, &mut deployments, timeout, printer).await;
            report.services = deployments;
            if let Err(err) = waited {
                // Under --json the error document is the one JSON answer.
                if !printer.json() {
                    report.finish(printer)?;
                }
                return Err(err);
            }
        } else {
            for (cluster, service) in &targets {
                printer.out(&format!(
                    "would force a new deployment of {service} (cluster {cluster})"
                ));
            }
        }
    }
    report.finish(printer)?;
    Ok(ExitStatus::Success)
}

/// The stack's outputs; the stack must exist and be settled.
async fn read_outputs(cfn: &Cfn, stack: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let Some(found) = cfn.describe_stack(stack).await? else {
        return Err(Failed::new(format!("stack {stack} does not exist, so it has no outputs"))
            .hint("deploy it first (`hoist deploy --apply` without --skip-stack, or the guide's first manual deploy)")
            .into());
    };
    if !hoist_aws::cfn::is_terminal(&found.status) {
        return Err(Failed::new(format!(
            "stack {stack} is {}: outputs are only final once it has finished",
            found.status
        ))
        .hint(
            "wait for the stack operation to finish, then run `hoist deploy --skip-stack --apply`",
        )
        .into());
    }
    Ok(found.outputs)
}

fn plan_rest(env: &hoist_config::Environment, printer: &Printer) {
    for s in &env.secrets {
        printer.out(&format!(
            "would sync {} into the secret named by output {}",
            s.env, s.output
        ));
    }
    if env.redeploy != Redeploy::Never {
        for s in &env.services {
            printer.out(&format!(
                "would redeploy the ECS service named by outputs {}/{}",
                s.cluster_output, s.service_output
            ));
        }
    }
}
