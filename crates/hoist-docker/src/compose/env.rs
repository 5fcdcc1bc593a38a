//! The variables a compose file is interpolated with: the process environment (given by the
//! caller), then the project's `.env` file for names the environment does not set, as
//! Docker does.
//!
//! `.env` is read in Docker's dotenv form: `NAME=VALUE` lines, an optional `export ` in
//! front, `#` comments and blank lines; a value in single quotes is literal, one in double
//! quotes takes `\n`, `\t`, `\\`, `\"` escapes and interpolation, an unquoted one is trimmed,
//! loses a ` #` comment and is interpolated (with the environment and the lines above).

use std::collections::HashMap;
use std::path::Path;

use super::error::ComposeError;
use super::interpolate::{Failure, expand};

/// Variables by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: HashMap<String, String>,
}

impl Variables {
    /// From name–value pairs (such as `std::env::vars()`).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// These variables, then those of the `.env` file at `path` (when it exists) for the
    /// names these do not have.
    pub(crate) fn with_env_file(&self, path: &Path) -> Result<Self, ComposeError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(self.clone()),
            Err(source) => {
                return Err(ComposeError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut out = self.clone();
        for (i, line) in text.lines().enumerate() {
            let fail = |detail: String| ComposeError::EnvFile {
                path: path.to_owned(),
                line: i + 1,
                detail,
            };
            let Some((name, value)) = parse_line(line, &out).map_err(fail)? else {
                continue;
            };
            // The process environment wins over the file.
            if self.get(&name).is_none() {
                out.values.insert(name, value);
            }
        }
        Ok(out)
    }
}

/// One `.env` line: `None` for blank lines and comments.
fn parse_line(line: &str, vars: &Variables) -> Result<Option<(String, String)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let Some((name, raw)) = line.split_once('=') else {
        // The line's text is not shown: a `.env` file holds secrets, and a line without `=`
        // is often a pasted value.
        return Err("the line is not NAME=VALUE (its text is not shown)".to_owned());
    };
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("{name:?} is not a variable name"));
    }
    let raw = raw.trim();
    let interpolate = |s: &str| {
        expand(s, vars).map_err(|f| match f {
            Failure::Required { variable, message } => {
                format!("required variable {variable} is missing a value: {message}")
            }
            Failure::Invalid { detail } => format!("invalid interpolation: {detail}"),
        })
    };
    let value = if let Some(body) = raw.strip_prefix('\'') {
        let end = body
            .find('\'')
            .ok_or_else(|| format!("the value of {name} has no closing '"))?;
        body[..end].to_owned()
    } else if let Some(body) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.chars();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    closed = true;
                    break;
                }
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => {
                        if !matches!(other, '\\' | '"') {
                            out.push('\\');
                        }
                        out.push(other);
                    }
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        if !closed {
            return Err(format!("the value of {name} has no closing \""));
        }
        interpolate(&out)?
    } else {
        let bare = match raw.find(" #") {
            Some(i) => raw[..i].trim_end(),
            None => raw,
        };
        interpolate(bare)?
    };
    Ok(Some((name.to_owned(), value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_over_the_file_and_lines_see_earlier_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "# comment\n\nTAG=1.2\nexport REGION = ca-central-1  # inline\nIMAGE=acme/web:${TAG}\nQUOTED='${TAG} $$'\nDOUBLE=\"a\\nb ${TAG}\"\nFROM_ENV=file\nEMPTY=\n",
        )
        .unwrap();
        let env = Variables::from_pairs([("FROM_ENV", "process")]);
        let v = env.with_env_file(&path).unwrap();
        assert_eq!(v.get("TAG"), Some("1.2"));
        assert_eq!(v.get("REGION"), Some("ca-central-1"));
        assert_eq!(v.get("IMAGE"), Some("acme/web:1.2"));
        assert_eq!(v.get("QUOTED"), Some("${TAG} $$"));
        assert_eq!(v.get("DOUBLE"), Some("a\nb 1.2"));
        assert_eq!(v.get("FROM_ENV"), Some("process"));
        assert_eq!(v.get("EMPTY"), Some(""));
        // No file: the environment alone.
        assert_eq!(env.with_env_file(&dir.path().join("none")).unwrap(), env);
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "A=1\nnot a line\n").unwrap();
        let e = Variables::default().with_env_file(&path).unwrap_err();
        assert!(matches!(e, ComposeError::EnvFile { line: 2, .. }), "{e:?}");
        assert!(
            e.to_string()
                .ends_with(".env:2: the line is not NAME=VALUE (its text is not shown)")
        );
        assert!(!format!("{e:?}").contains("not a line"), "{e:?}");
    }
}
