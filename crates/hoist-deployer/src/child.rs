//! Runs a program a deploy depends on (hoist.toml's `command`, cdk.json's `app`): no stdin,
//! its stdout sent to hoist's stderr (its output is progress, not hoist's data), killed if
//! the deploy is dropped.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

/// Runs `program args…` in `dir` with `env` added, and waits for it.
pub(crate) async fn run<K: AsRef<OsStr>, V: AsRef<OsStr>>(
    program: &str,
    args: &[String],
    dir: &Path,
    env: impl IntoIterator<Item = (K, V)>,
) -> std::io::Result<ExitStatus> {
    tokio::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env)
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .await
}
