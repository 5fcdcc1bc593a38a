//! `hoist keys`. Not built yet: it says so and exits 1 rather than pretend.

use crate::cli::KeysArgs;
use crate::exit::{ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) async fn list(_settings: &Settings, _args: KeysArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    Err(Failed::new("`hoist keys list` is not available in this build yet").into())
}

pub(crate) async fn rotate(_settings: &Settings, _args: KeysArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    Err(Failed::new("`hoist keys rotate` is not available in this build yet").into())
}

pub(crate) async fn migrate(_settings: &Settings, _args: KeysArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    Err(Failed::new("`hoist keys migrate` is not available in this build yet").into())
}
