//! All output goes through one `Printer`: data to stdout, everything else to stderr.
//! Progress is drawn only when stderr is a terminal; in CI and pipes, plain lines.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

pub(crate) struct Printer {
    json: bool,
    tty: bool,
}

impl Printer {
    pub(crate) fn new(json: bool) -> Self {
        Self {
            json,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// `--json` was given: data is one JSON document on stdout.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// Progress bars and spinners may be drawn.
    pub(crate) fn interactive(&self) -> bool {
        self.tty && !self.json
    }

    /// A line of the command's human result (stdout). Silent under `--json`.
    pub(crate) fn out(&self, line: &str) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        }
    }

    /// A status or progress line for people (stderr).
    pub(crate) fn info(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    /// A warning (stderr), `warning:` prefixed.
    pub(crate) fn warn(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "warning: {line}");
    }

    /// An error line (stderr), already formatted.
    pub(crate) fn error(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    /// The `--json` document (stdout), pretty-printed.
    pub(crate) fn json_value(&self, value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, value);
        let _ = writeln!(out);
    }

    /// Raw text to stdout regardless of `--json` (shell export lines, credential_process JSON).
    pub(crate) fn raw(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}
