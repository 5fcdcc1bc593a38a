//! `hoist workflow [--check] [--dir D]`: writes the GitHub Actions workflows hoist.toml implies
//! (generation is pure, in [`generate`]); `--check` writes nothing and exits 1 with a diff when
//! the files on disk are stale.

pub(crate) mod generate;

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use crate::cli::WorkflowArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

/// How a file on disk compares with what hoist.toml implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileState {
    UpToDate,
    Missing,
    Differs,
}

impl FileState {
    fn label(self) -> &'static str {
        match self {
            Self::UpToDate => "up to date",
            Self::Missing => "missing",
            Self::Differs => "differs",
        }
    }
}

/// Compares `generated` with the file at `root/path`.
pub(crate) fn compare(
    root: &Path,
    file: &generate::Generated,
) -> anyhow::Result<(FileState, Option<String>)> {
    let path = root.join(&file.path);
    match std::fs::read_to_string(&path) {
        Ok(current) if current == file.text => Ok((FileState::UpToDate, None)),
        Ok(current) => Ok((
            FileState::Differs,
            Some(unified_diff(&file.path, &current, &file.text)),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((FileState::Missing, None)),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `diff -u` of the file on disk against the generated text.
pub(crate) fn unified_diff(path: &str, current: &str, wanted: &str) -> String {
    similar::TextDiff::from_lines(current, wanted)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{path} (on disk)"),
            &format!("{path} (from hoist.toml)"),
        )
        .to_string()
}

/// Writes every generated file under `root`; returns what changed.
pub(crate) fn write_all(
    root: &Path,
    files: &[generate::Generated],
) -> anyhow::Result<Vec<(String, FileState)>> {
    let mut changed = Vec::new();
    for file in files {
        let (state, _) = compare(root, file)?;
        if state != FileState::UpToDate {
            let path = root.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, &file.text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        changed.push((file.path.clone(), state));
    }
    Ok(changed)
}

pub(crate) async fn run(
    settings: &Settings,
    args: WorkflowArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let WorkflowArgs { check, dir } = args;
    let config = settings.load_config()?;
    let files = generate::files(&config);
    if check {
        let mut stale = false;
        let mut report = Vec::new();
        for file in &files {
            let (state, diff) = compare(&dir, file)?;
            stale |= state != FileState::UpToDate;
            printer.out(&format!("{}: {}", file.path, state.label()));
            if let Some(diff) = &diff {
                printer.out(diff.trim_end());
            }
            report.push(json!({"path": file.path, "state": state.label(), "diff": diff}));
        }
        if printer.json() {
            printer.json_value(&json!({"up_to_date": !stale, "files": report}));
        }
        if stale {
            printer.info("hint: run `hoist workflow` to rewrite them from hoist.toml");
            return Ok(ExitStatus::Failure);
        }
        return Ok(ExitStatus::Success);
    }
    let written = write_all(&dir, &files)?;
    let mut report = Vec::new();
    for (path, state) in &written {
        let verb = match state {
            FileState::UpToDate => "unchanged",
            FileState::Missing => "created",
            FileState::Differs => "updated",
        };
        printer.out(&format!("{verb} {path}"));
        report.push(json!({"path": path, "action": verb}));
    }
    if printer.json() {
        printer.json_value(&json!({"files": report}));
    }
    Ok(ExitStatus::Success)
}
