//! ECR push permissions: the OIDC image-push role's, and the ECR guide's legacy user policy.

use super::allow;
use super::deploy::ECR_PUSH_ACTIONS;
use crate::model::{Effect, OneOrMany, PolicyDocument, Statement};

/// Permissions for an OIDC image-push role: `ecr:GetAuthorizationToken`
/// (IAM cannot scope it) plus push/pull on the named repositories only.
pub fn ecr_push_policy(
    account_id: Option<&str>,
    region: &str,
    repositories: &[String],
) -> PolicyDocument {
    let acct = account_id.unwrap_or("*");
    let repos: Vec<String> = repositories
        .iter()
        .map(|r| {
            format!(
                "arn:{}:ecr:{region}:{acct}:repository/{r}",
                super::partition_for_region(region)
            )
        })
        .collect();
    PolicyDocument::new(vec![
        allow(
            "EcrAuth",
            &["ecr:GetAuthorizationToken"],
            vec!["*".to_owned()],
        ),
        allow("EcrPush", ECR_PUSH_ACTIONS, repos),
    ])
}

/// Exactly the inline policy of the ECR guide (step 2) for the
/// `github-ecr-push` IAM user — kept for `hoist` to recognise and migrate
/// away from.
pub fn legacy_ecr_user_policy() -> PolicyDocument {
    let mut st = Statement::new(Effect::Allow);
    st.action = Some(OneOrMany::Many(
        [
            "ecr:GetAuthorizationToken",
            "ecr:DescribeImages",
            "ecr:DescribeRepositories",
            "ecr:CreateRepository",
            "ecr:PutImage",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "ecr:BatchCheckLayerAvailability",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
    ));
    st.resource = Some(OneOrMany::One("*".to_owned()));
    PolicyDocument::new(vec![st])
}
