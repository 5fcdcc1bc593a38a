//! Static checks of role trust policies for GitHub Actions (who can assume
//! the role, and whether the role can be assumed at all), and of permission
//! policies (privilege-escalation paths, [`audit_permission_policy`]).
//!
//! Rule ids are stable (`HOIST-T001`… for trust, `HOIST-P001`… for
//! permissions) and documented in [`RULES`] and [`PERMISSION_RULES`].

mod guardrail;
mod managed;
mod permissions;
mod rules;
mod scope;

use serde::Serialize;

pub use guardrail::guardrail_violation;
pub use managed::known_aws_managed_policy;
pub use permissions::{PERMISSION_RULES, audit_permission_policy};
pub use rules::{RULES, RuleInfo};

use crate::generate::DEFAULT_AUDIENCE;
use crate::model::PolicyDocument;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Someone else can assume the role, or IAM/STS will refuse the policy.
    Error,
    /// Wider than needed, or will not work as probably intended.
    Warning,
    /// Worth knowing.
    Info,
}

/// Dev or prod, for rules that are stricter on production roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tier {
    /// Development/staging.
    Dev,
    /// Production.
    Prod,
}

impl Tier {
    /// Guesses the tier from a role name: a `prod`/`production`/`prd` word
    /// (CamelCase and `-`/`_` separated) means Prod, `dev`/`staging`/`test`
    /// Dev. `GitHubActionsHindsightProd` → Prod; `ProductApi` → none.
    pub fn from_role_name(name: &str) -> Option<Tier> {
        let mut words: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut prev_lower = false;
        for c in name.chars() {
            if !c.is_ascii_alphanumeric() {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                prev_lower = false;
                continue;
            }
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            cur.push(c.to_ascii_lowercase());
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        if words
            .iter()
            .any(|w| matches!(w.as_str(), "prod" | "production" | "prd"))
        {
            Some(Tier::Prod)
        } else if words.iter().any(|w| {
            matches!(
                w.as_str(),
                "dev" | "development" | "staging" | "stage" | "test"
            )
        }) {
            Some(Tier::Dev)
        } else {
            None
        }
    }
}

/// What the audit knows about the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContext {
    /// The role's name (used to guess the tier when `tier` is `None`).
    pub role_name: Option<String>,
    /// Dev or prod, e.g. from the role's tags.
    pub tier: Option<Tier>,
    /// The repository the role is meant for, `owner/name`.
    pub repository: Option<String>,
    /// The IAM OIDC provider ARN the role should trust.
    pub expected_provider_arn: Option<String>,
    /// The audience tokens carry (default `sts.amazonaws.com`).
    pub expected_audience: String,
}

impl Default for AuditContext {
    fn default() -> Self {
        AuditContext {
            role_name: None,
            tier: None,
            repository: None,
            expected_provider_arn: None,
            expected_audience: DEFAULT_AUDIENCE.to_owned(),
        }
    }
}

impl AuditContext {
    /// `tier`, else guessed from `role_name`.
    pub fn effective_tier(&self) -> Option<Tier> {
        self.tier
            .or_else(|| self.role_name.as_deref().and_then(Tier::from_role_name))
    }
}

/// One problem found in a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, `HOIST-Tnnn`.
    pub rule: &'static str,
    /// Short slug, e.g. `sub-reaches-other-repositories`.
    pub name: &'static str,
    /// Error, Warning or Info.
    pub severity: Severity,
    /// Index of the statement, when the finding is about one.
    pub statement: Option<usize>,
    /// Its Sid, if any.
    pub sid: Option<String>,
    /// The offending JSON fragment.
    pub fragment: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// Runs every rule over `policy`. Findings are ordered by statement, then
/// severity. Production roles trusting every tag or environment draw
/// HOIST-T019 (see [`audit_with_protection`]).
pub fn audit(policy: &PolicyDocument, ctx: &AuditContext) -> Vec<Finding> {
    audit_with_protection(policy, ctx, false)
}

/// [`audit`], told whether the repository protects what a production role
/// trusts (a tag ruleset restricting release tags, or environment
/// reviewers with a deployment policy): when it does, tag and environment
/// wildcards on production roles are not findings.
pub fn audit_with_protection(
    policy: &PolicyDocument,
    ctx: &AuditContext,
    prod_protected: bool,
) -> Vec<Finding> {
    let mut findings = rules::run(policy, ctx, prod_protected);
    findings.sort_by(|a, b| {
        a.statement
            .cmp(&b.statement)
            .then(a.severity.cmp(&b.severity))
            .then(a.rule.cmp(b.rule))
    });
    findings
}

/// The finding for a role whose trust policy hoist cannot parse: the audit
/// reports it (error) and goes on with the other roles.
pub fn unparseable_policy(source: &str, error: &crate::model::PolicyParseError) -> Finding {
    rules::unparseable(source, error)
}

/// Whether `policy` lets web-identity tokens of the provider keyed
/// `provider_host` (or anyone) in: a statement naming that provider, a
/// `"*"` principal (`"*"` or `{"AWS": "*"}`), or a `NotPrincipal`. These are
/// the roles `trust audit --account` must look at.
pub fn admits_provider_or_anyone(policy: &PolicyDocument, provider_host: &str) -> bool {
    use crate::model::{Principal, PrincipalMap};
    let needle = format!(
        ":oidc-provider/{}",
        provider_host
            .trim_start_matches("https://")
            .to_ascii_lowercase()
    );
    policy.statements.iter().any(|s| {
        s.not_principal.is_some()
            || match &s.principal {
                Some(Principal::Wildcard) => true,
                Some(Principal::Map(PrincipalMap { federated, aws, .. })) => {
                    aws.as_ref().is_some_and(|a| a.iter().any(|v| v == "*"))
                        || federated.as_ref().is_some_and(|f| {
                            f.iter().any(|v| v.to_ascii_lowercase().ends_with(&needle))
                        })
                }
                None => false,
            }
    })
}
