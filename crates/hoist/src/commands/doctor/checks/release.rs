//! "Prod only from releases" and the CDK execution role, checked where they are enforced:
//! - tag-triggered prod: an active tag ruleset restricts creating, moving and deleting the
//!   trusted tags to admins (`GET …/rulesets`), else any writer can push a tag and deploy;
//! - environment-triggered prod: the GitHub environment has required reviewers and a
//!   deployment branch/tag policy (`GET …/environments/{name}`);
//! - CDK: the bootstrap's CloudFormation execution role does not hold AdministratorAccess
//!   (CDK's default), which would make every role that may deploy an account admin.
//!
//! GitHub checks need `GITHUB_TOKEN` (repository Administration: read); without it they are
//! skipped with that reason.

use hoist_config::{DeploySource, Environment, Tier, Trigger};
use hoist_github::{GithubClient, GithubToken};

use super::super::check::{CheckResult, Fix};
use super::super::context::Ctx;
use crate::env_vars;

const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn github() -> Option<GithubClient> {
    let token = env_vars::get(env_vars::GITHUB_TOKEN)?;
    let url = env_vars::get(env_vars::GITHUB_API_URL)
        .unwrap_or_else(|| hoist_github::DEFAULT_API_URL.to_owned());
    GithubClient::new(&url, GithubToken::new(token)).ok()
}

/// The release protection of a prod environment; `None` for dev environments.
pub(crate) async fn prod_protection(ctx: &Ctx<'_>, env: &Environment) -> Option<CheckResult> {
    if env.tier != Tier::Prod {
        return None;
    }
    let name = format!("prod-releases:{}", env.name);
    let repo = ctx.config.repository.full_name();
    let Some(client) = github() else {
        return Some(CheckResult::skip(
            name,
            "GITHUB_TOKEN is not set: cannot read the repository's rulesets or environments",
        ));
    };
    Some(match &env.trigger {
        Trigger::Tag(pattern) => tag_rulesets(&client, &repo, pattern, &name).await,
        Trigger::GithubEnvironment(e) => environment(&client, &repo, e, &name).await,
        Trigger::Branch(b) => CheckResult::warn(
            name,
            format!("prod deploys on every push to branch {b}, not from releases"),
        )
        .fix(Fix::Manual(
            "trigger prod with tags (tag = \"v*\") or a GitHub environment with reviewers in hoist.toml, then `hoist bootstrap --apply`".into(),
        )),
    })
}

async fn tag_rulesets(client: &GithubClient, repo: &str, pattern: &str, name: &str) -> CheckResult {
    let fix = Fix::Manual(format!(
        "`GITHUB_TOKEN=… hoist bootstrap --apply` creates ruleset \"{}\" (tags refs/tags/{pattern}: creation, update and deletion by admins only)",
        hoist_plan::bootstrap::DesiredTagRuleset::name_for(pattern)
    ));
    match client.rulesets(repo).await {
        Err(e) => {
            CheckResult::fail(name, format!("cannot read the rulesets of {repo}: {e}")).fix(fix)
        }
        Ok(rulesets) => {
            if let Some(r) = rulesets
                .iter()
                .find(|r| r.tag_protection_gap(pattern).is_none())
            {
                return CheckResult::ok(
                    name,
                    format!(
                        "tags {pattern} can only be created, moved or deleted by admins (ruleset {})",
                        r.name
                    ),
                );
            }
            let mut result = CheckResult::fail(
                name,
                format!(
                    "any writer of {repo} can push a tag matching {pattern} and so deploy prod"
                ),
            );
            for r in rulesets.iter().filter(|r| r.target == "tag") {
                if let Some(gap) = r.tag_protection_gap(pattern) {
                    result = result.evidence(format!("ruleset {}: {gap}", r.name));
                }
            }
            result.fix(fix)
        }
    }
}

