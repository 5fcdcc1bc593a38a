//! Policy variables (`${aws:username}`, `${token.actions.githubusercontent.com:sub}`)
//! in String/ARN condition values. Only policies with Version `2012-10-17`
//! substitute them; in older policies `${…}` is literal text.

use crate::request::{ContextValue, WebIdentityRequest};

/// Outcome of substituting one policy value.
pub(crate) enum Substituted {
    /// The value, with variables replaced.
    Value(String),
    /// A variable names a key the request lacks (and has no default): this
    /// policy value cannot match anything.
    Unresolved(String),
}

/// Replaces `${key}`, `${key, 'default'}` and the escapes `${*}`, `${?}`,
/// `${$}`. The escapes produce the literal character.
pub(crate) fn substitute(value: &str, req: &WebIdentityRequest) -> Substituted {
    if !value.contains("${") {
        return Substituted::Value(value.to_owned());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Substituted::Value(out);
        };
        let inner = after[..end].trim();
        match inner {
            "*" | "?" | "$" => out.push_str(inner),
            _ => {
                let (name, default) = match inner.split_once(',') {
                    Some((n, d)) => (n.trim(), Some(d.trim().trim_matches('\''))),
                    None => (inner, None),
                };
                match (req.get(name), default) {
                    (Some(ContextValue::Single(v)), _) => out.push_str(v),
                    (_, Some(d)) => out.push_str(d),
                    _ => return Substituted::Unresolved(name.to_owned()),
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Substituted::Value(out)
}
