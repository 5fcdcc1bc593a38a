//! The push Reporter: indicatif bars on a terminal, plain lines on stderr otherwise.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hoist_registry::{BlobOutcome, Digest, Reporter};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::printer::Printer;

/// One bar per blob being uploaded, keyed by repository and digest.
type Bars = Mutex<HashMap<(String, Digest), ProgressBar>>;

pub(crate) struct Progress {
    printer: Printer,
    bars: Option<(MultiProgress, Bars)>,
}

impl Progress {
    pub(crate) fn new(json: bool) -> Self {
        let printer = Printer::new(json);
        let bars = printer
            .interactive()
            .then(|| (MultiProgress::new(), Mutex::new(HashMap::new())));
        Self { printer, bars }
    }

    /// A step that has no bar of its own, such as the engine's export starting.
    pub(crate) fn line(&self, line: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => self.printer.info(line),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some((multi, _)) = &self.bars {
            let _ = multi.clear();
        }
    }
}

impl hoist_push::Events for Progress {
    fn step(&self, line: &str) {
        self.line(line);
    }
}

impl Reporter for Progress {
    fn upload_started(&self, repo: &str, digest: &Digest, size: u64) {
        match &self.bars {
            Some((multi, map)) => {
                let bar = multi.add(ProgressBar::new(size));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>12} {bar:30} {bytes:>10}/{total_bytes:10} {bytes_per_sec}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(format!("{repo} {}", &digest.hex()[..8]));
                map.lock()
                    .expect("not poisoned")
                    .insert((repo.to_owned(), digest.clone()), bar);
            }
            None => self.printer.info(&format!(
                "{repo}: uploading {} ({})",
                digest.short(),
                super::output::human_bytes(size)
            )),
        }
    }

    fn upload_progress(&self, repo: &str, digest: &Digest, bytes: u64) {
        if let Some((_, map)) = &self.bars
            && let Some(bar) = map
                .lock()
                .expect("not poisoned")
                .get(&(repo.to_owned(), digest.clone()))
        {
            bar.inc(bytes);
        }
    }

    fn blob_done(&self, repo: &str, digest: &Digest, outcome: BlobOutcome) {
        if let Some((_, map)) = &self.bars
            && let Some(bar) = map
                .lock()
                .expect("not poisoned")
                .remove(&(repo.to_owned(), digest.clone()))
        {
            bar.finish_and_clear();
        }
        match outcome {
            BlobOutcome::Mounted { from } => self
                .printer
                .info(&format!("{repo}: mounted {} from {from}", digest.short())),
            BlobOutcome::Uploaded { .. } if self.bars.is_none() => self
                .printer
                .info(&format!("{repo}: uploaded {}", digest.short())),
            _ => {}
        }
    }

    fn retrying(&self, what: &str, attempt: u32, reason: &str, delay: Duration) {
        let line = format!(
            "retrying {what} (attempt {}) in {} ms: {reason}",
            attempt + 1,
            delay.as_millis()
        );
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => self.printer.warn(&line),
        }
    }
}
