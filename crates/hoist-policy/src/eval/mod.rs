//! Evaluating a role trust policy against an `AssumeRoleWithWebIdentity`
//! request, with a trace of every decision for explanations.
//!
//! Order (IAM "Policy evaluation logic"): an applicable `Deny` wins; else an
//! applicable `Allow` allows; else the request is implicitly denied. A
//! statement applies when its principal, action and resource elements match
//! and every condition holds.
//!
//! Resource: trust policies name no resource (the role is the resource);
//! IAM rejects a trust policy with `Resource`/`NotResource` ("Has prohibited
//! field Resource"), so a statement carrying one is reported and treated as
//! not applying.

mod action;
mod arn;
mod compare;
mod condition;
mod identity;
mod operator;
mod render;
mod variables;

use serde::Serialize;

pub use action::{ActionMatch, action_matches};
pub use arn::resource_matches;
pub use condition::ConditionCheck;
pub use identity::{IdentityDecision, IdentityRequest, IdentityTrace, evaluate_identity};
pub use operator::{BaseOperator, ParsedOperator, SetQualifier, parse_operator};
pub use variables::has_variable;

use crate::github::{Hint, hints};
use crate::model::{
    Effect, OneOrMany, PolicyDocument, Principal, PrincipalMap, Statement, VERSION_2012,
};
use crate::request::WebIdentityRequest;

/// The final answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// An Allow statement applies and no Deny does.
    Allow,
    /// A Deny statement applies.
    ExplicitDeny,
    /// No statement allows the request.
    ImplicitDeny,
}

/// Whether one element (Principal, Action, Resource) matched, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElementMatch {
    /// Whether the element matched the request.
    pub matched: bool,
    /// Why, in words.
    pub reason: String,
}

/// What happened to one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    /// Position in the policy.
    pub index: usize,
    /// Its Sid, if any.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Principal / NotPrincipal.
    pub principal: ElementMatch,
    /// Action / NotAction.
    pub action: ElementMatch,
    /// Resource / NotResource.
    pub resource: ElementMatch,
    /// Every condition key check, in document order.
    pub conditions: Vec<ConditionCheck>,
    /// True when all conditions hold (vacuously for none).
    pub conditions_hold: bool,
    /// True when the statement applies to the request.
    pub applies: bool,
}

impl StatementTrace {
    /// `#index (Sid)` label.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("#{} ({s})", self.index),
            _ => format!("#{}", self.index),
        }
    }
}

/// The decision and everything that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow, explicit deny, or implicit deny.
    pub outcome: Outcome,
    /// One trace per statement, in policy order.
    pub statements: Vec<StatementTrace>,
    /// Likely causes and fixes when the request is denied (see
    /// [`crate::github::hints`]).
    pub hints: Vec<Hint>,
    /// The action that was evaluated.
    pub action: String,
    /// The provider the token came from.
    pub federated_principal: String,
}

