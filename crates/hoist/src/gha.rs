//! GitHub Actions' file and workflow-command interfaces: `$GITHUB_OUTPUT`, `$GITHUB_ENV`,
//! `$GITHUB_STEP_SUMMARY` and `::add-mask::`.

use std::io::Write;

use anyhow::Context;

use crate::env_vars;

/// Whether hoist runs inside a GitHub Actions job.
pub(crate) fn in_actions() -> bool {
    env_vars::get(env_vars::GITHUB_ACTIONS).is_some_and(|v| v == "true")
}

/// Tells the runner to mask `value` in all later log output. This line is the only place a
/// secret may be written, and the runner consumes it.
pub(crate) fn add_mask(printer: &crate::printer::Printer, value: &str) {
    if in_actions() {
        for line in value.lines().filter(|l| !l.is_empty()) {
            printer.raw(&format!("::add-mask::{line}\n"));
        }
    }
}

/// Appends `name=value` to `$GITHUB_OUTPUT` (multi-line values use a delimiter).
pub(crate) fn set_output(name: &str, value: &str) -> anyhow::Result<bool> {
    append_key_value(env_vars::GITHUB_OUTPUT, name, value)
}

/// Appends `name=value` to `$GITHUB_ENV`, for the job's later steps.
pub(crate) fn set_env(name: &str, value: &str) -> anyhow::Result<bool> {
    append_key_value(env_vars::GITHUB_ENV, name, value)
}

/// Appends markdown to `$GITHUB_STEP_SUMMARY`. Returns whether the file was set.
pub(crate) fn step_summary(markdown: &str) -> anyhow::Result<bool> {
    let Some(path) = env_vars::get(env_vars::GITHUB_STEP_SUMMARY) else {
        return Ok(false);
    };
    append(&path, markdown)?;
    Ok(true)
}

/// A markdown table people can read at a glance.
pub(crate) fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("| {} |\n", headers.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

fn append_key_value(var: &str, name: &str, value: &str) -> anyhow::Result<bool> {
    let Some(path) = env_vars::get(var) else {
        return Ok(false);
    };
    let text = if value.contains('\n') {
        let delimiter = format!("hoist_{:016x}", rand_u64());
        format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
    } else {
        format!("{name}={value}\n")
    };
    append(&path, &text)?;
    Ok(true)
}

fn append(path: &str, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {path} for appending"))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write to {path}"))
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}
