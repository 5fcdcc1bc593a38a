//! The audit rules. Each rule looks at one statement (or the whole policy)
//! and pushes findings.

use serde_json::json;

use super::scope::{Reach, admits, admits_any_tag_or_environment, reach};
use super::{AuditContext, Finding, Severity, Tier, guardrail_violation};
use crate::eval::has_variable;
use crate::eval::{BaseOperator, SetQualifier, parse_operator};
use crate::glob::{glob_match, has_wildcard};
use crate::model::{ConditionEntry, Effect, PolicyDocument, Principal, PrincipalMap, Statement};
use crate::request::{
    GITHUB_ISSUER_HOST, GITHUB_PROVIDER_CLAIM_KEYS, OIDC_STANDARD_KEYS, provider_key_prefix,
};

/// A rule's id, slug and one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable id.
    pub id: &'static str,
    /// Slug.
    pub name: &'static str,
    /// What it checks.
    pub summary: &'static str,
}

macro_rules! rules {
    ($($c:ident = $id:literal, $name:literal, $summary:literal;)*) => {
        $(const $c: (&str, &str) = ($id, $name);)*
        /// Every rule the audit runs.
        pub const RULES: &[RuleInfo] = &[$(RuleInfo { id: $id, name: $name, summary: $summary }),*];
    };
}

rules! {
    NO_SUB = "HOIST-T001", "no-sub-condition", "An Allow for GitHub tokens without a positive condition on token.actions.githubusercontent.com:sub admits every repository on GitHub.";
    WIDE_SUB = "HOIST-T002", "sub-reaches-other-repositories", "A sub value or pattern that admits repositories other than one (repo:*, *, repo:org/*, repo:octo*, repo:org/app*).";
    PULL_REQUEST = "HOIST-T003", "sub-admits-pull-requests", "A sub pattern that admits pull_request runs (code not yet reviewed).";
    EVERY_BRANCH = "HOIST-T004", "sub-admits-every-branch", "A sub pattern that admits every branch (ref:refs/heads/*, or a :* tail).";
    EQUALS_WILDCARD = "HOIST-T005", "wildcard-in-string-equals", "StringEquals compares * and ? literally; the value never matches a real token.";
    AUDIENCE = "HOIST-T006", "audience", "No aud condition, or an audience the tokens will not carry.";
    PROD_BRANCHES = "HOIST-T007", "prod-role-admits-branches", "A production role that branch (or pull request) runs can assume; production should trust tags or a protected environment.";
    PRINCIPAL = "HOIST-T008", "federated-principal-not-github", "A principal that is not GitHub's OIDC provider of the expected account (or *, or NotPrincipal).";
    BROAD_ACTION = "HOIST-T009", "broad-action", "Allow with *, sts:* or other wildcard actions (or NotAction) for a web-identity principal.";
    FOR_ALL_VALUES = "HOIST-T010", "for-all-values-on-single-valued-key", "ForAllValues: on a single-valued key such as sub is true when the key is absent.";
    UNKNOWN_KEY = "HOIST-T011", "unknown-condition-key", "A misspelled or unknown condition key, a key with whitespace, or a key of another provider: it is never present, so the condition never holds (or always does, if negated).";
    MIXED_VALUES = "HOIST-T012", "tight-and-wide-sub-values", "A sub list mixing a one-repository value with a wide one; the wide value wins, and AWS's guardrail only checks the first value.";
    UNKNOWN_OPERATOR = "HOIST-T013", "unknown-condition-operator", "An operator IAM does not define.";
    RESOURCE_IN_TRUST = "HOIST-T014", "resource-in-trust-policy", "Resource/NotResource in a trust policy: IAM rejects it.";
    GUARDRAIL = "HOIST-T015", "aws-guardrail", "AWS rejects GitHub trust policies whose sub is missing or a bare *.";
    OTHER_REPO = "HOIST-T016", "sub-names-another-repository", "The sub names a repository other than the one the role is meant for.";
    VARIABLE = "HOIST-T017", "policy-variable-in-identity-condition", "A sub, aud or job_workflow_ref value that is or contains a policy variable (${…}): the token supplies the value it is checked against.";
    UNPARSEABLE = "HOIST-T018", "unparseable-policy", "A role's trust policy hoist cannot read; nothing about who can assume it is known.";
    PROD_WILDCARD = "HOIST-T019", "prod-trusts-any-tag-or-environment", "A production role trusting every tag (ref:refs/tags/*) or every environment (environment:*) without repository protection (tag ruleset, environment reviewers): any writer can push a tag or name an environment.";
    FOREIGN_PREFIX = "HOIST-T020", "key-prefix-of-another-issuer", "A condition key on token.actions.githubusercontent.com in a statement that trusts a GitHub Enterprise Server or enterprise-slug issuer, whose tokens are keyed by their own issuer.";
}

