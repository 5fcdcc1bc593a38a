//! `hoist deploy`: the environment's stack through a change set (executed only with
//! `--apply`), then — after the stack finished, never before — its outputs, the secrets
//! synced into the secrets those outputs name, a forced ECS redeploy, and a wait until each
//! new deployment completed. `--skip-stack` starts at the outputs.
//!
//! The stack part is planned by `hoist-deploy` (template location, roles, assets,
//! pre-flight) before any mutating call; this module wires that plan to `hoist-aws`.

mod child;
mod command;
mod github_deployment;
mod images;
mod interrupt;
mod preflight;
mod publish;
mod pushed;
mod source;
mod stack;
mod summary;
mod synth;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hoist_aws::cfn::Cfn;
use hoist_aws::ecs::Ecs;
use hoist_aws::secrets::Secrets;
use hoist_config::DeploySource;
use hoist_config::Redeploy;

use crate::cli::DeployArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::gha;
use crate::printer::Printer;
use crate::settings::Settings;

use super::shared::rollout as services;
use super::shared::stack_secrets::{self as secrets, read_outputs};
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

    let mut interrupt =
        interrupt::Interrupt::install().context("cannot listen for SIGINT/SIGTERM")?;
    let aws = settings.aws_in(&environment.aws).await;
    let mut report = summary::Report::new(&environment.name, apply);
    let recorder = github_deployment::Recorder::start(environment, apply, printer).await;
    let outcome = deploy(
        settings,
        environment,
        &aws,
        Run {
            apply,
            skip_stack,
            outputs_file,
            timeout,
            pushed: &pushed,
            pending: &pending,
            base: &base,
        },
        &mut interrupt,
        &mut report,
        printer,
    )
    .await;
    let url = environment
        .url_output
        .as_ref()
        .and_then(|key| report.outputs.get(key));
    if let (Ok(_), Some(key)) = (&outcome, &environment.url_output) {
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
    outcome
}

/// What one `hoist deploy` run was asked to do, resolved before any AWS call.
struct Run<'a> {
    apply: bool,
    skip_stack: bool,
    outputs_file: Option<PathBuf>,
    timeout: Duration,
    pushed: &'a hoist_deploy::image_refs::PushedImages,
    pending: &'a [secrets::Pending<'a>],
    base: &'a Path,
}

