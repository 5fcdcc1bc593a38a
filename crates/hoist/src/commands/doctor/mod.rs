//! `hoist doctor [--env E] [--fix]`: a tree of named checks, one per failure the setup guides
//! troubleshoot, each returning a typed [`check::CheckResult`] with its evidence and fix.
//! `--fix` shows the plan, applies the [`check::Fix`]es hoist can make, and checks again.
//! Exit 1 when any check fails.

mod check;
pub(crate) mod checks;
mod context;
mod fixes;

use serde_json::json;

use crate::cli::DoctorArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::printer::Printer;
use crate::settings::Settings;

use check::{CheckResult, Status};
use context::Ctx;

async fn run_checks(
    ctx: &Ctx<'_>,
    env_filter: Option<&str>,
    config_dir: &std::path::Path,
) -> Vec<CheckResult> {
    // One account (and region) per run: the environments living where these credentials
    // point. The others are named, with the command that checks them.
    let (envs, elsewhere): (
        Vec<&hoist_config::Environment>,
        Vec<&hoist_config::Environment>,
    ) = ctx
        .config
        .environments
        .iter()
        .filter(|e| env_filter.is_none_or(|f| f == e.name))
        .partition(|e| e.aws == *ctx.place);
    let mut out = vec![checks::identity::provider(ctx).await];
    for env in &elsewhere {
        out.push(CheckResult::skip(
            format!("environment-{}", env.name),
            format!(
                "environment {} lives in another account or region ({}): check it with `hoist doctor --env {}`",
                env.name,
                env.aws.account_id.as_deref().map_or_else(
                    || env.aws.profile.clone().map_or_else(|| env.aws.region.clone(), |p| format!("profile {p}")),
                    |a| format!("account {a}, {}", env.aws.region)
                ),
                env.name
            ),
        ));
    }
    for env in &envs {
        out.push(checks::identity::role_trust(ctx, env).await);
    }
    out.push(checks::identity::github_secrets(ctx, &envs).await);
    out.extend(checks::stack::cdk_bootstrap(ctx, &envs).await);
    out.extend(checks::release::cdk_execution_role(ctx, &envs).await);
    for env in &envs {
        out.extend(checks::release::prod_protection(ctx, env).await);
    }
    for env in &envs {
        let stack = ctx.stack(env).await;
        out.extend(checks::stack::synced_secrets(ctx, env, &stack).await);
        out.extend(checks::stack::ecs(ctx, env, &stack).await);
        out.extend(checks::network::ecs_to_rds(ctx, env, &stack).await);
        out.extend(checks::pgvector::check(ctx, env, &stack).await);
    }
    out.extend(checks::images::ecr(ctx, config_dir).await);
    out.extend(checks::images::access_keys(ctx).await);
    out
}

/// The `--fix` plan, then what only a person can do.
fn show_plan(printer: &Printer, planned: &fixes::FixPlan) {
    if planned.plan.resources.is_empty() && planned.manual.is_empty() {
        printer.out("nothing to fix");
        return;
    }
    if !planned.plan.resources.is_empty() {
        printer.out("plan:");
        printer.out(planned.plan.render_human().trim_end());
    }
    for (check, what) in &planned.manual {
        printer.out(&format!("  manual {check}: {what}"));
    }
}

fn render(printer: &Printer, results: &[CheckResult]) {
    for r in results {
        printer.out(&format!(
            "{:<5} {}: {}",
            r.status.label(),
            r.name,
            r.summary
        ));
        if r.status >= Status::Warn {
            for e in &r.evidence {
                for line in e.lines() {
                    printer.out(&format!("        {line}"));
                }
            }
            if let Some(f) = &r.fix {
                printer.out(&format!(
                    "      fix{}: {}",
                    if f.automatic() { " (--fix)" } else { "" },
                    f.describe()
                ));
            }
        }
    }
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    printer.out(&format!(
        "{} ok, {} warn, {} fail, {} skipped",
        count(Status::Ok),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skip)
    ));
}

pub(crate) async fn run(
    settings: &Settings,
    args: DoctorArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let DoctorArgs {
        env,
        fix,
        database_url,
        ca_file,
        users,
    } = args;
    // Bad input before anything is read or checked.
    let database_url = database_url
        .map(|arg| -> anyhow::Result<hoist_db::DatabaseUrl> {
            let text = crate::secret_arg::read("--database-url", &arg)?;
            hoist_db::DatabaseUrl::parse(&text).map_err(|e| {
                BadInput::new(format!("--database-url: {e}"))
                    .hint("write it as postgres://USER:PASSWORD@HOST:PORT/DB with %, # and ? in the password percent-encoded (%25, %23, %3F), or as libpq's key=value form")
                    .into()
            })
        })
        .transpose()?;
    let config = settings.load_config()?;
    if let Some(e) = &env
        && config.environment(e).is_none()
    {
        return Err(
            BadInput::new(format!("hoist.toml has no environment {e:?}"))
                .hint(format!(
                    "choose one of: {}",
                    config.environment_names().join(", ")
                ))
                .into(),
        );
    }
    let config_dir = settings.project_dir();
    let place = env
        .as_deref()
        .and_then(|e| config.environment(e))
        .map_or(&config.aws, |e| &e.aws);
    let aws = settings.aws_in(place).await;
    let account_id = match &place.account_id {
        Some(a) => Some(a.clone()),
        None => hoist_aws::sts::Sts::new(&aws)
            .caller_identity()
            .await
            .ok()
            .map(|c| c.account),
    };
    let ctx = Ctx {
        config: &config,
        place,
        aws,
        account_id,
        database_url,
        ca_file,
        users,
    };
    let mut results = run_checks(&ctx, env.as_deref(), &config_dir).await;
    // The repairs, planned from what the checks found before anything changes.
    let planned = fixes::plan(&results);
    let mut applied = Vec::new();
    if fix {
        render(printer, &results);
        show_plan(printer, &planned);
        if !planned.plan.resources.is_empty() {
            applied = fixes::apply(&ctx, &planned).await;
            for a in &applied {
                if a.ok {
                    printer.info(&format!("fixed {}: {}", a.check, a.detail));
                } else {
                    printer.warn(&format!("could not fix {}: {}", a.check, a.detail));
                }
            }
            if crate::gha::in_actions() {
                crate::gha::step_summary(&format!(
                    "### hoist doctor --fix\n\n{}",
                    planned.plan.render_markdown()
                ))?;
            }
            printer.out("after the fixes:");
            results = run_checks(&ctx, env.as_deref(), &config_dir).await;
        }
    }
    render(printer, &results);
    if !fix && !planned.plan.resources.is_empty() {
        printer.out(&format!(
            "`hoist doctor --fix` would make {} change(s): run it to see the plan and apply it",
            planned.plan.summary().changes()
        ));
    }
    let failed = results.iter().any(|r| r.status == Status::Fail);
    if printer.json() {
        printer.json_value(&json!({
            "ok": !failed,
            "checks": results.iter().map(CheckResult::to_json).collect::<Vec<_>>(),
            "plan": planned.plan.to_json(),
            "manual": planned.manual.iter().map(|(check, what)| json!({"check": check, "fix": what})).collect::<Vec<_>>(),
            "fixes": applied,
        }));
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
