//! What to do about a failure, read from the typed errors of the library crates: the one
//! table of hints the renderer (`diagnostics`) consults for any command. A hint a command
//! attached itself (`BadInput`, `Failed`) is nearer the user's action and wins over these.

use std::sync::Mutex;

use hoist_aws::{AwsError, ErrorKind};
use hoist_docker::DockerError;
use hoist_registry::RegistryError;

use crate::env_vars;

/// Where the AWS calls went: the profile and region of the SDK configuration hoist loaded.
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsTarget {
    pub(crate) profile: Option<String>,
    pub(crate) region: Option<String>,
}

static AWS_TARGET: Mutex<Option<AwsTarget>> = Mutex::new(None);

/// Records the AWS configuration in effect, for hints that name the profile or the region.
pub(crate) fn note_aws_target(target: AwsTarget) {
    if let Ok(mut slot) = AWS_TARGET.lock() {
        *slot = Some(target);
    }
}

fn aws_target() -> AwsTarget {
    let noted = AWS_TARGET.lock().ok().and_then(|t| t.clone());
    let mut target = noted.unwrap_or_default();
    if target.profile.is_none() {
        target.profile = env_vars::get(env_vars::AWS_PROFILE);
    }
    target
}

/// The hint for one error of the chain, if its type has one.
pub(crate) fn for_cause(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(e) = cause.downcast_ref::<AwsError>() {
        return aws(e, &aws_target());
    }
    if let Some(e) = cause.downcast_ref::<hoist_deployer::DeployError>() {
        return e
            .hint()
            .or_else(|| e.aws().and_then(|a| aws(a, &aws_target())));
    }
    if let Some(e) = cause.downcast_ref::<hoist_github::GithubError>() {
        return e.hint().map(str::to_owned);
    }
    if let Some(e) = cause.downcast_ref::<RegistryError>() {
        return registry(e);
    }
    if let Some(e) = cause.downcast_ref::<DockerError>() {
        return docker(e);
    }
    if let Some(hoist_http::TransportError::Insecure { url }) =
        cause.downcast_ref::<hoist_http::TransportError>()
    {
        return Some(match url.strip_prefix("http://") {
            Some(rest) => format!("use https://{rest}"),
            None => "use an https:// URL".to_owned(),
        });
    }
    None
}

/// An error as one line inside a larger report (a doctor check, a fix that failed): the
/// message, each cause after `: `, and the first hint any of them has in parentheses. The
/// renderer of a command's own failure (`diagnostics`) prints the same chain as `caused by:`
/// and `hint:` lines instead.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut hint = for_cause(err);
    let mut cause = err.source();
    while let Some(c) = cause {
        let line = c.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        hint = hint.or_else(|| for_cause(c));
        cause = c.source();
    }
    match hint {
        Some(h) => format!("{text} (hint: {h})"),
        None => text,
    }
}

/// The hint for an AWS failure, by its kind.
pub(crate) fn aws(err: &AwsError, target: &AwsTarget) -> Option<String> {
    let action = err.action();
    if err.code() == Some("DependencyViolation") {
        return Some(format!(
            "AWS refused {action} because something else still uses the resource: for a VPC or security group, usually network interfaces of a VPC Lambda (AWS removes them up to ~45 minutes after the function) or resources made outside the stack; wait and run the command again, or find them with `aws ec2 describe-network-interfaces --filters Name=vpc-id,Values=VPC_ID`"
        ));
    }
    match err.kind() {
        ErrorKind::AccessDenied => Some(access_denied(action, err.message().unwrap_or_default())),
        ErrorKind::Credentials => Some(credentials(err.code(), target)),
        ErrorKind::Unreachable | ErrorKind::Transport => Some(unreachable(target)),
        ErrorKind::Throttling => Some(format!(
            "AWS throttled {action} after the SDK's own retries: wait a minute and run again; if it keeps happening, the account's request quota for it is spent (see Service Quotas)"
        )),
        _ => None,
    }
}

/// AccessDenied: the action and the identity AWS's message names (`User: ARN is not
/// authorized to perform: ACTION on resource: ARN …`).
fn access_denied(action: &str, message: &str) -> String {
    let identity = between(message, "User: ", " is not authorized");
    let denied = between(message, "to perform: ", " ").unwrap_or(action);
    let resource = between(message, "on resource: ", " ");
    let who = match identity {
        Some(arn) => match assumed_role(arn) {
            Some(role) => format!("role {role} ({arn})"),
            None => arn.to_owned(),
        },
        None => "the identity in use (`aws sts get-caller-identity` names it)".to_owned(),
    };
    let on = resource.map(|r| format!(" on {r}")).unwrap_or_default();
    format!(
        "allow {denied}{on} for {who} in its IAM policy (for an SSO session: its permission set), or run with an identity that has it"
    )
}

/// The role name of an `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` ARN.
fn assumed_role(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":assumed-role/")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// The text of `s` after `start` up to `end` (or the end of `s`), trimmed of trailing
/// punctuation.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let rest = &s[from..];
    let to = rest.find(end).unwrap_or(rest.len());
    let found = rest[..to].trim_end_matches(['.', ',', ';']);
    (!found.is_empty()).then_some(found)
}

