//! Evaluating identity-based policies (the permission policies attached to
//! a role or user) and a permissions boundary against one API request.
//!
//! IAM User Guide, "Policy evaluation logic" (within one account, no
//! resource-based policy, SCP or session policy):
//! 1. an explicit `Deny` in any identity policy or in the boundary wins;
//! 2. otherwise the request needs an `Allow` from an identity policy **and**,
//!    when a permissions boundary is set, an `Allow` from the boundary (the
//!    effective permissions are the intersection);
//! 3. otherwise it is implicitly denied.
//!
//! A statement applies when its `Action`/`NotAction`, `Resource`/
//! `NotResource` and every condition match. Identity policies carry no
//! `Principal` and must name a resource (IAM rejects them otherwise); such a
//! malformed statement never grants, and a malformed `Deny` is kept.
//! Condition keys such as `iam:PermissionsBoundary`, `iam:PassedToService`,
//! `iam:PolicyARN`, `aws:ResourceTag/…` and `aws:RequestTag/…` are ordinary
//! request-context keys here: the caller builds the request with the keys
//! the AWS service sets for that action (Service Authorization Reference).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::condition::{self, ConditionCheck};
use super::variables::{PolicyValue, Substituted, substitute};
use super::{ElementMatch, Outcome, list, match_action};
use crate::model::{Effect, OneOrMany, PolicyDocument, Statement, VERSION_2012};
use crate::request::{ContextValue, RequestContext};

/// One API request as IAM authorizes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRequest {
    /// `service:Action`, e.g. `iam:PassRole`.
    pub action: String,
    /// The ARN of the resource the action is on (`*` for actions that take
    /// no resource).
    pub resource: String,
    /// Condition keys, lowercased.
    pub context: BTreeMap<String, ContextValue>,
}

impl IdentityRequest {
    /// A request with an empty context.
    pub fn new(action: &str, resource: &str) -> Self {
        IdentityRequest {
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: BTreeMap::new(),
        }
    }

    /// Adds a single-valued key.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.context.insert(
            key.to_ascii_lowercase(),
            ContextValue::Single(value.to_owned()),
        );
        self
    }

    /// Adds a multi-valued key (e.g. `aws:TagKeys`).
    pub fn with_values(mut self, key: &str, values: &[&str]) -> Self {
        self.context.insert(
            key.to_ascii_lowercase(),
            ContextValue::Multi(values.iter().map(|v| (*v).to_owned()).collect()),
        );
        self
    }

    /// Looks a key up case-insensitively.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.context.get(&key.to_ascii_lowercase())
    }
}

impl RequestContext for IdentityRequest {
    fn context_value(&self, key: &str) -> Option<&ContextValue> {
        self.get(key)
    }
}

/// What happened to one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityTrace {
    /// Index of the policy in the list given (ignored for the boundary).
    pub policy: usize,
    /// True for a statement of the permissions boundary.
    pub boundary: bool,
    /// Position in its policy.
    pub index: usize,
    /// Its Sid, if any.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Action / NotAction.
    pub action: ElementMatch,
    /// Resource / NotResource.
    pub resource: ElementMatch,
    /// Every condition key check, in document order.
    pub conditions: Vec<ConditionCheck>,
    /// True when the statement applies to the request.
    pub applies: bool,
}

/// The decision and everything that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityDecision {
    /// Allow, explicit deny, or implicit deny.
    pub outcome: Outcome,
    /// Whether an identity-policy Allow applies.
    pub identity_allows: bool,
    /// Whether a boundary Allow applies; `None` without a boundary.
    pub boundary_allows: Option<bool>,
    /// One trace per statement (identity policies first, then the boundary).
    pub statements: Vec<IdentityTrace>,
    /// The action evaluated.
    pub action: String,
    /// The resource evaluated.
    pub resource: String,
}

