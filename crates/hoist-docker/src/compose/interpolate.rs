//! Variable interpolation as the Compose specification defines it (`12-interpolation.md`):
//! `$NAME` and `${NAME}`, `${NAME:-default}` (unset or empty) and `${NAME-default}` (unset),
//! `${NAME:?message}` and `${NAME?message}` (an error), `${NAME:+alternative}` and
//! `${NAME+alternative}`, defaults that interpolate in turn (`${A:-${B}}`), and `$$` for a
//! literal `$`. An unset variable without a default is the empty string. Names are
//! `[A-Za-z_][A-Za-z0-9_]*`; any other `$` is an error, as in Docker's parser. Values are
//! interpolated, mapping keys are not.

use serde_norway::Value;
use serde_norway::value::{Tag, TaggedValue};

use super::env::Variables;
use super::error::{At, ComposeError};

/// Why a string cannot be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    Required { variable: String, message: String },
    Invalid { detail: &'static str },
}

/// Interpolates one string.
pub(crate) fn expand(input: &str, vars: &Variables) -> Result<String, Failure> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = closing_brace(inner).ok_or(Failure::Invalid {
                detail: "`${` without its closing `}`",
            })?;
            out.push_str(&braced(&inner[..end], vars)?);
            rest = &inner[end + 1..];
        } else {
            let n = name_len(after);
            if n == 0 {
                return Err(Failure::Invalid {
                    detail: "`$` starts no variable name (write `$$` for a literal `$`)",
                });
            }
            out.push_str(vars.get(&after[..n]).unwrap_or_default());
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The byte offset of the `}` that closes a `${`, given the text after the `{`.
fn closing_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'{')) => {
                depth += 1;
                i += 2;
                continue;
            }
            (b'$', Some(b'$')) => {
                i += 2;
                continue;
            }
            (b'}', _) if depth == 0 => return Some(i),
            (b'}', _) => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The length of the variable name at the start of `s` (0: none).
fn name_len(s: &str) -> usize {
    let mut n = 0;
    for (i, c) in s.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        n = i + 1;
    }
    n
}

/// The inside of `${…}`.
fn braced(body: &str, vars: &Variables) -> Result<String, Failure> {
    let n = name_len(body);
    if n == 0 {
        return Err(Failure::Invalid {
            detail: "`${…}` must start with a variable name",
        });
    }
    let (name, op) = body.split_at(n);
    let value = vars.get(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let value = || Ok(value.unwrap_or_default().to_owned());
    let required = |message: &str| {
        Err(Failure::Required {
            variable: name.to_owned(),
            message: message.to_owned(),
        })
    };
    if op.is_empty() {
        return value();
    }
    let (colon, rest) = match op.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, op),
    };
    let present = if colon { non_empty } else { set };
    let mut chars = rest.chars();
    let operator = chars.next();
    let arg = chars.as_str();
    match operator {
        Some('-') if present => value(),
        Some('-') => expand(arg, vars),
        Some('?') if present => value(),
        Some('?') => required(arg),
        Some('+') if present => expand(arg, vars),
        Some('+') => Ok(String::new()),
        _ => Err(Failure::Invalid {
            detail: "after the name, `${…}` takes `:-`, `-`, `:?`, `?`, `:+` or `+`",
        }),
    }
}

/// The YAML tag of a value whose interpolation failed: its error is kept aside (by index)
/// and raised only if the value survives the merge of override files and `extends` (a
/// required variable in a value an override replaces is no error, as in Docker).
const FAILED: &str = "!hoist-interpolation-failed";

/// Errors of values interpolated so far, by the index their marker holds.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    errors: Vec<Option<ComposeError>>,
}

