//! [`DeployScope`]: the names a deploy touches, and the ARNs built from them.

/// The default CDK bootstrap qualifier.
pub const DEFAULT_CDK_QUALIFIER: &str = "hnb659fds";

/// The ARN partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else
/// `aws`.
#[must_use]
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// How an environment's stack is deployed, which decides what its deploy role may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployMode {
    /// A CDK app: the deploy role assumes the CDK bootstrap roles of the qualifier, which
    /// publish assets and run CloudFormation.
    Cdk,
    /// A CloudFormation template: the deploy role passes this execution role (a role name)
    /// to CloudFormation, which creates the resources as that role.
    Template {
        /// Name of the CloudFormation execution role bootstrap creates.
        execution_role: String,
    },
}

/// What a deploy touches, for [`super::deploy_permissions_policy`] and
/// [`super::execution_policy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployScope {
    /// AWS account id; `None` puts `*` in ARNs' account segment.
    pub account_id: Option<String>,
    /// Region the stacks live in.
    pub region: String,
    /// CloudFormation stack names (e.g. `HindsightDevStack`).
    pub stack_names: Vec<String>,
    /// ECR repositories the deploy pushes to (never a bare `*`).
    pub ecr_repositories: Vec<String>,
    /// CDK bootstrap qualifier (default `hnb659fds`).
    pub cdk_qualifier: String,
    /// CDK or template.
    pub mode: DeployMode,
    /// Exact ARNs of secrets the deploy's secret sync writes that are not named after the
    /// stack (bring-your-own secrets the template takes as parameters).
    pub synced_secret_arns: Vec<String>,
}

impl DeployScope {
    /// A CDK scope for `stack_names` in `region`, account unknown, no ECR repositories,
    /// default CDK qualifier.
    #[must_use]
    pub fn new(region: &str, stack_names: &[&str]) -> Self {
        DeployScope {
            account_id: None,
            region: region.to_owned(),
            stack_names: stack_names.iter().map(|s| (*s).to_owned()).collect(),
            ecr_repositories: Vec::new(),
            cdk_qualifier: DEFAULT_CDK_QUALIFIER.to_owned(),
            mode: DeployMode::Cdk,
            synced_secret_arns: Vec::new(),
        }
    }

    /// The same scope deployed from a template through `execution_role`.
    #[must_use]
    pub fn template(mut self, execution_role: &str) -> Self {
        self.mode = DeployMode::Template {
            execution_role: execution_role.to_owned(),
        };
        self
    }

    /// The account id, or `*`.
    #[must_use]
    pub fn account(&self) -> &str {
        self.account_id.as_deref().unwrap_or("*")
    }

    /// `aws`, `aws-cn` or `aws-us-gov`.
    #[must_use]
    pub fn partition(&self) -> &'static str {
        partition_for_region(&self.region)
    }

    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    #[must_use]
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account()
        )
    }

    /// `arn:PARTITION:iam::ACCOUNT:RESOURCE` (IAM is global: no region).
    #[must_use]
    pub fn iam_arn(&self, resource: &str) -> String {
        format!(
            "arn:{}:iam::{}:{resource}",
            self.partition(),
            self.account()
        )
    }

    /// One ARN per stack, `{stack}` replaced by the stack name.
    #[must_use]
    pub fn per_stack(&self, service: &str, template: &str) -> Vec<String> {
        self.stack_names
            .iter()
            .map(|s| self.arn(service, &template.replace("{stack}", s)))
            .collect()
    }

    /// One IAM ARN per stack, `{stack}` replaced by the stack name.
    #[must_use]
    pub fn iam_per_stack(&self, template: &str) -> Vec<String> {
        self.stack_names
            .iter()
            .map(|s| self.iam_arn(&template.replace("{stack}", s)))
            .collect()
    }

    /// The CDK bootstrap roles of the qualifier:
    /// `cdk-QUALIFIER-{deploy,file-publishing,image-publishing,lookup}-role-ACCOUNT-REGION`.
    #[must_use]
    pub fn cdk_bootstrap_roles(&self) -> Vec<String> {
        ["deploy", "file-publishing", "image-publishing", "lookup"]
            .iter()
            .map(|kind| {
                self.iam_arn(&format!(
                    "role/cdk-{}-{kind}-role-{}-{}",
                    self.cdk_qualifier,
                    self.account(),
                    self.region
                ))
            })
            .collect()
    }

    /// The CDK bootstrap's CloudFormation execution role of the qualifier.
    #[must_use]
    pub fn cdk_execution_role(&self) -> String {
        self.iam_arn(&format!(
            "role/cdk-{}-cfn-exec-role-{}-{}",
            self.cdk_qualifier,
            self.account(),
            self.region
        ))
    }

    /// Secret ARNs of the stacks: the name starts with the stack name followed by `/` or
    /// `-` (never the bare prefix, so stack `App` does not reach `AppProd…`'s secrets).
    #[must_use]
    pub fn stack_secret_arns(&self) -> Vec<String> {
        [
            self.per_stack("secretsmanager", "secret:{stack}/*"),
            self.per_stack("secretsmanager", "secret:{stack}-*"),
        ]
        .concat()
    }

    /// The ECR repositories' ARNs.
    #[must_use]
    pub fn ecr_repository_arns(&self) -> Vec<String> {
        self.ecr_repositories
            .iter()
            .map(|r| self.arn("ecr", &format!("repository/{r}")))
            .collect()
    }
}
