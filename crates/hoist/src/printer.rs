//! All output goes through one `Printer`: data to stdout, everything else to stderr.
//! Progress is drawn only when stderr is a terminal; in CI and pipes, plain lines.
//! Inside GitHub Actions, warnings and positioned errors become annotations and long phases
//! sit in `::group::` blocks; these go to stderr with everything else for people (the runner
//! reads workflow commands on both streams), so stdout stays data.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use crate::gha::{self, Level, Place};

pub(crate) struct Printer {
    json: bool,
    tty: bool,
    quiet: bool,
    actions: bool,
}

impl Printer {
    pub(crate) fn new(json: bool) -> Self {
        Self {
            json,
            tty: std::io::stderr().is_terminal(),
            quiet: false,
            actions: gha::in_actions(),
        }
    }

    /// `-q`: status lines ([`Printer::info`]) are left out; results, warnings and errors stay.
    pub(crate) fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
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
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    /// A warning (stderr), `warning:` prefixed; an annotation in Actions.
    pub(crate) fn warn(&self, line: &str) {
        self.warn_at(None, line);
    }

    /// A warning about a place in a file (`::warning file=…,line=…,col=…::` in Actions).
    pub(crate) fn warn_at(&self, place: Option<&Place>, line: &str) {
        let text = if self.actions {
            gha::annotation(Level::Warning, place, None, line)
        } else {
            match place {
                Some(p) if p.line > 0 => {
                    format!("warning: {}:{}:{}: {line}", p.file, p.line, p.col)
                }
                _ => format!("warning: {line}"),
            }
        };
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// An error about a place in a file, such as hoist.toml's `file:line:column`: an
    /// `::error file=…,line=…,col=…::` annotation in Actions, `error: FILE:LINE:COL: …`
    /// elsewhere.
    pub(crate) fn error_at(&self, place: &Place, message: &str) {
        let text = if self.actions {
            gha::annotation(Level::Error, Some(place), None, message)
        } else {
            format!(
                "error: {}:{}:{}: {message}",
                place.file, place.line, place.col
            )
        };
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// A long phase: in Actions its lines fold into a `::group::TITLE` block, closed when the
    /// returned guard drops; elsewhere the title is an ordinary status line.
    pub(crate) fn group(&self, title: &str) -> Group {
        if self.actions {
            let _ = writeln!(
                std::io::stderr().lock(),
                "::group::{}",
                gha::escape_data(title)
            );
        } else {
            self.info(title);
        }
        Group { open: self.actions }
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

/// An open `::group::` block; `::endgroup::` is written when it drops.
#[must_use = "the group closes when this is dropped"]
pub(crate) struct Group {
    open: bool,
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.open {
            let _ = writeln!(std::io::stderr().lock(), "::endgroup::");
        }
    }
}

/// The deploy engine's lines go where the printer sends each kind.
impl hoist_deployer::Events for Printer {
    fn out(&self, line: &str) {
        Printer::out(self, line);
    }

    fn info(&self, line: &str) {
        Printer::info(self, line);
    }

    fn warn(&self, line: &str) {
        Printer::warn(self, line);
    }

    fn error(&self, line: &str) {
        Printer::error(self, line);
    }
}
