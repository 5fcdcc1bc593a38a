//! Where the engine's lines go. The binary's printer implements [`Events`]: results to
//! stdout, progress and warnings to stderr (annotations in GitHub Actions); tests collect them.

/// The engine's output, by kind. Implementations must not fail: output is best effort.
pub trait Events: Sync {
    /// A line of the command's human result (a change set table, what a plan would do).
    fn out(&self, line: &str);
    /// A status or progress line for people.
    fn info(&self, line: &str);
    /// Something the user should act on although the deploy goes on.
    fn warn(&self, line: &str);
    /// A problem reported next to the error that ends the run (the other pre-flight findings).
    fn error(&self, line: &str);
}

/// Discards everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Events for Silent {
    fn out(&self, _: &str) {}
    fn info(&self, _: &str) {}
    fn warn(&self, _: &str) {}
    fn error(&self, _: &str) {}
}
