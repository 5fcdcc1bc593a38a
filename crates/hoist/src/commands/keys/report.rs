//! Printing `keys rotate|migrate` plans: human text on stdout, or one JSON document with
//! `--json` (the plan's own rendering plus what was applied).

use hoist_plan::keys::KeysPlan;
use serde_json::Value;

use crate::printer::Printer;

use super::apply::Applied;

pub(super) struct View {
    pub(super) title: String,
    /// The command that applies the plan.
    pub(super) apply_with: String,
}

impl View {
    /// The plan, before anything is applied.
    pub(super) fn before(&self, plan: &KeysPlan, printer: &Printer) {
        printer.out(&self.title);
        printer.out(plan.render_human().trim_end());
    }

    /// After the executor: what to do next, or what was done.
    pub(super) fn after(
        &self,
        plan: &KeysPlan,
        applied: Option<&Applied>,
        done: Option<&str>,
        printer: &Printer,
    ) {
        if printer.json() {
            let mut value = plan.to_json();
            value["applied"] = Value::from(applied.is_some());
            value["operations_applied"] = Value::from(applied.map_or(0, |a| a.operations));
            value["new_key"] = Value::from(applied.and_then(|a| a.new_key.clone()));
            printer.json_value(&value);
            return;
        }
        match (applied, done) {
            (Some(_), Some(line)) => printer.out(line),
            (Some(_), None) => {}
            (None, _) if plan.is_converged() => printer.out("Nothing to change."),
            (None, _) => printer.out(&format!(
                "Nothing was changed. Apply with: {}",
                self.apply_with
            )),
        }
    }
}
