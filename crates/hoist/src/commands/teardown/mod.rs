//! `hoist teardown --env E [--apply] [--yes-delete-prod] [--cleanup]`: delete an
//! environment's stack without hanging on a VPC Lambda (the guide's "Stack deletion stuck on
//! PgvectorEnabler / Lambda").
//!
//! Wiring only: [`read`] reads the stack, its template and the rules that reference its
//! groups; `hoist_plan::teardown::plan` decides (rules to revoke first, from the template's
//! relations); [`report`] prints the plan; [`apply`] applies exactly that plan. A retained
//! delete's leftovers go to `.hoist/teardown-<stack>.json` for `--cleanup`, which is planned
//! and applied the same way.

mod apply;
mod leftovers;
mod read;
mod report;
mod wait;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use hoist_aws::cfn::Cfn;
use hoist_config::{DeploySource, Environment, Tier};

use crate::cli::TeardownArgs;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use apply::Executor;

/// Prod: the stack name typed on a terminal, or `--yes-delete-prod`.
fn confirm_prod(
    env: &Environment,
    stack: &str,
    yes: bool,
    printer: &Printer,
) -> anyhow::Result<()> {
    if env.tier != Tier::Prod || yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failed::new(format!("refusing to delete prod stack {stack} without confirmation: stdin is not a terminal"))
            .hint(format!("run it in a terminal and type the stack name, or pass --yes-delete-prod: `hoist teardown --env {} --apply --yes-delete-prod`", env.name))
            .into());
    }
    printer.info(&format!(
        "{stack} is a prod stack. Type its name to delete it:"
    ));
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    if line.trim() != stack {
        return Err(
            Failed::new(format!("{:?} is not {stack}: nothing deleted", line.trim()))
                .hint("type the stack name exactly as shown")
                .into(),
        );
    }
    Ok(())
}

pub(crate) async fn run(
    settings: &Settings,
    args: TeardownArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let TeardownArgs {
        env,
        apply,
        yes_delete_prod,
        cleanup,
    } = args;
    let config = settings.load_config()?;
    let Some(environment) = config.environment(&env) else {
        return Err(
            BadInput::new(format!("hoist.toml has no environment {env:?}"))
                .hint(format!(
                    "choose one of: {}",
                    config.environment_names().join(", ")
                ))
                .into(),
        );
    };
    let Some(stack) = environment.stack.clone() else {
        return Err(BadInput::new(format!("environment {env} names no stack"))
            .hint(format!(
                "set `stack = \"…\"` under [environments.{env}] in hoist.toml"
            ))
            .into());
    };
    let aws = settings.aws_in(&environment.aws).await;
    let root = settings.project_dir();
    let executor = Executor {
        aws: &aws,
        printer,
        timeout: Duration::from_secs(environment.wait_timeout),
        execution_role: matches!(environment.deploy, Some(DeploySource::Template(_)))
            .then(|| environment.execution_role_name()),
    };
    if cleanup {
        return run_cleanup(&executor, &root, &stack).await;
    }
    let actual = read::stack(&aws, &Cfn::new(&aws), &stack).await?;
    let plan = hoist_plan::teardown::plan(actual.as_ref());
    let view = report::View {
        stack: &stack,
        env: &env,
        region: &environment.aws.region,
        exists: actual.is_some(),
    };
    if apply && !printer.json() {
        view.plan(&plan, printer);
    }
    let applied = executor
        .run(&plan, apply, || {
            confirm_prod(environment, &stack, yes_delete_prod, printer)
        })
        .await?;
    if let (Some(done), true) = (&applied, actual.is_some()) {
        let file = leftovers::save(&root, &stack, &done.retained)?;
        view.retained(&done.retained, &file, printer);
    }
    view.finish(&plan, applied.as_ref(), printer)?;
    Ok(ExitStatus::Success)
}

/// Removes retained security groups whose network interfaces are gone; exit 1 while anything
/// remains.
async fn run_cleanup(
    executor: &Executor<'_>,
    root: &Path,
    stack: &str,
) -> anyhow::Result<ExitStatus> {
    let printer = executor.printer;
    let items = leftovers::load(root, stack)?;
    if items.is_empty() {
        printer.out(&format!("nothing left from deleting {stack}"));
        return Ok(ExitStatus::Success);
    }
    let states = read::leftovers(executor.aws, items).await?;
    let plan = hoist_plan::teardown::cleanup_plan(&states);
    if !printer.json() {
        printer.out(&format!("Cleanup plan for what deleting {stack} left:"));
        printer.out(plan.render_human().trim_end());
    }
    let done = executor
        .run(&plan, true, || Ok(()))
        .await?
        .unwrap_or_default();
    let deleted: Vec<&str> = plan
        .operations()
        .filter_map(|op| match op {
            hoist_plan::teardown::Op::DeleteSecurityGroup { group_id }
                if !done.failed_groups.contains(group_id) =>
            {
                Some(group_id.as_str())
            }
            _ => None,
        })
        .collect();
    let remaining: Vec<_> = states
        .into_iter()
        .map(|s| s.item)
        .filter(|i| {
            i.physical_id
                .as_deref()
                .is_some_and(|id| !deleted.contains(&id))
        })
        .collect();
    let file = leftovers::save(root, stack, &remaining)?;
    report::cleanup(stack, &plan, &remaining, &file, printer);
    Ok(if remaining.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