const PROVIDER_SUFFIX: &str = "oidc-provider/token.actions.githubusercontent.com";

struct Ctx<'a> {
    findings: Vec<Finding>,
    audit: &'a AuditContext,
    prod_protected: bool,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: (&'static str, &'static str),
        severity: Severity,
        at: Option<(usize, &Statement)>,
        fragment: String,
        message: String,
        fix: String,
    ) {
        self.findings.push(Finding {
            rule: rule.0,
            name: rule.1,
            severity,
            statement: at.map(|(i, _)| i),
            sid: at.and_then(|(_, s)| s.sid.clone()),
            fragment,
            message,
            fix,
        });
    }
}

fn entry_fragment(op: &str, e: &ConditionEntry) -> String {
    json!({ op: { e.key.clone(): e.values.clone() } }).to_string()
}

pub(super) fn run(
    policy: &PolicyDocument,
    audit: &AuditContext,
    prod_protected: bool,
) -> Vec<Finding> {
    let mut cx = Ctx {
        findings: Vec::new(),
        audit,
        prod_protected,
    };
    if let Some(msg) = guardrail_violation(policy) {
        cx.push(
            GUARDRAIL,
            Severity::Error,
            None,
            policy.to_json(),
            format!("AWS would refuse this trust policy: {msg}"),
            "add a StringEquals/StringLike condition on token.actions.githubusercontent.com:sub naming the repository, e.g. repo:OWNER/REPO:ref:refs/heads/main".to_owned(),
        );
    }
    for (i, st) in policy.statements.iter().enumerate() {
        check_operators(&mut cx, i, st);
        if st.principal.is_none() && st.not_principal.is_none() {
            continue; // a permission policy statement: trust rules do not apply
        }
        check_statement(&mut cx, i, st);
    }
    cx.findings
}

fn check_operators(cx: &mut Ctx<'_>, i: usize, st: &Statement) {
    for b in &st.condition.operators {
        if let Err(why) = parse_operator(&b.operator) {
            cx.push(
                UNKNOWN_OPERATOR,
                Severity::Error,
                Some((i, st)),
                json!({ &b.operator: b }).to_string(),
                format!("{why}: IAM rejects the policy, and no request can satisfy it"),
                "use one of IAM's operators, e.g. StringEquals, StringLike, ForAnyValue:StringLike, StringEqualsIfExists".to_owned(),
            );
        }
    }
}

/// The condition-key prefix of a GitHub Actions issuer named by an IAM OIDC
/// provider ARN: github.com (`token.actions.githubusercontent.com`), an
/// enterprise-slug issuer (`token.actions.githubusercontent.com/SLUG`), a
/// GitHub Enterprise Server (`HOST/_services/token`), or the provider the
/// caller says the role should trust. `None` for other providers.
pub(crate) fn github_key_prefix(arn: &str, expected: Option<&str>) -> Option<String> {
    if !arn.contains(":oidc-provider/") {
        return None;
    }
    let prefix = provider_key_prefix(arn);
    let github_com = prefix == GITHUB_ISSUER_HOST
        || prefix
            .strip_prefix(GITHUB_ISSUER_HOST)
            .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1);
    let ghes = prefix.ends_with("/_services/token");
    (github_com || ghes || expected == Some(arn)).then_some(prefix)
}

