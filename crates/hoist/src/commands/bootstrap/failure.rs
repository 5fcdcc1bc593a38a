//! Turns AWS and GitHub failures into messages that say what was missing and how to fix it:
//! the IAM action an `AccessDenied` lacks with the identity that was used, and the sign-in
//! command when there are no credentials at all.

use hoist_aws::AwsError;
use hoist_aws::sts::{CallerIdentity, Sts};

use crate::exit::Failed;

/// A failure while reading or applying.
#[derive(Debug, thiserror::Error)]
pub(super) enum Failure {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Github(#[from] hoist_github::GithubError),
    #[error("the plan has GitHub changes but no GitHub token is available")]
    NoGithub,
}

/// Whether the SDK failed for lack of usable credentials.
fn no_credentials(err: &AwsError) -> bool {
    match err {
        AwsError::Transport { detail, .. } => {
            let d = detail.to_ascii_lowercase();
            d.contains("credential") || d.contains("token has expired") || d.contains("sso")
        }
        AwsError::Service { code, .. } => matches!(
            code.as_str(),
            "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
        ),
        AwsError::Unexpected { .. } => false,
    }
}

fn sign_in_hint(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!("sign in with `aws sso login --profile {p}` (or fix profile {p}), then run hoist bootstrap again"),
        None => "sign in with `aws sso login --profile PROFILE` and pass --profile PROFILE or set AWS_PROFILE (or set [aws] profile in hoist.toml), then run hoist bootstrap again".to_owned(),
    }
}

/// The message for an AWS denial of `action`; `identity` is what `GetCallerIdentity` said.
fn denied(err: &AwsError, identity: Option<&CallerIdentity>, profile: Option<&str>) -> Failed {
    let action = match err {
        AwsError::Service { action, .. }
        | AwsError::Transport { action, .. }
        | AwsError::Unexpected { action, .. } => *action,
    };
    let who = match identity {
        Some(id) => format!("the credentials in use are {} (account {})", id.arn, id.account),
        None => "the identity of the credentials in use could not be read (sts:GetCallerIdentity failed)".to_owned(),
    };
    Failed::new(format!("AWS denied {action}; {who}\n  ({err})")).hint(format!(
        "allow {action} for that identity (an IAM Identity Center permission set with IAM rights, or AdministratorAccess for bootstrap), or {}",
        sign_in_hint(profile)
    ))
}

/// The error to return for `err`, with a hint. `profile` is the profile in effect, if any.
pub(super) async fn explain(err: Failure, sts: &Sts, profile: Option<&str>) -> anyhow::Error {
    let Failure::Aws(aws) = err else {
        return err.into();
    };
    if no_credentials(&aws) {
        return Failed::new(format!("no usable AWS credentials were found: {aws}"))
            .hint(sign_in_hint(profile))
            .into();
    }
    if aws.is_access_denied() {
        let identity = sts.caller_identity().await.ok();
        return denied(&aws, identity.as_ref(), profile).into();
    }
    aws.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access_denied() -> AwsError {
        AwsError::Service {
            action: "iam:CreateRole",
            code: "AccessDenied".into(),
            message: "User: arn:aws:sts::123456789012:assumed-role/PowerUser/me is not authorized to perform: iam:CreateRole".into(),
        }
    }

    #[test]
    fn denial_names_the_action_and_the_identity() {
        let id = CallerIdentity {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/PowerUser/me".into(),
            user_id: "AROA:me".into(),
        };
        let f = denied(&access_denied(), Some(&id), Some("hindsight-sso"));
        assert!(f.message.starts_with("AWS denied iam:CreateRole; the credentials in use are arn:aws:sts::123456789012:assumed-role/PowerUser/me (account 123456789012)"), "{}", f.message);
        let hint = f.hint.unwrap();
        assert!(
            hint.starts_with("allow iam:CreateRole for that identity"),
            "{hint}"
        );
        assert!(
            hint.contains("aws sso login --profile hindsight-sso"),
            "{hint}"
        );
    }

    #[test]
    fn denial_without_identity_says_so() {
        let f = denied(&access_denied(), None, None);
        assert!(
            f.message
                .contains("could not be read (sts:GetCallerIdentity failed)"),
            "{}",
            f.message
        );
        assert!(f.hint.unwrap().contains("set AWS_PROFILE"));
    }

    #[test]
    fn missing_or_expired_credentials_are_recognised() {
        let t = AwsError::Transport {
            action: "sts:GetCallerIdentity",
            detail: "dispatch failure: no credentials in the provider chain".into(),
        };
        assert!(no_credentials(&t));
        let e = AwsError::Service {
            action: "iam:GetRole",
            code: "ExpiredToken".into(),
            message: String::new(),
        };
        assert!(no_credentials(&e));
        assert!(!no_credentials(&access_denied()));
    }
}
