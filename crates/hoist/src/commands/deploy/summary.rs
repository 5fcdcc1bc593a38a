//! The table a deploy ends with: human (stdout), `--json`, and `$GITHUB_STEP_SUMMARY`.

use std::collections::BTreeMap;

use super::stack::{StackReport, StackResult};
use crate::commands::shared::rollout::Redeployed;
use crate::commands::shared::stack_secrets::Synced;
use crate::gha;
use crate::printer::Printer;

#[derive(Debug, serde::Serialize)]
pub(crate) struct Report {
    pub(crate) environment: String,
    pub(crate) applied: bool,
    pub(crate) stack: Option<StackReport>,
    pub(crate) command: Option<String>,
    pub(crate) outputs: BTreeMap<String, String>,
    pub(crate) secrets: Vec<Synced>,
    pub(crate) services: Vec<Redeployed>,
}

impl Report {
    pub(crate) fn new(environment: &str, applied: bool) -> Self {
        Self {
            environment: environment.to_owned(),
            applied,
            stack: None,
            command: None,
            outputs: BTreeMap::new(),
            secrets: Vec::new(),
            services: Vec::new(),
        }
    }

    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        if let Some(s) = &self.stack {
            let detail = match s.result {
                StackResult::NoChanges => "no changes".to_owned(),
                _ => format!(
                    "{} change(s){}",
                    s.changes.len(),
                    s.status
                        .as_deref()
                        .map(|x| format!(", {x}"))
                        .unwrap_or_default()
                ),
            };
            rows.push(vec![
                "stack".into(),
                s.name.clone(),
                s.result.to_string(),
                detail,
            ]);
        }
        if let Some(c) = &self.command {
            rows.push(vec![
                "command".into(),
                "deploy command".into(),
                c.clone(),
                String::new(),
            ]);
        }
        if !self.outputs.is_empty() {
            rows.push(vec![
                "outputs".into(),
                format!("{} output(s)", self.outputs.len()),
                "read".into(),
                String::new(),
            ]);
        }
        for s in &self.secrets {
            rows.push(vec![
                "secret".into(),
                format!("{} → {}", s.env, s.output),
                s.result.into(),
                s.secret_arn.clone(),
            ]);
        }
        for d in &self.services {
            let ids = format!(
                "{} → {}",
                d.previous_deployment.as_deref().unwrap_or("-"),
                d.deployment
            );
            rows.push(vec![
                "service".into(),
                d.service.clone(),
                d.rollout.to_string(),
                format!("{}/{} running, {ids}", d.running, d.desired),
            ]);
        }
        rows
    }

    /// Prints the summary and appends it to the job summary.
    pub(crate) fn finish(&self, printer: &Printer) -> anyhow::Result<()> {
        let rows = self.rows();
        if printer.json() {
            printer.json_value(&serde_json::to_value(self)?);
        } else {
            let headers = ["PART", "NAME", "RESULT", "DETAIL"];
            let widths: Vec<usize> = (0..4)
                .map(|i| {
                    rows.iter()
                        .map(|r| r[i].chars().count())
                        .chain([headers[i].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            };
            printer.out(&format!(
                "Deploy summary ({}{})",
                self.environment,
                if self.applied { "" } else { ", plan only" }
            ));
            printer.out(&line(&headers.map(str::to_owned)));
            for r in &rows {
                printer.out(&line(r));
            }
        }
        let md = format!(
            "### hoist deploy: {}{}\n\n{}",
            self.environment,
            if self.applied { "" } else { " (plan only)" },
            gha::markdown_table(&["Part", "Name", "Result", "Detail"], &rows)
        );
        gha::step_summary(&md)?;
        Ok(())
    }
}
