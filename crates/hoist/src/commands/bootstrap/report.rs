//! Printing the plan: human text on stdout (with `gh` commands when there is no GitHub
//! token), or one JSON document with `--json`.

use hoist_config::Config;
use hoist_plan::bootstrap::BootstrapPlan;

use crate::printer::Printer;

use super::desired;

/// The `gh` commands that set the secrets and variables by hand.
pub(super) fn gh_lines(config: &Config, account_id: &str) -> Vec<String> {
    let repo = config.repository.full_name();
    let mut lines: Vec<String> = desired::role_secrets(config, account_id)
        .iter()
        .map(|(name, _, arn)| hoist_github::gh_secret_with_body(&repo, name, arn))
        .collect();
    let vars: Vec<(&str, &str)> = config
        .variables
        .iter()
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

/// Prints the plan (or, after `--apply`, what was applied).
pub(super) fn plan(
    plan: &BootstrapPlan,
    gh_lines: &[String],
    account_id: &str,
    printer: &Printer,
    applied: bool,
    applied_ops: usize,
) {
    if printer.json() {
        let mut value = plan.to_json();
        value["account_id"] = serde_json::json!(account_id);
        value["applied"] = serde_json::json!(applied);
        value["operations_applied"] = serde_json::json!(applied_ops);
        if !gh_lines.is_empty() {
            value["gh_commands"] = serde_json::json!(gh_lines);
        }
        printer.json_value(&value);
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
