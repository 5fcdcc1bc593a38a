//! Why a deploy stopped: one typed error for the whole engine. Each variant says what failed;
//! [`DeployError::hint`] says what fixes it, and [`DeployError::is_bad_input`] whether the
//! cause is what the user gave hoist (exit 2) rather than a failed operation (exit 1).
//! Underlying failures stay attached as `#[source]`, so the binary's renderer walks them and
//! adds the hint their own type has (an AWS AccessDenied, a Docker engine that is down).

use std::path::PathBuf;

use hoist_aws::AwsError;
use hoist_aws::secrets::SecretsError;
use hoist_deploy::AssemblyError;
use hoist_deploy::boundary::BoundaryError;
use hoist_deploy::preflight::{Finding, Severity};
use hoist_deploy::synth::SynthError;
use hoist_deploy::zip_asset::ZipError;
use hoist_docker::DockerError;
use hoist_registry::RegistryError;

/// A deploy step that failed or was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    // ---- what the user gave hoist (exit 2): nothing was changed
    #[error("environment {env} has a template but no stack name")]
    NoStackName { env: String },
    #[error("environment {env} syncs secrets or redeploys services but names no stack")]
    NoStackForSync { env: String },
    #[error("{env} is empty or not set, so secret {output} cannot be filled")]
    SecretEmpty { env: String, output: String },
    #[error("the pattern of secret {env} is not a regular expression")]
    SecretPatternInvalid {
        env: String,
        #[source]
        source: regex::Error,
    },
    /// The value is never part of the error.
    #[error(
        "the value of {env} does not match its pattern {pattern} (value not shown); nothing was changed"
    )]
    SecretPattern {
        env: String,
        pattern: String,
        /// Where the value came from (`the API_KEY GitHub secret`, `stdin`).
        from: String,
    },
    #[error(
        "refusing to deploy: a secret would be stored in plain text: {} (value not shown)",
        hits.join("; ")
    )]
    SecretInSource {
        /// Where each value was found (never the value).
        hits: Vec<String>,
        /// The output naming the secret hoist's sync fills instead.
        output: String,
    },
    #[error("cannot read the template {}", path.display())]
    TemplateUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Assembly(#[from] AssemblyError),
    #[error(transparent)]
    Plan(#[from] hoist_deploy::PlanError),
    #[error("cannot prepare the template of stack {stack}")]
    Boundary {
        stack: String,
        #[source]
        source: BoundaryError,
    },
    #[error("cdk_app {}: the directory cannot be read", dir.display())]
    CdkAppDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cdk_app {}", dir.display())]
    CdkApp {
        dir: PathBuf,
        #[source]
        source: SynthError,
    },
    #[error("cannot split {what} {command:?}: {reason}")]
    CommandSplit {
        what: &'static str,
        command: String,
        reason: String,
    },
    #[error("{what} is empty")]
    CommandEmpty { what: &'static str },
    #[error("cannot read asset {}", path.display())]
    AssetUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Zip(#[from] ZipError),
    /// `{image:SERVICE}` in a parameter or the CDK context that this run did not push.
    #[error(transparent)]
    ImageRef(#[from] hoist_deploy::image_refs::ImageRefError),
    /// A pre-flight finding: bad input or a failed check, as its severity says.
    #[error("{}", finding.what)]
    Preflight { finding: Finding },

    // ---- operations that failed (exit 1)
    #[error("cannot tell which AWS account to deploy to")]
    Account(#[source] AwsError),
    #[error("interrupted ({signal}) while {what}")]
    Interrupted {
        signal: &'static str,
        what: String,
        resume: String,
    },
    #[error(
        "interrupted ({signal}) while CloudFormation computed change set {change_set} and the assets were published: it was deleted, nothing changed"
    )]
    InterruptedChangeSet {
        signal: &'static str,
        change_set: String,
        resume: String,
    },
    #[error(
        "interrupted ({signal}) before change set {change_set} was executed: it was deleted, nothing changed"
    )]
    InterruptedBeforeExecute {
        signal: &'static str,
        change_set: String,
        resume: String,
    },
    #[error(
        "interrupted ({signal}) while stack {stack} is {status}: change set {change_set} is executing and CloudFormation carries on (it finishes or rolls back by itself)"
    )]
    InterruptedExecuting {
        signal: &'static str,
        stack: String,
        status: String,
        change_set: String,
        resume: String,
    },
    #[error(
        "stack {stack} is ROLLBACK_COMPLETE: its first creation failed and it cannot be updated"
    )]
    RollbackComplete { stack: String },
    #[error("stack {stack} is busy ({status})")]
    StackBusy { stack: String, status: String },
    #[error("the change set for stack {stack} could not be created: {reason}")]
    ChangeSetFailed { stack: String, reason: String },
    #[error(
        "stack {stack} failed: CloudFormation refused the change set\n  failed resource: {resource}\n  stack status: {status}"
    )]
    ExecuteRefused {
        stack: String,
        resource: String,
        status: String,
        #[source]
        source: Box<AwsError>,
    },
    #[error("stack {stack} failed: {resource}: {reason}\n  rollback state: {status}")]
    StackFailed {
        stack: String,
        resource: String,
        reason: String,
        status: String,
    },
    #[error("stack {stack} is still {status} after {secs}s")]
    StackTimedOut {
        stack: String,
        status: String,
        secs: u64,
    },
    #[error("stack {stack} disappeared while deploying")]
    StackVanished { stack: String },
    #[error(
        "the assets could not be published: change set {change_set} was deleted, nothing changed"
    )]
    AssetsNotPublished {
        change_set: String,
        #[source]
        source: Box<DeployError>,
    },
    #[error("cannot look up image asset {target}")]
    AssetLookup {
        target: String,
        #[source]
        source: AwsError,
    },
    #[error(
        "the container assets repository {repository} does not exist (image asset {asset} of stack {stack})"
    )]
    NoAssetRepository {
        repository: String,
        asset: String,
        stack: String,
        /// `aws://ACCOUNT/REGION` of the plan.
        environment: String,
    },
    #[error("image asset {asset} must be built, but the Docker engine does not answer")]
    NoDockerEngine {
        asset: String,
        #[source]
        source: DockerError,
    },
    /// The engine's last output lines end the message: the failing step is there.
    #[error("image asset {asset} could not be built{log_tail}")]
    ImageBuild {
        asset: String,
        directory: PathBuf,
        log_tail: String,
        #[source]
        source: Box<DockerError>,
    },
    #[error("cannot look up repository {repository}")]
    RepositoryLookup {
        repository: String,
        #[source]
        source: AwsError,
    },
    #[error("repository {repository} does not exist")]
    RepositoryMissing { repository: String },
    #[error("ECR named repository {repository} without a registry host: {uri}")]
    RepositoryUri { repository: String, uri: String },
    #[error("cannot get ECR's registry token")]
    EcrToken(#[source] AwsError),
    /// The reason never holds the token.
    #[error("ECR's registry token is unusable: {reason}")]
    EcrTokenUnusable { reason: String },
    #[error("{what}")]
    Registry {
        what: String,
        #[source]
        source: RegistryError,
    },
    #[error("cannot push image asset {asset} to {target}")]
    AssetPush {
        asset: String,
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot start {program}")]
    CommandStart {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the deploy command failed ({status}): {command}")]
    CommandFailed {
        command: String,
        status: std::process::ExitStatus,
    },
    #[error("cannot start {program} (cdk.json's app)")]
    SynthStart {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("synthesis failed ({status}): {command}")]
    SynthFailed {
        command: String,
        directory: PathBuf,
        status: std::process::ExitStatus,
    },
    #[error("stack {stack} does not exist, so it has no outputs")]
    StackMissing { stack: String },
    #[error("stack {stack} is {status}: outputs are only final once it has finished")]
    StackUnsettled { stack: String, status: String },
    #[error("Secret not found: {secret_id} (from output {output} of stack {stack})")]
    SecretNotFound {
        secret_id: String,
        output: String,
        stack: String,
    },
    #[error("Secret not found: stack {stack} has no output {output} (its outputs: {have})")]
    MissingSecretOutput {
        stack: String,
        output: String,
        have: String,
    },
    #[error(transparent)]
    Secrets(SecretsError),
    #[error("stack {stack} has no output {key}, which hoist.toml names for an ECS service")]
    MissingServiceOutput { stack: String, key: String },
    #[error("the new ECS deployment did not complete:\n  {}", lines.join("\n  "))]
    RolloutFailed { lines: Vec<String> },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl DeployError {
    /// The cause is what the user gave hoist (configuration, files, values): exit 2.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::NoStackName { .. }
            | Self::NoStackForSync { .. }
            | Self::SecretEmpty { .. }
            | Self::SecretPatternInvalid { .. }
            | Self::SecretPattern { .. }
            | Self::SecretInSource { .. }
            | Self::TemplateUnreadable { .. }
            | Self::Assembly(_)
            | Self::Plan(_)
            | Self::Boundary { .. }
            | Self::CdkAppDir { .. }
            | Self::CdkApp { .. }
            | Self::CommandSplit { .. }
            | Self::CommandEmpty { .. }
            | Self::AssetUnreadable { .. }
            | Self::Zip(_)
            | Self::ImageRef(_) => true,
            Self::Preflight { finding } => finding.severity == Severity::BadInput,
            Self::AssetsNotPublished { source, .. } => source.is_bad_input(),
            _ => false,
        }
    }

    /// The AWS failure this error is, when it is one: its hint depends on where the calls
    /// went (profile, region), which the binary knows.
    #[must_use]
    pub fn aws(&self) -> Option<&AwsError> {
        match self {
            Self::Aws(e) | Self::Secrets(SecretsError::Aws(e)) => Some(e),
            _ => None,
        }
    }

    /// What fixes it, when the engine knows; `None` leaves it to the causes' own hints.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoStackName { env } => format!("add `stack = \"NAME\"` under [environments.{env}]"),
            Self::NoStackForSync { .. } => "add `stack = \"NAME\"`: the secret ARNs and service names come from its outputs".to_owned(),
            Self::SecretEmpty { env, .. } => format!(
                "pass it from a GitHub secret: `env: {{ {env}: ${{{{ secrets.{env} }}}} }}` (an empty key is what makes the tasks fail with 401 \"Incorrect API key\")"
            ),
            Self::SecretPattern { from, .. } => format!(
                "check {from} holds the provider's key, without quotes or whitespace"
            ),
            Self::SecretInSource { output, .. } => format!(
                "remove it from the app's context, properties or parameters (e.g. a `--context` value or an environment variable read at synth time); hoist's secret sync fills the secret named by output {output} after the stack is deployed"
            ),
            Self::Assembly(e) => e.hint().to_owned(),
            Self::Plan(e) => e.hint(),
            Self::Boundary { .. } => "the template must be JSON or YAML with a Resources section".to_owned(),
            Self::CdkAppDir { .. } => "`cdk_app` in hoist.toml names the directory holding cdk.json (such as \"cdk\")".to_owned(),
            Self::CdkApp { source, .. } => source.hint().to_owned(),
            Self::AssetUnreadable { .. } => "synthesize again (`cdk synth`) to rebuild the cloud assembly".to_owned(),
            Self::Zip(e) => e.hint().to_owned(),
            Self::ImageRef(_) => "run `hoist push` first in the same job and hand its step outputs to the deploy (`HOIST_PUSH_OUTPUTS: ${{ toJSON(steps.push.outputs) }}`, as `hoist workflow` writes it), or `--pushed @FILE` with that JSON object".to_owned(),
            Self::Preflight { finding } => finding.fix.clone(),
            Self::Account(_) => "configure credentials (`hoist credentials` in a workflow, or --profile), or set `account_id` under [aws] (or the environment's table) in hoist.toml".to_owned(),
            Self::Interrupted { resume, .. } => format!("run `{resume}` again to continue"),
            Self::InterruptedChangeSet { resume, .. } => format!(
                "run `{resume}` again (published assets are kept and not sent again)"
            ),
            Self::InterruptedBeforeExecute { resume, .. } => format!("run `{resume}` again"),
            Self::InterruptedExecuting { stack, resume, .. } => format!(
                "follow it with `aws cloudformation describe-stack-events --stack-name {stack}`; once it has finished, resume with `{resume} --skip-stack` (outputs, secrets, redeploys), or cancel it with `aws cloudformation cancel-update-stack --stack-name {stack}`"
            ),
            Self::RollbackComplete { stack } => format!(
                "delete it (`hoist teardown --env ENV --apply` or `aws cloudformation delete-stack --stack-name {stack}`), then deploy again"
            ),
            Self::StackBusy { .. } => "wait for the running operation to finish (`aws cloudformation describe-stacks`), then deploy again".to_owned(),
            Self::ChangeSetFailed { .. } => "fix the template or parameters; `aws cloudformation describe-change-set` shows the same reason".to_owned(),
            Self::ExecuteRefused { stack, .. } => format!(
                "fix the resource named in the reason, then deploy again; `aws cloudformation describe-stack-events --stack-name {stack}` has the details"
            ),
            Self::StackFailed { resource, .. } => format!("fix {resource} in the template, then deploy again"),
            Self::StackTimedOut { .. } => "CloudFormation keeps going; follow it with `aws cloudformation describe-stack-events`, or raise --wait-timeout".to_owned(),
            Self::AssetsNotPublished { source, .. } => return source.hint(),
            Self::NoAssetRepository { environment, .. } => format!(
                "run `cdk bootstrap {environment}` (it creates the container assets repository), then deploy again"
            ),
            Self::NoDockerEngine { .. } => "start the Docker engine (or set DOCKER_HOST), then deploy again".to_owned(),
            Self::ImageBuild { directory, .. } => format!(
                "build it by hand to see the whole output: docker build {}",
                directory.display()
            ),
            Self::CommandStart { .. } => "check the command in hoist.toml's `command` is installed on the runner".to_owned(),
            Self::SynthStart { .. } => "install the app's runtime on the runner (e.g. Python with aws-cdk-lib, and Node for jsii)".to_owned(),
            Self::SynthFailed { command, directory, .. } => format!(
                "run `{command}` in {} to see the app's error",
                directory.display()
            ),
            Self::StackMissing { .. } => "deploy it first (`hoist deploy --apply` without --skip-stack, or the guide's first manual deploy)".to_owned(),
            Self::StackUnsettled { .. } => "wait for the stack operation to finish, then run `hoist deploy --skip-stack --apply`".to_owned(),
            Self::SecretNotFound { .. } => "the output names a secret that does not exist: the stack did not finish creating it, or the output points at another secret; check `aws cloudformation describe-stacks`".to_owned(),
            Self::MissingSecretOutput { output, .. } => format!(
                "outputs exist only once the stack has finished: check the stack deployed successfully, and that the template declares an output named {output} (hoist.toml names it)"
            ),
            Self::MissingServiceOutput { .. } => "check the stack finished deploying and the output names in [[environments.*.services]]".to_owned(),
            Self::RolloutFailed { .. } => "read the stopped tasks' reasons above: a 401 (such as \"Incorrect API key\") or a task that stops right after starting usually means a secret it reads is empty or wrong (set it with `hoist secret rotate`, or fix the GitHub secret and deploy again); `aws ecs describe-services` shows the events".to_owned(),
            Self::SecretPatternInvalid { .. }
            | Self::CommandSplit { .. }
            | Self::CommandEmpty { .. }
            | Self::StackVanished { .. }
            | Self::AssetLookup { .. }
            | Self::RepositoryLookup { .. }
            | Self::RepositoryMissing { .. }
            | Self::RepositoryUri { .. }
            | Self::EcrToken(_)
            | Self::EcrTokenUnusable { .. }
            | Self::TemplateUnreadable { .. }
            | Self::Registry { .. }
            | Self::AssetPush { .. }
            | Self::CommandFailed { .. }
            | Self::Secrets(_)
            | Self::Aws(_) => return None,
        })
    }
}

