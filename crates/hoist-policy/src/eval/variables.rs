//! Policy variables (`${aws:username}`, `${token.actions.githubusercontent.com:sub}`)
//! in String/ARN/Bool condition values and in `Resource`. Only policies with
//! Version `2012-10-17` substitute them; in older policies `${…}` is literal
//! text.
//!
//! IAM User Guide, "IAM policy elements: Variables and tags":
//! - the value substituted from the request is data, not pattern: a claim
//!   containing `*` or `?` matches only itself, even under `StringLike`
//!   (hoist keeps substituted text as literal tokens, see [`crate::glob::Tok`]);
//! - `${*}`, `${?}` and `${$}` stand for the literal characters;
//! - `${key, 'default'}` uses the default when the key has no value (a
//!   doubled `''` inside the default is one quote); the default is literal;
//! - a variable whose key is missing, multi-valued, empty (`${}`) or not
//!   closed has no value: the value is "null" and matches nothing. What that
//!   means for a whole condition is decided in `condition.rs`.

use crate::glob::{Tok, compile, literal};
use crate::request::{ContextValue, RequestContext};

/// A policy value after substitution: its text (for equality operators and
/// traces) and its pattern tokens (for `Like` operators), in which only the
/// policy's own `*`/`?` are wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyValue {
    pub(crate) text: String,
    pub(crate) tokens: Vec<Tok>,
}

impl PolicyValue {
    /// A value taken as written (no substitution).
    pub(crate) fn plain(text: &str) -> Self {
        PolicyValue {
            text: text.to_owned(),
            tokens: compile(text),
        }
    }
}

/// Outcome of substituting one policy value.
pub(crate) enum Substituted {
    /// The value, with variables replaced.
    Value(PolicyValue),
    /// A variable has no value (and no default): this policy value is null.
    Unresolved(String),
}

/// True when `value` names a policy variable other than the three escapes.
pub fn has_variable(value: &str) -> bool {
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) if matches!(after[..end].trim(), "*" | "?" | "$") => {
                rest = &after[end + 1..];
            }
            _ => return true,
        }
    }
    false
}

/// Replaces `${key}`, `${key, 'default'}` and the escapes `${*}`, `${?}`,
/// `${$}` using the request's values.
pub(crate) fn substitute(value: &str, ctx: &dyn RequestContext) -> Substituted {
    if !value.contains("${") {
        return Substituted::Value(PolicyValue::plain(value));
    }
    let mut text = String::with_capacity(value.len());
    let mut tokens = Vec::with_capacity(value.len());
    let policy_text = |s: &str, text: &mut String, tokens: &mut Vec<Tok>| {
        text.push_str(s);
        tokens.extend(compile(s));
    };
    let lit = |s: &str, text: &mut String, tokens: &mut Vec<Tok>| {
        text.push_str(s);
        tokens.extend(literal(s));
    };
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        policy_text(&rest[..start], &mut text, &mut tokens);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Substituted::Unresolved(rest[start..].to_owned());
        };
        let inner = after[..end].trim();
        match inner {
            "*" | "?" | "$" => lit(inner, &mut text, &mut tokens),
            "" => return Substituted::Unresolved("${}".to_owned()),
            _ => {
                let (name, default) = match inner.split_once(',') {
                    Some((n, d)) => (n.trim(), parse_default(d.trim())),
                    None => (inner, None),
                };
                match (ctx.context_value(name), default) {
                    (Some(ContextValue::Single(v)), _) => lit(v, &mut text, &mut tokens),
                    (_, Some(d)) => lit(&d, &mut text, &mut tokens),
                    _ => return Substituted::Unresolved(name.to_owned()),
                }
            }
        }
        rest = &after[end + 1..];
    }
    policy_text(rest, &mut text, &mut tokens);
    Substituted::Value(PolicyValue { text, tokens })
}

/// `'text'` → `text` (a doubled `''` is one quote); anything else is not a
/// valid default.
fn parse_default(d: &str) -> Option<String> {
    let inner = d.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::WebIdentityRequest;

    fn req() -> WebIdentityRequest {
        WebIdentityRequest::new("p").with("k:sub", "a*b")
    }

    #[test]
    fn escapes_and_claims_are_literal() {
        let Substituted::Value(v) = substitute("x${*}y${k:sub}${?}${$}", &req()) else {
            panic!("resolves")
        };
        assert_eq!(v.text, "x*ya*b?$");
        assert!(v.tokens.iter().all(|t| matches!(t, Tok::Lit(_))));
    }

    #[test]
    fn defaults_and_unresolved() {
        let Substituted::Value(v) = substitute("${k:none, 'it''s'}", &req()) else {
            panic!("default")
        };
        assert_eq!(v.text, "it's");
        assert!(matches!(
            substitute("${k:none}", &req()),
            Substituted::Unresolved(_)
        ));
        assert!(matches!(
            substitute("${}", &req()),
            Substituted::Unresolved(_)
        ));
        assert!(matches!(
            substitute("a${k:sub", &req()),
            Substituted::Unresolved(_)
        ));
        assert!(has_variable("repo:${k:sub}"));
        assert!(!has_variable("a${*}b"));
    }
}