fn check_statement(cx: &mut Ctx<'_>, i: usize, st: &Statement) {
    let at = Some((i, st));
    let allow = st.effect == Effect::Allow;
    if st.resource.is_some() || st.not_resource.is_some() {
        cx.push(
            RESOURCE_IN_TRUST,
            Severity::Error,
            at,
            json!({ "Resource": st.resource, "NotResource": st.not_resource }).to_string(),
            "trust policies may not contain Resource or NotResource; IAM answers \"MalformedPolicyDocument: Has prohibited field Resource\"".to_owned(),
            "remove the Resource element from the trust policy".to_owned(),
        );
    }
    let (fed, wildcard_principal) = match &st.principal {
        Some(Principal::Wildcard) => (Vec::new(), true),
        Some(Principal::Map(PrincipalMap { federated, aws, .. })) => (
            federated
                .as_ref()
                .map(|f| f.as_slice().to_vec())
                .unwrap_or_default(),
            aws.as_ref().is_some_and(|a| a.iter().any(|v| v == "*")),
        ),
        None => (Vec::new(), false),
    };
    let expected = cx.audit.expected_provider_arn.clone();
    let mut prefixes: Vec<String> = Vec::new();
    for f in &fed {
        if let Some(p) = github_key_prefix(f, expected.as_deref())
            && !prefixes.contains(&p)
        {
            prefixes.push(p);
        }
    }
    if prefixes.is_empty() && wildcard_principal {
        prefixes.push(GITHUB_ISSUER_HOST.to_owned());
    }
    let github = !prefixes.is_empty();
    if allow {
        check_principal(cx, i, st, &fed, wildcard_principal);
        check_actions(cx, i, st, !fed.is_empty() || wildcard_principal);
    }
    check_condition_keys(cx, i, st, github, &prefixes);
    check_variables(cx, i, st, &prefixes);
    if allow {
        for prefix in &prefixes {
            check_sub(cx, i, st, prefix);
            check_aud(cx, i, st, prefix);
        }
    }
}

/// `${…}` in a value of a key that says who the token is: the value is
/// taken from the request, so the token vouches for itself.
fn check_variables(cx: &mut Ctx<'_>, i: usize, st: &Statement, prefixes: &[String]) {
    for b in &st.condition.operators {
        for e in &b.entries {
            let lower = e.key.to_ascii_lowercase();
            let identity_key = ["sub", "aud", "job_workflow_ref"].iter().any(|claim| {
                prefixes.iter().any(|p| lower == format!("{p}:{claim}"))
                    || lower == format!("{GITHUB_ISSUER_HOST}:{claim}")
            });
            if !identity_key {
                continue;
            }
            for v in e.values.iter() {
                let v = v.as_str();
                if v.contains("${") {
                    let what = if has_variable(&v) {
                        "is filled from the request itself, so it admits tokens the condition was meant to keep out (every repository, when it is the token's own claim)"
                    } else {
                        "uses ${…} escapes; write the characters themselves"
                    };
                    cx.push(
                        VARIABLE,
                        Severity::Error,
                        Some((i, st)),
                        entry_fragment(&b.operator, e),
                        format!("{} value \"{v}\" contains a policy variable: it {what}", e.key),
                        "write the subject, audience or workflow literally, e.g. repo:OWNER/REPO:ref:refs/heads/main".to_owned(),
                    );
                }
            }
        }
    }
}

fn check_principal(cx: &mut Ctx<'_>, i: usize, st: &Statement, fed: &[String], wildcard: bool) {
    let at = Some((i, st));
    if st.not_principal.is_some() {
        cx.push(
            PRINCIPAL,
            Severity::Error,
            at,
            json!({ "NotPrincipal": st.not_principal }).to_string(),
            "Allow with NotPrincipal trusts every caller except the listed ones".to_owned(),
            "use Principal {\"Federated\": \"arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com\"}".to_owned(),
        );
    }
    if wildcard {
        cx.push(
            PRINCIPAL,
            Severity::Error,
            at,
            json!({ "Principal": st.principal }).to_string(),
            "the principal is \"*\": any caller, from any account or identity provider, can try to assume the role".to_owned(),
            "use Principal {\"Federated\": \"arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com\"}".to_owned(),
        );
    }
    for f in fed {
        let expected = cx.audit.expected_provider_arn.clone();
        if github_key_prefix(f, expected.as_deref()).is_some() {
            if let Some(exp) = expected.filter(|e| e != f) {
                cx.push(
                    PRINCIPAL,
                    Severity::Error,
                    at,
                    json!({ "Federated": f }).to_string(),
                    format!("the role trusts GitHub's provider \"{f}\", but this account's provider is \"{exp}\"; STS will not match tokens presented to it"),
                    format!("set Principal.Federated to \"{exp}\""),
                );
            }
        } else if expected.as_deref() != Some(f.as_str()) {
            cx.push(
                PRINCIPAL,
                Severity::Warning,
                at,
                json!({ "Federated": f }).to_string(),
                format!("\"{f}\" is not GitHub's OIDC provider (…:{PROVIDER_SUFFIX}); GitHub Actions tokens do not match this statement"),
                "trust arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com for GitHub Actions".to_owned(),
            );
        }
    }
}

