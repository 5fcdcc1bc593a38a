//! `Display` for [`Decision`]: the human explanation `hoist trust check`
//! prints.

use std::fmt;

use super::{Decision, ElementMatch, Outcome, list};

fn mark(ok: bool) -> &'static str {
    if ok { "ok  " } else { "FAIL" }
}

fn element(f: &mut fmt::Formatter<'_>, name: &str, m: &ElementMatch) -> fmt::Result {
    writeln!(f, "    [{}] {name}: {}", mark(m.matched), m.reason)
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.outcome {
            Outcome::Allow => {
                let by: Vec<String> = self
                    .statements
                    .iter()
                    .filter(|s| s.applies && s.effect == crate::model::Effect::Allow)
                    .map(|s| s.label())
                    .collect();
                writeln!(
                    f,
                    "ALLOWED: {} is allowed by statement {}.",
                    self.action,
                    by.join(", ")
                )?;
            }
            Outcome::ExplicitDeny => {
                let by: Vec<String> = self
                    .statements
                    .iter()
                    .filter(|s| s.applies && s.effect == crate::model::Effect::Deny)
                    .map(|s| s.label())
                    .collect();
                writeln!(
                    f,
                    "DENIED (explicit): {} is denied by statement {}.",
                    self.action,
                    by.join(", ")
                )?;
            }
            Outcome::ImplicitDeny => {
                writeln!(
                    f,
                    "DENIED (implicit): no statement allows {} for this token; STS answers \"Not authorized to perform {}\".",
                    self.action, self.action
                )?;
            }
        }
        writeln!(f, "  provider: {}", self.federated_principal)?;
        for s in &self.statements {
            let verdict = if s.applies {
                "applies"
            } else {
                "does not apply"
            };
            writeln!(f, "  statement {} [{}]: {verdict}", s.label(), s.effect)?;
            element(f, "principal", &s.principal)?;
            element(f, "action", &s.action)?;
            element(f, "resource", &s.resource)?;
            for c in &s.conditions {
                let actual = match &c.actual {
                    None => "missing".to_owned(),
                    Some(v) if v.is_empty() => "an empty set".to_owned(),
                    Some(v) => list(v),
                };
                writeln!(
                    f,
                    "    [{}] {} {}: policy wants {}; request has {} — {}",
                    mark(c.result),
                    c.operator,
                    c.key,
                    list(&c.wanted),
                    actual,
                    c.reason
                )?;
            }
        }
        for h in &self.hints {
            writeln!(f, "hint: {}", h.message)?;
            writeln!(f, "  fix: {}", h.fix)?;
        }
        Ok(())
    }
}
