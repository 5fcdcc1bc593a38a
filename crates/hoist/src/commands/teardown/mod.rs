//! `hoist teardown --env E [--apply] [--yes-delete-prod] [--cleanup]`: delete an
//! environment's stack without hanging on a VPC Lambda (the guide's "Stack deletion stuck on
//! PgvectorEnabler / Lambda").
//!
//! Before deleting, rules that reference the stack's Lambda security groups (the RDS group's
//! "allow from PgvectorLambdaSecurityGroup") or that sit on groups outside the stack are
//! revoked, since they block deleting those groups. If the delete still ends `DELETE_FAILED`
//! on the Lambda or its group, the delete is retried retaining them ([`decide`]), and they are
//! written to `.hoist/teardown-<stack>.json` for `--cleanup` once their ENIs are gone.

mod decide;
mod leftovers;

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use hoist_aws::Aws;
use hoist_aws::cfn::Cfn;
use hoist_aws::ec2::GroupIngress;
use hoist_config::{Environment, Tier};
use serde_json::json;

use crate::cli::TeardownArgs;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;
use hoist_aws::cfn::StackResource;

const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";

/// Rules that would block deleting the stack's security groups: any rule whose source is a
/// stack group with "Lambda" in its logical id, and any rule on a group outside the stack
/// whose source is a stack group.
async fn blocking_rules(
    aws: &Aws,
    resources: &[StackResource],
) -> anyhow::Result<Vec<(String, GroupIngress)>> {
    let stack_groups: Vec<(&str, &str)> = resources
        .iter()
        .filter(|r| r.resource_type == SECURITY_GROUP)
        .filter_map(|r| r.physical_id.as_deref().map(|p| (r.logical_id.as_str(), p)))
        .collect();
    let mut out = Vec::new();
    for (logical, group) in &stack_groups {
        let lambda = logical.to_ascii_lowercase().contains("lambda");
        for rule in hoist_aws::ec2::rules_referencing(aws, group).await? {
            let outside = !stack_groups.iter().any(|(_, g)| *g == rule.group_id);
            if lambda || outside {
                out.push(((*logical).to_owned(), rule));
            }
        }
    }
    Ok(out)
}

fn describe_rule(logical: &str, r: &GroupIngress) -> String {
    let ports = match (r.from_port, r.to_port) {
        (Some(a), Some(b)) if a == b => format!("{}/{a}", r.protocol),
        (Some(a), Some(b)) => format!("{}/{a}-{b}", r.protocol),
        _ => r.protocol.clone(),
    };
    format!(
        "{} allows {ports} from {} ({logical})",
        r.group_id, r.source_group_id
    )
}

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
            Failed::new(format!("{:?} is not {stack}: nothing deleted", line.trim())).into(),
        );
    }
    Ok(())
}

enum Ended {
    Deleted,
    Failed { stack_id: String },
    TimedOut(String),
}