fn check_actions(cx: &mut Ctx<'_>, i: usize, st: &Statement, web: bool) {
    if !web {
        return;
    }
    let at = Some((i, st));
    if let Some(na) = &st.not_action {
        cx.push(
            BROAD_ACTION,
            Severity::Error,
            at,
            json!({ "NotAction": na }).to_string(),
            "Allow with NotAction grants every other action to the federated principal".to_owned(),
            "use \"Action\": \"sts:AssumeRoleWithWebIdentity\"".to_owned(),
        );
    }
    for a in st.action.iter().flat_map(|a| a.iter()) {
        let lower = a.to_ascii_lowercase();
        if lower == "*"
            || lower == "sts:*"
            || (has_wildcard(a) && glob_match(a, "sts:AssumeRole", true))
        {
            cx.push(
                BROAD_ACTION,
                Severity::Error,
                at,
                json!({ "Action": a }).to_string(),
                format!("action \"{a}\" grants more than sts:AssumeRoleWithWebIdentity to a web-identity principal"),
                "use \"Action\": \"sts:AssumeRoleWithWebIdentity\"".to_owned(),
            );
        }
    }
}

fn multi_valued(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with(":amr")
        || matches!(
            k.as_str(),
            "aws:tagkeys"
                | "aws:principalorgpaths"
                | "aws:calledvia"
                | "aws:principalserviceNamesList"
                | "aws:principalservicenameslist"
        )
}

fn check_condition_keys(
    cx: &mut Ctx<'_>,
    i: usize,
    st: &Statement,
    github: bool,
    prefixes: &[String],
) {
    let at = Some((i, st));
    let allow = st.effect == Effect::Allow;
    for b in &st.condition.operators {
        let op = parse_operator(&b.operator).ok();
        for e in &b.entries {
            let frag = entry_fragment(&b.operator, e);
            if let Some(op) = op {
                if op.qualifier == Some(SetQualifier::ForAllValues) && !multi_valued(&e.key) {
                    cx.push(
                        FOR_ALL_VALUES,
                        if allow { Severity::Error } else { Severity::Warning },
                        at,
                        frag.clone(),
                        format!("{} on the single-valued key {} is true when the key is missing, so it does not require the token to carry it", b.operator, e.key),
                        format!("use {} without the ForAllValues: qualifier", op.base.name()),
                    );
                }
                let literal_ops = matches!(
                    op.base,
                    BaseOperator::StringEquals
                        | BaseOperator::StringNotEquals
                        | BaseOperator::StringEqualsIgnoreCase
                        | BaseOperator::StringNotEqualsIgnoreCase
                );
                if literal_ops && e.values.iter().any(|v| has_wildcard(&v.as_str())) {
                    cx.push(
                        EQUALS_WILDCARD,
                        Severity::Warning,
                        at,
                        frag.clone(),
                        format!("{} compares \"*\" and \"?\" literally: the value never matches a real token", b.operator),
                        format!("use {} for patterns", if op.base.is_negated() { "StringNotLike" } else { "StringLike" }),
                    );
                }
            }
            let lower = e.key.to_ascii_lowercase();
            let own = prefixes.iter().find(|p| {
                lower
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with(':'))
            });
            if let Some(p) = own {
                let claim = &lower[p.len() + 1..];
                let known = OIDC_STANDARD_KEYS.contains(&claim)
                    || GITHUB_PROVIDER_CLAIM_KEYS.contains(&claim);
                if !known {
                    cx.push(
                        UNKNOWN_KEY,
                        Severity::Error,
                        at,
                        frag,
                        format!("\"{}\" is not a key STS sets for GitHub tokens, so the condition never sees a value", e.key),
                        format!("use {p}:sub or {p}:aud"),
                    );
                }
                continue;
            }
            let github_com_key = lower.starts_with(&format!("{GITHUB_ISSUER_HOST}:"));
            if github_com_key
                && !prefixes.is_empty()
                && !prefixes.iter().any(|p| p == GITHUB_ISSUER_HOST)
            {
                cx.push(
                    FOREIGN_PREFIX,
                    Severity::Error,
                    at,
                    frag,
                    format!("\"{}\" is keyed by github.com's issuer, but this statement trusts {}; STS keys those tokens by their own issuer, so the condition never sees a value", e.key, prefixes.join(", ")),
                    format!("write the key as {}:{}", prefixes[0], lower.split_once(':').map(|x| x.1).unwrap_or("sub")),
                );
                continue;
            }
            if let Some((sev, msg, fix)) = key_problem(&e.key, github) {
                cx.push(UNKNOWN_KEY, sev, at, frag, msg, fix);
            }
        }
    }
}