impl IdentityDecision {
    /// True when the outcome is Allow.
    pub fn allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// Evaluates `policies` (every identity policy of the principal) and the
/// optional permissions `boundary` for `req`.
pub fn evaluate_identity(
    policies: &[&PolicyDocument],
    boundary: Option<&PolicyDocument>,
    req: &IdentityRequest,
) -> IdentityDecision {
    let mut statements = Vec::new();
    for (p, doc) in policies.iter().enumerate() {
        trace_policy(doc, p, false, req, &mut statements);
    }
    if let Some(b) = boundary {
        trace_policy(b, 0, true, req, &mut statements);
    }
    let applies = |boundary: bool, effect: Effect| {
        statements
            .iter()
            .any(|t| t.boundary == boundary && t.effect == effect && t.applies)
    };
    let denied = applies(false, Effect::Deny) || applies(true, Effect::Deny);
    let identity_allows = applies(false, Effect::Allow);
    let boundary_allows = boundary.map(|_| applies(true, Effect::Allow));
    let outcome = if denied {
        Outcome::ExplicitDeny
    } else if identity_allows && boundary_allows.unwrap_or(true) {
        Outcome::Allow
    } else {
        Outcome::ImplicitDeny
    };
    IdentityDecision {
        outcome,
        identity_allows,
        boundary_allows,
        statements,
        action: req.action.clone(),
        resource: req.resource.clone(),
    }
}

fn trace_policy(
    doc: &PolicyDocument,
    policy: usize,
    boundary: bool,
    req: &IdentityRequest,
    out: &mut Vec<IdentityTrace>,
) {
    let variables = doc.version.as_deref() == Some(VERSION_2012);
    for (index, s) in doc.statements.iter().enumerate() {
        out.push(trace_statement(policy, boundary, index, s, req, variables));
    }
}

fn trace_statement(
    policy: usize,
    boundary: bool,
    index: usize,
    s: &Statement,
    req: &IdentityRequest,
    variables: bool,
) -> IdentityTrace {
    let deny = s.effect == Effect::Deny;
    let action = match (&s.action, &s.not_action) {
        (Some(a), _) => match_action(a, &req.action, false, s.effect),
        (None, Some(na)) => match_action(na, &req.action, true, s.effect),
        (None, None) => ElementMatch {
            matched: deny,
            reason: "no Action element (IAM rejects this statement)".to_owned(),
        },
    };
    let mut resource = match (&s.resource, &s.not_resource) {
        (Some(r), _) => match_resource(r, req, variables, deny, false),
        (None, Some(nr)) => match_resource(nr, req, variables, deny, true),
        (None, None) => ElementMatch {
            matched: deny,
            reason: "no Resource element: IAM requires one in an identity policy".to_owned(),
        },
    };
    if (s.principal.is_some() || s.not_principal.is_some()) && !deny {
        resource = ElementMatch {
            matched: false,
            reason: "an identity-policy statement may not name a Principal (IAM rejects it); it grants nothing".to_owned(),
        };
    }
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
    let applies = action.matched && resource.matched && conditions.iter().all(|c| c.result);
    IdentityTrace {
        policy,
        boundary,
        index,
        sid: s.sid.clone(),
        effect: s.effect,
        action,
        resource,
        conditions,
        applies,
    }
}

fn match_resource(
    patterns: &OneOrMany<String>,
    req: &IdentityRequest,
    variables: bool,
    deny: bool,
    negate: bool,
) -> ElementMatch {
    let mut hit = None;
    for p in patterns.iter() {
        let value = if variables {
            match substitute(p, req) {
                Substituted::Value(v) => v,
                // A variable with no value: the pattern matches nothing in an
                // Allow's Resource; in a Deny's Resource it is kept (matches),
                // in a NotResource the reverse, so it never helps.
                Substituted::Unresolved(_) => {
                    if deny != negate {
                        hit = Some(p.clone());
                        break;
                    }
                    continue;
                }
            }
        } else {
            PolicyValue::plain(p)
        };
        if super::arn::covers(&value, &req.resource, deny != negate) {
            hit = Some(p.clone());
            break;
        }
    }
    let name = if negate { "NotResource" } else { "Resource" };
    match (hit, negate) {
        (Some(p), false) => ElementMatch {
            matched: true,
            reason: format!("Resource \"{p}\" covers {}", req.resource),
        },
        (None, false) => ElementMatch {
            matched: false,
            reason: format!(
                "Resource {} does not cover {}",
                list(patterns.as_slice()),
                req.resource
            ),
        },
        (Some(p), true) => ElementMatch {
            matched: false,
            reason: format!("{name} \"{p}\" excludes {}", req.resource),
        },
        (None, true) => ElementMatch {
            matched: true,
            reason: format!(
                "{name} {} does not exclude {}",
                list(patterns.as_slice()),
                req.resource
            ),
        },
    }
}

impl fmt::Display for IdentityDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.outcome {
            Outcome::Allow => "ALLOWED",
            Outcome::ExplicitDeny => "DENIED (explicit)",
            Outcome::ImplicitDeny => "DENIED (implicit)",
        };
        writeln!(f, "{verdict}: {} on {}", self.action, self.resource)?;
        if let Some(b) = self.boundary_allows {
            writeln!(
                f,
                "  identity policies allow: {}; permissions boundary allows: {b}",
                self.identity_allows
            )?;
        }
        for t in &self.statements {
            let whose = if t.boundary {
                "boundary".to_owned()
            } else {
                format!("policy {}", t.policy)
            };
            let sid = t
                .sid
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            let applies = if t.applies {
                "applies"
            } else {
                "does not apply"
            };
            writeln!(
                f,
                "  {whose} statement #{}{sid} [{}]: {applies}",
                t.index, t.effect
            )?;
            writeln!(f, "    action: {}", t.action.reason)?;
            writeln!(f, "    resource: {}", t.resource.reason)?;
            for c in &t.conditions {
                writeln!(f, "    {} {}: {}", c.operator, c.key, c.reason)?;
            }
        }
        Ok(())
    }
}
