//! The closing report: a table per service (or `--json`), and in GitHub Actions a markdown
//! table in the job summary and each image's digest as a step output.

use crate::gha;
use crate::printer::Printer;
use hoist_push::{Outcome, ServiceResult};

pub(crate) fn print(
    results: &[ServiceResult],
    registry: &str,
    failure: Option<&(String, Option<String>)>,
    printer: &Printer,
) -> anyhow::Result<()> {
    let host = registry
        .split("://")
        .nth(1)
        .unwrap_or(registry)
        .trim_end_matches('/');
    if printer.json() {
        let mut doc = serde_json::json!({ "registry": host, "images": results });
        if let Some((error, hint)) = failure {
            doc["error"] = serde_json::json!(error);
            doc["hint"] = serde_json::json!(hint);
            doc["exit_code"] = serde_json::json!(1);
        }
        printer.json_value(&doc);
    } else {
        let rows = rows(results);
        printer.out(&text_table(
            &[
                "service",
                "result",
                "layers sent",
                "sent",
                "manifest",
                "tags",
            ],
            &rows,
        ));
        for r in results {
            if r.not_reproducible {
                printer.warn(&format!("{}: build not reproducible: the SHA tag already held other content for the same commit", r.service));
            }
            if let (Outcome::Failed { error, .. }, true) = (&r.outcome, results.len() > 1) {
                printer.error(&format!("{}: {error}", r.service));
            }
        }
    }
    if gha::in_actions() {
        gha::step_summary(&format!(
            "### hoist push\n\n{}\n",
            gha::markdown_table(
                &[
                    "service",
                    "result",
                    "layers sent",
                    "sent",
                    "manifest",
                    "tags"
                ],
                &rows(results)
            )
        ))?;
        for r in results {
            if let (Some(d), false) = (
                &r.manifest_digest,
                matches!(r.outcome, Outcome::Failed { .. }),
            ) {
                // The key `hoist deploy` reads `{image:SERVICE}` by.
                let key = hoist_deploy::image_refs::output_key(&r.service);
                gha::set_output(&format!("{key}-digest"), d.as_str())?;
                gha::set_output(
                    &format!("{key}-image"),
                    &format!("{host}/{}@{d}", r.repository),
                )?;
            }
        }
    }
    Ok(())
}

fn rows(results: &[ServiceResult]) -> Vec<Vec<String>> {
    results
        .iter()
        .map(|r| {
            let result = match &r.outcome {
                Outcome::Pushed => "pushed".to_owned(),
                Outcome::Retagged => "retagged".to_owned(),
                Outcome::Skipped => "skipped".to_owned(),
                Outcome::Planned { would, .. } if r.repository_missing => {
                    format!("would {would} (repository created)")
                }
                Outcome::Planned { would, .. } => format!("would {would}"),
                Outcome::Failed { .. } => "FAILED".to_owned(),
            };
            vec![
                r.service.clone(),
                result,
                r.layers_sent.to_string(),
                human_bytes(r.bytes_sent),
                r.manifest_digest
                    .as_ref()
                    .map(|d| d.short().to_owned())
                    .unwrap_or_else(|| "-".into()),
                match &r.outcome {
                    Outcome::Planned { names, .. } => names.join(", "),
                    _ => r.tags.join(", "),
                },
            ]
        })
        .collect()
}

fn text_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers.to_vec())];
    for row in rows {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(500 * 1024 * 1024), "500.0 MiB");
    }

    #[test]
    fn table_aligns() {
        let t = text_table(&["a", "bb"], &[vec!["xxx".into(), "y".into()]]);
        assert_eq!(t, "a    bb\nxxx  y");
    }
}
