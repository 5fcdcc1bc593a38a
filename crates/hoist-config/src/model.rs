//! The validated configuration. Every value here has passed its checks; commands never see the
//! raw file.

use std::collections::BTreeMap;

use serde::Serialize;

/// A validated hoist.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    pub repository: Repository,
    pub aws: AwsSettings,
    pub oidc: OidcSettings,
    pub subject_format: SubjectFormat,
    /// GitHub Actions variables bootstrap sets (such as `AWS_REGION`).
    pub variables: BTreeMap<String, String>,
    pub permissions: Permissions,
    /// The longest session a deploy role allows, in seconds (IAM `MaxSessionDuration`).
    pub max_session_duration: u32,
    /// The IAM user of the ECR guide, kept for teams that still push with access keys.
    pub legacy_ecr_user: Option<String>,
    /// In the order the file lists them.
    pub environments: Vec<Environment>,
    pub images: Option<Images>,
    /// IAM access keys older than this are flagged by `hoist doctor`.
    pub access_key_max_age_days: u32,
    /// `[workflow]`: setup steps and paths the generated workflow adds.
    pub workflow: crate::workflow::WorkflowSettings,
}

impl Config {
    /// The environment called `name`.
    #[must_use]
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// The environments grouped by where they live (account, region, profile), `[aws]`'s own
    /// group first: one group per set of credentials bootstrap works with.
    #[must_use]
    pub fn accounts(&self) -> Vec<(AwsSettings, Vec<&Environment>)> {
        let mut groups: Vec<(AwsSettings, Vec<&Environment>)> =
            vec![(self.aws.clone(), Vec::new())];
        for env in &self.environments {
            match groups.iter_mut().find(|(aws, _)| *aws == env.aws) {
                Some((_, envs)) => envs.push(env),
                None => groups.push((env.aws.clone(), vec![env])),
            }
        }
        groups
    }

    /// Whether any environment lives elsewhere than `[aws]`.
    #[must_use]
    pub fn has_several_accounts(&self) -> bool {
        self.environments.iter().any(|e| e.aws != self.aws)
    }

    /// Names of all environments, for messages that list the choices.
    #[must_use]
    pub fn environment_names(&self) -> Vec<&str> {
        self.environments.iter().map(|e| e.name.as_str()).collect()
    }
}

/// `owner/name` of the GitHub repository, with the numeric ids when they are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repository {
    pub owner: String,
    pub name: String,
    pub owner_id: Option<u64>,
    pub repository_id: Option<u64>,
}

impl Repository {
    /// `owner/name`.
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AwsSettings {
    pub region: String,
    pub account_id: Option<String>,
    pub profile: Option<String>,
    /// The CDK bootstrap qualifier (`cdk bootstrap --qualifier`), `hnb659fds` by default.
    pub cdk_qualifier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcSettings {
    /// `https://token.actions.githubusercontent.com` unless the file says otherwise (GHES).
    pub provider_url: String,
    /// `sts.amazonaws.com`, the audience `configure-aws-credentials` requests.
    pub audience: String,
}

impl OidcSettings {
    /// The provider's host and path as IAM names it in ARNs and condition keys.
    #[must_use]
    pub fn provider_host(&self) -> &str {
        self.provider_url.trim_start_matches("https://")
    }
}

/// How the token's `sub` names the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectFormat {
    /// `repo:OWNER/REPO:…`, the classic form.
    Name,
    /// `repo:OWNER@OWNER_ID/REPO@REPO_ID:…`, the immutable form repositories created from
    /// 2026-07-15 emit by default.
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permissions {
    /// A generated policy limited to what a deploy does.
    LeastPrivilege,
    /// `AdministratorAccess`, as the guide's quick option. Printed with a warning.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    Dev,
    Prod,
}

/// What may assume an environment's role, and so which GitHub events deploy to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Trigger {
    /// Pushes to this branch (`refs/heads/NAME`).
    Branch(String),
    /// Tags matching this IAM-style pattern (`*` and `?`), such as `*` or `v*`.
    Tag(String),
    /// Jobs that name this GitHub environment.
    GithubEnvironment(String),
}

impl Trigger {
    /// The part of the `sub` claim after the repository, such as `ref:refs/heads/main`.
    #[must_use]
    pub fn subject_suffix(&self) -> String {
        match self {
            Self::Branch(b) => format!("ref:refs/heads/{b}"),
            Self::Tag(t) => format!("ref:refs/tags/{t}"),
            Self::GithubEnvironment(e) => format!("environment:{e}"),
        }
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Branch(b) => write!(f, "branch {b}"),
            Self::Tag(t) => write!(f, "tags {t}"),
            Self::GithubEnvironment(e) => write!(f, "GitHub environment {e}"),
        }
    }
}

