//! The permission model bootstrap writes (issue 11): the deploy role never mutates IAM, CDK
//! environments only assume the four bootstrap roles of their qualifier, template
//! environments pass exactly their execution role to CloudFormation, the execution policy is
//! generated from the template's types with every role bounded, and the boundary holds.
//!
//! Every row goes through hoist-policy's own identity-policy evaluator
//! ([`evaluate_identity`]), the one `hoist trust` uses; the same rows against an
//! `Action: *` policy prove none of them is denied vacuously.

use hoist_policy::generate::execution::{ExecutionPolicyError, handler_permissions};
use hoist_policy::generate::{
    DeployScope, add_permissions_boundary, deploy_permissions_policy, execution_policy,
    permissions_boundary_policy,
};
use hoist_policy::model::PolicyDocument;
use hoist_policy::{IdentityRequest, evaluate_identity};

const ACCT: &str = "123456789012";
const REGION: &str = "ca-central-1";
const STACK: &str = "HindsightDevStack";
const EXEC_ROLE: &str = "GitHubActionsHindsightDev-CfnExec";
const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/hoist-boundary-dev";
const DEPLOY_ROLE: &str = "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev";

/// A request with single-valued condition keys, as the AWS service builds it.
fn req(action: &str, resource: &str, ctx: &[(&str, &str)]) -> IdentityRequest {
    ctx.iter()
        .fold(IdentityRequest::new(action, resource), |r, (k, v)| {
            r.with(k, v)
        })
}

/// hoist's own identity-policy evaluator: allowed by `identity` and, when set, `boundary`.
fn allowed(
    identity: &PolicyDocument,
    boundary: Option<&PolicyDocument>,
    r: &IdentityRequest,
) -> bool {
    evaluate_identity(&[identity], boundary, r).allowed()
}

fn scope() -> DeployScope {
    let mut s = DeployScope::new(REGION, &[STACK]);
    s.account_id = Some(ACCT.into());
    s.ecr_repositories = vec!["hindsight-api".into()];
    s
}

