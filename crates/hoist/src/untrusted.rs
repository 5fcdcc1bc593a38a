//! Text that comes from a token (claims) or another party (a live trust policy), made safe to
//! print: control characters — newlines, ANSI escapes, C1 controls — and the Unicode
//! bidirectional overrides are shown as escapes, and a value starting with `::` cannot begin
//! a GitHub Actions workflow command. A claim such as `main\n::set-output name=x::y` or
//! `\x1b[31m` then prints as one inert line.
//!
//! Evaluation always runs on the raw values (AWS sees those); only what is printed is escaped.
//! `--json` output needs none of this: JSON escapes control characters itself.

use hoist_policy::Decision;

/// `s` with control and bidi-override characters escaped (`\n`, `\r`, `\t`, `\u{1b}`…), a
/// backslash doubled, and a leading `:` escaped so nothing starts with `::`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            ':' if i == 0 && s.starts_with("::") => out.push_str("\\u{3a}"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that reorder displayed text (Unicode's "Trojan Source" set).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A copy of `decision` for display, every string in it escaped.
pub(crate) fn escape_decision(decision: &Decision) -> Decision {
    let mut d = decision.clone();
    let e = |s: &mut String| *s = escape(s);
    e(&mut d.action);
    e(&mut d.federated_principal);
    for s in &mut d.statements {
        if let Some(sid) = &mut s.sid {
            e(sid);
        }
        e(&mut s.principal.reason);
        e(&mut s.action.reason);
        e(&mut s.resource.reason);
        for c in &mut s.conditions {
            e(&mut c.operator);
            e(&mut c.key);
            e(&mut c.reason);
            c.wanted.iter_mut().for_each(e);
            if let Some(actual) = &mut c.actual {
                actual.iter_mut().for_each(e);
            }
        }
    }
    for h in &mut d.hints {
        e(&mut h.message);
        e(&mut h.fix);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_ansi_and_workflow_commands_are_inert() {
        let claim = "main\n::set-output name=role::admin\x1b[31m\u{202e}";
        let shown = escape(claim);
        assert!(!shown.contains('\n') && !shown.contains('\x1b') && !shown.contains('\u{202e}'));
        assert_eq!(
            shown,
            "main\\n::set-output name=role::admin\\u{1b}[31m\\u{202e}"
        );
        assert_eq!(escape("::error::x"), "\\u{3a}:error::x");
        assert_eq!(
            escape("repo:o/r:ref:refs/heads/main"),
            "repo:o/r:ref:refs/heads/main"
        );
        assert_eq!(
            escape("a\\nb"),
            "a\\\\nb",
            "a literal backslash-n stays distinguishable"
        );
        assert_eq!(
            escape("\u{85}\u{9b}"),
            "\\u{85}\\u{9b}",
            "C1 controls, CSI included"
        );
    }
}
