//! hoist.toml → the desired state: provider, roles with their trust and permission policies,
//! the legacy ECR user, GitHub secrets and variables. Every trust policy is checked against
//! AWS's guardrail and hoist's audit before anything is read from AWS.

use std::collections::BTreeMap;

use hoist_config::{Config, Environment, Permissions, SubjectFormat, Tier};
use hoist_plan::bootstrap::{
    Desired, DesiredGithub, DesiredProvider, DesiredRole, DesiredSecret, DesiredUser,
    RolePermissions,
};
use hoist_policy::github::GitHubRepo;
use hoist_policy::{AuditContext, DeployScope, PolicyDocument, Severity};

use crate::exit::BadInput;

/// The managed policy `--admin` attaches.
pub(super) const ADMIN_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// The inline policy holding a deploy role's generated permissions.
pub(super) const DEPLOY_POLICY_NAME: &str = "hoist-deploy";
/// The inline policy of the image-push role.
pub(super) const PUSH_POLICY_NAME: &str = "hoist-ecr-push";
/// The inline policy name the ECR guide gives its IAM user.
pub(super) const LEGACY_USER_POLICY_NAME: &str = "ecr-push-policy";

/// What the command line adds to hoist.toml.
pub(super) struct Options<'a> {
    pub(super) account_id: &'a str,
    pub(super) admin: bool,
    pub(super) legacy_ecr_user: Option<String>,
    /// `Some` when a GitHub token is available.
    pub(super) github: Option<GithubOptions>,
}

pub(super) struct GithubOptions {
    pub(super) rewrite_secrets: bool,
}

/// `arn:aws:iam::ACCOUNT:oidc-provider/HOST`.
pub(super) fn provider_arn(config: &Config, account_id: &str) -> String {
    format!(
        "arn:aws:iam::{account_id}:oidc-provider/{}",
        config.oidc.provider_host()
    )
}

pub(super) fn role_arn(account_id: &str, role: &str) -> String {
    format!("arn:aws:iam::{account_id}:role/{role}")
}

fn github_repo(config: &Config) -> GitHubRepo {
    let repo = GitHubRepo::new(&config.repository.owner, &config.repository.name);
    match (
        config.subject_format,
        config.repository.owner_id,
        config.repository.repository_id,
    ) {
        (SubjectFormat::Id, Some(owner_id), Some(repo_id)) => repo.with_ids(owner_id, repo_id),
        _ => repo,
    }
}

/// `repo:OWNER/REPO:` + the trigger (or the ID-based form).
pub(super) fn subject(config: &Config, env: &Environment) -> String {
    format!(
        "{}:{}",
        github_repo(config).subject_prefix(),
        env.trigger.subject_suffix()
    )
}

fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Dev => "dev",
        Tier::Prod => "prod",
    }
}

/// Drops statements with an empty list anywhere (`Resource: []`, a condition on no values):
/// a policy for an environment without a stack has no stack to grant, and IAM refuses empty
/// lists.
fn without_empty_statements(mut doc: PolicyDocument) -> PolicyDocument {
    fn has_empty_list(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Array(a) => a.is_empty() || a.iter().any(has_empty_list),
            serde_json::Value::Object(m) => m.values().any(has_empty_list),
            _ => false,
        }
    }
    doc.statements
        .retain(|s| !serde_json::to_value(s).is_ok_and(|v| has_empty_list(&v)));
    doc
}

/// Refuses a trust policy AWS's guardrail would reject or hoist's audit finds an error in.
fn check_trust(
    config: &Config,
    role: &str,
    tier: Tier,
    provider_arn: &str,
    trust: &PolicyDocument,
) -> anyhow::Result<()> {
    if let Some(violation) = hoist_policy::guardrail_violation(trust) {
        return Err(BadInput::new(format!(
            "the trust policy hoist would write for role {role} fails AWS's guardrail: {violation}"
        ))
        .hint("check the environment's trigger in hoist.toml")
        .into());
    }
    let ctx = AuditContext {
        role_name: Some(role.to_owned()),
        tier: Some(match tier {
            Tier::Dev => hoist_policy::Tier::Dev,
            Tier::Prod => hoist_policy::Tier::Prod,
        }),
        repository: Some(config.repository.full_name()),
        expected_provider_arn: Some(provider_arn.to_owned()),
        expected_audience: config.oidc.audience.clone(),
    };
    let errors: Vec<String> = hoist_policy::audit(trust, &ctx)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}: {}", f.rule, f.name, f.message))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BadInput::new(format!(
            "the trust policy hoist would write for role {role} fails the audit:\n  {}",
            errors.join("\n  ")
        ))
        .hint("check the environment's trigger in hoist.toml")
        .into())
    }
}

fn deploy_permissions(config: &Config, env: &Environment, account_id: &str) -> PolicyDocument {
    let stacks: Vec<&str> = env.stack.as_deref().into_iter().collect();
    let mut scope = DeployScope::new(&config.aws.region, &stacks);
    scope.account_id = Some(account_id.to_owned());
    if let Some(images) = &config.images {
        scope.ecr_repositories = image_repositories(images);
    }
    without_empty_statements(hoist_policy::deploy_permissions_policy(&scope))
}