/// A template like the Hindsight stack: a task role, a Lambda, a log group, a secret, an
/// ECS cluster and service.
const TEMPLATE: &str = r#"{"Resources":{
  "TaskRole":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{}}},
  "Fn":{"Type":"AWS::Lambda::Function","Properties":{}},
  "Logs":{"Type":"AWS::Logs::LogGroup"},
  "Secret":{"Type":"AWS::SecretsManager::Secret"},
  "Cluster":{"Type":"AWS::ECS::Cluster"},
  "Service":{"Type":"AWS::ECS::Service"},
  "Meta":{"Type":"AWS::CDK::Metadata"}}}"#;

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// The escalation paths of issue 11, as requests an attacker's workflow would make.
fn escalations() -> Vec<(&'static str, IdentityRequest)> {
    vec![
        (
            "create a stack-named role",
            req(
                "iam:CreateRole",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "attach admin to a stack role",
            req(
                "iam:AttachRolePolicy",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[("iam:PolicyARN", ADMIN)],
            ),
        ),
        (
            "put an inline policy",
            req(
                "iam:PutRolePolicy",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "re-trust a stack role",
            req(
                "iam:UpdateAssumeRolePolicy",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "pass a stack role to Lambda",
            req(
                "iam:PassRole",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[("iam:PassedToService", "lambda.amazonaws.com")],
            ),
        ),
        (
            "pass the execution role to Lambda",
            req(
                "iam:PassRole",
                "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev-CfnExec",
                &[("iam:PassedToService", "lambda.amazonaws.com")],
            ),
        ),
        (
            "create a Lambda",
            req(
                "lambda:CreateFunction",
                "arn:aws:lambda:ca-central-1:123456789012:function:HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "register an ECS task definition",
            req("ecs:RegisterTaskDefinition", "*", &[]),
        ),
        (
            "assume CDK's execution role",
            req(
                "sts:AssumeRole",
                "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ca-central-1",
                &[],
            ),
        ),
        (
            "assume another qualifier's deploy role",
            req(
                "sts:AssumeRole",
                "arn:aws:iam::123456789012:role/cdk-other-deploy-role-123456789012-ca-central-1",
                &[],
            ),
        ),
        (
            "push to any repository",
            req(
                "ecr:PutImage",
                "arn:aws:ecr:ca-central-1:123456789012:repository/other",
                &[],
            ),
        ),
        (
            "read a longer-named stack's secret",
            req(
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:ca-central-1:123456789012:secret:HindsightDevStackProd-db-AbCdEf",
                &[],
            ),
        ),
        (
            "create a policy version",
            req(
                "iam:CreatePolicyVersion",
                "arn:aws:iam::123456789012:policy/any",
                &[],
            ),
        ),
        (
            "create an access key",
            req(
                "iam:CreateAccessKey",
                "arn:aws:iam::123456789012:user/admin",
                &[],
            ),
        ),
        (
            "create a login profile",
            req(
                "iam:CreateLoginProfile",
                "arn:aws:iam::123456789012:user/admin",
                &[],
            ),
        ),
        (
            "change another stack",
            req(
                "cloudformation:CreateChangeSet",
                "arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightProdStack/1",
                &[(
                    "cloudformation:RoleArn",
                    "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev-CfnExec",
                )],
            ),
        ),
        (
            "change its stack as itself",
            req(
                "cloudformation:CreateChangeSet",
                "arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/1",
                &[],
            ),
        ),
        (
            "import a resource into its stack",
            req(
                "cloudformation:CreateChangeSet",
                "arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/1",
                &[
                    (
                        "cloudformation:RoleArn",
                        "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev-CfnExec",
                    ),
                    (
                        "cloudformation:ImportResourceTypes",
                        "AWS::Lambda::Function",
                    ),
                ],
            ),
        ),
        (
            "redeploy another stack's service",
            req(
                "ecs:UpdateService",
                "arn:aws:ecs:ca-central-1:123456789012:service/prod/api",
                &[(
                    "aws:ResourceTag/aws:cloudformation:stack-name",
                    "HindsightProdStack",
                )],
            ),
        ),
        (
            "change its stack as another role",
            req(
                "cloudformation:CreateChangeSet",
                "arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/1",
                &[(
                    "cloudformation:RoleArn",
                    "arn:aws:iam::123456789012:role/Admin",
                )],
            ),
        ),
    ]
}

#[test]
fn deploy_roles_are_denied_every_escalation_path() {
    let cdk = deploy_permissions_policy(&scope());
    let template = deploy_permissions_policy(&scope().template(EXEC_ROLE));
    for (mode, doc) in [("cdk", &cdk), ("template", &template)] {
        for (what, r) in escalations() {
            assert!(!allowed(doc, None, &r), "{mode} deploy role may {what}");
        }
    }
}

#[test]
fn deploy_roles_are_allowed_the_calls_deploy_makes() {
    let stack = "arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/abc";
    let service = "arn:aws:ecs:ca-central-1:123456789012:service/HindsightDevStack-Cluster1-AbC/HindsightDevStack-Api-XyZ";
    let secret =
        "arn:aws:secretsmanager:ca-central-1:123456789012:secret:HindsightDevStack/llm-key-AbCdEf";
    let exec = "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev-CfnExec";
    let common = vec![
        req("cloudformation:DescribeStacks", stack, &[]),
        req("cloudformation:DescribeStackEvents", stack, &[]),
        req("secretsmanager:PutSecretValue", secret, &[]),
        req(
            "secretsmanager:PutSecretValue",
            "arn:aws:secretsmanager:ca-central-1:123456789012:secret:DbSecret9A8B-AbCdEf",
            &[("aws:ResourceTag/aws:cloudformation:stack-name", STACK)],
        ),
        req("ecs:UpdateService", service, &[]),
        req("ecs:DescribeServices", service, &[]),
        req(
            "ecs:ListTasks",
            "*",
            &[(
                "ecs:cluster",
                "arn:aws:ecs:ca-central-1:123456789012:cluster/HindsightDevStack-Cluster1-AbC",
            )],
        ),
        req(
            "ecs:UpdateService",
            "arn:aws:ecs:ca-central-1:123456789012:service/hindsight-dev/hindsight-dev-api",
            &[("aws:ResourceTag/aws:cloudformation:stack-name", STACK)],
        ),
        req("ecr:GetAuthorizationToken", "*", &[]),
        req(
            "ecr:PutImage",
            "arn:aws:ecr:ca-central-1:123456789012:repository/hindsight-api",
            &[],
        ),
        req("sts:GetCallerIdentity", "*", &[]),
    ];
    let mut cdk_calls = common.clone();
    for kind in ["deploy", "file-publishing", "image-publishing", "lookup"] {
        let arn = format!(
            "arn:aws:iam::123456789012:role/cdk-hnb659fds-{kind}-role-123456789012-ca-central-1"
        );
        cdk_calls.push(req("sts:AssumeRole", &arn, &[]));
    }
    cdk_calls.push(req(
        "ssm:GetParameter",
        "arn:aws:ssm:ca-central-1:123456789012:parameter/cdk-bootstrap/hnb659fds/version",
        &[],
    ));
    let cdk = deploy_permissions_policy(&scope());
    for r in &cdk_calls {
        assert!(
            allowed(&cdk, None, r),
            "cdk: {} on {}",
            r.action,
            r.resource
        );
    }
    let mut tpl_calls = common;
    tpl_calls.push(req(
        "cloudformation:CreateChangeSet",
        stack,
        &[("cloudformation:RoleArn", exec)],
    ));
    tpl_calls.push(req("cloudformation:ExecuteChangeSet", stack, &[]));
    tpl_calls.push(req("cloudformation:DescribeChangeSet", stack, &[]));
    tpl_calls.push(req(
        "iam:PassRole",
        exec,
        &[("iam:PassedToService", "cloudformation.amazonaws.com")],
    ));
    let template = deploy_permissions_policy(&scope().template(EXEC_ROLE));
    for r in &tpl_calls {
        assert!(
            allowed(&template, None, r),
            "template: {} on {}",
            r.action,
            r.resource
        );
    }
}

#[test]
fn no_cdk_wildcard_no_repository_star_and_secret_separators() {
    for doc in [
        deploy_permissions_policy(&scope()),
        deploy_permissions_policy(&scope().template(EXEC_ROLE)),
    ] {
        let json = doc.to_json();
        assert!(
            !json.contains("role/cdk-*") && !json.contains("cdk-hnb659fds-*"),
            "{json}"
        );
        assert!(!json.contains("repository/*"), "{json}");
        assert!(!json.contains(&format!("secret:{STACK}*")), "{json}");
        assert!(
            json.contains(&format!("secret:{STACK}/*"))
                && json.contains(&format!("secret:{STACK}-*"))
        );
    }
    let mut other = scope();
    other.cdk_qualifier = "abc123".into();
    let json = deploy_permissions_policy(&other).to_json();
    assert!(
        json.contains("role/cdk-abc123-lookup-role-123456789012-ca-central-1"),
        "{json}"
    );
    assert!(
        json.contains("parameter/cdk-bootstrap/abc123/version"),
        "{json}"
    );
    let mut cn = scope();
    cn.region = "cn-north-1".into();
    assert!(
        deploy_permissions_policy(&cn)
            .to_json()
            .contains("arn:aws-cn:iam::123456789012:role/cdk-")
    );
}

fn exec_policy() -> PolicyDocument {
    execution_policy(TEMPLATE, &scope(), BOUNDARY)
        .unwrap()
        .document
}

fn boundary() -> PolicyDocument {
    let s = scope();
    permissions_boundary_policy(
        &s,
        BOUNDARY,
        &[
            DEPLOY_ROLE.to_owned(),
            s.iam_arn(&format!("role/{EXEC_ROLE}")),
        ],
    )
}

#[test]
fn execution_policy_covers_the_templates_handlers() {
    let ep = execution_policy(TEMPLATE, &scope(), BOUNDARY).unwrap();
    assert!(ep.resource_types.contains(&"AWS::ECS::Service".to_owned()));
    let doc = &ep.document;
    // Every create handler permission of every type is allowed on the stack's resources;
    // its roles live under the boundary's path (`add_permissions_boundary` puts them there).
    let role = "arn:aws:iam::123456789012:role/hoist-boundary-dev/HindsightDevStack-TaskRole-AbC";
    let with_boundary = [("iam:PermissionsBoundary", BOUNDARY)];
    for (action, resource, ctx) in [
        ("iam:CreateRole", role, &with_boundary[..]),
        ("iam:PutRolePolicy", role, &with_boundary[..]),
        ("iam:GetRole", role, &[][..]),
        ("iam:PassRole", role, &[][..]),
        ("iam:UpdateAssumeRolePolicy", role, &[][..]),
        ("iam:TagRole", role, &[][..]),
        // A role made before the path, replaced on the next update: read and deleted.
        (
            "iam:DeleteRole",
            "arn:aws:iam::123456789012:role/HindsightDevStack-TaskRole-Old",
            &[][..],
        ),
        (
            "iam:DetachRolePolicy",
            "arn:aws:iam::123456789012:role/HindsightDevStack-TaskRole-Old",
            &with_boundary[..],
        ),
        (
            "lambda:CreateFunction",
            "arn:aws:lambda:ca-central-1:123456789012:function:HindsightDevStack-Fn-AbC",
            &[][..],
        ),
        (
            "ecs:CreateCluster",
            "arn:aws:ecs:ca-central-1:123456789012:cluster/hindsight-dev",
            &[][..],
        ),
        (
            "logs:CreateLogGroup",
            "arn:aws:logs:ca-central-1:123456789012:log-group:HindsightDevStack-Logs-AbC",
            &[][..],
        ),
        (
            "ecs:CreateCluster",
            "arn:aws:ecs:ca-central-1:123456789012:cluster/HindsightDevStack-Cluster-AbC",
            &[][..],
        ),
        (
            "ecs:CreateService",
            "arn:aws:ecs:ca-central-1:123456789012:service/HindsightDevStack-Cluster-AbC/HindsightDevStack-Service-AbC",
            &[][..],
        ),
        ("ecs:DescribeServices", "*", &[][..]),
        (
            "secretsmanager:CreateSecret",
            "arn:aws:secretsmanager:ca-central-1:123456789012:secret:Secret-AbC",
            &[][..],
        ),
        (
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:ca-central-1:123456789012:secret:Secret-AbC",
            &[("aws:ResourceTag/aws:cloudformation:stack-name", STACK)][..],
        ),
    ] {
        let r = req(action, resource, ctx);
        assert!(
            allowed(doc, Some(&boundary()), &r),
            "{action} on {resource}"
        );
    }
    for kind in &ep.resource_types {
        let Some(perms) = handler_permissions(kind) else {
            continue;
        };
        for p in perms {
            let json = doc.to_json();
            let (svc, name) = p.split_once(':').unwrap();
            let listed = json.contains(&format!("\"{p}\""))
                || (name.starts_with("Describe") && json.contains(&format!("\"{svc}:Describe*\"")))
                || (name.starts_with("List") && json.contains(&format!("\"{svc}:List*\"")))
                || ep.omitted.iter().any(|(a, _)| a == &p);
            assert!(
                listed,
                "{kind}: {p} neither granted nor reported as omitted"
            );
        }
    }
}

#[test]
fn execution_role_and_boundary_deny_the_escalations() {
    let exec = exec_policy();
    let b = boundary();
    let rows: Vec<(&str, IdentityRequest)> = vec![
        (
            "create a role without the boundary",
            req(
                "iam:CreateRole",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "create a role with another boundary",
            req(
                "iam:CreateRole",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[("iam:PermissionsBoundary", ADMIN)],
            ),
        ),
        (
            "create a role outside the stack",
            req(
                "iam:CreateRole",
                "arn:aws:iam::123456789012:role/Other",
                &[("iam:PermissionsBoundary", BOUNDARY)],
            ),
        ),
        (
            "attach admin to an unbounded role",
            req(
                "iam:AttachRolePolicy",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[("iam:PolicyARN", ADMIN)],
            ),
        ),
        (
            "remove a role's boundary",
            req(
                "iam:DeleteRolePermissionsBoundary",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "change the boundary",
            req("iam:CreatePolicyVersion", BOUNDARY, &[]),
        ),
        (
            "delete the boundary",
            req("iam:DeletePolicy", BOUNDARY, &[]),
        ),
        (
            "create a user",
            req("iam:CreateUser", "arn:aws:iam::123456789012:user/x", &[]),
        ),
        (
            "create an access key",
            req(
                "iam:CreateAccessKey",
                "arn:aws:iam::123456789012:user/admin",
                &[],
            ),
        ),
        (
            "leave the organization",
            req("organizations:LeaveOrganization", "*", &[]),
        ),
        (
            "pass an outside role",
            req("iam:PassRole", "arn:aws:iam::123456789012:role/Admin", &[]),
        ),
        (
            "pass a stack-named role without the boundary (at /) to compute",
            req(
                "iam:PassRole",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[("iam:PassedToService", "lambda.amazonaws.com")],
            ),
        ),
        (
            "re-trust a stack-named role without the boundary (at /)",
            req(
                "iam:UpdateAssumeRolePolicy",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "tag a stack-named role without the boundary (at /)",
            req(
                "iam:TagRole",
                "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "pass a stack-named role under another path",
            req(
                "iam:PassRole",
                "arn:aws:iam::123456789012:role/other-boundary/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "create a role under the boundary's path without the boundary",
            req(
                "iam:CreateRole",
                "arn:aws:iam::123456789012:role/hoist-boundary-dev/HindsightDevStack-x",
                &[],
            ),
        ),
        (
            "re-trust an outside role",
            req(
                "iam:UpdateAssumeRolePolicy",
                "arn:aws:iam::123456789012:role/Admin",
                &[],
            ),
        ),
        (
            "change hoist's deploy role",
            req(
                "iam:PutRolePolicy",
                DEPLOY_ROLE,
                &[("iam:PermissionsBoundary", BOUNDARY)],
            ),
        ),
        (
            "invoke an outside function",
            req(
                "lambda:InvokeFunction",
                "arn:aws:lambda:ca-central-1:123456789012:function:Other",
                &[],
            ),
        ),
        (
            "read an outside secret",
            req(
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:ca-central-1:123456789012:secret:prod/db-AbC",
                &[],
            ),
        ),
    ];
    for (what, r) in &rows {
        assert!(!allowed(&exec, Some(&b), r), "execution role may {what}");
    }
    // The boundary alone also stops a role it caps that holds AdministratorAccess.
    let admin = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    for (what, r) in rows.iter().filter(|(w, _)| {
        // (the boundary leaves tagging to the role's own policy)
        !w.contains("outside the stack")
            && !w.starts_with("tag ")
            && !w.contains("outside function")
            && !w.contains("outside secret")
    }) {
        assert!(
            !allowed(&admin, Some(&b), r),
            "a bounded admin role may {what}"
        );
    }
}

#[test]
fn refused_unknown_and_oversized_templates() {
    let user = r#"{"Resources":{"U":{"Type":"AWS::IAM::User"}}}"#;
    assert!(matches!(
        execution_policy(user, &scope(), BOUNDARY),
        Err(ExecutionPolicyError::Refused { .. })
    ));
    let unknown = r#"{"Resources":{"U":{"Type":"AWS::Nope::Thing"}}}"#;
    assert_eq!(
        execution_policy(unknown, &scope(), BOUNDARY),
        Err(ExecutionPolicyError::UnknownType("AWS::Nope::Thing".into()))
    );
    assert!(matches!(
        execution_policy("not json", &scope(), BOUNDARY),
        Err(ExecutionPolicyError::NotJson(_))
    ));
    assert_eq!(
        execution_policy("{}", &scope(), BOUNDARY),
        Err(ExecutionPolicyError::NoResources)
    );
    // Custom resources need only the in-stack provider function.
    let custom = execution_policy(
        r#"{"Resources":{"C":{"Type":"Custom::Thing"}}}"#,
        &scope(),
        BOUNDARY,
    )
    .unwrap();
    let r = req(
        "lambda:InvokeFunction",
        "arn:aws:lambda:ca-central-1:123456789012:function:HindsightDevStack-Provider-AbC",
        &[],
    );
    assert!(allowed(&custom.document, None, &r));
}

#[test]
fn the_boundary_goes_on_every_role_and_nothing_else() {
    let t = r#"{"Resources":{
      "A":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{}}},
      "B":{"Type":"AWS::IAM::Role"},
      "C":{"Type":"AWS::IAM::Role","Properties":{"PermissionsBoundary":"arn:aws:iam::aws:policy/AdministratorAccess"}},
      "D":{"Type":"AWS::IAM::Role","Properties":{"PermissionsBoundary":"arn:aws:iam::123456789012:policy/hoist-boundary-dev"}},
      "Q":{"Type":"AWS::SQS::Queue","Properties":{}}}}"#;
    let out = add_permissions_boundary(t, BOUNDARY).unwrap();
    // D has the boundary but not the path: it moves under it.
    assert_eq!(out.changed_roles, ["A", "B", "C", "D"]);
    let v: serde_json::Value = serde_json::from_str(&out.template).unwrap();
    for id in ["A", "B", "C", "D"] {
        assert_eq!(
            v["Resources"][id]["Properties"]["PermissionsBoundary"], BOUNDARY,
            "{id}"
        );
        assert_eq!(
            v["Resources"][id]["Properties"]["Path"], "/hoist-boundary-dev/",
            "{id}"
        );
    }
    assert!(
        v["Resources"]["Q"]["Properties"]
            .get("PermissionsBoundary")
            .is_none()
            && v["Resources"]["Q"]["Properties"].get("Path").is_none()
    );
    assert_eq!(
        v["Resources"]["A"]["Properties"]["AssumeRolePolicyDocument"],
        serde_json::json!({})
    );
    // Applying twice changes nothing.
    let again = add_permissions_boundary(&out.template, BOUNDARY).unwrap();
    assert!(again.changed_roles.is_empty());
    assert_eq!(again.template, out.template);
    assert!(add_permissions_boundary("[]", BOUNDARY).is_err());
    assert!(
        add_permissions_boundary(
            r#"{"Resources":{"A":{"Type":"AWS::IAM::Role","Properties":[]}}}"#,
            BOUNDARY
        )
        .is_err()
    );
}

#[test]
fn execution_policy_fits_iam_limits_and_round_trips() {
    let doc = exec_policy();
    assert_eq!(PolicyDocument::parse(&doc.to_json()).unwrap(), doc);
    let size = doc.to_json().chars().filter(|c| !c.is_whitespace()).count();
    assert!(size <= 10_240, "{size}");
    let b = boundary();
    assert!(b.to_json().chars().filter(|c| !c.is_whitespace()).count() <= 6_144);
}

#[test]
fn the_evaluator_allows_every_escalation_to_an_admin_policy() {
    // Without this, a table row that no policy could ever allow would pass vacuously.
    let admin = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    for (what, r) in escalations() {
        assert!(allowed(&admin, None, &r), "admin should be able to {what}");
    }
}

/// The resource types of `examples/hindsight/hindsight-stack.yaml` (VPC, RDS, ECS behind an
/// ALB, Lambdas, secrets): the generated execution policy must fit IAM's inline limit.
#[test]
fn the_example_stacks_execution_policy_fits() {
    let types: Vec<String> = [
        "AWS::EC2::EIP",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::Route",
        "AWS::EC2::RouteTable",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::Subnet",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::VPC",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::ECS::Cluster",
        "AWS::ECS::Service",
        "AWS::ECS::TaskDefinition",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::Events::Rule",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBSubnetGroup",
        "AWS::SecretsManager::Secret",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let ep =
        hoist_policy::generate::execution_policy_for_types(&types, &scope(), BOUNDARY).unwrap();
    let size = ep
        .document
        .to_json()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    assert!(size <= 10_240, "{size}");
    let r = req(
        "iam:CreateRole",
        "arn:aws:iam::123456789012:role/HindsightDevStack-TaskRole-AbC",
        &[("iam:PermissionsBoundary", BOUNDARY)],
    );
    assert!(allowed(&ep.document, Some(&boundary()), &r));
    let r = req(
        "rds:CreateDBInstance",
        "arn:aws:rds:ca-central-1:123456789012:db:hindsightdevstack-db-abc",
        &[],
    );
    assert!(allowed(&ep.document, Some(&boundary()), &r));
}

#[test]
fn every_known_type_yields_a_policy_without_escalation_actions() {
    // Each type alone: no sts:AssumeRole, no unconditioned role creation, no user or key
    // creation, no organizations/account action — whatever its handlers list.
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../data/cfn_handler_permissions.json")).unwrap();
    let types = table["types"].as_object().unwrap();
    assert!(types.len() > 1000, "{}", types.len());
    let mut refused = 0;
    for kind in types.keys() {
        let ep = match hoist_policy::generate::execution_policy_for_types(
            std::slice::from_ref(kind),
            &scope(),
            BOUNDARY,
        ) {
            Ok(ep) => ep,
            Err(ExecutionPolicyError::Refused { .. } | ExecutionPolicyError::TooLarge { .. }) => {
                refused += 1;
                continue;
            }
            Err(e) => panic!("{kind}: {e}"),
        };
        let b = boundary();
        for (what, r) in [
            (
                "assume a role",
                req(
                    "sts:AssumeRole",
                    "arn:aws:iam::123456789012:role/Admin",
                    &[],
                ),
            ),
            (
                "create an unbounded role",
                req(
                    "iam:CreateRole",
                    "arn:aws:iam::123456789012:role/HindsightDevStack-x",
                    &[],
                ),
            ),
            (
                "create a user",
                req("iam:CreateUser", "arn:aws:iam::123456789012:user/x", &[]),
            ),
            (
                "create an access key",
                req(
                    "iam:CreateAccessKey",
                    "arn:aws:iam::123456789012:user/x",
                    &[],
                ),
            ),
            (
                "leave the organization",
                req("organizations:LeaveOrganization", "*", &[]),
            ),
            (
                "pass an outside role",
                req("iam:PassRole", "arn:aws:iam::123456789012:role/Admin", &[]),
            ),
        ] {
            assert!(
                !allowed(&ep.document, None, &r),
                "{kind}: execution policy may {what}"
            );
            assert!(
                !allowed(&ep.document, Some(&b), &r),
                "{kind}: bounded execution role may {what}"
            );
        }
    }
    assert!(refused < 20, "{refused} types refused or too large");
}

/// Issue 11: what bootstrap writes for a template environment — the execution policy of the
/// example stack's types and of the test template — passes the permission audit with zero
/// findings, while the same policy with its roles at `/` (the shape before they moved under
/// the boundary's path) still draws the pass-role and re-trust findings.
#[test]
fn the_execution_policy_audits_clean_and_the_audit_still_sees_roles_at_the_root() {
    let types: Vec<String> = hoist_policy::generate::execution::resource_types(TEMPLATE).unwrap();
    let example: Vec<String> = [
        "AWS::EC2::SecurityGroup",
        "AWS::ECS::Cluster",
        "AWS::ECS::Service",
        "AWS::ECS::TaskDefinition",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::RDS::DBInstance",
        "AWS::SecretsManager::Secret",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for types in [types, example] {
        let ep =
            hoist_policy::generate::execution_policy_for_types(&types, &scope(), BOUNDARY).unwrap();
        let findings = hoist_policy::audit_permission_policy(&ep.document);
        assert!(
            findings.is_empty(),
            "{types:?}: {findings:#?}\n{}",
            ep.document.to_json()
        );
        let at_root = PolicyDocument::parse(
            &ep.document
                .to_json()
                .replace("role/hoist-boundary-dev/", "role/"),
        )
        .unwrap();
        let mut rules: Vec<&str> = hoist_policy::audit_permission_policy(&at_root)
            .iter()
            .map(|f| f.rule)
            .collect();
        rules.sort_unstable();
        assert_eq!(rules, ["HOIST-P005", "HOIST-P006"], "{types:?}");
    }
}

/// A bring-your-own secret the sync writes (its ARN passed as a template parameter) is
/// writable by exactly that ARN; without it in the scope, it is not (its name is not the
/// stack's, and a parameter-passed secret carries no CloudFormation tag).
#[test]
fn synced_parameter_secrets_are_writable_by_their_exact_arn_only() {
    let arn = "arn:aws:secretsmanager:ca-central-1:123456789012:secret:team/llm-key-AbCdEf";
    let put = req("secretsmanager:PutSecretValue", arn, &[]);
    assert!(!allowed(&deploy_permissions_policy(&scope()), None, &put));
    let mut s = scope();
    s.synced_secret_arns = vec![arn.to_owned()];
    let policy = deploy_permissions_policy(&s);
    assert!(allowed(&policy, None, &put));
    for other in [
        "arn:aws:secretsmanager:ca-central-1:123456789012:secret:team/llm-key-XyZxYz",
        "arn:aws:secretsmanager:ca-central-1:123456789012:secret:team/other-AbCdEf",
    ] {
        let r = req("secretsmanager:PutSecretValue", other, &[]);
        assert!(!allowed(&policy, None, &r), "{other}");
    }
    assert!(hoist_policy::audit_permission_policy(&policy).is_empty());
}
