//! hoist.toml → the desired state: provider, roles with their trust and permission policies,
//! the legacy ECR user, GitHub secrets and variables. Every trust policy is checked against
//! AWS's guardrail and hoist's audit before anything is read from AWS.
//!
//! Permission model (least privilege): a deploy role never mutates IAM. A CDK environment's
//! role may only assume the CDK bootstrap roles of `[aws] cdk_qualifier`. A template
//! environment gets a CloudFormation execution role (`ROLE-CfnExec`, trusted by CloudFormation
//! only) whose policy is generated from the template's resource types, capped — with every
//! role it creates — by a permissions boundary (`ROLE-Boundary`); the deploy role may only pass
//! that execution role to CloudFormation.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hoist_config::{Config, DeploySource, Environment, Permissions, SubjectFormat, Tier, Trigger};
use hoist_plan::bootstrap::{
    Desired, DesiredGithub, DesiredManagedPolicy, DesiredProvider, DesiredRole, DesiredSecret,
    DesiredTagRuleset, DesiredUser, RolePermissions,
};
use hoist_policy::github::GitHubRepo;
use hoist_policy::{AuditContext, DeployScope, PolicyDocument, Severity};

use crate::exit::BadInput;

/// The managed policy `--admin` attaches.
pub(super) const ADMIN_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// The inline policy holding a deploy role's generated permissions.
pub(super) const DEPLOY_POLICY_NAME: &str = "hoist-deploy";
/// The inline policy of a CloudFormation execution role.
pub(super) const EXECUTION_POLICY_NAME: &str = "hoist-cfn-execution";
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
    /// The directory hoist.toml is in (template paths are relative to it).
    pub(super) base_dir: PathBuf,
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

/// The CloudFormation execution role of a template environment.
pub(super) fn execution_role_name(env: &Environment) -> String {
    env.execution_role_name()
}

/// The permissions boundary (customer managed policy) of a template environment.
pub(super) fn boundary_name(env: &Environment) -> String {
    env.boundary_policy_name()
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

fn scope(config: &Config, env: &Environment, account_id: &str) -> anyhow::Result<DeployScope> {
    let stacks: Vec<&str> = env.stack.as_deref().into_iter().collect();
    let mut scope = DeployScope::new(&config.aws.region, &stacks);
    scope.account_id = Some(account_id.to_owned());
    scope.cdk_qualifier = config.aws.cdk_qualifier.clone();
    if let Some(images) = &config.images {
        scope.ecr_repositories = image_repositories(images)?;
    }
    if matches!(env.deploy, Some(DeploySource::Template(_))) {
        scope = scope.template(&execution_role_name(env));
    }
    Ok(scope)
}

fn deploy_permissions(scope: &DeployScope) -> PolicyDocument {
    without_empty_statements(hoist_policy::deploy_permissions_policy(scope))
}

/// The ECR repositories the images workflow pushes to: one per listed service, or the naming
/// rule with `*` for the service when the services are not listed — refused when that leaves
/// no fixed part (`repository/*` would reach every repository of the account).
fn image_repositories(images: &hoist_config::Images) -> anyhow::Result<Vec<String>> {
    let repos = match &images.services {
        Some(services) => services.iter().map(|s| images.repository_for(s)).collect(),
        None => vec![images.repository_for("*")],
    };
    if let Some(r) = repos.iter().find(|r| r.starts_with('*')) {
        return Err(BadInput::new(format!(
            "[images] repository {:?} gives push permissions on {r:?}, which would reach every ECR repository of the account",
            images.repository
        ))
        .hint("list the services (services = [\"api\", …]) or give the repository a fixed prefix, such as \"hindsight-{service}\"")
        .into());
    }
    Ok(repos)
}

/// Secrets Manager ARNs that hoist.toml passes as template parameters and the template
/// echoes in a synced secret's output (bring-your-own secrets): the secret sync writes them,
/// so the deploy role may, on exactly those ARNs. A parameter left empty, or holding
/// something other than a secret's ARN, adds nothing (the template creates the secret).
fn synced_parameter_secrets(
    env: &Environment,
    path: &str,
    opts: &Options<'_>,
) -> anyhow::Result<Vec<String>> {
    let file = opts.base_dir.join(path);
    let template = std::fs::read_to_string(&file)
        .map_err(|e| BadInput::new(format!("cannot read the template {}: {e}", file.display())))?;
    let mut arns = Vec::new();
    for secret in &env.secrets {
        let params = hoist_deploy::outputs::parameters_of_output(&template, &secret.output)
            .map_err(|e| {
                BadInput::new(format!(
                    "{} is not a CloudFormation template: {e}",
                    file.display()
                ))
            })?;
        for p in params {
            if let Some(v) = env.parameters.get(&p)
                && v.starts_with("arn:")
                && v.split(':').nth(2) == Some("secretsmanager")
                && !arns.contains(v)
            {
                arns.push(v.clone());
            }
        }
    }
    Ok(arns)
}

/// The resource types of a JSON or YAML template (YAML's short-form tags such as `!Ref` are
/// kept as tagged values and never read).
fn template_types(text: &str) -> Result<Vec<String>, String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        return hoist_policy::generate::execution::resource_types(&v.to_string())
            .map_err(|e| e.to_string());
    }
    let v: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let resources = v
        .get("Resources")
        .and_then(serde_norway::Value::as_mapping)
        .ok_or("no Resources mapping")?;
    resources
        .iter()
        .map(|(id, r)| {
            r.get("Type")
                .and_then(serde_norway::Value::as_str)
                .map(ToOwned::to_owned)
                .ok_or_else(|| format!("resource {} has no Type", id.as_str().unwrap_or("?")))
        })
        .collect()
}

