//! SIGINT and SIGTERM during a deploy: the handlers are installed before the first AWS call,
//! so Ctrl-C (or the runner cancelling the job) stops hoist's waiting, never CloudFormation's
//! work. What to clean up and what to say is decided where the signal is received.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Both signals, listened to from creation on.
pub(crate) struct Interrupt {
    int: Signal,
    term: Signal,
}

impl Interrupt {
    /// Installs the handlers.
    ///
    /// # Errors
    /// When the process cannot listen for signals.
    pub(crate) fn install() -> std::io::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves with the signal's name when one arrives.
    pub(crate) async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}

/// Runs `work` unless a signal comes first: then `work` is dropped (a child process it
/// started is killed with it) and the error says what was interrupted and how to resume.
/// Once hoist listens for the signals their default action is gone, so every long step of a
/// deploy runs through here or handles them itself (the stack does: see `stack.rs`).
pub(crate) async fn guarded<T>(
    interrupt: &mut Interrupt,
    what: &str,
    resume: &str,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        result = work => result,
        signal = interrupt.recv() => Err(crate::exit::Failed::new(format!(
            "interrupted ({signal}) while {what}"
        ))
        .hint(format!("run `{resume}` again to continue"))
        .into()),
    }
}
