//! Field diffs and their unified rendering.

use serde::{Serialize, Serializer};
use similar::TextDiff;

/// One field that differs: its text before and after (`None` when absent). Policy documents
/// are given as normalized pretty JSON so the diff shows meaning, not formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Such as `trust policy`, `max session duration`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Diff {
    #[must_use]
    pub fn new(field: impl Into<String>, before: Option<String>, after: Option<String>) -> Self {
        Self {
            field: field.into(),
            before,
            after,
        }
    }

    /// Whether the value fits on one line on both sides (rendered as `before -> after`).
    #[must_use]
    pub fn is_short(&self) -> bool {
        let one = |v: &Option<String>| v.as_deref().is_none_or(|s| !s.contains('\n'));
        one(&self.before) && one(&self.after)
    }

    /// The unified diff of before and after (`--- current` / `+++ desired`).
    #[must_use]
    pub fn unified(&self) -> String {
        unified_diff(
            self.before.as_deref().unwrap_or(""),
            self.after.as_deref().unwrap_or(""),
        )
    }
}

impl Serialize for Diff {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Diff", 4)?;
        st.serialize_field("field", &self.field)?;
        st.serialize_field("before", &self.before)?;
        st.serialize_field("after", &self.after)?;
        st.serialize_field("unified", &self.unified())?;
        st.end()
    }
}

/// A unified diff with three lines of context, headed `--- current` / `+++ desired`.
/// Both texts are treated as ending with a newline.
#[must_use]
pub fn unified_diff(before: &str, after: &str) -> String {
    let with_nl = |s: &str| {
        if s.is_empty() || s.ends_with('\n') {
            s.to_owned()
        } else {
            format!("{s}\n")
        }
    };
    let (b, a) = (with_nl(before), with_nl(after));
    unified_diff_headed(&b, &a, "current", "desired")
}

/// A unified diff with three lines of context under the given `---` / `+++` headers, the
/// texts taken as they are (`diff -u` of a file on disk against the text hoist would write).
#[must_use]
pub fn unified_diff_headed(before: &str, after: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(old, new)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_marks_changed_lines() {
        let d = unified_diff("a\nb\nc\n", "a\nx\nc\n");
        assert!(d.starts_with("--- current\n+++ desired\n"), "{d}");
        assert!(d.contains("\n-b\n+x\n"), "{d}");
    }

    #[test]
    fn create_diff_is_all_additions() {
        let d = Diff::new("trust policy", None, Some("{\n  \"a\": 1\n}".into())).unified();
        assert!(d.lines().skip(3).all(|l| l.starts_with('+')), "{d}");
    }

    #[test]
    fn short_values_are_detected() {
        assert!(Diff::new("x", Some("1".into()), Some("2".into())).is_short());
        assert!(!Diff::new("x", None, Some("1\n2".into())).is_short());
    }
}
