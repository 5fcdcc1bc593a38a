//! One file per subcommand behind the single dispatch `match` below.

mod bootstrap;
mod companions;
mod credentials;
mod deploy;
mod doctor;
mod init;
mod keys;
pub(crate) mod push;
mod secret;
mod teardown;
mod trust;
mod workflow;

use crate::cli::{Cli, Command, KeysCommand, SecretCommand, TrustCommand};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) fn run(cli: Cli, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let Cli { global, command } = cli;
    // Clap's companions need no settings, runtime or hoist.toml.
    let command = match command {
        Command::Completions(args) => return companions::completions(args, printer),
        Command::Man => return companions::man(printer),
        other => other,
    };
    let settings = Settings::resolve(global);
    // One thread: hoist's work is waiting on the network, the engine and AWS, and what is
    // CPU-heavy (spooling an export, hashing an archive) runs on blocking threads. Worker
    // threads would add cross-thread wake-ups that cost more than they give (a no-op push
    // took 19 ms with two workers, 15 ms with one).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            Command::Init(args) => init::run(&settings, args, printer),
            Command::Trust(TrustCommand::Check(args)) => {
                trust::check(&settings, args, printer).await
            }
            Command::Trust(TrustCommand::Audit(args)) => {
                trust::audit(&settings, args, printer).await
            }
            Command::Bootstrap(args) => bootstrap::run(&settings, args, printer).await,
            Command::Push(args) => push::run(&settings, args, printer).await,
            Command::Credentials(args) => credentials::run(&settings, args, printer).await,
            Command::Deploy(args) => deploy::run(&settings, args, printer).await,
            Command::Secret(SecretCommand::Rotate(args)) => {
                secret::rotate(&settings, args, printer).await
            }
            Command::Doctor(args) => doctor::run(&settings, args, printer).await,
            Command::Teardown(args) => teardown::run(&settings, args, printer).await,
            Command::Keys(KeysCommand::List(args)) => keys::list(&settings, args, printer).await,
            Command::Keys(KeysCommand::Rotate(args)) => {
                keys::rotate(&settings, args, printer).await
            }
            Command::Keys(KeysCommand::Migrate(args)) => {
                keys::migrate(&settings, args, printer).await
            }
            Command::Workflow(args) => workflow::run(&settings, args, printer).await,
            Command::Completions(_) | Command::Man => unreachable!("handled before the runtime"),
        }
    })
}