fn key_problem(key: &str, github: bool) -> Option<(Severity, String, String)> {
    if key.chars().any(char::is_whitespace) {
        return Some((
            Severity::Error,
            format!("condition key \"{key}\" contains whitespace; no request carries such a key"),
            format!("write \"{}\"", key.split_whitespace().collect::<String>()),
        ));
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("aws:") {
        return None;
    }
    let Some((host, claim)) = lower.split_once(':') else {
        return Some((
            Severity::Error,
            format!(
                "\"{key}\" is not a condition key (keys look like service:name or issuer-host:claim)"
            ),
            "use token.actions.githubusercontent.com:sub / :aud".to_owned(),
        ));
    };
    if host == GITHUB_ISSUER_HOST {
        if OIDC_STANDARD_KEYS.contains(&claim) || GITHUB_PROVIDER_CLAIM_KEYS.contains(&claim) {
            return None;
        }
        let suggestion = if claim.starts_with("sub") || claim.contains("subject") {
            format!("use {GITHUB_ISSUER_HOST}:sub")
        } else if claim.starts_with("aud") {
            format!("use {GITHUB_ISSUER_HOST}:aud")
        } else {
            format!(
                "STS exposes only sub, aud, amr and the GitHub claims {} as keys; test other claims through sub (customize the subject template)",
                GITHUB_PROVIDER_CLAIM_KEYS.join(", ")
            )
        };
        return Some((
            Severity::Error,
            format!(
                "\"{key}\" is not a key STS sets for GitHub tokens, so the condition never sees a value"
            ),
            suggestion,
        ));
    }
    if host.contains("github") {
        return Some((
            Severity::Error,
            format!(
                "\"{key}\" uses host \"{host}\"; GitHub tokens are keyed by {GITHUB_ISSUER_HOST}"
            ),
            format!("write \"{GITHUB_ISSUER_HOST}:{claim}\""),
        ));
    }
    if github && host.contains('.') {
        return Some((
            Severity::Error,
            format!(
                "\"{key}\" belongs to another identity provider; it is never present in a GitHub Actions request"
            ),
            format!("use {GITHUB_ISSUER_HOST}:{claim}"),
        ));
    }
    None
}

struct SubEntry<'a> {
    op: &'a str,
    entry: &'a ConditionEntry,
    like: bool,
}

