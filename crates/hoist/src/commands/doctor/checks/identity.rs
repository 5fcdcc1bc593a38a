//! The OIDC provider, each environment's role trust, and the GitHub secrets naming the roles
//! (the guide's "Not authorized to perform sts:AssumeRoleWithWebIdentity").

use hoist_config::{Environment, SubjectFormat, Tier};
use hoist_policy::github::GitHubRepo;
use hoist_policy::{AuditContext, PolicyDocument, Severity};

use super::super::check::{CheckResult, Fix};
use super::super::context::Ctx;

pub(crate) async fn provider(ctx: &Ctx<'_>) -> CheckResult {
    const NAME: &str = "oidc-provider";
    let Some(arn) = ctx.provider_arn() else {
        return CheckResult::fail(
            NAME,
            "the account id is unknown (no credentials?), so the provider cannot be looked up",
        )
        .fix(Fix::Manual(
            "sign in: `aws sso login --profile PROFILE`, or set account_id in hoist.toml".into(),
        ));
    };
    let iam = hoist_aws::iam::Iam::new(&ctx.aws);
    let audience = &ctx.config.oidc.audience;
    match iam.get_oidc_provider(&arn).await {
        Err(e) => CheckResult::fail(
            NAME,
            format!("cannot read the provider: {}", crate::hints::chain(&e)),
        ),
        Ok(None) => CheckResult::fail(NAME, format!("no OIDC provider {arn}")).fix(Fix::Manual(
            "create it with `hoist bootstrap --apply`".into(),
        )),
        Ok(Some(p)) => {
            let want_url = ctx.config.oidc.provider_host();
            let url = p.url.trim_start_matches("https://");
            let evidence = format!(
                "provider {arn}: url {url}, client ids (audiences) [{}]",
                p.client_ids.join(", ")
            );
            if url != want_url {
                CheckResult::fail(
                    NAME,
                    format!("the provider's URL is {url}, hoist.toml says {want_url}"),
                )
                .evidence(evidence)
                .fix(Fix::Manual(
                    "recreate the provider with `hoist bootstrap --apply`".into(),
                ))
            } else if !p.client_ids.iter().any(|c| c == audience) {
                CheckResult::fail(NAME, format!("the provider does not accept audience {audience}: STS will refuse every GitHub token"))
                    .evidence(evidence)
                    .fix(Fix::AddProviderAudience { provider_arn: arn, audience: audience.clone() })
            } else {
                CheckResult::ok(NAME, format!("{want_url} with audience {audience}"))
                    .evidence(evidence)
            }
        }
    }
}

fn github_repo(ctx: &Ctx<'_>) -> GitHubRepo {
    let c = ctx.config;
    let repo = GitHubRepo::new(&c.repository.owner, &c.repository.name);
    match (
        c.subject_format,
        c.repository.owner_id,
        c.repository.repository_id,
    ) {
        (SubjectFormat::Id, Some(o), Some(r)) => repo.with_ids(o, r),
        _ => repo,
    }
}

/// The trust policy hoist.toml implies for `env` (what bootstrap writes).
pub(crate) fn desired_trust(
    ctx: &Ctx<'_>,
    env: &Environment,
    provider_arn: &str,
) -> PolicyDocument {
    let sub = format!(
        "{}:{}",
        github_repo(ctx).subject_prefix(),
        env.trigger.subject_suffix()
    );
    hoist_policy::github_trust_policy(provider_arn, &[sub], &ctx.config.oidc.audience)
}

