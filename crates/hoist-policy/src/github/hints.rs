//! Likely causes of a denied `AssumeRoleWithWebIdentity`, read off the
//! decision trace, with the fix for each.

use serde::Serialize;

use super::subject::{IdentityFormat, Subject, SubjectContext, subject_for_environment};
use crate::eval::{ConditionCheck, Decision, StatementTrace};
use crate::glob::{glob_match, has_wildcard};
use crate::model::Effect;
use crate::request::{
    GITHUB_ISSUER_HOST, GITHUB_PROVIDER_CLAIM_KEYS, OIDC_STANDARD_KEYS, WebIdentityRequest,
};

/// One explanation of a denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// Stable id (`environment-vs-ref`, `audience`, …).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to change.
    pub fix: String,
}

fn is_key(check: &ConditionCheck, claim: &str) -> bool {
    check
        .key
        .to_ascii_lowercase()
        .ends_with(&format!(":{claim}"))
}

/// Allow statements that would have applied except for their conditions.
fn near_allows(decision: &Decision) -> impl Iterator<Item = &StatementTrace> {
    decision.statements.iter().filter(|s| {
        s.effect == Effect::Allow && s.principal.matched && s.action.matched && !s.conditions_hold
    })
}

/// Hints for a denied request (none when allowed).
pub fn hints(decision: &Decision, req: &WebIdentityRequest) -> Vec<Hint> {
    let mut out: Vec<Hint> = Vec::new();
    if decision.allowed() {
        return out;
    }
    let mut push = |h: Hint| {
        if !out.iter().any(|o| o.code == h.code) {
            out.push(h);
        }
    };

    let allows: Vec<&StatementTrace> = decision
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .collect();
    if !allows.is_empty() && allows.iter().all(|s| !s.principal.matched) {
        push(Hint {
            code: "provider-mismatch",
            message: format!(
                "no Allow statement names the token's identity provider \"{}\" as its Federated principal",
                req.federated_principal
            ),
            fix: "set Principal.Federated to the ARN of the IAM OIDC provider for https://token.actions.githubusercontent.com in this account (`aws iam list-open-id-connect-providers`)".to_owned(),
        });
    }

    let sub = req.subject().map(str::to_owned);
    let parsed = sub.as_deref().and_then(|s| Subject::parse(s).ok());
    for st in near_allows(decision) {
        for c in st.conditions.iter().filter(|c| !c.result) {
            if is_key(c, "sub")
                && let (Some(sub), Some(subject)) = (&sub, &parsed)
            {
                sub_hints(sub, subject, c, &mut push);
            }
            if is_key(c, "aud") {
                let got = c
                    .actual
                    .as_ref()
                    .map(|v| v.join(", "))
                    .unwrap_or_else(|| "missing".to_owned());
                push(Hint {
                    code: "audience",
                    message: format!(
                        "the token's audience is \"{got}\" but the role expects {}",
                        crate::eval::list(&c.wanted)
                    ),
                    fix: "request the token with audience sts.amazonaws.com (the aws-actions/configure-aws-credentials default) or change the role's aud condition to the audience the workflow uses".to_owned(),
                });
            }
            if c.actual.is_none()
                && !c.operator.to_ascii_lowercase().starts_with("null")
                && !c.result
            {
                let lower = c.key.to_ascii_lowercase();
                let known_claim = lower.split_once(':').is_some_and(|(host, claim)| {
                    host == GITHUB_ISSUER_HOST
                        && (OIDC_STANDARD_KEYS.contains(&claim)
                            || GITHUB_PROVIDER_CLAIM_KEYS.contains(&claim))
                });
                let hint = if known_claim {
                    Hint {
                        code: "claim-absent",
                        message: format!(
                            "this token carries no \"{}\" claim (e.g. `environment` only exists when the job names an environment), so {} cannot hold",
                            c.key, c.operator
                        ),
                        fix: format!(
                            "make the job produce the claim, or use {}IfExists if its absence is acceptable",
                            c.operator
                        ),
                    }
                } else {
                    Hint {
                        code: "missing-key",
                        message: format!(
                            "the request has no condition key \"{}\", so {} cannot hold",
                            c.key, c.operator
                        ),
                        fix: format!(
                            "check the key's spelling; GitHub tokens give STS the keys {GITHUB_ISSUER_HOST}:sub, :aud and the provider claims {}",
                            GITHUB_PROVIDER_CLAIM_KEYS.join(", ")
                        ),
                    }
                };
                push(hint);
            }
            if c.operator.eq_ignore_ascii_case("StringEquals")
                && c.wanted.iter().any(|w| has_wildcard(w))
                && let Some(actual) = &c.actual
                && c.wanted
                    .iter()
                    .any(|w| actual.iter().any(|a| glob_match(w, a, false)))
            {
                push(Hint {
                    code: "wildcard-in-string-equals",
                    message: format!(
                        "{} compares \"*\" and \"?\" literally, so {} never matches \"{}\"",
                        c.operator,
                        crate::eval::list(&c.wanted),
                        actual.join(", ")
                    ),
                    fix: format!("use StringLike for {}", c.key),
                });
            }
            if let Some(actual) = &c.actual {
                let case_only = c.wanted.iter().any(|w| {
                    actual.iter().any(|a| {
                        !glob_match(w, a, false)
                            && (w.to_lowercase() == a.to_lowercase() || glob_match(w, a, true))
                    })
                });
                if case_only && !c.operator.to_ascii_lowercase().contains("ignorecase") {
                    push(Hint {
                        code: "case-mismatch",
                        message: format!(
                            "{} differs from the request value \"{}\" only in letter case; condition values compare case-sensitively",
                            crate::eval::list(&c.wanted),
                            actual.join(", ")
                        ),
                        fix: "write the owner and repository exactly as GitHub spells them (the token's sub uses GitHub's casing)".to_owned(),
                    });
                }
            }
        }
    }
    out
}