impl Deferred {
    /// Interpolates every string value of `v` in place; a value that fails becomes a marker.
    pub(crate) fn interpolate(&mut self, v: &mut Value, vars: &Variables, at: &At) {
        match v {
            Value::String(s) => match expand(s, vars) {
                Ok(x) => *s = x,
                Err(f) => {
                    let text = std::mem::take(s);
                    self.errors.push(Some(match f {
                        Failure::Required { variable, message } => ComposeError::RequiredVariable {
                            at: at.clone(),
                            variable,
                            message,
                        },
                        Failure::Invalid { detail } => ComposeError::Interpolation {
                            at: at.clone(),
                            text,
                            detail,
                        },
                    }));
                    *v = Value::Tagged(Box::new(TaggedValue {
                        tag: Tag::new(FAILED),
                        value: Value::from(self.errors.len() - 1),
                    }));
                }
            },
            Value::Sequence(items) => {
                for item in items {
                    self.interpolate(item, vars, at);
                }
            }
            Value::Mapping(map) => {
                for (_, item) in map.iter_mut() {
                    self.interpolate(item, vars, at);
                }
            }
            Value::Tagged(t) => self.interpolate(&mut t.value, vars, at),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// The error of the first failed value left in `v`.
    pub(crate) fn check(&mut self, v: &Value) -> Result<(), ComposeError> {
        match v {
            Value::Tagged(t) if t.tag == Tag::new(FAILED) => {
                let error = t
                    .value
                    .as_u64()
                    .and_then(|i| self.errors.get_mut(usize::try_from(i).ok()?))
                    .and_then(Option::take);
                match error {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }
            Value::Tagged(t) => self.check(&t.value),
            Value::Sequence(items) => items.iter().try_for_each(|i| self.check(i)),
            Value::Mapping(map) => map.values().try_for_each(|i| self.check(i)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        Variables::from_pairs([("SET", "value"), ("EMPTY", ""), ("OTHER", "o")])
    }

    #[test]
    fn the_forms_of_the_specification() {
        let v = vars();
        for (input, want) in [
            ("plain", "plain"),
            ("$SET", "value"),
            ("${SET}", "value"),
            ("a-${SET}-b", "a-value-b"),
            ("$SET.x", "value.x"),
            ("${UNSET}", ""),
            ("$UNSET", ""),
            ("${UNSET:-def}", "def"),
            ("${EMPTY:-def}", "def"),
            ("${EMPTY-def}", ""),
            ("${UNSET-def}", "def"),
            ("${SET:-def}", "value"),
            ("${UNSET:-${OTHER}}", "o"),
            ("${UNSET:-${NONE:-deep}}x", "deepx"),
            ("${SET:+alt}", "alt"),
            ("${EMPTY:+alt}", ""),
            ("${EMPTY+alt}", "alt"),
            ("${UNSET+alt}", ""),
            ("$$SET", "$SET"),
            ("$${SET}", "${SET}"),
            ("cost: $$5", "cost: $5"),
            ("${UNSET:-a:b}", "a:b"),
        ] {
            assert_eq!(expand(input, &v).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn required_variables_and_bad_syntax_fail() {
        let v = vars();
        let req = |variable: &str, message: &str| {
            Err(Failure::Required {
                variable: variable.into(),
                message: message.into(),
            })
        };
        assert_eq!(expand("${UNSET:?set it}", &v), req("UNSET", "set it"));
        assert_eq!(expand("${EMPTY:?no}", &v), req("EMPTY", "no"));
        assert_eq!(expand("${EMPTY?no}", &v).as_deref(), Ok(""));
        assert_eq!(expand("${UNSET?gone}", &v), req("UNSET", "gone"));
        assert_eq!(expand("${SET:?x}", &v).as_deref(), Ok("value"));
        for bad in [
            "$", "a $ b", "$1", "${", "${SET", "${}", "${1A}", "${SET:x}", "${SET=x}",
        ] {
            assert!(
                matches!(expand(bad, &v), Err(Failure::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_failed_value_is_an_error_only_if_it_is_still_there() {
        let v = vars();
        let at = At::service(std::path::Path::new("c.yml"), "web");
        let mut doc: Value =
            serde_norway::from_str("image: ${NEED:?set NEED}\nkeep: ${SET}\nn: 3\n").unwrap();
        let mut deferred = Deferred::default();
        deferred.interpolate(&mut doc, &v, &at);
        assert_eq!(doc["keep"], Value::from("value"));
        let mut replaced = doc.clone();
        replaced["image"] = Value::from("override");
        assert!(deferred.check(&replaced).is_ok());
        let e = deferred.check(&doc).unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.yml, service \"web\": required variable NEED is missing a value: set NEED"
        );
    }
}
