//! `hoist workflow [--check] [--dir D]`: writes the GitHub Actions workflow hoist.toml implies
//! (generation is pure, in [`generate`]; what it needs from the repository, in [`context`]);
//! `--check` writes nothing and exits 1 with a diff when the file on disk is stale, or when an
//! images.yml an earlier hoist wrote is still there to race it.

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
fn unified_diff(path: &str, current: &str, wanted: &str) -> String {
    hoist_plan::unified_diff_headed(
        current,
        wanted,
        &format!("{path} (on disk)"),
        &format!("{path} (from hoist.toml)"),
    )
}

/// What the generator needs from the repository at `root`: hoist.toml's path relative to it,
/// and the build contexts of `[images]`' compose file (`services.*.build`, a string or a map
/// with `context`; `.` by default), relative to `root`.
pub(crate) fn context(
    root: &Path,
    config_path: &Path,
    config: &hoist_config::Config,
) -> generate::Context {
    let config_path = relative_to(root, config_path)
        .unwrap_or_else(|| hoist_config::DEFAULT_FILE_NAME.to_owned());
    let build_contexts = config
        .images
        .as_ref()
        .and_then(|images| build_contexts(root, images));
    generate::Context {
        config_path,
        build_contexts,
    }
}

fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let abs = |p: &Path| std::path::absolute(p).ok();
    let (root, path) = (abs(root)?, abs(path)?);
    let rel = path.strip_prefix(&root).ok()?;
    let text: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    generate::normalize(&text.join("/"))
}

fn build_contexts(root: &Path, images: &hoist_config::Images) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(root.join(&images.compose_file)).ok()?;
    let compose: serde_json::Value = serde_norway::from_str(&text).ok()?;
    let services = compose.get("services")?.as_object()?;
    let compose_dir = Path::new(&images.compose_file)
        .parent()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, service) in services {
        if images.services.as_ref().is_some_and(|w| !w.contains(name)) {
            continue;
        }
        let context = match service.get("build") {
            None => continue,
            Some(serde_json::Value::String(c)) => c.clone(),
            Some(b) => b
                .get("context")
                .and_then(|c| c.as_str())
                .unwrap_or(".")
                .to_owned(),
        };
        if context.contains("://") || context.starts_with('/') {
            // A remote or absolute context: nothing in the repository names it.
            return None;
        }
        let joined = if compose_dir.is_empty() {
            context
        } else {
            format!("{compose_dir}/{context}")
        };
        out.push(generate::normalize(&joined).unwrap_or_default());
    }
    Some(out)
}

/// An obsolete file hoist wrote (first line is hoist's header) that is still on disk.
fn obsolete_files(root: &Path) -> Vec<String> {
    let path = format!(
        "{}/{}",
        generate::WORKFLOW_DIR,
        generate::OBSOLETE_IMAGES_FILE
    );
    match std::fs::read_to_string(root.join(&path)) {
        Ok(text) if text.starts_with(generate::HEADER_FIRST_LINE) => vec![path],
        _ => Vec::new(),
    }
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
    let dir = dir.unwrap_or_else(|| settings.project_dir());
    let cx = context(&dir, &settings.config_path, &config);
    let files = generate::files(&config, &cx);
    let obsolete = obsolete_files(&dir);
    if check {
        let mut stale = false;
        let mut report = Vec::new();
        for file in &files {
            let (state, diff) = compare(&dir, file)?;
            stale |= state != FileState::UpToDate;
            printer.out(&format!("{}: {}", file.path, state.label()));
            if let Some(diff) = &diff {
                // In Actions a long diff folds into a group under its file's line.
                let _group = printer.group(&format!("diff of {}", file.path));
                printer.out(diff.trim_end());
            }
            report.push(json!({"path": file.path, "state": state.label(), "diff": diff}));
        }
        for path in &obsolete {
            stale = true;
            printer.out(&format!(
                "{path}: obsolete (deploy.yml builds and pushes the images now; two workflows would race)"
            ));
            report.push(json!({"path": path, "state": "obsolete", "diff": null}));
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
    for path in &obsolete {
        std::fs::remove_file(dir.join(path)).with_context(|| format!("cannot remove {path}"))?;
        printer.out(&format!(
            "removed {path} (deploy.yml builds and pushes the images now)"
        ));
        report.push(json!({"path": path, "action": "removed"}));
    }
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