fn sub_hints(sub: &str, subject: &Subject, c: &ConditionCheck, push: &mut impl FnMut(Hint)) {
    let wants_ref = c.wanted.iter().any(|w| w.contains(":ref:"));
    let wants_env = c.wanted.iter().any(|w| w.contains(":environment:"));
    let wants_pr = c.wanted.iter().any(|w| w.ends_with(":pull_request"));
    let wanted = crate::eval::list(&c.wanted);
    match subject.context() {
        Some(SubjectContext::Environment(env)) if wants_ref && !wants_env => {
            let trust = match subject.repo() {
                Some(r) => subject_for_environment(&r, &env),
                None => sub.to_owned(),
            };
            push(Hint {
                code: "environment-vs-ref",
                message: format!(
                    "this job names a GitHub environment, so its token's sub is {sub}, not {wanted} — this is the most common cause of 'Not authorized to perform sts:AssumeRoleWithWebIdentity'"
                ),
                fix: format!(
                    "trust the environment subject \"{trust}\" in the role's trust policy, or remove `environment: {env}` from the job"
                ),
            });
        }
        Some(SubjectContext::Branch(_) | SubjectContext::Tag(_) | SubjectContext::Ref(_))
            if wants_env && !wants_ref =>
        {
            let env_names: Vec<String> = c
                .wanted
                .iter()
                .filter_map(|w| w.split_once(":environment:").map(|(_, e)| e.to_owned()))
                .collect();
            push(Hint {
                code: "ref-vs-environment",
                message: format!(
                    "the role trusts a GitHub environment ({wanted}) but this job names none, so its token's sub is {sub} — this is the most common cause of 'Not authorized to perform sts:AssumeRoleWithWebIdentity'"
                ),
                fix: format!(
                    "add `environment: {}` to the job, or trust \"{sub}\" in the role's trust policy",
                    env_names.first().map(String::as_str).unwrap_or("NAME")
                ),
            });
        }
        Some(SubjectContext::PullRequest) if !wants_pr => {
            push(Hint {
                code: "pull-request",
                message: format!("pull_request runs get the sub {sub}, which names no branch; the role trusts {wanted}"),
                fix: "run the deploy on push/release events, or (only for read-only roles) trust the pull_request subject".to_owned(),
            });
        }
        _ => {}
    }
    if let Some(repo) = subject.repo() {
        let name_prefix = format!("repo:{}/{}:", repo.owner, repo.name).to_lowercase();
        let id_like = |w: &String| {
            let lw = w.to_lowercase();
            lw.starts_with(&format!("repo:{}@", repo.owner.to_lowercase()))
        };
        match repo.identity {
            IdentityFormat::Id { .. }
                if c.wanted
                    .iter()
                    .any(|w| w.to_lowercase().starts_with(&name_prefix)) =>
            {
                push(Hint {
                    code: "immutable-subject",
                    message: format!(
                        "the token uses GitHub's ID-based subject ({sub}), but the role expects the name-only form {wanted}; repositories created or renamed on or after 2026-07-15 get immutable subjects"
                    ),
                    fix: format!(
                        "trust \"{}\" (regenerate with the repository's owner and repository ids)",
                        repo.subject_prefix()
                    ),
                });
            }
            IdentityFormat::Name if c.wanted.iter().any(id_like) => {
                push(Hint {
                    code: "immutable-subject",
                    message: format!(
                        "the role expects GitHub's ID-based subject form {wanted}, but this token's sub is the name-only {sub}"
                    ),
                    fix: format!(
                        "trust \"{}…\" or opt the repository into immutable subjects",
                        repo.subject_prefix()
                    ),
                });
            }
            _ => {}
        }
    }
}
