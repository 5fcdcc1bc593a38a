//! Why a token cannot assume a role, told with the token's own claims and the trust engine.
//!
//! The runner cannot read IAM before it has credentials, so the policy evaluated is the one
//! `hoist bootstrap` writes for the environment (`github_trust_policy` with the environment's
//! subject and hoist.toml's audience). Every explanation states that assumption.

use hoist_config::{Config, Environment};
use hoist_oidc::GithubClaims;
use hoist_policy::{Decision, PolicyDocument, WebIdentityRequest, evaluate, github_trust_policy};

use crate::target;

/// The trust policy bootstrap writes for `env`, and the evaluation of `claims` against it.
pub(crate) struct Preflight {
    pub(crate) expected_sub: String,
    pub(crate) actual_sub: Option<String>,
    pub(crate) decision: Decision,
}

/// Evaluates `claims` against the trust policy hoist would have written for `env`.
pub(crate) fn preflight(
    config: &Config,
    env: &Environment,
    role_arn: &str,
    claims: &GithubClaims,
) -> Preflight {
    let provider = target::provider_arn(config, role_arn);
    let expected_sub = target::expected_subject(config, env);
    let policy: PolicyDocument = github_trust_policy(
        &provider,
        std::slice::from_ref(&expected_sub),
        &config.oidc.audience,
    );
    let request = WebIdentityRequest::from_github_claims(&provider, claims.as_map());
    Preflight {
        expected_sub,
        actual_sub: claims.sub.clone(),
        decision: evaluate(&policy, &request),
    }
}

impl Preflight {
    /// The explanation: which condition failed, the two subjects, and the fixes.
    pub(crate) fn explain(&self, role_arn: &str) -> (String, String) {
        // The token's claims are printed escaped (no ANSI or `::` workflow commands).
        let decision = crate::untrusted::escape_decision(&self.decision);
        let failed: Vec<String> = decision
            .statements
            .iter()
            .flat_map(|s| s.conditions.iter().filter(|c| !c.result))
            .map(|c| {
                let has = c
                    .actual
                    .as_ref()
                    .map_or_else(|| "nothing".to_owned(), |v| v.join(", "));
                format!(
                    "{} {} wants {}, the token has {has}",
                    c.operator,
                    c.key,
                    c.wanted.join(" or ")
                )
            })
            .collect();
        let mut message = format!(
            "this run's OIDC token cannot assume {role_arn}: the trust policy `hoist bootstrap` writes for it does not admit the token\n  \
             role expects sub: {}\n  this run has sub:  {}",
            self.expected_sub,
            self.actual_sub
                .as_deref()
                .map_or_else(|| "(none)".to_owned(), crate::untrusted::escape),
        );
        for f in &failed {
            message.push_str(&format!("\n  failed condition: {f}"));
        }
        message.push_str("\n  (evaluated against the trust policy hoist bootstrap writes for this environment; the runner cannot read the live one without credentials)");
        let mut fixes: Vec<String> = decision
            .hints
            .iter()
            .map(|h| format!("{} — {}", h.message, h.fix))
            .collect();
        if fixes.is_empty() {
            fixes.push("run the workflow from the ref this environment's trigger names, or change the trigger in hoist.toml and re-run `hoist bootstrap --apply`".to_owned());
        }
        (message, fixes.join("; "))
    }
}
