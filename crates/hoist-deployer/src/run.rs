//! One deploy from start to end: the stack (a deploy command, or a template or CDK app through
//! a change set), then — after the stack finished, never before — its outputs, the secrets
//! synced, and the ECS services that read a changed secret redeployed and waited for.

use std::path::Path;
use std::time::Duration;

use hoist_aws::Aws;
use hoist_aws::cfn::Cfn;
use hoist_aws::ecs::Ecs;
use hoist_aws::secrets::Secrets;
use hoist_config::{DeploySource, Environment, Redeploy};
use hoist_deploy::image_refs::PushedImages;

use crate::error::{DeployError, Result};
use crate::events::Events;
use crate::interrupt::{Interrupt, guarded};
use crate::report::Report;
use crate::secrets::{self, Pending, read_outputs};
use crate::stack::StackResult;
use crate::{command, images, preflight, publish, rollout, source, stack, synth};

/// What one deploy was asked to do, resolved before any AWS call.
pub struct Request<'a> {
    pub environment: &'a Environment,
    /// Execute the change set, run the command, write the secrets, restart the services;
    /// without it, only what would happen is computed and shown.
    pub apply: bool,
    /// Start at the outputs (the stack was deployed already).
    pub skip_stack: bool,
    /// How long the stack and each rollout may take.
    pub timeout: Duration,
    /// The images this run pushed, for `{image:SERVICE}` in the CDK context.
    pub pushed: &'a PushedImages,
    /// The secret values read and checked.
    pub pending: &'a [Pending<'a>],
    /// The project directory: hoist.toml's paths are relative to it.
    pub base: &'a Path,
    /// The AWS profile in effect, named in fixes (`cdk bootstrap … --profile P`).
    pub profile: Option<&'a str>,
}

/// Deploys `request.environment` with `aws`, filling `report` as it goes (it holds what was
/// done also when an error ends the run).
///
/// # Errors
/// The first step that failed, was refused, or was interrupted; nothing after it ran.
pub async fn deploy(
    request: &Request<'_>,
    aws: &Aws,
    interrupt: &mut Interrupt,
    report: &mut Report,
    events: &dyn Events,
) -> Result<()> {
    let Request {
        environment,
        apply,
        skip_stack,
        timeout,
        pushed,
        pending,
        base,
        profile,
    } = *request;
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
            let ran = guarded(
                interrupt,
                "the deploy command ran (it was stopped)",
                &resume,
                command::run(cmd, base, apply, events),
            )
            .await?;
            report.command = Some(ran.to_owned());
        }
        (Some(source), false) => {
            let name = environment
                .stack
                .as_deref()
                .ok_or_else(|| DeployError::NoStackName {
                    env: environment.name.clone(),
                })?;
            // A CDK app is synthesized first (this needs the account: from STS when not
            // configured); then, before any other AWS call, the template's size and no synced
            // secret in it, its assets or the context.
            // The account STS named for the synthesis, kept for the plan (one call, not two).
            let mut known_account = None;
            let source = match source {
                DeploySource::CdkApp(dir) => {
                    let app = synth::read(&base.join(dir))?;
                    let context = hoist_deploy::image_refs::resolve_context(&app.context, pushed)?;
                    let app = hoist_deploy::synth::App { context, ..app };
                    // The context never carries a synced secret: refused before the app runs.
                    source::refuse_secrets_in_context(&app.context, pending)?;
                    let account = source::account(environment, aws).await?;
                    let region = aws
                        .region()
                        .unwrap_or_else(|| environment.aws.region.clone());
                    let out = guarded(
                        interrupt,
                        "the CDK app was synthesizing (it was stopped; nothing was deployed)",
                        &resume,
                        synth::run(&app, &account, &region, events),
                    )
                    .await?;
                    known_account = Some(account);
                    DeploySource::CdkOut(out.display().to_string())
                }
                other => other.clone(),
            };
            let loaded = source::load(&source, base, name)?;
            source::refuse_secrets(&loaded, pending, &environment.parameters)?;
            let plan = source::plan(&loaded, environment, aws, known_account).await?;
            source::print_plan(&plan, events);
            let planned = deploy_stack(
                &plan, aws, apply, timeout, profile, interrupt, &resume, report, events,
            )
            .await?;
            if planned {
                plan_rest(environment, events);
                return Ok(());
            }
        }
    }

    // 2. Outputs, read after the stack finished.
    let Some(stack_name) = environment.stack.as_deref() else {
        if !pending.is_empty() || !environment.services.is_empty() {
            return Err(DeployError::NoStackForSync {
                env: environment.name.clone(),
            });
        }
        return Ok(());
    };
    let outputs = read_outputs(&cfn, stack_name).await?;
    report.outputs.clone_from(&outputs);

    // 3. Secrets.
    let after_stack = format!(
        "hoist deploy --env {} --skip-stack{}",
        environment.name,
        if apply { " --apply" } else { "" }
    );
    let synced = guarded(
        interrupt,
        "syncing secrets",
        &after_stack,
        secrets::sync(&Secrets::new(aws), &outputs, stack_name, pending, apply),
    )
    .await?;
    for s in &synced {
        events.info(&format!("secret {} → {}: {}", s.env, s.output, s.result));
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
    let ecs = Ecs::new(aws);
    let targets = rollout::targets(
        environment,
        environment.redeploy,
        &cfn,
        &ecs,
        &outputs,
        stack_name,
        &changed_arns,
        events,
    )
    .await?;
    if targets.is_empty() {
        return Ok(());
    }
    if !apply {
        for (cluster, service) in &targets {
            events.out(&format!(
                "would force a new deployment of {service} (cluster {cluster})"
            ));
        }
        return Ok(());
    }
    report.services = guarded(
        interrupt,
        "starting ECS deployments",
        &after_stack,
        rollout::force(&ecs, &targets, events),
    )
    .await?;
    guarded(
        interrupt,
        "waiting for the new ECS deployments (they keep rolling out; `aws ecs describe-services` follows them)",
        &after_stack,
        rollout::wait(&ecs, &mut report.services, timeout, events),
    )
    .await
}

