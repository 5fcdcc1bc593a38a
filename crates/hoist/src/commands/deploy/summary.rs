//! The table a deploy ends with: human (stdout), `--json`, and `$GITHUB_STEP_SUMMARY`.

use hoist_deployer::Report;
use hoist_deployer::stack::StackResult;

use crate::gha;
use crate::printer::Printer;

/// The table's rows: part, name, result, detail.
fn rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    if let Some(s) = &report.stack {
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
    if let Some(c) = &report.command {
        rows.push(vec![
            "command".into(),
            "deploy command".into(),
            c.clone(),
            String::new(),
        ]);
    }
    if !report.outputs.is_empty() {
        rows.push(vec![
            "outputs".into(),
            format!("{} output(s)", report.outputs.len()),
            "read".into(),
            String::new(),
        ]);
    }
    for s in &report.secrets {
        rows.push(vec![
            "secret".into(),
            format!("{} → {}", s.env, s.output),
            s.result.into(),
            s.secret_arn.clone(),
        ]);
    }
    for d in &report.services {
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
pub(crate) fn finish(report: &Report, printer: &Printer) -> anyhow::Result<()> {
    let rows = rows(report);
    if printer.json() {
        printer.json_value(&serde_json::to_value(report)?);
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
            report.environment,
            if report.applied { "" } else { ", plan only" }
        ));
        printer.out(&line(&headers.map(str::to_owned)));
        for r in &rows {
            printer.out(&line(r));
        }
    }
    let md = format!(
        "### hoist deploy: {}{}\n\n{}",
        report.environment,
        if report.applied { "" } else { " (plan only)" },
        gha::markdown_table(&["Part", "Name", "Result", "Detail"], &rows)
    );
    gha::step_summary(&md)?;
    Ok(())
}
