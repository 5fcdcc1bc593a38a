//! SIGINT and SIGTERM during a deploy. The binary installs the handlers before the first AWS
//! call ([`Interrupt::signals`]), so Ctrl-C (or the runner cancelling the job) stops hoist's
//! waiting, never CloudFormation's work; what to clean up and what to say is decided where
//! the signal is received. Tests pass their own stream of signals ([`Interrupt::from_stream`]).

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio::signal::unix::{SignalKind, signal};

use crate::error::{DeployError, Result};

/// The signals a deploy listens to, by name (`SIGINT`).
pub struct Interrupt {
    signals: Pin<Box<dyn Stream<Item = &'static str> + Send>>,
}

impl Interrupt {
    /// SIGINT and SIGTERM, listened to from now on.
    ///
    /// # Errors
    /// When the process cannot listen for signals.
    pub fn signals() -> std::io::Result<Self> {
        let int = signal(SignalKind::interrupt())?;
        let term = signal(SignalKind::terminate())?;
        let stream = futures::stream::unfold((int, term), |(mut int, mut term)| async move {
            let name = tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
            Some((name, (int, term)))
        });
        Ok(Self::from_stream(stream))
    }

    /// Any stream of signal names; one that ends means no more signals.
    pub fn from_stream(stream: impl Stream<Item = &'static str> + Send + 'static) -> Self {
        Self {
            signals: Box::pin(stream),
        }
    }

    /// No signal ever.
    #[must_use]
    pub fn never() -> Self {
        Self::from_stream(futures::stream::pending())
    }

    /// Resolves with the next signal's name; never, once the stream has ended.
    pub async fn recv(&mut self) -> &'static str {
        match self.signals.next().await {
            Some(name) => name,
            None => std::future::pending().await,
        }
    }
}

/// Runs `work` unless a signal comes first: then `work` is dropped (a child process it
/// started is killed with it) and the error says what was interrupted and how to resume.
/// Once hoist listens for the signals their default action is gone, so every long step of a
/// deploy runs through here or handles them itself (the stack does: see `stack.rs`).
///
/// # Errors
/// `work`'s error, or [`DeployError::Interrupted`].
pub async fn guarded<T>(
    interrupt: &mut Interrupt,
    what: &str,
    resume: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        result = work => result,
        signal = interrupt.recv() => Err(DeployError::Interrupted {
            signal,
            what: what.to_owned(),
            resume: resume.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signal_drops_the_work_and_names_what_was_interrupted() {
        let mut interrupt = Interrupt::from_stream(futures::stream::iter(["SIGTERM"]));
        let err = guarded(&mut interrupt, "waiting", "hoist deploy --env dev", async {
            std::future::pending::<Result<()>>().await
        })
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "interrupted (SIGTERM) while waiting");
        assert_eq!(
            err.hint().as_deref(),
            Some("run `hoist deploy --env dev` again to continue")
        );
        // The stream has ended: no further signal, the work finishes.
        let done = guarded(&mut interrupt, "waiting", "x", async { Ok(7) }).await;
        assert_eq!(done.unwrap(), 7);
    }
}