/// The execution role, its boundary, and the boundary's ARN, for a template environment.
fn execution_role(
    config: &Config,
    env: &Environment,
    path: &str,
    scope: &DeployScope,
    opts: &Options<'_>,
    protected: &[String],
) -> anyhow::Result<(DesiredRole, DesiredManagedPolicy)> {
    let Some(stack) = env.stack.as_deref() else {
        return Err(BadInput::new(format!(
            "environment {} has a template but no stack name",
            env.name
        ))
        .hint(format!(
            "add `stack = \"NAME\"` under [environments.{}]",
            env.name
        ))
        .into());
    };
    let name = execution_role_name(env);
    if name.len() > 64 || name.starts_with(&format!("{stack}-")) {
        return Err(BadInput::new(format!(
            "environment {}: the execution role name {name} is {}",
            env.name,
            if name.len() > 64 { "longer than IAM's 64 characters" } else { "inside the stack's own role names (STACK-…)" }
        ))
        .hint("use a shorter role name, not starting with the stack name, under [environments.NAME] role")
        .into());
    }
    let file = opts.base_dir.join(path);
    let template = std::fs::read_to_string(&file)
        .map_err(|e| BadInput::new(format!("cannot read the template {}: {e}", file.display())))?;
    let boundary_arn = scope.iam_arn(&format!("policy/{}", boundary_name(env)));
    let types = template_types(&template).map_err(|e| {
        BadInput::new(format!(
            "{} is not a CloudFormation template: {e}",
            file.display()
        ))
    })?;
    let policy = hoist_policy::execution_policy_for_types(&types, scope, &boundary_arn)
        .map_err(|e| {
            BadInput::new(format!(
                "environment {}: no execution policy for {}: {e}",
                env.name,
                file.display()
            ))
            .hint("resource types hoist refuses must be created outside the stack; an unknown type needs scripts/gen-cfn-permissions run again")
        })?;
    let mut tags = base_tags(config);
    tags.insert("hoist:environment".to_owned(), env.name.clone());
    tags.insert(
        "hoist:purpose".to_owned(),
        "cloudformation-execution".to_owned(),
    );
    let role = DesiredRole {
        name: name.clone(),
        purpose: format!(
            "CloudFormation execution role of stack {stack} ({} resource types; every role it creates carries {})",
            policy.resource_types.len(),
            boundary_name(env)
        ),
        description: format!(
            "hoist: CloudFormation execution role for stack {stack} of {}",
            config.repository.full_name()
        ),
        trust: hoist_policy::execution_role_trust_policy(),
        max_session_duration: 3600,
        tags,
        permissions: RolePermissions::Inline {
            name: EXECUTION_POLICY_NAME.to_owned(),
            document: policy.document,
        },
        owned_inline: vec![EXECUTION_POLICY_NAME.to_owned()],
        owned_managed: Vec::new(),
        permissions_boundary: Some(boundary_arn.clone()),
    };
    let boundary = DesiredManagedPolicy {
        name: boundary_name(env),
        arn: boundary_arn.clone(),
        description: format!("hoist: permissions boundary of stack {stack}'s roles"),
        purpose: format!("caps {name} and every role stack {stack} creates"),
        document: hoist_policy::permissions_boundary_policy(scope, &boundary_arn, protected),
    };
    Ok((role, boundary))
}

