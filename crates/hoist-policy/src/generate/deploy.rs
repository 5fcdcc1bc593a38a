//! The GitHub deploy role's permissions. It never mutates IAM:
//! - CDK: `sts:AssumeRole` of exactly the four CDK bootstrap roles of the qualifier (deploy,
//!   file-publishing, image-publishing, lookup — never `cdk-*`, which would include the
//!   execution role) and `ssm:GetParameter` of `/cdk-bootstrap/QUALIFIER/version`;
//! - template: change sets on its own stack only when they name the environment's execution
//!   role (`cloudformation:RoleArn`) and import nothing, and `iam:PassRole` of exactly that
//!   role, only to `cloudformation.amazonaws.com`.
//!
//! Both read their stack, write the stack's secrets (names `STACK/…` or `STACK-…`, or tagged
//! by CloudFormation with the stack's name — a tag only CloudFormation can set, the
//! `aws:` prefix being reserved, and the exact ARNs of the bring-your-own secrets it syncs),
//! redeploy the stack's ECS services (named `STACK-…` or
//! tagged with the stack's name; describing services and tasks is read-only and cannot be
//! scoped to names the template chose) and push to the configured ECR repositories.

use super::scope::{DeployMode, DeployScope};
use super::{allow, cond_value, cond_values};
use crate::model::{PolicyDocument, Statement};

/// What `hoist deploy` reads from its stack.
const STACK_READ: &[&str] = &[
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStackResource",
    "cloudformation:DescribeStackResources",
    "cloudformation:GetTemplate",
];

/// The change-set calls of a template deploy (all authorized on the stack's ARN).
const CHANGE_SET: &[&str] = &[
    "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:ListChangeSets",
];

/// Secret calls of the secret sync.
const SECRETS: &[&str] = &[
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
];

/// ECR actions a `docker push` needs on the repository.
pub(crate) const ECR_PUSH_ACTIONS: &[&str] = &[
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

/// The deploy role's permission policy for `scope`.
#[must_use]
pub fn deploy_permissions_policy(scope: &DeployScope) -> PolicyDocument {
    let mut statements = vec![allow(
        "ReadOwnStack",
        STACK_READ,
        scope.per_stack("cloudformation", "stack/{stack}/*"),
    )];
    match &scope.mode {
        DeployMode::Cdk => statements.extend(cdk(scope)),
        DeployMode::Template { execution_role } => {
            statements.extend(template(scope, execution_role));
        }
    }
    statements.extend(after_stack(scope));
    PolicyDocument::new(statements)
}

fn cdk(scope: &DeployScope) -> Vec<Statement> {
    vec![
        allow(
            "AssumeCdkBootstrapRoles",
            &["sts:AssumeRole"],
            scope.cdk_bootstrap_roles(),
        ),
        allow(
            "CdkBootstrapVersion",
            &["ssm:GetParameter"],
            vec![scope.arn(
                "ssm",
                &format!("parameter/cdk-bootstrap/{}/version", scope.cdk_qualifier),
            )],
        ),
    ]
}

fn template(scope: &DeployScope, execution_role: &str) -> Vec<Statement> {
    let role_arn = scope.iam_arn(&format!("role/{execution_role}"));
    let stacks = scope.per_stack("cloudformation", "stack/{stack}/*");
    let mut create = allow(
        "ChangeSetsAsExecutionRole",
        &["cloudformation:CreateChangeSet"],
        stacks.clone(),
    );
    create.condition.insert(
        "StringEquals",
        "cloudformation:RoleArn",
        cond_value(&role_arn),
    );
    // An import change set would bring any existing resource (a function running as another
    // role) under the stack, and so under the execution role.
    create.condition.insert(
        "Null",
        "cloudformation:ImportResourceTypes",
        cond_value("true"),
    );
    let mut delete = allow(
        "DeleteOwnStackAsExecutionRole",
        &["cloudformation:DeleteStack"],
        stacks.clone(),
    );
    delete.condition.insert(
        "StringEquals",
        "cloudformation:RoleArn",
        cond_value(&role_arn),
    );
    let mut pass = allow("PassExecutionRole", &["iam:PassRole"], vec![role_arn]);
    pass.condition.insert(
        "StringEquals",
        "iam:PassedToService",
        cond_value("cloudformation.amazonaws.com"),
    );
    vec![
        create,
        delete,
        allow("ChangeSetsOfOwnStack", CHANGE_SET, stacks),
        allow(
            "TemplateChecks",
            &[
                "cloudformation:ValidateTemplate",
                "cloudformation:GetTemplateSummary",
            ],
            vec!["*".to_owned()],
        ),
        pass,
    ]
}

/// What deploy does after the stack: secrets, ECS redeploy, images.
fn after_stack(scope: &DeployScope) -> Vec<Statement> {
    let mut out = vec![allow("SecretsOfStack", SECRETS, scope.stack_secret_arns())];
    if !scope.synced_secret_arns.is_empty() {
        out.push(allow(
            "SyncedSecretsPassedAsParameters",
            SECRETS,
            scope.synced_secret_arns.clone(),
        ));
    }
    let mut tagged = allow(
        "SecretsTaggedByStack",
        SECRETS,
        vec![scope.arn("secretsmanager", "secret:*")],
    );
    tagged.condition.insert(
        "StringEquals",
        "aws:ResourceTag/aws:cloudformation:stack-name",
        cond_values(&scope.stack_names),
    );
    out.push(tagged);
    out.push(allow(
        "EcsServicesOfStack",
        &["ecs:UpdateService"],
        scope.per_stack("ecs", "service/{stack}-*/*"),
    ));
    let mut tagged_services = allow(
        "EcsServicesTaggedByStack",
        &["ecs:UpdateService"],
        vec![scope.arn("ecs", "service/*/*")],
    );
    tagged_services.condition.insert(
        "StringEquals",
        "aws:ResourceTag/aws:cloudformation:stack-name",
        cond_values(&scope.stack_names),
    );
    out.push(tagged_services);
    out.push(allow(
        "EcsRead",
        &["ecs:DescribeServices", "ecs:DescribeTasks", "ecs:ListTasks"],
        vec!["*".to_owned()],
    ));
    if !scope.ecr_repositories.is_empty() {
        out.push(allow(
            "EcrAuth",
            &["ecr:GetAuthorizationToken"],
            vec!["*".to_owned()],
        ));
        out.push(allow(
            "EcrPush",
            ECR_PUSH_ACTIONS,
            scope.ecr_repository_arns(),
        ));
    }
    out.push(allow(
        "Identity",
        &["sts:GetCallerIdentity"],
        vec!["*".to_owned()],
    ));
    out
}
