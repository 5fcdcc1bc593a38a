use std::fmt;

/// A hoist.toml that cannot be used, with the place it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    /// 1-based line; 0 when the error has no place in the file (such as an empty file).
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    pub message: String,
    /// The form the value must take, when there is one to name.
    pub expected: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(expected) = &self.expected {
            write!(f, "\n  expected: {expected}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    pub(crate) fn at(text: &str, file: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(text, offset);
        Self {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
            expected: None,
        }
    }

    pub(crate) fn expected(mut self, form: impl Into<String>) -> Self {
        self.expected = Some(form.into());
        self
    }

    pub(crate) fn from_toml(err: &toml::de::Error, text: &str, file: &str) -> Self {
        let offset = err.span().map_or(0, |s| s.start);
        let message = err.message().trim().to_owned();
        let (message, expected) = match message.split_once(", expected ") {
            Some((m, e)) => (m.to_owned(), Some(e.to_owned())),
            None => (message, None),
        };
        let mut out = Self::at(text, file, offset, message);
        out.expected = expected;
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::line_column;

    #[test]
    fn line_column_counts_from_one_and_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let x = text.find("\"x").unwrap();
        assert_eq!(line_column(text, x), (2, 6));
    }
}