impl Decision {
    /// True when the outcome is Allow.
    pub fn allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// Evaluates `policy` (a role trust policy) for `req`.
pub fn evaluate(policy: &PolicyDocument, req: &WebIdentityRequest) -> Decision {
    let variables = policy.version.as_deref() == Some(VERSION_2012);
    let statements: Vec<StatementTrace> = policy
        .statements
        .iter()
        .enumerate()
        .map(|(i, s)| trace_statement(i, s, req, variables))
        .collect();
    let outcome = if statements
        .iter()
        .any(|t| t.applies && t.effect == Effect::Deny)
    {
        Outcome::ExplicitDeny
    } else if statements
        .iter()
        .any(|t| t.applies && t.effect == Effect::Allow)
    {
        Outcome::Allow
    } else {
        Outcome::ImplicitDeny
    };
    let mut decision = Decision {
        outcome,
        statements,
        hints: Vec::new(),
        action: req.action.clone(),
        federated_principal: req.federated_principal.clone(),
    };
    decision.hints = hints(&decision, req);
    decision
}

fn trace_statement(
    index: usize,
    s: &Statement,
    req: &WebIdentityRequest,
    variables: bool,
) -> StatementTrace {
    let principal = match (&s.principal, &s.not_principal) {
        (Some(p), _) => match_principal(p, req, false),
        (None, Some(np)) => match_principal(np, req, true),
        (None, None) => ElementMatch {
            matched: false,
            reason:
                "no Principal element: a trust policy statement without one applies to no caller"
                    .to_owned(),
        },
    };
    let action = match (&s.action, &s.not_action) {
        (Some(a), _) => match_action(a, &req.action, false, s.effect),
        (None, Some(na)) => match_action(na, &req.action, true, s.effect),
        (None, None) => ElementMatch {
            matched: false,
            reason: "no Action element".to_owned(),
        },
    };
    let resource = match (&s.resource, &s.not_resource) {
        (None, None) => ElementMatch {
            matched: true,
            reason: "no Resource element (a trust policy's resource is the role itself)".to_owned(),
        },
        _ => ElementMatch {
            matched: false,
            reason: "trust policies may not contain Resource/NotResource (IAM rejects them: \"Has prohibited field Resource\")"
                .to_owned(),
        },
    };
    let conditions: Vec<ConditionCheck> = s
        .condition
        .operators
        .iter()
        .flat_map(|b| {
            b.entries
                .iter()
                .map(move |e| condition::check_entry(&b.operator, e, req, variables, s.effect))
        })
        .collect();
    let conditions_hold = conditions.iter().all(|c| c.result);
    let applies = principal.matched && action.matched && resource.matched && conditions_hold;
    StatementTrace {
        index,
        sid: s.sid.clone(),
        effect: s.effect,
        principal,
        action,
        resource,
        conditions,
        conditions_hold,
        applies,
    }
}

fn match_principal(p: &Principal, req: &WebIdentityRequest, negate: bool) -> ElementMatch {
    let (hit, why) = match p {
        Principal::Wildcard => (true, "Principal \"*\" matches every caller".to_owned()),
        Principal::Map(PrincipalMap { federated, aws, .. }) => {
            let fed = federated.as_ref().map(|f| f.as_slice()).unwrap_or(&[]);
            if fed.iter().any(|f| f == &req.federated_principal) {
                (
                    true,
                    format!(
                        "Federated \"{}\" is the token's provider",
                        req.federated_principal
                    ),
                )
            } else if aws.as_ref().is_some_and(|a| a.iter().any(|v| v == "*")) {
                (
                    true,
                    "{\"AWS\": \"*\"} is equivalent to \"*\" and matches every caller".to_owned(),
                )
            } else if fed.is_empty() {
                (
                    false,
                    format!(
                        "no Federated principal; the token's provider is \"{}\"",
                        req.federated_principal
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "Federated {} does not name the token's provider \"{}\"",
                        list(fed),
                        req.federated_principal
                    ),
                )
            }
        }
    };
    if negate {
        ElementMatch {
            matched: !hit,
            reason: format!("NotPrincipal: {why}"),
        }
    } else {
        ElementMatch {
            matched: hit,
            reason: why,
        }
    }
}

pub(crate) fn match_action(
    patterns: &OneOrMany<String>,
    action: &str,
    negate: bool,
    effect: Effect,
) -> ElementMatch {
    let hit = patterns
        .iter()
        .find(|p| action::covers(p, action, effect == Effect::Deny, negate));
    match (hit, negate) {
        (Some(p), false) => ElementMatch {
            matched: true,
            reason: format!("Action \"{p}\" matches {action}"),
        },
        (None, false) => ElementMatch {
            matched: false,
            reason: format!(
                "Action {} does not include {action}",
                list(patterns.as_slice())
            ),
        },
        (Some(p), true) => ElementMatch {
            matched: false,
            reason: format!("NotAction \"{p}\" excludes {action}"),
        },
        (None, true) => ElementMatch {
            matched: true,
            reason: format!(
                "NotAction {} does not exclude {action}",
                list(patterns.as_slice())
            ),
        },
    }
}

pub(crate) fn list(v: &[String]) -> String {
    let q: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
    if q.len() == 1 {
        q[0].clone()
    } else {
        format!("[{}]", q.join(", "))
    }
}