pub(crate) async fn role_trust(ctx: &Ctx<'_>, env: &Environment) -> CheckResult {
    let name = format!("{}/role-trust", env.name);
    let Some(provider_arn) = ctx.provider_arn() else {
        return CheckResult::skip(name, "the account id is unknown");
    };
    let iam = hoist_aws::iam::Iam::new(&ctx.aws);
    let role = match iam.get_role(&env.role).await {
        Err(e) => return CheckResult::fail(name, format!("cannot read role {}: {e}", env.role)),
        Ok(None) => {
            return CheckResult::fail(name, format!("role {} does not exist", env.role)).fix(
                Fix::Manual("create it with `hoist bootstrap --apply`".into()),
            );
        }
        Ok(Some(r)) => r,
    };
    let desired = desired_trust(ctx, env, &provider_arn);
    let actual = match PolicyDocument::parse(&role.trust_policy) {
        Ok(p) => p,
        Err(e) => {
            return CheckResult::fail(
                name,
                format!("role {}'s trust policy does not parse: {e}", env.role),
            );
        }
    };
    let ctx_audit = AuditContext {
        role_name: Some(env.role.clone()),
        tier: Some(match env.tier {
            Tier::Dev => hoist_policy::Tier::Dev,
            Tier::Prod => hoist_policy::Tier::Prod,
        }),
        repository: Some(ctx.config.repository.full_name()),
        expected_provider_arn: Some(provider_arn.clone()),
        expected_audience: ctx.config.oidc.audience.clone(),
    };
    let findings = hoist_policy::audit(&actual, &ctx_audit);
    let fix = Fix::UpdateTrust {
        role: env.role.clone(),
        document: desired.to_json(),
    };
    if !PolicyDocument::semantically_equal(&actual, &desired) {
        let before = serde_json::to_string_pretty(&actual.normalized()).unwrap_or_default();
        let after = serde_json::to_string_pretty(&desired.normalized()).unwrap_or_default();
        let diff = hoist_plan::unified_diff_headed(
            &before,
            &after,
            &format!("role {} (in IAM)", env.role),
            &format!("role {} (from hoist.toml)", env.role),
        );
        let mut r = CheckResult::fail(
            name,
            format!(
                "role {}'s trust differs from what hoist.toml implies ({})",
                env.role, env.trigger
            ),
        )
        .evidence(diff.trim_end().to_owned());
        for f in findings.iter().filter(|f| f.severity == Severity::Error) {
            r = r.evidence(format!("audit {} {}: {}", f.rule, f.name, f.message));
        }
        return r.fix(fix);
    }
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let mut r = CheckResult::fail(name, format!("role {}'s trust fails the audit", env.role));
        for f in errors {
            r = r.evidence(format!(
                "{} {}: {} (fix: {})",
                f.rule, f.name, f.message, f.fix
            ));
        }
        return r.fix(fix);
    }
    let mut r = CheckResult::ok(
        name,
        format!("role {} trusts exactly {}", env.role, env.trigger),
    );
    for f in findings.iter().filter(|f| f.severity == Severity::Warning) {
        r = r.evidence(format!(
            "audit warning {} {}: {}",
            f.rule, f.name, f.message
        ));
    }
    r
}

/// `AWS_ROLE_ARN_<ENV>` per environment: present, and written after the role was created.
/// Values cannot be read back through the API, so that is all that can be checked.
pub(crate) async fn github_secrets(ctx: &Ctx<'_>, envs: &[&Environment]) -> CheckResult {
    const NAME: &str = "github-secrets";
    let github = match crate::github::required("reading the names of the GitHub secrets") {
        Ok(g) => g,
        Err(_) => {
            return CheckResult::skip(
                NAME,
                "GITHUB_TOKEN is not set: the repository's secret names cannot be listed",
            );
        }
    };
    let repo = ctx.config.repository.full_name();
    let secrets = match github.list_secrets(&repo).await {
        Ok(s) => s,
        Err(e) => {
            return CheckResult::fail(
                NAME,
                format!(
                    "cannot list the secrets of {repo}: {}",
                    crate::hints::chain(&e)
                ),
            );
        }
    };
    let iam = hoist_aws::iam::Iam::new(&ctx.aws);
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    let mut evidence = Vec::new();
    for env in envs {
        let secret = env.role_arn_secret_name();
        match secrets.iter().find(|s| s.name == secret) {
            None => missing.push(secret),
            Some(s) => {
                let created = iam
                    .get_role(&env.role)
                    .await
                    .ok()
                    .flatten()
                    .map(|r| r.create_date);
                match created {
                    Some(c) if s.updated_at.get(..19) < c.get(..19) => {
                        stale.push(format!(
                            "{secret} (updated {}, role {} created {c})",
                            s.updated_at, env.role
                        ));
                    }
                    Some(c) => evidence.push(format!(
                        "{secret}: updated {} ≥ role {} created {c}",
                        s.updated_at, env.role
                    )),
                    None => evidence.push(format!(
                        "{secret}: updated {} (role {} not found)",
                        s.updated_at, env.role
                    )),
                }
            }
        }
    }
    let checked = "checked: the secret exists and was updated after the role was created (GitHub never returns secret values)";
    if !missing.is_empty() {
        let mut r = CheckResult::fail(NAME, format!("{repo} lacks {}", missing.join(", ")))
            .evidence(checked);
        for e in evidence {
            r = r.evidence(e);
        }
        return r.fix(Fix::Manual(
            "`hoist bootstrap --apply` with GITHUB_TOKEN set writes them".into(),
        ));
    }
    if !stale.is_empty() {
        return CheckResult::warn(
            NAME,
            format!(
                "older than their role, so they may name a deleted role: {}",
                stale.join("; ")
            ),
        )
        .evidence(checked)
        .fix(Fix::Manual(
            "rewrite them: `hoist bootstrap --apply` (it rewrites secrets that predate their role)"
                .into(),
        ));
    }
    let mut r = CheckResult::ok(
        NAME,
        format!(
            "{} present in {repo}",
            envs.iter()
                .map(|e| e.role_arn_secret_name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .evidence(checked);
    for e in evidence {
        r = r.evidence(e);
    }
    r
}
