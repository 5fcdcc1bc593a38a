//! The human rendering of a plan.

use std::fmt::Write as _;

use crate::model::{Action, Plan};

impl<Op> Plan<Op> {
    /// Text for people: one block per resource (`+ create`, `~ update`, `= unchanged`), with
    /// unified diffs indented under changed resources, then a one-line summary.
    #[must_use]
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        // Wide enough for every kind hoist plans (`github-variable`), so columns line up
        // across runs whatever resources a plan holds.
        let kind_width = self
            .resources
            .iter()
            .map(|r| r.kind.len())
            .max()
            .unwrap_or(0)
            .max(15);
        for r in &self.resources {
            let _ = writeln!(
                out,
                "{} {:<9} {:<kind_width$}  {}",
                r.action.marker(),
                r.action.as_str(),
                r.kind,
                r.name
            );
            for note in &r.notes {
                let _ = writeln!(out, "    note: {note}");
            }
            if r.action == Action::Unchanged {
                continue;
            }
            for d in &r.diffs {
                if d.is_short() {
                    let before = d.before.as_deref().unwrap_or("(none)");
                    let after = d.after.as_deref().unwrap_or("(none)");
                    if d.before.is_none() {
                        let _ = writeln!(out, "    {}: {after}", d.field);
                    } else {
                        let _ = writeln!(out, "    {}: {before} -> {after}", d.field);
                    }
                } else {
                    let _ = writeln!(out, "    {}:", d.field);
                    for line in d.unified().lines() {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
        }
        let s = self.summary();
        let _ = writeln!(
            out,
            "Plan: {} to create, {} to update, {} to delete, {} unchanged.",
            s.create, s.update, s.delete, s.unchanged
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Diff, Plan, Resource};

    #[test]
    fn renders_markers_diffs_and_summary() {
        let plan: Plan<()> = Plan {
            resources: vec![
                Resource::changed(
                    "iam-role",
                    "Dev",
                    Action::Create,
                    vec![Diff::new("max session duration", None, Some("3600".into()))],
                    vec![()],
                ),
                Resource::changed(
                    "iam-role",
                    "Prod",
                    Action::Update,
                    vec![Diff::new("trust", Some("a\nb".into()), Some("a\nc".into()))],
                    vec![()],
                ),
                Resource::unchanged("oidc-provider", "token.actions.githubusercontent.com"),
            ],
        };
        let text = plan.render_human();
        assert!(
            text.contains("+ create    iam-role         Dev\n    max session duration: 3600\n"),
            "{text}"
        );
        assert!(
            text.contains("~ update    iam-role         Prod\n    trust:\n      --- current\n"),
            "{text}"
        );
        assert!(text.contains("      -b\n      +c\n"), "{text}");
        assert!(
            text.contains("= unchanged oidc-provider    token"),
            "{text}"
        );
        assert!(
            text.ends_with("Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged.\n"),
            "{text}"
        );
        assert_eq!(plan.operations().count(), 2);
        assert!(!plan.is_converged());
    }
}