/// One deploy target: a role, a trigger, and what a deploy does there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    pub name: String,
    pub tier: Tier,
    pub trigger: Trigger,
    /// The IAM role name (not ARN).
    pub role: String,
    pub stack: Option<String>,
    pub deploy: Option<DeploySource>,
    pub parameters: BTreeMap<String, String>,
    pub secrets: Vec<SecretSync>,
    pub services: Vec<ServiceRef>,
    pub redeploy: Redeploy,
    /// Seconds the assumed-role session lasts.
    pub session_duration: u32,
    /// Seconds to wait for the stack and the services.
    pub wait_timeout: u64,
    /// The stack output naming the Secrets Manager secret that holds the database URL.
    pub database_url_output: Option<String>,
    /// The stack output holding the URL the deployed service answers on: recorded as the
    /// GitHub deployment's environment URL.
    pub url_output: Option<String>,
    /// Where this environment lives: `[aws]`, with the environment's own `account_id`,
    /// `region` and `profile` in place of `[aws]`'s where it sets them.
    pub aws: AwsSettings,
}

impl Environment {
    /// The CloudFormation execution role `hoist bootstrap` creates for a template
    /// environment; `hoist deploy` and `hoist teardown` name it as the stack's `RoleARN`.
    #[must_use]
    pub fn execution_role_name(&self) -> String {
        format!("{}-CfnExec", self.role)
    }

    /// The permissions boundary (customer managed policy) every role a template
    /// environment's stack creates must carry.
    #[must_use]
    pub fn boundary_policy_name(&self) -> String {
        format!("{}-Boundary", self.role)
    }

    /// The GitHub secret bootstrap stores this environment's role ARN in.
    #[must_use]
    pub fn role_arn_secret_name(&self) -> String {
        let upper: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("AWS_ROLE_ARN_{upper}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum DeploySource {
    /// A CloudFormation template, JSON or YAML.
    Template(String),
    /// A CDK cloud assembly directory (`cdk.out`).
    CdkOut(String),
    /// A CDK app directory (the folder with `cdk.json`): hoist synthesizes it by running
    /// cdk.json's `app` command, then deploys from the fresh assembly.
    CdkApp(String),
    /// A command that deploys by itself (`npx aws-cdk deploy …`, `terraform apply …`).
    Command(String),
}

/// A secret hoist copies from the environment into a stack's Secrets Manager secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretSync {
    /// The environment variable holding the value, such as `LLM_API_KEY`.
    pub env: String,
    /// The stack output holding the secret's ARN, such as `LlmSecretArn`.
    pub output: String,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
}

/// An ECS service named by two stack outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRef {
    pub cluster_output: String,
    pub service_output: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Redeploy {
    /// Force a new ECS deployment when a synced secret changed.
    OnSecretChange,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TagMutability {
    Mutable,
    Immutable,
}

/// The `[images]` section: what `hoist push` builds and where it sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Images {
    pub compose_file: String,
    /// Services to push; `None` means every service with a `build:`.
    pub services: Option<Vec<String>>,
    /// Repository naming rule; `{service}` stands for the compose service name.
    pub repository: String,
    /// Tag templates; `{sha}` is the commit's short SHA.
    pub tags: Vec<String>,
    pub registry: Option<String>,
    pub scan_on_push: bool,
    pub tag_mutability: TagMutability,
    /// Lifecycle policy: how many SHA-tagged images to keep.
    pub keep_sha_tags: u32,
    /// The OIDC role the images workflow assumes, created by bootstrap.
    pub push_role: Option<String>,
    /// The branch whose pushes may assume `push_role`.
    pub push_branch: String,
    /// How layers exported from the engine are sent.
    pub compression: LayerCompression,
    /// `os/arch[/variant]` of services without `platform:` (built for it, and the entry
    /// chosen from an image index); `None`: `linux/amd64`.
    pub platform: Option<String>,
}

/// `[images] compression`: gzip (the default), zstd, or none (the blob is the uncompressed
/// tar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LayerCompression {
    #[default]
    Gzip,
    Zstd,
    None,
}

impl Images {
    /// The repository name for a compose service.
    #[must_use]
    pub fn repository_for(&self, service: &str) -> String {
        self.repository.replace("{service}", service)
    }
}
