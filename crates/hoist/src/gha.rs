//! GitHub Actions' file and workflow-command interfaces: `$GITHUB_OUTPUT`, `$GITHUB_ENV`,
//! `$GITHUB_STEP_SUMMARY`, `::add-mask::`, annotations (`::error file=…,line=…,col=…::…`) and
//! `::group::` blocks, escaped as GitHub's workflow-command docs and the runner require.

use std::io::Write;

use anyhow::Context;

use crate::env_vars;

/// The step output `hoist deploy` writes the environment's URL to (its `url_output`), read by
/// the generated job's `environment.url`.
pub(crate) const ENVIRONMENT_URL_OUTPUT: &str = "environment_url";

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

/// The kind of an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warning,
}

/// Where in a file an annotation points; `line`/`col` are 1-based, 0 when unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) col: usize,
}

/// A workflow command's message: `%`, CR and LF escaped (the runner unescapes them), so a
/// multi-line message stays one annotation.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`escape_data`], plus `:` and `,`, which would end
/// the property.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=F,line=L,col=C,title=T::message`. The file is made relative to
/// `$GITHUB_WORKSPACE` (annotations attach to repository paths); unknown line/col are left out.
pub(crate) fn annotation(
    level: Level,
    place: Option<&Place>,
    title: Option<&str>,
    message: &str,
) -> String {
    let command = match level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(place) = place {
        props.push(format!(
            "file={}",
            escape_property(&repository_path(&place.file))
        ));
        if place.line > 0 {
            props.push(format!("line={}", place.line));
            if place.col > 0 {
                props.push(format!("col={}", place.col));
            }
        }
    }
    if let Some(title) = title {
        props.push(format!("title={}", escape_property(title)));
    }
    let props = if props.is_empty() {
        String::new()
    } else {
        format!(" {}", props.join(","))
    };
    format!("::{command}{props}::{}", escape_data(message))
}

/// `path` relative to `$GITHUB_WORKSPACE` when it lies under it.
fn repository_path(path: &str) -> String {
    let Some(workspace) = env_vars::get(env_vars::GITHUB_WORKSPACE) else {
        return path.to_owned();
    };
    std::path::Path::new(path)
        .strip_prefix(&workspace)
        .map_or_else(|_| path.to_owned(), |p| p.display().to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_follow_the_workflow_command_syntax() {
        let place = Place {
            file: "hoist.toml".to_owned(),
            line: 5,
            col: 10,
        };
        assert_eq!(
            annotation(Level::Error, Some(&place), None, "unknown field `regoin`"),
            "::error file=hoist.toml,line=5,col=10::unknown field `regoin`"
        );
        // GitHub's documented example shape, with a title.
        assert_eq!(
            annotation(
                Level::Warning,
                Some(&Place {
                    file: "app.js".to_owned(),
                    line: 1,
                    col: 0
                }),
                Some("Missing semicolon"),
                "Missing semicolon"
            ),
            "::warning file=app.js,line=1,title=Missing semicolon::Missing semicolon"
        );
        assert_eq!(
            annotation(Level::Warning, None, None, "late"),
            "::warning::late"
        );
    }

    #[test]
    fn escaping_keeps_one_command_per_line() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        let line = annotation(
            Level::Error,
            Some(&Place {
                file: "dir,x/hoist.toml".to_owned(),
                line: 2,
                col: 1,
            }),
            Some("t: x"),
            "first\nsecond",
        );
        assert_eq!(line.lines().count(), 1);
        assert!(line.starts_with("::error file=dir%2Cx/hoist.toml,line=2,col=1,title=t%3A x::"));
        assert!(line.ends_with("::first%0Asecond"));
    }
}