fn check_sub(cx: &mut Ctx<'_>, i: usize, st: &Statement, prefix: &str) {
    let at = Some((i, st));
    let sub_key = format!("{prefix}:sub");
    let mut positive: Vec<SubEntry<'_>> = Vec::new();
    let mut negated: Vec<String> = Vec::new();
    for (op_name, entry) in st.condition.entries_for_key(&sub_key) {
        let Ok(op) = parse_operator(op_name) else {
            continue;
        };
        let string_op = matches!(
            op.base,
            BaseOperator::StringEquals
                | BaseOperator::StringEqualsIgnoreCase
                | BaseOperator::StringLike
        );
        if op.base.is_negated() {
            negated.push(op_name.to_owned());
        } else if string_op {
            positive.push(SubEntry {
                op: op_name,
                entry,
                like: op.base == BaseOperator::StringLike,
            });
        }
    }
    if positive.is_empty() {
        let message = if negated.is_empty() {
            format!(
                "no condition on {sub_key}: every GitHub Actions workflow of that issuer, in any repository, can assume this role"
            )
        } else {
            format!(
                "the only sub conditions are negated ({}): every repository on GitHub except the excluded ones can assume this role",
                negated.join(", ")
            )
        };
        cx.push(
            NO_SUB,
            Severity::Error,
            at,
            json!({ "Condition": st.condition }).to_string(),
            message,
            format!("add \"StringEquals\": {{\"{sub_key}\": \"repo:OWNER/REPO:ref:refs/heads/main\"}} (or StringLike with repo:OWNER/REPO:ref:refs/tags/*)"),
        );
        return;
    }
    let prod = cx.audit.effective_tier() == Some(Tier::Prod);
    for s in &positive {
        let frag = entry_fragment(s.op, s.entry);
        let values: Vec<String> = s
            .entry
            .values
            .iter()
            .map(|v| v.as_str().into_owned())
            .collect();
        let reaches: Vec<Reach> = values.iter().map(|v| reach(v, s.like)).collect();
        for (v, r) in values.iter().zip(&reaches) {
            if v.contains("${") {
                continue; // HOIST-T017 reports it; its reach is the token's own claim
            }
            if prod && !cx.prod_protected {
                let (any_tag, any_env) = admits_any_tag_or_environment(v, s.like);
                if any_tag || any_env {
                    let what = if any_tag {
                        "every tag"
                    } else {
                        "every environment"
                    };
                    cx.push(
                        PROD_WILDCARD,
                        Severity::Warning,
                        Some((i, st)),
                        frag.clone(),
                        format!("this production role's sub \"{v}\" admits {what} of the repository; without protection anyone who can push can create a tag (or name an environment) and deploy to production"),
                        if any_tag {
                            "protect release tags with a repository tag ruleset (creation, update and deletion restricted to administrators and release automation), then tell the audit protection is configured".to_owned()
                        } else {
                            "trust one named environment (environment:production) with required reviewers and a deployment branch/tag policy".to_owned()
                        },
                    );
                }
            }
            let wide = match r {
                Reach::AllGitHub => Some("every repository on GitHub".to_owned()),
                Reach::OwnerPrefix(p) => Some(format!(
                    "every repository of every owner whose name starts with \"{p}\" (e.g. \"{p}-evil\", which anyone can register)"
                )),
                Reach::Owner(o) => Some(format!(
                    "every repository of \"{o}\", including ones created later and forks' workflows there"
                )),
                Reach::RepoPrefix(p) => Some(format!(
                    "every repository whose name starts with \"{p}\" (e.g. \"{p}-evil\"), not just \"{p}\""
                )),
                _ => None,
            };
            if let Some(who) = wide {
                cx.push(
                    WIDE_SUB,
                    Severity::Error,
                    Some((i, st)),
                    frag.clone(),
                    format!("sub \"{v}\" admits {who}"),
                    "name the repository completely, followed by a colon: repo:OWNER/REPO:ref:refs/heads/main (or :environment:NAME)".to_owned(),
                );
                continue;
            }
            if let (Reach::OneRepo(r), Some(expected)) = (r, &cx.audit.repository) {
                let name_only: String = r
                    .split('/')
                    .map(|p| p.split('@').next().unwrap_or(p))
                    .collect::<Vec<_>>()
                    .join("/");
                if !r.starts_with("repository_id:") && !name_only.eq_ignore_ascii_case(expected) {
                    cx.push(
                        OTHER_REPO,
                        Severity::Warning,
                        Some((i, st)),
                        frag.clone(),
                        format!("sub \"{v}\" names repository \"{name_only}\", but this role is for \"{expected}\""),
                        format!("use repo:{expected}:…"),
                    );
                }
            }
            let a = admits(v, s.like);
            if a.pull_request {
                cx.push(
                    PULL_REQUEST,
                    if prod { Severity::Error } else { Severity::Warning },
                    Some((i, st)),
                    frag.clone(),
                    format!("sub \"{v}\" admits pull_request runs: a pull request's workflow can assume this deploy role"),
                    "trust explicit refs: repo:OWNER/REPO:ref:refs/heads/main (dev) or repo:OWNER/REPO:ref:refs/tags/* (prod)".to_owned(),
                );
            }
            if prod && (a.any_branch || a.some_branch) {
                cx.push(
                    PROD_BRANCHES,
                    Severity::Error,
                    Some((i, st)),
                    frag.clone(),
                    format!("this production role's sub \"{v}\" admits branch runs; anyone who can push a branch can deploy to production"),
                    "trust release tags (repo:OWNER/REPO:ref:refs/tags/*) or a protected environment (repo:OWNER/REPO:environment:production)".to_owned(),
                );
            } else if a.any_branch {
                cx.push(
                    EVERY_BRANCH,
                    Severity::Warning,
                    Some((i, st)),
                    frag.clone(),
                    format!("sub \"{v}\" admits every branch of the repository, not only the deploy branch"),
                    "trust the deploy branch only: repo:OWNER/REPO:ref:refs/heads/main".to_owned(),
                );
            }
        }
        let tight = reaches.iter().any(|r| matches!(r, Reach::OneRepo(_)));
        let wide = reaches.iter().any(Reach::is_wide);
        if tight && wide {
            cx.push(
                MIXED_VALUES,
                Severity::Error,
                Some((i, st)),
                frag,
                "the sub list mixes a one-repository value with a wide one; any one value suffices, so the wide value decides who gets in (and AWS's guardrail only checks the first value)".to_owned(),
                "remove the wide values; list only repo:OWNER/REPO:… subjects".to_owned(),
            );
        }
    }
}

