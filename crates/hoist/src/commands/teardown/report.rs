//! Printing teardown's plans: human text on stdout, one JSON document with `--json`, and the
//! plan as markdown in `$GITHUB_STEP_SUMMARY` once applied.

use std::path::Path;

use hoist_plan::teardown::{Leftover, TeardownPlan};
use serde_json::Value;

use crate::gha;
use crate::printer::Printer;

use super::apply::Applied;

pub(super) struct View<'a> {
    pub(super) stack: &'a str,
    pub(super) env: &'a str,
    pub(super) region: &'a str,
    pub(super) exists: bool,
}

impl View<'_> {
    /// The plan, headed.
    pub(super) fn plan(&self, plan: &TeardownPlan, printer: &Printer) {
        if !self.exists {
            printer.out(&format!(
                "stack {} does not exist: nothing to delete",
                self.stack
            ));
            return;
        }
        printer.out(&format!(
            "Teardown plan for stack {} in {}:",
            self.stack, self.region
        ));
        printer.out(plan.render_human().trim_end());
    }

    /// What a retried delete left, and how to remove it later.
    pub(super) fn retained(&self, left: &[Leftover], file: &Path, printer: &Printer) {
        if left.is_empty() {
            return;
        }
        let ids: Vec<&str> = left.iter().map(|l| l.logical_id.as_str()).collect();
        printer.out(&format!(
            "left to clean up later ({}): {}",
            file.display(),
            ids.join(", ")
        ));
        printer.out(&format!(
            "once their network interfaces are gone: hoist teardown --env {} --cleanup",
            self.env
        ));
    }

    /// The end of the run: the plan (not applied), or the JSON document and step summary.
    pub(super) fn finish(
        &self,
        plan: &TeardownPlan,
        applied: Option<&Applied>,
        printer: &Printer,
    ) -> anyhow::Result<()> {
        if printer.json() {
            let mut value = plan.to_json();
            value["stack"] = Value::from(self.stack);
            value["region"] = Value::from(self.region);
            value["exists"] = Value::from(self.exists);
            value["applied"] = Value::from(applied.is_some());
            value["operations_applied"] = Value::from(applied.map_or(0, |a| a.operations));
            value["retained"] = serde_json::to_value(applied.map(|a| &a.retained))?;
            printer.json_value(&value);
        }
        match applied {
            None => {
                if !printer.json() {
                    self.plan(plan, printer);
                }
                if self.exists {
                    printer.out(&format!(
                        "Nothing was changed. Delete with: hoist teardown --env {} --apply",
                        self.env
                    ));
                }
            }
            Some(a) if a.operations > 0 => {
                gha::step_summary(&format!(
                    "### hoist teardown: {}\n\n{}",
                    self.stack,
                    plan.render_markdown()
                ))?;
            }
            Some(_) => {}
        }
        Ok(())
    }
}

/// The end of `--cleanup`.
pub(super) fn cleanup(
    stack: &str,
    plan: &TeardownPlan,
    remaining: &[Leftover],
    file: &Path,
    printer: &Printer,
) {
    if printer.json() {
        let mut value = plan.to_json();
        value["stack"] = Value::from(stack);
        value["remaining"] = serde_json::to_value(remaining).unwrap_or_default();
        printer.json_value(&value);
    } else if remaining.is_empty() {
        printer.out(&format!("everything left from deleting {stack} is gone"));
    } else {
        printer.out(&format!(
            "{} item(s) remain in {}",
            remaining.len(),
            file.display()
        ));
    }
}