/// The ECR repositories the images workflow pushes to: one per listed service, or the naming
/// rule with `*` for the service when the services are not listed.
fn image_repositories(images: &hoist_config::Images) -> Vec<String> {
    match &images.services {
        Some(services) => services.iter().map(|s| images.repository_for(s)).collect(),
        None => vec![images.repository_for("*")],
    }
}

fn base_tags(config: &Config) -> BTreeMap<String, String> {
    BTreeMap::from([("hoist:repository".to_owned(), config.repository.full_name())])
}

pub(super) fn desired(config: &Config, opts: &Options<'_>) -> anyhow::Result<Desired> {
    let provider_arn = provider_arn(config, opts.account_id);
    let admin = opts.admin || config.permissions == Permissions::Admin;
    let mut roles = Vec::new();
    for env in &config.environments {
        let sub = subject(config, env);
        let trust = hoist_policy::github_trust_policy(
            &provider_arn,
            std::slice::from_ref(&sub),
            &config.oidc.audience,
        );
        check_trust(config, &env.role, env.tier, &provider_arn, &trust)?;
        let mut tags = base_tags(config);
        tags.insert("hoist:environment".to_owned(), env.name.clone());
        tags.insert("hoist:tier".to_owned(), tier_name(env.tier).to_owned());
        let permissions = if admin {
            RolePermissions::Managed {
                arn: ADMIN_POLICY_ARN.to_owned(),
            }
        } else {
            RolePermissions::Inline {
                name: DEPLOY_POLICY_NAME.to_owned(),
                document: deploy_permissions(config, env, opts.account_id),
            }
        };
        roles.push(DesiredRole {
            name: env.role.clone(),
            purpose: format!(
                "environment {} (tier {}), assumed by {sub}",
                env.name,
                tier_name(env.tier)
            ),
            description: format!(
                "hoist: GitHub Actions deploy role for environment {} of {}",
                env.name,
                config.repository.full_name()
            ),
            trust,
            max_session_duration: config.max_session_duration,
            tags,
            permissions,
            owned_inline: vec![DEPLOY_POLICY_NAME.to_owned()],
            owned_managed: vec![ADMIN_POLICY_ARN.to_owned()],
        });
    }
    if let Some(images) = &config.images
        && let Some(push_role) = &images.push_role
    {
        let sub = format!(
            "{}:ref:refs/heads/{}",
            github_repo(config).subject_prefix(),
            images.push_branch
        );
        let trust = hoist_policy::github_trust_policy(
            &provider_arn,
            std::slice::from_ref(&sub),
            &config.oidc.audience,
        );
        check_trust(config, push_role, Tier::Dev, &provider_arn, &trust)?;
        let mut tags = base_tags(config);
        tags.insert("hoist:purpose".to_owned(), "image-push".to_owned());
        tags.insert("hoist:tier".to_owned(), "dev".to_owned());
        let document = hoist_policy::ecr_push_policy(
            Some(opts.account_id),
            &config.aws.region,
            &image_repositories(images),
        );
        roles.push(DesiredRole {
            name: push_role.clone(),
            purpose: format!("image push, assumed by {sub}"),
            description: format!(
                "hoist: GitHub Actions ECR image-push role of {}",
                config.repository.full_name()
            ),
            trust,
            max_session_duration: config.max_session_duration,
            tags,
            permissions: RolePermissions::Inline {
                name: PUSH_POLICY_NAME.to_owned(),
                document,
            },
            owned_inline: vec![PUSH_POLICY_NAME.to_owned()],
            owned_managed: Vec::new(),
        });
    }
    let user = opts.legacy_ecr_user.as_ref().map(|name| DesiredUser {
        name: name.clone(),
        policy_name: LEGACY_USER_POLICY_NAME.to_owned(),
        policy: hoist_policy::legacy_ecr_user_policy(),
    });
    let github = opts.github.as_ref().map(|g| DesiredGithub {
        repository: config.repository.full_name(),
        secrets: role_secrets(config, opts.account_id)
            .into_iter()
            .map(|(name, role, arn)| {
                (
                    name,
                    DesiredSecret {
                        value: arn,
                        description: format!("ARN of role {role}"),
                    },
                )
            })
            .collect(),
        variables: config.variables.clone(),
        rewrite_secrets: g.rewrite_secrets,
    });
    Ok(Desired {
        provider: DesiredProvider {
            arn: provider_arn,
            url: config.oidc.provider_url.clone(),
            audience: config.oidc.audience.clone(),
        },
        roles,
        user,
        github,
    })
}

/// `(secret name, role, role ARN)` per environment.
pub(super) fn role_secrets(config: &Config, account_id: &str) -> Vec<(String, String, String)> {
    config
        .environments
        .iter()
        .map(|e| {
            (
                e.role_arn_secret_name(),
                e.role.clone(),
                role_arn(account_id, &e.role),
            )
        })
        .collect()
}