async fn environment(client: &GithubClient, repo: &str, env: &str, name: &str) -> CheckResult {
    let fix = Fix::Manual(format!(
        "in {repo} → Settings → Environments → {env}: add required reviewers and limit deployments to protected branches or to release tags"
    ));
    let protection = match client.environment(repo, env).await {
        Err(e) => {
            return CheckResult::fail(name, format!("cannot read environment {env}: {e}")).fix(fix);
        }
        Ok(None) => {
            return CheckResult::fail(
                name,
                format!(
                    "{repo} has no environment {env}: GitHub creates it unprotected on first use"
                ),
            )
            .fix(fix);
        }
        Ok(Some(p)) => p,
    };
    let mut gaps = Vec::new();
    if protection.reviewers == 0 {
        gaps.push("no required reviewers".to_owned());
    }
    match &protection.branch_policy {
        None => gaps.push("any branch or tag may deploy to it".to_owned()),
        Some(p) if p.custom_branch_policies => {
            match client.deployment_ref_policies(repo, env).await {
                Ok(list) if list.is_empty() => {
                    gaps.push(
                        "custom deployment policies are on but list no branch or tag".to_owned(),
                    );
                }
                Ok(_) => {}
                Err(e) => gaps.push(format!("cannot read its deployment policies: {e}")),
            }
        }
        Some(_) => {}
    }
    if gaps.is_empty() {
        CheckResult::ok(
            name,
            format!(
                "environment {env} needs {} reviewer(s) and limits the refs that deploy",
                protection.reviewers
            ),
        )
    } else {
        CheckResult::fail(name, format!("environment {env}: {}", gaps.join("; "))).fix(fix)
    }
}

/// The CDK bootstrap's CloudFormation execution role of `[aws] cdk_qualifier`.
pub(crate) async fn cdk_execution_role(
    ctx: &Ctx<'_>,
    envs: &[&Environment],
) -> Option<CheckResult> {
    const NAME: &str = "cdk-execution-role";
    if !envs.iter().any(|e| {
        matches!(
            e.deploy,
            Some(DeploySource::CdkOut(_) | DeploySource::CdkApp(_))
        )
    }) {
        return None;
    }
    let account = ctx.account_id.clone()?;
    let q = &ctx.place.cdk_qualifier;
    let region = &ctx.place.region;
    let role = format!("cdk-{q}-cfn-exec-role-{account}-{region}");
    let iam = hoist_aws::iam::Iam::new(&ctx.aws);
    Some(match iam.list_attached_role_policies(&role).await {
        Err(e) if e.code() == Some("NoSuchEntity") => {
            CheckResult::skip(NAME, format!("{role} does not exist (see cdk-bootstrap)"))
        }
        Err(e) => CheckResult::fail(NAME, format!("cannot read {role}: {e}")),
        Ok(attached) if attached.contains(ADMIN_POLICY) => CheckResult::fail(
            NAME,
            format!("{role} has AdministratorAccess: any role that may deploy CDK stacks is an account admin"),
        )
        .fix(Fix::Manual(cdk_bootstrap_line(&account, region, q))),
        Ok(_) => CheckResult::ok(NAME, format!("{role} does not hold AdministratorAccess")),
    })
}

/// The `cdk bootstrap` line that replaces AdministratorAccess with hoist's generated
/// execution policy and boundary (customer managed policies named after the qualifier).
pub(crate) fn cdk_bootstrap_line(account: &str, region: &str, qualifier: &str) -> String {
    let partition = hoist_policy::generate::partition_for_region(region);
    format!(
        "create the policies hoist generates (`hoist bootstrap --apply`), then `npx aws-cdk bootstrap aws://{account}/{region} --qualifier {qualifier} --cloudformation-execution-policies arn:{partition}:iam::{account}:policy/hoist-cdk-exec-{qualifier} --custom-permissions-boundary hoist-cdk-boundary-{qualifier}`; in the app, set the context @aws-cdk/core:permissionsBoundary to {{\"name\": \"hoist-cdk-boundary-{qualifier}\"}} so its roles carry it, and put every role under the path /hoist-cdk-boundary-{qualifier}/ (an Aspect setting `path` on each CfnRole): the generated execution policy passes and re-trusts only roles there"
    )
}
