//! Emulation of AWS IAM's 2025 guardrail for roles trusting GitHub's OIDC
//! provider: `CreateRole`/`UpdateAssumeRolePolicy` fail with
//! `MalformedPolicyDocument` unless the statement restricts
//! `token.actions.githubusercontent.com:sub`. As observed and reported, the
//! check looks at the first `sub` value only and rejects a bare `*`, while
//! `repo:*` (still every repository on GitHub) passes; hoist's audit covers
//! what the guardrail misses.

use crate::glob::glob_match;
use crate::model::{Effect, PolicyDocument};
use crate::request::{ASSUME_ROLE_WITH_WEB_IDENTITY, GITHUB_ISSUER_HOST};

/// `Some(message)` when AWS would reject `policy` as an unscoped GitHub
/// trust policy; the message mimics IAM's `MalformedPolicyDocument` error.
pub fn guardrail_violation(policy: &PolicyDocument) -> Option<String> {
    let provider_suffix = format!("oidc-provider/{GITHUB_ISSUER_HOST}");
    let sub_key = format!("{GITHUB_ISSUER_HOST}:sub");
    for (i, st) in policy.statements.iter().enumerate() {
        let trusts_github = st.principal.as_ref().is_some_and(|p| {
            p.federated_values()
                .iter()
                .any(|f| f.to_ascii_lowercase().ends_with(&provider_suffix))
        });
        let assumes = st.action.as_ref().is_some_and(|a| {
            a.iter()
                .any(|p| glob_match(p, ASSUME_ROLE_WITH_WEB_IDENTITY, true))
        });
        if st.effect != Effect::Allow || !trusts_github || !assumes {
            continue;
        }
        let first = st.condition.entries_for_key(&sub_key).next();
        match first {
            None => {
                return Some(format!(
                    "MalformedPolicyDocument: statement {} trusts {GITHUB_ISSUER_HOST} without a condition on {sub_key}; the trust policy is not scoped to a repository",
                    st.label(i)
                ));
            }
            Some((_, entry)) => {
                let v = entry
                    .values
                    .iter()
                    .next()
                    .map(|v| v.as_str().into_owned())
                    .unwrap_or_default();
                if v.is_empty() || v.chars().all(|c| c == '*') {
                    return Some(format!(
                        "MalformedPolicyDocument: statement {}: {sub_key} value \"{v}\" is not scoped to a repository",
                        st.label(i)
                    ));
                }
            }
        }
    }
    None
}
