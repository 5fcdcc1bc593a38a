//! `hoist doctor [--env E] [--fix]`: a tree of named checks, one per failure the setup guides
//! troubleshoot, each returning a typed [`check::CheckResult`] with its evidence and fix.
//! `--fix` shows the plan, applies the [`check::Fix`]es hoist can make, and checks again.
//! Exit 1 when any check fails.

mod check;
pub(crate) mod checks;
mod context;

use serde_json::json;

use crate::cli::DoctorArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::printer::Printer;
use crate::settings::Settings;

use check::{CheckResult, Fix, Status};
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
        out.extend(checks::stack::llm_secrets(ctx, env, &stack).await);
        out.extend(checks::stack::ecs(ctx, env, &stack).await);
        out.extend(checks::network::ecs_to_rds(ctx, env, &stack).await);
        out.extend(checks::pgvector::check(ctx, env, &stack).await);
    }
    out.extend(checks::images::ecr(ctx, config_dir).await);
    out.extend(checks::images::access_keys(ctx).await);
    out
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

/// Applies one fix; `Err` says why it could not be made.
async fn apply(ctx: &Ctx<'_>, fix: &Fix) -> Result<String, String> {
    match fix {
        Fix::AddProviderAudience {
            provider_arn,
            audience,
        } => hoist_aws::iam::Iam::new(&ctx.aws)
            .add_client_id_to_oidc_provider(provider_arn, audience)
            .await
            .map(|()| format!("added audience {audience} to {provider_arn}"))
            .map_err(|e| e.to_string()),
        Fix::UpdateTrust { role, document } => hoist_aws::iam::Iam::new(&ctx.aws)
            .update_assume_role_policy(role, document)
            .await
            .map(|()| format!("wrote the trust policy of {role}"))
            .map_err(|e| e.to_string()),
        Fix::PutSecret {
            secret_id,
            env,
            redeploy,
        } => {
            let Some(value) = crate::env_vars::get(env) else {
                return Err(format!(
                    "{env} is not set here: export it (never on the command line) and run --fix again"
                ));
            };
            let value = hoist_aws::secrets::SecretValue::new(value);
            hoist_aws::secrets::Secrets::new(&ctx.aws)
                .put_if_changed(secret_id, &value)
                .await
                .map_err(|e| e.to_string())?;
            let mut done = format!("stored ${env} in {secret_id}");
            let ecs = hoist_aws::ecs::Ecs::new(&ctx.aws);
            for (cluster, service) in redeploy {
                let id = ecs
                    .force_new_deployment(cluster, service)
                    .await
                    .map_err(|e| format!("{done}, but redeploying {service} failed: {e}"))?;
                done.push_str(&format!(
                    "; new deployment {id} of {service} so its tasks read it"
                ));
            }
            Ok(done)
        }
        Fix::AuthorizeIngress {
            group_id,
            port,
            source_group_id,
        } => hoist_aws::ec2::authorize_tcp_from_group(&ctx.aws, group_id, *port, source_group_id)
            .await
            .map(|()| format!("{group_id} now allows tcp/{port} from {source_group_id}"))
            .map_err(|e| e.to_string()),
        Fix::CreateVectorExtension { database_url } => {
            checks::pgvector::enable(ctx, database_url).await.map(|()| {
                format!(
                    "CREATE EXTENSION IF NOT EXISTS vector on {}",
                    database_url.display()
                )
            })
        }
        Fix::Manual(_) => Err("only a person can do this".into()),
    }
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
    let mut applied = Vec::new();
    if fix {
        let fixes: Vec<(String, Fix)> = results
            .iter()
            .filter(|r| r.status == Status::Fail || r.status == Status::Warn)
            .filter_map(|r| r.fix.clone().map(|f| (r.name.clone(), f)))
            .collect();
        render(printer, &results);
        if fixes.is_empty() {
            printer.out("nothing to fix");
        } else {
            printer.out("plan:");
            for (name, f) in &fixes {
                printer.out(&format!(
                    "  {} {name}: {}",
                    if f.automatic() { "apply " } else { "manual" },
                    f.describe()
                ));
            }
            for (name, f) in fixes.iter().filter(|(_, f)| f.automatic()) {
                let outcome = apply(&ctx, f).await;
                match &outcome {
                    Ok(done) => printer.info(&format!("fixed {name}: {done}")),
                    Err(why) => printer.warn(&format!("could not fix {name}: {why}")),
                }
                applied.push(json!({"check": name, "ok": outcome.is_ok(), "detail": outcome.unwrap_or_else(|e| e)}));
            }
            printer.out("after the fixes:");
            results = run_checks(&ctx, env.as_deref(), &config_dir).await;
        }
    }
    render(printer, &results);
    let failed = results.iter().any(|r| r.status == Status::Fail);
    if printer.json() {
        printer.json_value(&json!({
            "ok": !failed,
            "checks": results.iter().map(CheckResult::to_json).collect::<Vec<_>>(),
            "fixes": applied,
        }));
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