fn base_tags(config: &Config) -> BTreeMap<String, String> {
    BTreeMap::from([("hoist:repository".to_owned(), config.repository.full_name())])
}

/// The desired state, with warnings about what could not be part of it.
pub(super) fn desired(
    config: &Config,
    opts: &Options<'_>,
) -> anyhow::Result<(Desired, Vec<String>)> {
    let provider_arn = provider_arn(config, opts.account_id);
    let admin = opts.admin || config.permissions == Permissions::Admin;
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    let protected = protected_roles(config, opts.account_id);
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
        let mut execution = None;
        let permissions = if admin {
            RolePermissions::Managed {
                arn: ADMIN_POLICY_ARN.to_owned(),
            }
        } else {
            let mut scope = scope(config, env, opts.account_id)?;
            if let Some(DeploySource::Template(path)) = &env.deploy {
                scope.synced_secret_arns = synced_parameter_secrets(env, path, opts)?;
                execution = Some(execution_role(config, env, path, &scope, opts, &protected)?);
            }
            RolePermissions::Inline {
                name: DEPLOY_POLICY_NAME.to_owned(),
                document: deploy_permissions(&scope),
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
            permissions_boundary: None,
        });
        if let Some((role, boundary)) = execution {
            roles.push(role);
            policies.push(boundary);
        }
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
            &image_repositories(images)?,
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
            permissions_boundary: None,
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
        tag_rulesets: tag_rulesets(config),
    });
    let mut warnings = Vec::new();
    if !admin {
        match super::cdk::policies(config, &opts.base_dir, opts.account_id, &protected) {
            Ok(p) => policies.extend(p),
            Err(w) => warnings.push(w),
        }
    }
    Ok((
        Desired {
            policies,
            provider: DesiredProvider {
                arn: provider_arn,
                url: config.oidc.provider_url.clone(),
                audience: config.oidc.audience.clone(),
            },
            roles,
            user,
            github,
        },
        warnings,
    ))
}

/// ARNs of every role hoist manages (deploy, execution and image-push roles): nothing under a
/// boundary may touch them.
fn protected_roles(config: &Config, account_id: &str) -> Vec<String> {
    let mut out: Vec<String> = config
        .environments
        .iter()
        .flat_map(|e| {
            let mut v = vec![role_arn(account_id, &e.role)];
            if matches!(e.deploy, Some(DeploySource::Template(_))) {
                v.push(role_arn(account_id, &execution_role_name(e)));
            }
            v
        })
        .collect();
    if let Some(push) = config.images.as_ref().and_then(|i| i.push_role.as_ref()) {
        out.push(role_arn(account_id, push));
    }
    out
}

/// One tag ruleset per tag-triggered prod environment: whoever may push a matching tag may
/// deploy prod, so only admins may.
fn tag_rulesets(config: &Config) -> Vec<DesiredTagRuleset> {
    config
        .environments
        .iter()
        .filter(|e| e.tier == Tier::Prod)
        .filter_map(|e| match &e.trigger {
            Trigger::Tag(pattern) => Some(DesiredTagRuleset {
                name: DesiredTagRuleset::name_for(pattern),
                pattern: pattern.clone(),
                environment: e.name.clone(),
            }),
            _ => None,
        })
        .collect()
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
