//! The markdown rendering of a plan, for `$GITHUB_STEP_SUMMARY`: one table row per resource,
//! notes and short diffs in the last column. Values are escaped so a name cannot break the
//! table.

use std::fmt::Write as _;

use crate::model::Plan;

/// `|` and newlines would end a table cell; backticks would open code.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('`', "'")
        .replace('\n', "<br>")
}

impl<Op> Plan<Op> {
    /// A markdown table (`| | action | kind | name | details |`) and the summary line.
    #[must_use]
    pub fn render_markdown(&self) -> String {
        let mut out = String::from("| | action | kind | name | details |\n|---|---|---|---|---|\n");
        for r in &self.resources {
            let mut details: Vec<String> = r.notes.iter().map(|n| cell(n)).collect();
            details.extend(r.diffs.iter().filter(|d| d.is_short()).map(|d| {
                cell(&format!(
                    "{}: {} → {}",
                    d.field,
                    d.before.as_deref().unwrap_or("(none)"),
                    d.after.as_deref().unwrap_or("(none)")
                ))
            }));
            let _ = writeln!(
                out,
                "| {} | {} | {} | `{}` | {} |",
                r.action.marker(),
                r.action.as_str(),
                r.kind,
                cell(&r.name),
                details.join("<br>")
            );
        }
        let s = self.summary();
        let _ = writeln!(
            out,
            "\n{} to create, {} to update, {} to delete, {} unchanged.",
            s.create, s.update, s.delete, s.unchanged
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Diff, Plan, Resource};

    #[test]
    fn rows_escape_what_would_break_the_table() {
        let plan: Plan<()> = Plan {
            resources: vec![
                Resource::changed(
                    "stack",
                    "A|B",
                    Action::Delete,
                    vec![Diff::new("status", Some("CREATE_COMPLETE".into()), None)],
                    vec![()],
                )
                .note("two\nlines `x`"),
            ],
        };
        let md = plan.render_markdown();
        assert!(
            md.contains("| - | delete | stack | `A\\|B` | two<br>lines 'x'<br>status: CREATE_COMPLETE → (none) |"),
            "{md}"
        );
        assert!(
            md.ends_with("0 to create, 0 to update, 1 to delete, 0 unchanged.\n"),
            "{md}"
        );
    }
}
