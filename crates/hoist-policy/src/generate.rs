//! Policies hoist writes: the GitHub OIDC trust policy, the deploy role's
//! least-privilege permissions, the OIDC image-push permissions, and the
//! legacy ECR user policy from the ECR guide.
//!
//! Unknown account id: ARNs use `*` in the account segment. That is wider
//! than one account but still limited by the other segments (names that
//! start with the stack name, the region); pass the account id (`aws sts
//! get-caller-identity`) to pin it.

use crate::glob::has_wildcard;
use crate::model::{
    ConditionBlock, ConditionValue, Effect, OneOrMany, PolicyDocument, Principal, Statement,
};
use crate::request::{ASSUME_ROLE_WITH_WEB_IDENTITY, GITHUB_ISSUER_HOST};

/// The audience `aws-actions/configure-aws-credentials` requests.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

/// The default CDK bootstrap qualifier.
pub const DEFAULT_CDK_QUALIFIER: &str = "hnb659fds";

fn strings(v: &[&str]) -> OneOrMany<String> {
    OneOrMany::from_vec(v.iter().map(|s| (*s).to_owned()).collect())
}

fn owned(v: Vec<String>) -> OneOrMany<String> {
    OneOrMany::from_vec(v)
}

fn cond_values(v: &[String]) -> OneOrMany<ConditionValue> {
    OneOrMany::from_vec(
        v.iter()
            .map(|s| ConditionValue::String(s.clone()))
            .collect(),
    )
}

/// The trust policy for a role GitHub Actions assumes:
/// one Allow for `sts:AssumeRoleWithWebIdentity` from `provider_arn`, with
/// `StringEquals` on `aud` and on `sub` — or `StringLike` on `sub` when any
/// subject contains a wildcard.
pub fn github_trust_policy(
    provider_arn: &str,
    subjects: &[String],
    audience: &str,
) -> PolicyDocument {
    let aud_key = format!("{GITHUB_ISSUER_HOST}:aud");
    let sub_key = format!("{GITHUB_ISSUER_HOST}:sub");
    let mut condition = ConditionBlock::default();
    condition.insert(
        "StringEquals",
        &aud_key,
        OneOrMany::One(ConditionValue::String(audience.to_owned())),
    );
    let sub_op = if subjects.iter().any(|s| has_wildcard(s)) {
        "StringLike"
    } else {
        "StringEquals"
    };
    condition.insert(sub_op, &sub_key, cond_values(subjects));
    let mut st = Statement::new(Effect::Allow);
    st.principal = Some(Principal::federated(provider_arn));
    st.action = Some(OneOrMany::One(ASSUME_ROLE_WITH_WEB_IDENTITY.to_owned()));
    st.condition = condition;
    PolicyDocument::new(vec![st])
}

/// What a deploy touches, for [`deploy_permissions_policy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployScope {
    /// AWS account id; `None` puts `*` in ARNs' account segment.
    pub account_id: Option<String>,
    /// Region the stacks live in.
    pub region: String,
    /// CloudFormation stack names (e.g. `HindsightDevStack`).
    pub stack_names: Vec<String>,
    /// ECR repositories the deploy pushes to (besides the CDK assets repo).
    pub ecr_repositories: Vec<String>,
    /// CDK bootstrap qualifier (default `hnb659fds`).
    pub cdk_qualifier: String,
}

impl DeployScope {
    /// A scope for `stack_names` in `region`, account unknown, no extra ECR
    /// repositories, default CDK qualifier.
    pub fn new(region: &str, stack_names: &[&str]) -> Self {
        DeployScope {
            account_id: None,
            region: region.to_owned(),
            stack_names: stack_names.iter().map(|s| (*s).to_owned()).collect(),
            ecr_repositories: Vec::new(),
            cdk_qualifier: DEFAULT_CDK_QUALIFIER.to_owned(),
        }
    }