impl From<SecretsError> for DeployError {
    fn from(e: SecretsError) -> Self {
        match e {
            SecretsError::Aws(e) => Self::Aws(e),
            other => Self::Secrets(other),
        }
    }
}

/// The engine's results.
pub type Result<T, E = DeployError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_and_files_are_bad_input_operations_are_failures() {
        let bad = DeployError::SecretPattern {
            env: "API_KEY".into(),
            pattern: "sk-[a-z]+".into(),
            from: "the API_KEY GitHub secret".into(),
        };
        assert!(bad.is_bad_input());
        assert_eq!(
            bad.hint().as_deref(),
            Some(
                "check the API_KEY GitHub secret holds the provider's key, without quotes or whitespace"
            )
        );
        let failed = DeployError::StackBusy {
            stack: "S".into(),
            status: "UPDATE_IN_PROGRESS".into(),
        };
        assert!(!failed.is_bad_input());
        // A pre-flight finding keeps its own severity; a wrapped failure its cause's.
        let finding = |severity| DeployError::Preflight {
            finding: Finding {
                severity,
                what: "w".into(),
                fix: "f".into(),
            },
        };
        assert!(finding(Severity::BadInput).is_bad_input());
        assert!(!finding(Severity::Failed).is_bad_input());
        let wrapped = DeployError::AssetsNotPublished {
            change_set: "hoist-1".into(),
            source: Box::new(DeployError::Zip(ZipError::SymlinkLoop {
                dir: PathBuf::from("d"),
                at: PathBuf::from("d/l"),
            })),
        };
        assert!(wrapped.is_bad_input());
        assert_eq!(wrapped.hint(), wrapped_source_hint(&wrapped));
    }

    fn wrapped_source_hint(e: &DeployError) -> Option<String> {
        match e {
            DeployError::AssetsNotPublished { source, .. } => source.hint(),
            _ => None,
        }
    }

    #[test]
    fn aws_failures_leave_their_hint_to_the_caller_who_knows_the_profile() {
        let e = DeployError::from(AwsError::Service {
            action: "cloudformation:DescribeStacks",
            code: "AccessDenied".into(),
            message: "no".into(),
        });
        assert!(e.hint().is_none());
        assert_eq!(
            e.aws().map(AwsError::action),
            Some("cloudformation:DescribeStacks")
        );
        let e = DeployError::from(SecretsError::NotFound {
            secret_id: "arn".into(),
        });
        assert!(e.aws().is_none());
        assert!(matches!(e, DeployError::Secrets(_)));
    }
}