fn credentials(code: Option<&str>, target: &AwsTarget) -> String {
    let sign_in = match &target.profile {
        Some(p) => format!("sign in with `aws sso login --profile {p}` (or fix profile {p})"),
        None => "sign in with `aws sso login --profile PROFILE` and pass --profile PROFILE or set AWS_PROFILE (or [aws] profile in hoist.toml)".to_owned(),
    };
    match code {
        Some("InvalidClientTokenId" | "UnrecognizedClientException" | "InvalidAccessKeyId") => {
            format!(
                "AWS does not know the access key id: check AWS_ACCESS_KEY_ID (the key may be deleted or inactive), or {sign_in}"
            )
        }
        Some("SignatureDoesNotMatch" | "InvalidSignatureException") => format!(
            "the secret access key does not match the access key id: check AWS_SECRET_ACCESS_KEY, or {sign_in}"
        ),
        _ => format!(
            "{sign_in}, then run the command again; in GitHub Actions, assume a role first (`hoist credentials`)"
        ),
    }
}

fn unreachable(target: &AwsTarget) -> String {
    if let Some(url) = env_vars::get(env_vars::AWS_ENDPOINT_URL) {
        return format!("check that AWS_ENDPOINT_URL ({url}) answers, or unset it");
    }
    match &target.region {
        Some(region) => format!(
            "check that {region} is an AWS region enabled for the account (`aws account list-regions`) and that this machine reaches AWS"
        ),
        None => "no AWS region is set: pass --region, set AWS_REGION, or set region in [aws] of hoist.toml".to_owned(),
    }
}

fn registry(err: &RegistryError) -> Option<String> {
    match err {
        RegistryError::Unreachable { url, .. } => Some(format!(
            "check the registry address ({url}) and that this machine reaches it"
        )),
        RegistryError::Unauthorized { .. } => Some(
            "the registry refused the credentials: log in again (`docker login HOST`), or for ECR check the push role may call ecr:GetAuthorizationToken".to_owned(),
        ),
        RegistryError::Credentials { .. } => Some(
            "give hoist the registry's credentials (`docker login HOST`, or the registry's token in the environment)".to_owned(),
        ),
        _ => None,
    }
}

fn docker(err: &DockerError) -> Option<String> {
    match err {
        DockerError::NoEngine { .. } => {
            Some("start the Docker engine (or set DOCKER_HOST), then run again".to_owned())
        }
        DockerError::NoCompose => {
            Some("install the docker compose plugin, or docker-compose".to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(action: &'static str, code: &str, message: &str) -> AwsError {
        AwsError::Service {
            action,
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn access_denied_names_the_action_resource_and_role_from_the_message() {
        let e = service(
            "iam:CreateRole",
            "AccessDenied",
            "User: arn:aws:sts::123456789012:assumed-role/PowerUser/me is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/Deploy because no identity-based policy allows the iam:CreateRole action",
        );
        assert_eq!(
            aws(&e, &AwsTarget::default()).unwrap(),
            "allow iam:CreateRole on arn:aws:iam::123456789012:role/Deploy for role PowerUser (arn:aws:sts::123456789012:assumed-role/PowerUser/me) in its IAM policy (for an SSO session: its permission set), or run with an identity that has it"
        );
    }

    #[test]
    fn access_denied_without_an_identity_in_the_message_names_the_action() {
        let e = service("ecr:CreateRepository", "AccessDeniedException", "");
        let hint = aws(&e, &AwsTarget::default()).unwrap();
        assert!(
            hint.starts_with("allow ecr:CreateRepository for the identity in use"),
            "{hint}"
        );
    }

    #[test]
    fn credentials_name_the_profile_to_sign_in_with() {
        let e = service(
            "iam:GetRole",
            "ExpiredToken",
            "The security token included in the request is expired",
        );
        let target = AwsTarget {
            profile: Some("hindsight-sso".into()),
            region: None,
        };
        let hint = aws(&e, &target).unwrap();
        assert!(
            hint.starts_with("sign in with `aws sso login --profile hindsight-sso`"),
            "{hint}"
        );
        let e = service("sts:GetCallerIdentity", "InvalidClientTokenId", "");
        assert!(
            aws(&e, &target)
                .unwrap()
                .contains("check AWS_ACCESS_KEY_ID")
        );
    }

    #[test]
    fn a_dependency_violation_says_what_usually_holds_the_resource() {
        let e = service(
            "cloudformation:DeleteStack",
            "DependencyViolation",
            "The vpc vpc-1 has dependencies and cannot be deleted.",
        );
        let hint = aws(&e, &AwsTarget::default()).unwrap();
        assert!(
            hint.contains("network interfaces of a VPC Lambda"),
            "{hint}"
        );
    }

    #[test]
    fn plain_http_is_answered_with_the_https_url() {
        let e = hoist_http::TransportError::Insecure {
            url: "http://token.actions.githubusercontent.com/.well-known/jwks".into(),
        };
        assert_eq!(
            for_cause(&e).as_deref(),
            Some("use https://token.actions.githubusercontent.com/.well-known/jwks")
        );
    }

    #[test]
    fn throttling_and_other_kinds() {
        let e = service(
            "cloudformation:DescribeStacks",
            "Throttling",
            "Rate exceeded",
        );
        assert!(
            aws(&e, &AwsTarget::default())
                .unwrap()
                .contains("AWS throttled cloudformation:DescribeStacks")
        );
        let e = service("iam:GetRole", "NoSuchEntity", "");
        assert_eq!(aws(&e, &AwsTarget::default()), None);
    }
}