fn check_aud(cx: &mut Ctx<'_>, i: usize, st: &Statement, prefix: &str) {
    let aud_key = format!("{prefix}:aud");
    let expected = cx.audit.expected_audience.clone();
    let mut any = false;
    let mut matched = false;
    let mut frags = Vec::new();
    for (op_name, entry) in st.condition.entries_for_key(&aud_key) {
        let Ok(op) = parse_operator(op_name) else {
            continue;
        };
        if op.base.is_negated() {
            continue;
        }
        any = true;
        frags.push(entry_fragment(op_name, entry));
        for v in entry.values.iter() {
            let v = v.as_str();
            let hit = match op.base {
                BaseOperator::StringLike => glob_match(&v, &expected, false),
                BaseOperator::StringEqualsIgnoreCase => v.to_lowercase() == expected.to_lowercase(),
                _ => v == expected,
            };
            matched |= hit;
        }
    }
    if !any {
        cx.push(
            AUDIENCE,
            Severity::Warning,
            Some((i, st)),
            json!({ "Condition": st.condition }).to_string(),
            format!("no condition on {aud_key}; tokens minted for other audiences are accepted if the provider lists them"),
            format!("add \"StringEquals\": {{\"{aud_key}\": \"{expected}\"}}"),
        );
    } else if !matched {
        cx.push(
            AUDIENCE,
            Severity::Error,
            Some((i, st)),
            frags.join(" "),
            format!("the aud condition does not admit \"{expected}\", the audience the workflow's tokens carry; every assume attempt will be denied"),
            format!("set {aud_key} to \"{expected}\""),
        );
    }
}

/// The finding for a role whose trust policy cannot be read.
pub(crate) fn unparseable(source: &str, error: &crate::model::PolicyParseError) -> Finding {
    Finding {
        rule: UNPARSEABLE.0,
        name: UNPARSEABLE.1,
        severity: Severity::Error,
        statement: None,
        sid: None,
        fragment: source.to_owned(),
        message: format!("the trust policy cannot be read, so who can assume the role is unknown: {error}"),
        fix: "rewrite the trust policy so that it parses (one key per name, known elements), then audit again".to_owned(),
    }
}
