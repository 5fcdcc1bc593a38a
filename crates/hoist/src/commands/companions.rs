//! `hoist completions SHELL` and `hoist man`: clap's companions (clap_complete, clap_mangen)
//! render the command line clap already knows, so they never drift from it.

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Prints the completion script for the shell.
pub(crate) fn completions(args: CompletionsArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let CompletionsArgs { shell } = args;
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "hoist", &mut script);
    printer.raw(&String::from_utf8(script)?);
    Ok(ExitStatus::Success)
}

/// Prints the man page (section 1) in roff.
pub(crate) fn man(printer: &Printer) -> anyhow::Result<ExitStatus> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    printer.raw(&String::from_utf8(page)?);
    Ok(ExitStatus::Success)
}