/// Waits for the delete to end, printing each new event.
async fn wait(
    cfn: &Cfn,
    stack_id: &str,
    after: Option<String>,
    timeout: Duration,
    printer: &Printer,
) -> anyhow::Result<Ended> {
    let start = Instant::now();
    let mut last = after;
    loop {
        let status = cfn.describe_stack(stack_id).await?.map(|s| s.status);
        if let Ok(events) = cfn.events_since(stack_id, last.as_deref()).await {
            for e in events.iter().rev() {
                printer.info(&format!(
                    "  {} {} {}{}",
                    e.status,
                    e.logical_id,
                    e.resource_type,
                    e.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ));
            }
            if let Some(first) = events.first() {
                last = Some(first.event_id.clone());
            }
        }
        match status.as_deref() {
            None | Some("DELETE_COMPLETE") => return Ok(Ended::Deleted),
            Some("DELETE_FAILED") => {
                return Ok(Ended::Failed {
                    stack_id: stack_id.to_owned(),
                });
            }
            Some(s) if start.elapsed() > timeout => return Ok(Ended::TimedOut(s.to_owned())),
            _ => tokio::time::sleep(Duration::from_secs(5)).await,
        }
    }
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
            .hint("set `stack = \"…\"` for it in hoist.toml")
            .into());
    };
    let aws = settings.aws(Some(&config)).await;
    let root = settings
        .config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let root = if root.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        root
    };
    if cleanup {
        return run_cleanup(&aws, &root, &stack, printer).await;
    }
    let cfn = Cfn::new(&aws);
    let Some(found) = cfn.describe_stack(&stack).await? else {
        printer.out(&format!("stack {stack} does not exist: nothing to delete"));
        return Ok(ExitStatus::Success);
    };
    let resources = Cfn::new(&aws).stack_resources(&stack).await?;
    let rules = blocking_rules(&aws, &resources).await?;
    printer.out(&format!(
        "Plan: delete stack {stack} ({}, {} resources) in {}",
        found.status,
        resources.len(),
        config.aws.region
    ));
    for r in &resources {
        printer.out(&format!(
            "  - {} {} {}",
            r.resource_type,
            r.logical_id,
            r.physical_id.as_deref().unwrap_or("")
        ));
    }
    for (logical, r) in &rules {
        printer.out(&format!("  first revoke: {}", describe_rule(logical, r)));
    }
    if !apply {
        printer.out(&format!("Delete with: hoist teardown --env {env} --apply"));
        if printer.json() {
            printer.json_value(
                &json!({"stack": stack, "apply": false, "resources": resources.len(),
                "revoke": rules.iter().map(|(l, r)| describe_rule(l, r)).collect::<Vec<_>>()}),
            );
        }
        return Ok(ExitStatus::Success);
    }
    confirm_prod(environment, &stack, yes_delete_prod, printer)?;
    for (logical, r) in &rules {
        hoist_aws::ec2::revoke_group_ingress(&aws, r).await?;
        printer.info(&format!("revoked: {}", describe_rule(logical, r)));
    }
    let before = cfn
        .events_since(&found.stack_id, None)
        .await
        .ok()
        .and_then(|e| e.first().map(|e| e.event_id.clone()));
    Cfn::new(&aws).delete_stack(&found.stack_id).await?;
    printer.info(&format!("deleting {stack} …"));
    let timeout = Duration::from_secs(environment.wait_timeout);
    let mut left = Vec::new();
    match wait(&cfn, &found.stack_id, before.clone(), timeout, printer).await? {
        Ended::Deleted => {}
        Ended::TimedOut(s) => {
            return Err(Failed::new(format!("{stack} is still {s} after {} s", timeout.as_secs()))
                .hint("a VPC Lambda's network interfaces can take ~45 minutes to go: wait, then run teardown again (it retries retaining them if the delete fails)")
                .into());
        }
        Ended::Failed { stack_id } => {
            let events = cfn.events_since(&stack_id, before.as_deref()).await?;
            let retain = decide::retain_on_retry(&events).map_err(|unknown| {
                Failed::new(format!("deleting {stack} failed: {}", unknown.join("; ")))
                    .hint("fix the cause, then run `hoist teardown` again")
            })?;
            let ids: Vec<String> = retain.iter().map(|l| l.logical_id.clone()).collect();
            printer.info(&format!(
                "{stack} is DELETE_FAILED; retrying the delete retaining {}",
                ids.join(", ")
            ));
            for l in &retain {
                printer.info(&format!(
                    "  retain {} {}: {}",
                    l.logical_id,
                    l.physical_id.as_deref().unwrap_or(""),
                    l.reason
                ));
            }
            let mark = cfn
                .events_since(&stack_id, None)
                .await
                .ok()
                .and_then(|e| e.first().map(|e| e.event_id.clone()));
            Cfn::new(&aws)
                .delete_stack_retaining(&stack_id, &ids)
                .await?;
            match wait(&cfn, &stack_id, mark, timeout, printer).await? {
                Ended::Deleted => left = retain,
                _ => {
                    return Err(Failed::new(format!(
                        "the retry of deleting {stack} did not complete"
                    ))
                    .into());
                }
            }
        }
    }
    let file = leftovers::save(&root, &stack, &left)?;
    printer.out(&format!("deleted stack {stack}"));
    if !left.is_empty() {
        printer.out(&format!(
            "left to clean up later ({}): {}",
            file.display(),
            left.iter()
                .map(|l| l.logical_id.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        printer.out(&format!(
            "once their network interfaces are gone: hoist teardown --env {env} --cleanup"
        ));
    }
    if printer.json() {
        printer.json_value(&json!({"stack": stack, "apply": true, "deleted": true, "revoked": rules.iter().map(|(l, r)| describe_rule(l, r)).collect::<Vec<_>>(), "retained": left}));
    }
    Ok(ExitStatus::Success)
}

/// Removes retained security groups whose network interfaces are gone.
async fn run_cleanup(
    aws: &Aws,
    root: &Path,
    stack: &str,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let items = leftovers::load(root, stack)?;
    if items.is_empty() {
        printer.out(&format!("nothing left from deleting {stack}"));
        return Ok(ExitStatus::Success);
    }
    let mut remaining = Vec::new();
    for item in items {
        let Some(id) = item.physical_id.clone() else {
            continue;
        };
        if item.resource_type == SECURITY_GROUP {
            let enis = hoist_aws::ec2::network_interfaces_in_group(aws, &id).await?;
            if !enis.is_empty() {
                printer.out(&format!(
                    "{id} ({}) still has {} network interface(s): {} — try again later",
                    item.logical_id,
                    enis.len(),
                    enis.iter()
                        .map(|n| format!(
                            "{} {}{}",
                            n.id,
                            n.status,
                            if n.is_lambda() { " (Lambda)" } else { "" }
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                remaining.push(item);
                continue;
            }
            for rule in hoist_aws::ec2::rules_referencing(aws, &id).await? {
                hoist_aws::ec2::revoke_group_ingress(aws, &rule).await?;
                printer.info(&format!(
                    "revoked: {}",
                    describe_rule(&item.logical_id, &rule)
                ));
            }
            match hoist_aws::ec2::delete_security_group(aws, &id).await {
                Ok(()) => printer.out(&format!(
                    "deleted security group {id} ({})",
                    item.logical_id
                )),
                Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
                    printer.out(&format!("{id} ({}) is already gone", item.logical_id))
                }
                Err(e) => {
                    printer.warn(&format!("{id}: {e}"));
                    remaining.push(item);
                }
            }
        } else {
            printer.out(&format!("{} {id} ({}): delete it by hand: `aws lambda delete-function --function-name {id}`", item.resource_type, item.logical_id));
            remaining.push(item);
        }
    }
    let file = leftovers::save(root, stack, &remaining)?;
    if remaining.is_empty() {
        printer.out(&format!("everything left from deleting {stack} is gone"));
        Ok(ExitStatus::Success)
    } else {
        printer.out(&format!(
            "{} item(s) remain in {}",
            remaining.len(),
            file.display()
        ));
        Ok(ExitStatus::Failure)
    }
}
