//! Renders errors in one place: `error:`, then `caused by:` lines, then `hint:` lines; the
//! hint comes from the chain (`hints`), whichever command the error surfaced in.
//! With `--json`, one object on stdout instead: `{"error": …, "causes": […], "hint": …}`.
//! Inside GitHub Actions an error with a place in hoist.toml is an `::error file=…,line=…,
//! col=…::` annotation, so the pull request shows it on the line.

use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;

/// Prints `err` and returns the exit status it maps to.
pub(crate) fn report(err: &anyhow::Error, printer: &Printer) -> ExitStatus {
    let status = classify(err);
    let hint = hint_for(err);
    let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    if printer.json() {
        let value = serde_json::json!({
            "error": err.to_string(),
            "causes": causes,
            "hint": hint,
            "exit_code": match status { ExitStatus::Success => 0, ExitStatus::Failure => 1, ExitStatus::BadInput => 2 },
        });
        printer.json_value(&value);
    }
    let positioned = err
        .chain()
        .find_map(|c| c.downcast_ref::<hoist_config::ConfigError>())
        .filter(|c| c.line > 0);
    match positioned {
        Some(config) if crate::gha::in_actions() => {
            let mut message = config.message.clone();
            if let Some(expected) = &config.expected {
                message.push_str(&format!("\nexpected: {expected}"));
            }
            let place = crate::gha::Place {
                file: config.file.clone(),
                line: config.line,
                col: config.column,
            };
            printer.error_at(&place, &message);
            // The annotation is the config error; a context around it still gets its line.
            if !err.is::<hoist_config::ConfigError>() {
                printer.error(&format!("error: {err}"));
            }
        }
        _ => printer.error(&format!("error: {err}")),
    }
    for cause in &causes {
        printer.error(&format!("  caused by: {cause}"));
    }
    if let Some(hint) = hint {
        printer.error(&format!("  hint: {hint}"));
    }
    status
}

fn classify(err: &anyhow::Error) -> ExitStatus {
    for cause in err.chain() {
        if cause.is::<BadInput>()
            || cause.is::<hoist_config::ConfigError>()
            || cause.is::<clap::Error>()
            || cause
                .downcast_ref::<hoist_deployer::DeployError>()
                .is_some_and(hoist_deployer::DeployError::is_bad_input)
        {
            return ExitStatus::BadInput;
        }
    }
    ExitStatus::Failure
}

/// The first hint along the chain, outermost first: a hint a command attached, else the one
/// the failing library error's type has (`hints`).
fn hint_for(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        if let Some(b) = cause.downcast_ref::<BadInput>() {
            return b.hint.clone();
        }
        if let Some(f) = cause.downcast_ref::<Failed>() {
            return f.hint.clone();
        }
        crate::hints::for_cause(cause)
    })
}
