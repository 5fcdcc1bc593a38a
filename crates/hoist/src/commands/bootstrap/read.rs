//! Reads the current state of what bootstrap manages. Only read calls happen here.

use hoist_aws::AwsError;
use hoist_aws::iam::Iam;
use hoist_github::GithubClient;
use std::collections::BTreeMap;

use hoist_plan::bootstrap::{
    Actual, ActualGithub, ActualManagedPolicy, ActualProvider, ActualRole, ActualTagProtection,
    ActualUser, Desired, DesiredGithub,
};

/// The AWS side: provider, managed policies, each desired role with its policies, the legacy
/// user.
pub(super) async fn aws_state(iam: &Iam, desired: &Desired) -> Result<Actual, AwsError> {
    let mut actual = Actual::default();
    if let Some(p) = iam.get_oidc_provider(&desired.provider.arn).await? {
        actual.provider = Some(ActualProvider {
            arn: p.arn,
            client_ids: p.client_ids,
        });
    }
    for policy in &desired.policies {
        if let Some(p) = iam.get_managed_policy(&policy.arn).await? {
            actual.policies.insert(
                policy.arn.clone(),
                ActualManagedPolicy {
                    arn: p.arn,
                    document: p.document,
                    non_default_versions: p.non_default_versions,
                },
            );
        }
    }
    for role in &desired.roles {
        let Some(info) = iam.get_role(&role.name).await? else {
            continue;
        };
        let inline = iam.role_inline_policies(&role.name).await?;
        let managed = iam.list_attached_role_policies(&role.name).await?;
        actual.roles.insert(
            role.name.clone(),
            ActualRole {
                name: info.name,
                trust_json: info.trust_policy,
                // GetRole always returns it; IAM's default is one hour.
                max_session_duration: info.max_session_duration.unwrap_or(3600),
                tags: info.tags,
                inline,
                managed,
                permissions_boundary: info.permissions_boundary,
            },
        );
    }
    if let Some(user) = &desired.user
        && iam.get_user(&user.name).await?.is_some()
    {
        actual.user = Some(ActualUser {
            name: user.name.clone(),
            inline: iam.user_inline_policies(&user.name).await?,
        });
    }
    Ok(actual)
}

/// The GitHub side: secret names and variables of the repository, and — when prod is
/// tag-triggered — what its rulesets do for each desired tag pattern.
pub(super) async fn github_state(
    client: &GithubClient,
    repository: &str,
    desired: Option<&DesiredGithub>,
) -> Result<ActualGithub, hoist_github::GithubError> {
    let secret_names = client
        .list_secrets(repository)
        .await?
        .into_iter()
        .map(|s| s.name.to_ascii_uppercase())
        .collect();
    let variables = client
        .list_variables(repository)
        .await?
        .into_iter()
        .map(|v| (v.name.to_ascii_uppercase(), v.value))
        .collect();
    let mut tag_protection = BTreeMap::new();
    let wanted = desired
        .map(|d| d.tag_rulesets.as_slice())
        .unwrap_or_default();
    if !wanted.is_empty() {
        let rulesets = client.rulesets(repository).await?;
        for w in wanted {
            let protected_by = rulesets
                .iter()
                .find(|r| r.tag_protection_gap(&w.pattern).is_none())
                .map(|r| r.name.clone());
            let same_name = rulesets.iter().find(|r| r.name == w.name).map(|r| {
                (
                    r.id.unwrap_or_default(),
                    r.tag_protection_gap(&w.pattern).unwrap_or_default(),
                )
            });
            tag_protection.insert(
                w.pattern.clone(),
                ActualTagProtection {
                    protected_by,
                    same_name,
                },
            );
        }
    }
    Ok(ActualGithub {
        secret_names,
        variables,
        tag_protection,
    })
}
