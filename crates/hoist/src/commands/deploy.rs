//! `hoist deploy`. Not built yet: it says so and exits 1 rather than pretend.

use crate::cli::DeployArgs;
use crate::exit::{ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) async fn run(_settings: &Settings, _args: DeployArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    Err(Failed::new("`hoist deploy` is not available in this build yet").into())
}
