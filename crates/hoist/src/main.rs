//! The `hoist` binary: parses the command line, wires the library crates together and prints.
//!
//! Must not hold logic a library can hold: policy evaluation, plans, config rules and AWS
//! calls live in their crates; this crate resolves arguments, calls them and renders results.

mod cli;
mod clock;
mod commands;
mod diagnostics;
mod env_vars;
mod exit;
mod gha;
mod github;
mod hints;
mod logging;
mod printer;
mod secret_arg;
mod settings;
mod target;
mod untrusted;

fn main() -> std::process::ExitCode {
    let cli = <cli::Cli as clap::Parser>::parse();
    logging::init(cli.global.verbose);
    let printer = printer::Printer::new(cli.global.json).quiet(cli.global.quiet);
    let status = match commands::run(cli, &printer) {
        Ok(status) => status,
        Err(err) => diagnostics::report(&err, &printer),
    };
    status.into()
}
