//! Printing the plan: human text on stdout (with `gh` commands when there is no GitHub
//! token), or one JSON document with `--json`.

use hoist_config::Config;
use hoist_plan::bootstrap::BootstrapPlan;

use crate::printer::Printer;

use super::accounts::AccountPlan;
use super::desired;

/// The `gh` commands that set the secrets (and, in `[aws]`'s account, the repository's
/// variables) by hand.
pub(super) fn gh_lines(config: &Config, account_id: &str, with_variables: bool) -> Vec<String> {
    let repo = config.repository.full_name();
    let mut lines: Vec<String> = desired::role_secrets(config, account_id)
        .iter()
        .map(|(name, _, arn)| hoist_github::gh_secret_with_body(&repo, name, arn))
        .collect();
    let vars: Vec<(&str, &str)> = config
        .variables
        .iter()
        .filter(|_| with_variables)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    lines.extend(hoist_github::gh_cli_lines(&repo, &[], &vars));
    lines
}

pub(super) fn admin_warning(config: &Config, printer: &Printer) {
    let roles: Vec<&str> = config
        .environments
        .iter()
        .map(|e| e.role.as_str())
        .collect();
    printer.warn(&format!(
        "AdministratorAccess will be attached to {} (--admin or permissions = \"admin\"): any workflow run that can assume these roles can do anything in the account. Use permissions = \"least-privilege\" once deploys work.",
        roles.join(", ")
    ));
}

/// Prints every account's plan (or, after `--apply`, what was applied): one account as
/// always; several each under their account, and under `--json` as `{"accounts": […]}`.
pub(super) fn plans(planned: &[AccountPlan], printer: &Printer, applied: bool, counts: &[usize]) {
    let count = |n: usize| counts.get(n).copied().unwrap_or(0);
    if let [only] = planned {
        plan(
            &only.plan,
            &only.gh_lines,
            &only.account_id,
            printer,
            applied,
            count(0),
        );
        return;
    }
    if printer.json() {
        let accounts: Vec<serde_json::Value> = planned
            .iter()
            .enumerate()
            .map(|(n, p)| {
                let mut value = json_value(&p.plan, &p.gh_lines, &p.account_id, applied, count(n));
                value["region"] = serde_json::json!(p.region);
                value
            })
            .collect();
        printer.json_value(&serde_json::json!({ "accounts": accounts, "applied": applied }));
        return;
    }
    for (n, p) in planned.iter().enumerate() {
        printer.out(&format!("== account {} ({}) ==", p.account_id, p.region));
        plan(
            &p.plan,
            &p.gh_lines,
            &p.account_id,
            printer,
            applied,
            count(n),
        );
    }
}

fn json_value(
    plan: &BootstrapPlan,
    gh_lines: &[String],
    account_id: &str,
    applied: bool,
    applied_ops: usize,
) -> serde_json::Value {
    let mut value = plan.to_json();
    value["account_id"] = serde_json::json!(account_id);
    value["applied"] = serde_json::json!(applied);
    value["operations_applied"] = serde_json::json!(applied_ops);
    if !gh_lines.is_empty() {
        value["gh_commands"] = serde_json::json!(gh_lines);
    }
    value
}

/// Prints one plan (or, after `--apply`, what was applied).
fn plan(
    plan: &BootstrapPlan,
    gh_lines: &[String],
    account_id: &str,
    printer: &Printer,
    applied: bool,
    applied_ops: usize,
) {
    if printer.json() {
        printer.json_value(&json_value(
            plan,
            gh_lines,
            account_id,
            applied,
            applied_ops,
        ));
        return;
    }
    if applied {
        printer.out(&format!(
            "Applied {applied_ops} change(s) in account {account_id}."
        ));
    } else {
        printer.out(&format!("Bootstrap plan for account {account_id}:"));
        printer.out(&plan.render_human());
    }
    if !gh_lines.is_empty() {
        printer.out("GitHub secrets and variables were not checked (GITHUB_TOKEN is not set). Set them with:");
        for line in gh_lines {
            printer.out(&format!("  {line}"));
        }
        printer.out("(or set GITHUB_TOKEN and run hoist bootstrap again; existing secrets are left as they are unless --rewrite-secrets is given)");
    }
    if !applied {
        if plan.is_converged() {
            printer.out("Nothing to change.");
        } else {
            printer
                .out("Nothing was changed. Run `hoist bootstrap --apply` to make these changes.");
        }
    }
}
