//! Carries out exactly the operations of the plan that was shown.

use hoist_aws::iam::{Iam, NewRole};
use hoist_github::{GithubClient, Ruleset, SecretValue};
use hoist_plan::bootstrap::{BootstrapPlan, Op};

use super::accounts::AccountPlan;
use super::failure::Failure;
use crate::printer::Printer;

/// Without `apply`, nothing (`None`): the plans were only shown. With it, each account's plan
/// in turn (shown first), the number of operations done in each.
pub(super) async fn accounts(
    planned: &[AccountPlan],
    apply: bool,
    several: bool,
    github: Option<(&GithubClient, &str)>,
    printer: &Printer,
) -> anyhow::Result<Option<Vec<usize>>> {
    if !apply {
        return Ok(None);
    }
    if !printer.json() {
        for p in planned {
            if several {
                printer.out(&format!("account {} ({}):", p.account_id, p.region));
            }
            printer.out(&p.plan.render_human());
        }
    }
    let mut applied = Vec::new();
    for p in planned {
        let n = run_plan(&p.plan, &p.iam, github, |line| {
            printer.info(&format!("done: {line}"));
        })
        .await
        .map_err(Failure::into_error)?;
        applied.push(n);
    }
    Ok(Some(applied))
}

/// Runs every operation in plan order; `report` is called after each with its description.
async fn run_plan(
    plan: &BootstrapPlan,
    iam: &Iam,
    github: Option<(&GithubClient, &str)>,
    mut report: impl FnMut(&str),
) -> Result<usize, Failure> {
    let mut done = 0;
    for op in plan.operations() {
        run(op, iam, github).await?;
        report(&op.describe());
        done += 1;
    }
    Ok(done)
}

async fn run(op: &Op, iam: &Iam, github: Option<(&GithubClient, &str)>) -> Result<(), Failure> {
    match op {
        Op::CreateOidcProvider { url, client_ids } => {
            // No thumbprints: IAM validates GitHub's certificate with its trusted CAs.
            iam.create_oidc_provider(url, client_ids, &[]).await?;
        }
        Op::AddProviderClientId {
            provider_arn,
            client_id,
        } => {
            iam.add_client_id_to_oidc_provider(provider_arn, client_id)
                .await?
        }
        Op::CreateRole {
            name,
            description,
            trust_policy,
            max_session_duration,
            tags,
            permissions_boundary,
        } => {
            let role = NewRole {
                name,
                description,
                trust_policy,
                max_session_duration: *max_session_duration,
                tags,
                permissions_boundary: permissions_boundary.as_deref(),
            };
            iam.create_role(&role).await?;
        }
        Op::PutRolePermissionsBoundary { role, policy_arn } => {
            iam.put_role_permissions_boundary(role, policy_arn).await?
        }
        Op::CreateManagedPolicy {
            name,
            description,
            document,
        } => {
            iam.create_managed_policy(name, description, document)
                .await?;
        }
        Op::DeletePolicyVersion {
            policy_arn,
            version_id,
        } => iam.delete_policy_version(policy_arn, version_id).await?,
        Op::CreatePolicyVersion {
            policy_arn,
            document,
        } => iam.create_policy_version(policy_arn, document).await?,
        Op::UpdateTrustPolicy { role, trust_policy } => {
            iam.update_assume_role_policy(role, trust_policy).await?
        }
        Op::SetMaxSessionDuration { role, seconds } => {
            iam.set_max_session_duration(role, *seconds).await?
        }
        Op::TagRole { role, tags } => iam.tag_role(role, tags).await?,
        Op::PutRolePolicy {
            role,
            policy_name,
            document,
        } => iam.put_role_policy(role, policy_name, document).await?,
        Op::DeleteRolePolicy { role, policy_name } => {
            iam.delete_role_policy(role, policy_name).await?
        }
        Op::AttachRolePolicy { role, policy_arn } => {
            iam.attach_role_policy(role, policy_arn).await?
        }
        Op::DetachRolePolicy { role, policy_arn } => {
            iam.detach_role_policy(role, policy_arn).await?
        }
        Op::CreateUser { name } => {
            iam.create_user(name).await?;
        }
        Op::PutUserPolicy {
            user,
            policy_name,
            document,
        } => iam.put_user_policy(user, policy_name, document).await?,
        Op::SetGithubSecret { name, value } => {
            let (client, repo) = github.ok_or(Failure::NoGithub)?;
            client
                .put_secret(repo, name, &SecretValue::new(value.clone()))
                .await?;
        }
        Op::PutTagRuleset { id, name, pattern } => {
            let (client, repo) = github.ok_or(Failure::NoGithub)?;
            client
                .put_ruleset(repo, *id, &Ruleset::for_release_tags(name, pattern))
                .await?;
        }
        Op::SetGithubVariable { name, value, .. } => {
            let (client, repo) = github.ok_or(Failure::NoGithub)?;
            client.set_variable(repo, name, value).await?;
        }
    }
    Ok(())
}