/// The pre-flight, the template, the assets and the change set of `plan`; whether it was
/// only planned (the change set shown and deleted).
#[allow(clippy::too_many_arguments)]
async fn deploy_stack(
    plan: &hoist_deploy::DeployPlan,
    aws: &Aws,
    apply: bool,
    timeout: Duration,
    profile: Option<&str>,
    interrupt: &mut Interrupt,
    resume: &str,
    report: &mut Report,
    events: &dyn Events,
) -> Result<bool> {
    let roles = guarded(
        interrupt,
        "checking the account (nothing was changed)",
        resume,
        preflight::run(plan, aws, profile, events),
    )
    .await?;
    // The template first: the change set needs it, and nothing else.
    guarded(
        interrupt,
        "uploading the template (the stack was not touched)",
        resume,
        publish::files(plan, aws, &roles, publish::Scope::TemplateOnly, events),
    )
    .await?;
    if !apply {
        // A plan checks the image assets before any change set (the repository exists, the
        // engine answers when one would be built).
        guarded(
            interrupt,
            "checking image assets (the stack was not touched)",
            resume,
            images::publish(plan, aws, &roles, false, events),
        )
        .await?;
    }
    // With `apply`, the other assets are published while CloudFormation computes the change
    // set; it is executed once they all are.
    let assets = async {
        if !apply {
            return Ok(());
        }
        futures::future::try_join(
            publish::files(plan, aws, &roles, publish::Scope::AllButTemplate, events),
            images::publish(plan, aws, &roles, true, events),
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
        plan,
        apply,
        timeout,
        interrupt,
        resume,
        events,
        assets,
    )
    .await?;
    let planned = stack.result == StackResult::Planned;
    report.stack = Some(stack);
    Ok(planned)
}

/// What a plan would do after the stack.
fn plan_rest(env: &Environment, events: &dyn Events) {
    for s in &env.secrets {
        events.out(&format!(
            "would sync {} into the secret named by output {}",
            s.env, s.output
        ));
    }
    if env.redeploy != Redeploy::Never {
        for s in &env.services {
            events.out(&format!(
                "would redeploy the ECS service named by outputs {}/{}",
                s.cluster_output, s.service_output
            ));
        }
    }
}
