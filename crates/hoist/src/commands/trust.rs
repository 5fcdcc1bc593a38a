//! `hoist trust check` and `hoist trust audit`.

use crate::cli::{TrustAuditArgs, TrustCheckArgs};
use crate::exit::{ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) async fn check(_settings: &Settings, _args: TrustCheckArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    Err(Failed::new("`hoist trust check` is not available in this build yet").into())
}

pub(crate) async fn audit(_settings: &Settings, _args: TrustAuditArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    Err(Failed::new("`hoist trust audit` is not available in this build yet").into())
}
