//! `HOIST_LOG=debug` (or `trace`, `info`): hoist's own diagnostic events on stderr, each with
//! the time since start, to see where a run spends its time. Only hoist's crates log:
//! dependencies (the HTTP stacks, the AWS SDK) may print request headers, which carry
//! credentials, so their events are never enabled, whatever the variable says.

use tracing_subscriber::filter::LevelFilter;

const OWN_CRATES: [&str; 9] = [
    "hoist",
    "hoist_aws",
    "hoist_config",
    "hoist_docker",
    "hoist_github",
    "hoist_oidc",
    "hoist_plan",
    "hoist_policy",
    "hoist_registry",
];

/// Installs the stderr subscriber when `HOIST_LOG` names a level, else when `-v` was given
/// (`-v` info, `-vv` debug, `-vvv` trace); does nothing otherwise.
pub(crate) fn init(verbose: u8) {
    let from_flag = match verbose {
        0 => None,
        1 => Some("info"),
        2 => Some("debug"),
        _ => Some("trace"),
    };
    let Some(level) =
        crate::env_vars::get(crate::env_vars::HOIST_LOG).or_else(|| from_flag.map(str::to_owned))
    else {
        return;
    };
    let Ok(level) = level.parse::<LevelFilter>() else {
        let _ = writeln_stderr(&format!(
            "warning: HOIST_LOG={level:?} is not a level (error, warn, info, debug, trace); logging stays off"
        ));
        return;
    };
    let targets = OWN_CRATES
        .iter()
        .fold(tracing_subscriber::filter::Targets::new(), |t, c| {
            t.with_target(*c, level)
        });
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_ansi(false);
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(targets)
        .try_init();
}

fn writeln_stderr(line: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    writeln!(std::io::stderr().lock(), "{line}")
}