/// The deploy itself: stack, outputs, secrets, services. Fills `report` as it goes.
#[allow(clippy::too_many_arguments)]
async fn deploy(
    settings: &Settings,
    environment: &hoist_config::Environment,
    aws: &hoist_aws::Aws,
    run: Run<'_>,
    interrupt: &mut interrupt::Interrupt,
    report: &mut summary::Report,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let Run {
        apply,
        skip_stack,
        outputs_file,
        timeout,
        pushed,
        pending,
        base,
    } = run;
    let cfn = Cfn::new(aws);
    let resume = format!(
        "hoist deploy --env {}{}",
        environment.name,
        if apply { " --apply" } else { "" }
    );

    // 1. The stack.
    match (&environment.deploy, skip_stack) {
        (_, true) | (None, _) => {}
        (Some(DeploySource::Command(cmd)), false) => {
            let ran = interrupt::guarded(
                interrupt,
                "the deploy command ran (it was stopped)",
                &resume,
                command::run(cmd, base, apply, printer),
            )
            .await?;
            report.command = Some(ran.to_owned());
        }
        (
            Some(
                source @ (DeploySource::Template(_)
                | DeploySource::CdkOut(_)
                | DeploySource::CdkApp(_)),
            ),
            false,
        ) => {
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
            // A CDK app is synthesized first (this needs the account: from STS when not
            // configured); then, before any other AWS call, the template's size and no synced
            // secret in it, its assets or the context.
            let source = match source {
                DeploySource::CdkApp(dir) => {
                    let app = pushed::resolve_context(synth::read(&base.join(dir))?, pushed)?;
                    // The context never carries a synced secret: refused before the app runs.
                    source::refuse_secrets_in_context(&app.context, pending)?;
                    let account = source::account(environment, aws).await?;
                    let region = aws
                        .region()
                        .unwrap_or_else(|| environment.aws.region.clone());
                    let out = interrupt::guarded(
                        interrupt,
                        "the CDK app was synthesizing (it was stopped; nothing was deployed)",
                        &resume,
                        synth::run(&app, &account, &region, printer),
                    )
                    .await?;
                    DeploySource::CdkOut(out.display().to_string())
                }
                other => other.clone(),
            };
            let loaded = source::load(&source, base, name)?;
            source::refuse_secrets(&loaded, pending, &environment.parameters)?;
            let plan = source::plan(&loaded, environment, aws).await?;
            source::print_plan(&plan, printer);
            let profile = settings
                .profile
                .clone()
                .or_else(|| environment.aws.profile.clone());
            let roles = interrupt::guarded(
                interrupt,
                "checking the account (nothing was changed)",
                &resume,
                preflight::run(&plan, aws, profile.as_deref(), printer),
            )
            .await?;
            // The template first: the change set needs it, and nothing else.
            interrupt::guarded(
                interrupt,
                "uploading the template (the stack was not touched)",
                &resume,
                publish::files(&plan, aws, &roles, publish::Scope::TemplateOnly, printer),
            )
            .await?;
            if !apply {
                interrupt::guarded(
                    interrupt,
                    "checking image assets (the stack was not touched)",
                    &resume,
                    images::publish(&plan, aws, &roles, false, printer),
                )
                .await?;
            }
            // With --apply, the other assets are published while CloudFormation computes the
            // change set; it is executed once they all are.
            let assets = async {
                if !apply {
                    return Ok(());
                }
                futures::future::try_join(
                    publish::files(&plan, aws, &roles, publish::Scope::AllButTemplate, printer),
                    images::publish(&plan, aws, &roles, true, printer),
                )
                .await
                .map(|_| ())
            };
            let deployer = plan
                .deploy_role
                .as_ref()
                .and_then(|r| roles.get(r))
                .unwrap_or(aws);
            let stack = stack::deploy(
                &Cfn::new(deployer),
                &plan,
                apply,
                timeout,
                interrupt,
                &resume,
                printer,
                assets,
            )
            .await?;
            let planned = stack.result == stack::StackResult::Planned;
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
    let after_stack = format!(
        "hoist deploy --env {} --skip-stack{}",
        environment.name,
        if apply { " --apply" } else { "" }
    );
    let synced = interrupt::guarded(
        interrupt,
        "syncing secrets",
        &after_stack,
        secrets::sync(&Secrets::new(aws), &outputs, stack_name, pending, apply),
    )
    .await?;
    for s in &synced {
        printer.info(&format!("secret {} → {}: {}", s.env, s.output, s.result));
    }
    report.secrets = synced;

    // 4. Redeploy and wait: the services hoist.toml names (outputs), else those of the
    // stack whose task definitions read a secret that just changed.
    let changed_arns: Vec<String> = report
        .secrets
        .iter()
        .filter(|s| s.changed)
        .map(|s| s.secret_arn.clone())
        .collect();
    let targets = services::targets(
        environment,
        environment.redeploy,
        &cfn,
        &Ecs::new(aws),
        &outputs,
        stack_name,
        &changed_arns,
        printer,
    )
    .await?;
    if !targets.is_empty() {
        if apply {
            let ecs = Ecs::new(aws);
            let mut deployments = interrupt::guarded(
                interrupt,
                "starting ECS deployments",
                &after_stack,
                services::force(&ecs, &targets, printer),
            )
            .await?;
            let waited = interrupt::guarded(
                interrupt,
                "waiting for the new ECS deployments (they keep rolling out; `aws ecs describe-services` follows them)",
                &after_stack,
                services::wait(&ecs, &mut deployments, timeout, printer),
            )
            .await;
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