    fn account(&self) -> &str {
        self.account_id.as_deref().unwrap_or("*")
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region,
            self.account()
        )
    }

    /// One ARN per stack, `{stack}` replaced by the stack name.
    fn per_stack(&self, service: &str, template: &str) -> Vec<String> {
        self.stack_names
            .iter()
            .map(|s| self.arn(service, &template.replace("{stack}", s)))
            .collect()
    }

    fn iam_per_stack(&self, template: &str) -> Vec<String> {
        self.stack_names
            .iter()
            .map(|s| {
                format!(
                    "arn:aws:iam::{}:{}",
                    self.account(),
                    template.replace("{stack}", s)
                )
            })
            .collect()
    }
}

fn allow(sid: &str, actions: &[&str], resources: Vec<String>) -> Statement {
    let mut st = Statement::new(Effect::Allow);
    st.sid = Some(sid.to_owned());
    st.action = Some(strings(actions));
    st.resource = Some(owned(resources));
    st
}

/// Least-privilege permissions for a deploy role (replacing the guide's
/// `AdministratorAccess`). Resource choices:
/// - CloudFormation: the stacks' ARNs (`stack/NAME/*`); read-only calls that
///   IAM cannot scope (ValidateTemplate, ListStacks…) on `*`.
/// - Resources CloudFormation names for a stack start with `STACK-`
///   (`STACK-LogicalId-RANDOM`), so IAM roles, Lambda functions, log groups,
///   EventBridge rules and ECS clusters/services are scoped to `STACK-*`.
/// - Secrets Manager: CloudFormation tags every secret it creates with
///   `aws:cloudformation:stack-name`, so Get/Put/Describe are allowed on
///   secrets carrying that tag for one of the stacks, plus secrets whose
///   name starts with the stack name (for explicitly named ones).
/// - `iam:PassRole` only on `role/STACK-*`, only to ECS tasks, Lambda and
///   EventBridge (`iam:PassedToService`).
/// - CDK: `sts:AssumeRole` on the bootstrap roles (`cdk-QUALIFIER-*`), SSM
///   `/cdk-bootstrap/*`, the assets bucket `cdk-QUALIFIER-assets-ACCOUNT-REGION`.
/// - EC2/RDS/ECS `Describe*` and `sts:GetCallerIdentity` on `*` (IAM does not
///   scope them).
pub fn deploy_permissions_policy(scope: &DeployScope) -> PolicyDocument {
    let q = &scope.cdk_qualifier;
    let acct = scope.account();
    let region = &scope.region;
    let mut statements = vec![
        allow(
            "CloudFormationStacks",
            &[
                "cloudformation:CreateStack",
                "cloudformation:UpdateStack",
                "cloudformation:DeleteStack",
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResource",
                "cloudformation:DescribeStackResources",
                "cloudformation:GetTemplate",
                "cloudformation:CreateChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:ListStackResources",
                "cloudformation:TagResource",
            ],
            [
                scope.per_stack("cloudformation", "stack/{stack}/*"),
                vec![scope.arn("cloudformation", "changeSet/*")],
            ]
            .concat(),
        ),
        allow(
            "CloudFormationRead",
            &[
                "cloudformation:ValidateTemplate",
                "cloudformation:ListStacks",
                "cloudformation:GetTemplateSummary",
            ],
            vec!["*".to_owned()],
        ),
        allow(
            "EcsDeploy",
            &[
                "ecs:UpdateService",
                "ecs:CreateService",
                "ecs:DeleteService",
                "ecs:TagResource",
            ],
            scope.per_stack("ecs", "service/{stack}-*/*"),
        ),
        allow(
            "EcsClusters",
            &[
                "ecs:CreateCluster",
                "ecs:DeleteCluster",
                "ecs:PutClusterCapacityProviders",
            ],
            scope.per_stack("ecs", "cluster/{stack}-*"),
        ),
        allow(
            "EcsRead",
            &[
                "ecs:Describe*",
                "ecs:List*",
                "ecs:RegisterTaskDefinition",
                "ecs:DeregisterTaskDefinition",
            ],
            vec!["*".to_owned()],
        ),
        allow(
            "EcrAuth",
            &["ecr:GetAuthorizationToken"],
            vec!["*".to_owned()],
        ),
        allow(
            "EcrPush",
            ECR_PUSH_ACTIONS,
            [
                vec![scope.arn(
                    "ecr",
                    &format!("repository/cdk-{q}-container-assets-{acct}-{region}"),
                )],
                scope
                    .ecr_repositories
                    .iter()
                    .map(|r| scope.arn("ecr", &format!("repository/{r}")))
                    .collect(),
            ]
            .concat(),
        ),
        allow(
            "SecretsOfStack",
            &[
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:DescribeSecret",
            ],
            scope.per_stack("secretsmanager", "secret:{stack}*"),
        ),
    ];
    let mut tagged = allow(
        "SecretsTaggedByStack",
        &[
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:DescribeSecret",
        ],
        vec![scope.arn("secretsmanager", "secret:*")],
    );
    tagged.condition.insert(
        "StringEquals",
        "aws:ResourceTag/aws:cloudformation:stack-name",
        cond_values(&scope.stack_names),
    );
    statements.push(tagged);
    statements.extend([
        allow(
            "LambdaOfStack",
            &[
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:InvokeFunction",
                "lambda:TagResource",
            ],
            scope.per_stack("lambda", "function:{stack}-*"),
        ),
        allow(
            "EventBridgeOfStack",
            &[
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:TagResource",
            ],
            scope.per_stack("events", "rule/{stack}-*"),
        ),
        allow(
            "LogsOfStack",
            &[
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "logs:TagResource",
            ],
            [
                scope.per_stack("logs", "log-group:{stack}-*"),
                scope.per_stack("logs", "log-group:/aws/lambda/{stack}-*"),
            ]
            .concat(),
        ),
        allow(
            "LogsDescribe",
            &["logs:DescribeLogGroups"],
            vec!["*".to_owned()],
        ),
        allow(
            "IamRolesOfStack",
            &[
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:UpdateAssumeRolePolicy",
            ],
            scope.iam_per_stack("role/{stack}-*"),
        ),
    ]);
    let mut pass = allow(
        "PassRolesOfStack",
        &["iam:PassRole"],
        scope.iam_per_stack("role/{stack}-*"),
    );
    pass.condition.insert(
        "StringEquals",
        "iam:PassedToService",
        cond_values(&[
            "ecs-tasks.amazonaws.com".to_owned(),
            "lambda.amazonaws.com".to_owned(),
            "events.amazonaws.com".to_owned(),
        ]),
    );
    statements.push(pass);
    statements.extend([
        allow(
            "NetworkAndDatabaseRead",
            &[
                "ec2:Describe*",
                "rds:Describe*",
                "elasticloadbalancing:Describe*",
            ],
            vec!["*".to_owned()],
        ),
        allow(
            "CdkBootstrapVersion",
            &["ssm:GetParameter", "ssm:GetParameters"],
            vec![scope.arn("ssm", "parameter/cdk-bootstrap/*")],
        ),
        allow(
            "CdkAssets",
            &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
            ],
            vec![
                format!("arn:aws:s3:::cdk-{q}-assets-{acct}-{region}"),
                format!("arn:aws:s3:::cdk-{q}-assets-{acct}-{region}/*"),
            ],
        ),
        allow(
            "CdkBootstrapRoles",
            &["sts:AssumeRole"],
            vec![format!("arn:aws:iam::{acct}:role/cdk-{q}-*")],
        ),
        allow("Identity", &["sts:GetCallerIdentity"], vec!["*".to_owned()]),
    ]);
    PolicyDocument::new(statements)
}

/// ECR actions a `docker push` needs on the repository.
const ECR_PUSH_ACTIONS: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
];

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
        .map(|r| format!("arn:aws:ecr:{region}:{acct}:repository/{r}"))
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
