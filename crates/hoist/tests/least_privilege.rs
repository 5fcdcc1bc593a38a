//! Issue 11's bar, end to end: `hoist bootstrap --apply` writes the roles, `hoist deploy`
//! runs through the strict AWS proxy, and every call the deploy made — mapped to the IAM
//! action, resource ARN and condition keys AWS authorizes it by
//! (`hoist_testkit::iam_requests`) — is allowed by the policies bootstrap wrote, read back
//! from IAM and evaluated by hoist's own evaluator (`hoist_policy::evaluate_identity`). The
//! same read-back policies deny every escalation path of the issue. Template and CDK modes.
//!
//! Which path each part takes, honestly:
//! - moto enforces no IAM: the decision is hoist-policy's, on the exact requests the deploy
//!   sent. A call the mapping does not know fails the test (nothing is skipped), and the
//!   deploy must have made the calls that matter (change set, PassRole, secret write,
//!   service update, role assumption), so the check cannot pass empty.
//! - Calls signed by a CDK bootstrap role (the CLI's and hoist's way: deploy and publishing
//!   roles) are authorized by the CDK bootstrap stack's own role policies, not by anything
//!   hoist bootstrap writes; the test asserts they were signed by exactly the roles the deploy
//!   role may assume, and that assuming them was allowed.
//! - moto cannot create `AWS::SecretsManager::Secret` from a template, so the template test
//!   brings its own secrets (the template's `*SecretArnParam` path): two named `STACK/…` as
//!   the deploy policy documents, and the synced LLM key under a name of its own, which the
//!   deploy may write only because bootstrap follows its output back to the parameter that
//!   passes its ARN; the template creating them (real AWS, empty parameters) is covered by
//!   the `aws:cloudformation:stack-name` tag rows.
//! - moto does not put CloudFormation's `aws:cloudformation:stack-name` tag on what a stack
//!   creates; AWS does (CloudFormation User Guide, "Resource tag"). The tag condition key is
//!   set from the sandbox's `DescribeStackResources`: the stack that owns the resource.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{hoist, project};
use hoist_policy::{IdentityRequest, PolicyDocument, evaluate_identity};
use hoist_testkit::aws_proxy::{RecordedCall, StrictAws};
use hoist_testkit::iam_requests::{IamRequest, Resolve, iam_requests};
use hoist_testkit::sandbox::{Moto, require};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "ca-central-1";
const SECRET: &str = "sk-hoisttest-0123456789abcdefghijKLMNOP";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

use common::sdk::rt;

fn assert_ok(what: &str, run: &common::Run) {
    assert_eq!(
        run.code, 0,
        "{what}: exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    );
}

/// `hoist bootstrap --apply` straight against moto (its calls are not what is judged).
fn bootstrap(dir: &Path, moto: &Moto) {
    let run = hoist(dir)
        .envs(moto.env())
        .args(["bootstrap", "--apply"])
        .run();
    assert_ok("bootstrap", &run);
}

/// What bootstrap wrote for `role`, read back from IAM: every inline policy, every attached
/// managed policy's default version, and the permissions boundary.
struct Written {
    policies: Vec<PolicyDocument>,
    boundary: Option<PolicyDocument>,
}

fn written(rt: &tokio::runtime::Runtime, conf: &aws_config::SdkConfig, role: &str) -> Written {
    let iam = aws_sdk_iam::Client::new(conf);
    let parse = |text: &str| PolicyDocument::parse_iam_encoded(text).unwrap();
    let managed = |arn: &str| {
        let p = rt
            .block_on(iam.get_policy().policy_arn(arn).send())
            .unwrap();
        let version = p.policy().unwrap().default_version_id().unwrap().to_owned();
        let v = rt
            .block_on(
                iam.get_policy_version()
                    .policy_arn(arn)
                    .version_id(version)
                    .send(),
            )
            .unwrap();
        parse(v.policy_version().unwrap().document().unwrap())
    };
    let mut policies = Vec::new();
    let names = rt
        .block_on(iam.list_role_policies().role_name(role).send())
        .unwrap();
    for name in names.policy_names() {
        let p = rt
            .block_on(
                iam.get_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send(),
            )
            .unwrap();
        policies.push(parse(p.policy_document()));
    }
    let attached = rt
        .block_on(iam.list_attached_role_policies().role_name(role).send())
        .unwrap();
    for p in attached.attached_policies() {
        policies.push(managed(p.policy_arn().unwrap()));
    }
    let got = rt.block_on(iam.get_role().role_name(role).send()).unwrap();
    let boundary = got
        .role()
        .and_then(|r| r.permissions_boundary())
        .and_then(|b| b.permissions_boundary_arn())
        .map(managed);
    assert!(!policies.is_empty(), "{role} has no policy");
    Written { policies, boundary }
}

impl Written {
    fn decide(&self, r: &IamRequest) -> hoist_policy::IdentityDecision {
        let mut req = IdentityRequest::new(&r.action, &r.resource);
        for (k, v) in &r.context {
            let values: Vec<&str> = v.iter().map(String::as_str).collect();
            req = match values.as_slice() {
                [one] => req.with(k, one),
                many => req.with_values(k, many),
            };
        }
        let refs: Vec<&PolicyDocument> = self.policies.iter().collect();
        evaluate_identity(&refs, self.boundary.as_ref(), &req)
    }

    fn allows(&self, action: &str, resource: &str, ctx: &[(&str, &str)]) -> bool {
        let r = IamRequest {
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: ctx
                .iter()
                .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
                .collect(),
        };
        self.decide(&r).allowed()
    }
}

/// The sandbox's names, read with the SDK (no hoist code).
#[derive(Default)]
struct Sandbox {
    stacks: BTreeMap<String, String>,
    change_sets: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
    /// Physical id or ARN → owning stack name.
    owned: BTreeMap<String, String>,
}

impl Sandbox {
    fn read(rt: &tokio::runtime::Runtime, conf: &aws_config::SdkConfig, stacks: &[&str]) -> Self {
        let cfn = aws_sdk_cloudformation::Client::new(conf);
        let mut sb = Sandbox::default();
        for name in stacks {
            let Ok(out) = rt.block_on(cfn.describe_stacks().stack_name(*name).send()) else {
                continue;
            };
            let id = out.stacks()[0].stack_id().unwrap().to_owned();
            sb.stacks.insert((*name).to_owned(), id.clone());
            sb.stacks.insert(id.clone(), id.clone());
            let res = rt
                .block_on(cfn.describe_stack_resources().stack_name(*name).send())
                .unwrap();
            for r in res.stack_resources() {
                if let Some(p) = r.physical_resource_id() {
                    sb.owned.insert(p.to_owned(), (*name).to_owned());
                }
            }
            let cs = rt
                .block_on(cfn.list_change_sets().stack_name(*name).send())
                .unwrap();
            for s in cs.summaries() {
                if let Some(arn) = s.change_set_id() {
                    sb.change_sets.insert(arn.to_owned(), id.clone());
                }
            }
        }
        let sm = aws_sdk_secretsmanager::Client::new(conf);
        let list = rt.block_on(sm.list_secrets().send()).unwrap();
        for s in list.secret_list() {
            let arn = s.arn().unwrap().to_owned();
            sb.secrets.insert(s.name().unwrap().to_owned(), arn.clone());
            sb.secrets.insert(arn.clone(), arn);
        }
        sb
    }
}

impl Resolve for Sandbox {
    fn account(&self) -> String {
        ACCOUNT.to_owned()
    }
    fn region(&self) -> String {
        REGION.to_owned()
    }
    fn stack_arn(&self, name_or_id: &str) -> Option<String> {
        self.stacks.get(name_or_id).cloned()
    }
    fn change_set_stack(&self, arn: &str) -> Option<String> {
        self.change_sets.get(arn).cloned()
    }
    fn secret_arn(&self, id: &str) -> Option<String> {
        self.secrets.get(id).cloned()
    }
    fn owning_stack(&self, id: &str) -> Option<String> {
        if let Some(s) = self.owned.get(id) {
            return Some(s.clone());
        }
        // An ECS service's physical id is its ARN; moto may give the short form
        // `service/NAME` where AWS gives `service/CLUSTER/NAME`.
        let last = id.rsplit('/').next()?;
        let kind = id.split(':').nth(5)?.split('/').next()?;
        self.owned
            .iter()
            .find(|(p, _)| {
                p.starts_with("arn:")
                    && p.rsplit('/').next() == Some(last)
                    && p.split(':').nth(5).and_then(|r| r.split('/').next()) == Some(kind)
            })
            .map(|(_, s)| s.clone())
    }
}

/// Every recorded call, mapped and judged: base-credential calls (the GitHub deploy role's)
/// by `deploy_role`'s written policies; calls signed by an assumed role must be by one of
/// `assumable`. Returns the IAM actions judged, for the caller's coverage checks.
fn judge(
    calls: &[RecordedCall],
    sandbox: &Sandbox,
    deploy_role: &Written,
    assumable: &[String],
) -> Vec<String> {
    assert!(!calls.is_empty(), "the deploy made no AWS call");
    let mut judged = Vec::new();
    let mut denied = Vec::new();
    for call in calls {
        assert_eq!(
            call.rejected, None,
            "the strict proxy refused {}:{}",
            call.service, call.action
        );
        if let Some(role) = &call.identity {
            assert!(
                assumable.contains(role),
                "{}:{} signed by {role}, which the deploy role may not assume",
                call.service,
                call.action
            );
            continue;
        }
        let requests =
            iam_requests(call, sandbox).unwrap_or_else(|e| panic!("{e}\nparams: {}", call.params));
        for r in requests {
            let d = deploy_role.decide(&r);
            if !d.allowed() {
                denied.push(d.to_string());
            }
            judged.push(r.action);
        }
    }
    assert!(
        denied.is_empty(),
        "calls the deploy made that bootstrap's policies deny:\n{}",
        denied.join("\n")
    );
    judged
}

/// One escalation row: what, action, resource, condition keys.
type Escalation = (&'static str, String, String, Vec<(&'static str, String)>);

/// The issue's escalation paths as the deploy role would try them; `stack` is its stack.
fn escalations(stack: &str, exec_role: &str) -> Vec<Escalation> {
    let role = |n: &str| format!("arn:aws:iam::{ACCOUNT}:role/{n}");
    let x = role(&format!("{stack}-x"));
    vec![
        (
            "create a stack-named role",
            "iam:CreateRole".into(),
            x.clone(),
            vec![],
        ),
        (
            "attach admin to a stack role",
            "iam:AttachRolePolicy".into(),
            x.clone(),
            vec![("iam:PolicyARN", ADMIN.to_owned())],
        ),
        (
            "put an inline policy",
            "iam:PutRolePolicy".into(),
            x.clone(),
            vec![],
        ),
        (
            "re-trust a role",
            "iam:UpdateAssumeRolePolicy".into(),
            x.clone(),
            vec![],
        ),
        (
            "pass a stack role to Lambda",
            "iam:PassRole".into(),
            x.clone(),
            vec![("iam:PassedToService", "lambda.amazonaws.com".to_owned())],
        ),
        (
            "pass the execution role to Lambda",
            "iam:PassRole".into(),
            role(exec_role),
            vec![("iam:PassedToService", "lambda.amazonaws.com".to_owned())],
        ),
        (
            "create a Lambda",
            "lambda:CreateFunction".into(),
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack}-x"),
            vec![],
        ),
        (
            "register a task definition",
            "ecs:RegisterTaskDefinition".into(),
            "*".into(),
            vec![],
        ),
        (
            "assume CDK's execution role",
            "sts:AssumeRole".into(),
            role(&format!("cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}")),
            vec![],
        ),
        (
            "push to any repository",
            "ecr:PutImage".into(),
            format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other"),
            vec![],
        ),
        (
            "read a longer-named stack's secret",
            "secretsmanager:GetSecretValue".into(),
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{stack}Prod-db-AbCdEf"),
            vec![],
        ),
        (
            "create a policy version",
            "iam:CreatePolicyVersion".into(),
            format!("arn:aws:iam::{ACCOUNT}:policy/any"),
            vec![],
        ),
        (
            "create an access key",
            "iam:CreateAccessKey".into(),
            format!("arn:aws:iam::{ACCOUNT}:user/admin"),
            vec![],
        ),
        (
            "create a login profile",
            "iam:CreateLoginProfile".into(),
            format!("arn:aws:iam::{ACCOUNT}:user/admin"),
            vec![],
        ),
        (
            "change its stack as itself",
            "cloudformation:CreateChangeSet".into(),
            format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/1"),
            vec![],
        ),
        (
            "change its stack as an admin role",
            "cloudformation:CreateChangeSet".into(),
            format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/1"),
            vec![("cloudformation:RoleArn", role("Admin"))],
        ),
        (
            "import a function into its stack",
            "cloudformation:CreateChangeSet".into(),
            format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/1"),
            vec![
                ("cloudformation:RoleArn", role(exec_role)),
                (
                    "cloudformation:ImportResourceTypes",
                    "AWS::Lambda::Function".to_owned(),
                ),
            ],
        ),
        (
            "change another stack",
            "cloudformation:CreateChangeSet".into(),
            format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/OtherStack/1"),
            vec![("cloudformation:RoleArn", role(exec_role))],
        ),
    ]
}

fn assert_escalations_denied(mode: &str, written: &Written, stack: &str, exec_role: &str) {
    let admin = Written {
        policies: vec![
            PolicyDocument::parse(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )
            .unwrap(),
        ],
        boundary: None,
    };
    for (what, action, resource, ctx) in escalations(stack, exec_role) {
        let ctx: Vec<(&str, &str)> = ctx.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(
            admin.allows(&action, &resource, &ctx),
            "row '{what}' is denied even to an admin: the row proves nothing"
        );
        assert!(
            !written.allows(&action, &resource, &ctx),
            "{mode}: the deploy role bootstrap wrote may {what}"
        );
    }
}

/// Issue 11: every policy bootstrap writes passes the permission audit with zero findings.
fn assert_audit_clean(what: &str, docs: &[&PolicyDocument]) {
    for doc in docs {
        let findings = hoist_policy::audit_permission_policy(doc);
        assert!(
            findings.is_empty(),
            "{what}: audit findings in what bootstrap wrote: {findings:#?}\n{}",
            doc.to_json()
        );
    }
}

/// The execution role bootstrap wrote (with its boundary) may pass a role it created under
/// the boundary's path to Lambda and ECS and re-trust it (CloudFormation does both when a
/// stack's role and function change together), but may not pass, re-trust or tag a
/// stack-named role at `/` — one that exists without the boundary — nor create a role
/// under the path without the boundary.
fn assert_stack_roles_outside_the_path_are_fenced(
    mode: &str,
    exec: &Written,
    stack: &str,
    path: &str,
) {
    let bounded = format!("arn:aws:iam::{ACCOUNT}:role{path}{stack}-TaskRole-AbC");
    let at_root = format!("arn:aws:iam::{ACCOUNT}:role/{stack}-Admin");
    for service in ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"] {
        assert!(
            exec.allows(
                "iam:PassRole",
                &bounded,
                &[("iam:PassedToService", service)]
            ),
            "{mode}: the execution role may not pass its own bounded role to {service}"
        );
        assert!(
            !exec.allows(
                "iam:PassRole",
                &at_root,
                &[("iam:PassedToService", service)]
            ),
            "{mode}: the execution role may pass a stack-named role without the boundary to {service}"
        );
    }
    assert!(exec.allows("iam:UpdateAssumeRolePolicy", &bounded, &[]));
    for action in ["iam:UpdateAssumeRolePolicy", "iam:TagRole"] {
        assert!(
            !exec.allows(action, &at_root, &[]),
            "{mode}: the execution role may {action} a stack-named role at /"
        );
    }
    assert!(!exec.allows("iam:CreateRole", &bounded, &[]));
}

fn template_config(params: &BTreeMap<String, String>) -> String {
    let example = common::read_manifest_file("../../examples/hindsight/hoist.toml");
    let params: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .collect();
    let config = example.replacen(
        "parameters = { EnvName = \"dev\" }",
        &format!(
            "parameters = {{ EnvName = \"dev\", {} }}",
            params.join(", ")
        ),
        1,
    );
    assert_ne!(config, example);
    config
}

/// Template mode: the example project, bootstrapped, then deployed (an UPDATE change set as
/// the execution role, the secret sync, the forced ECS redeploy and its wait).
#[test]
fn template_deploy_calls_are_all_allowed_by_what_bootstrap_wrote() {
    const STACK: &str = "HindsightDevStack";
    const ROLE: &str = "GitHubActionsHindsightDev";
    let Some(moto) = require(
        "moto_server",
        Moto::start_with(&[("MOTO_ECS_SERVICE_RUNNING", "1")]),
    ) else {
        return;
    };
    let rt = rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    let params = common::stack::create_secrets(
        &rt,
        &conf,
        &[
            ("LlmSecretArnParam", "team/hindsight-llm-api-key", None),
            (
                "RdsSecretArnParam",
                "HindsightDevStack/rds",
                Some(r#"{"username":"hindsight","password":"pw"}"#),
            ),
            (
                "DatabaseUrlSecretArnParam",
                "HindsightDevStack/database-url",
                Some("postgresql://hindsight@db:5432/hindsight"),
            ),
        ],
    );
    let template = common::read_manifest_file("../../examples/hindsight/hindsight-stack.yaml");
    let changed = template.replacen("RetentionInDays: 30", "RetentionInDays: 14", 1);
    assert_ne!(changed, template);
    let dir = project(&[
        ("hoist.toml", &template_config(&params)),
        ("hindsight-stack.yaml", &template),
    ]);
    bootstrap(dir.path(), &moto);
    common::stack::create_stack_by_hand(&rt, &conf, STACK, &template, &params);
    std::fs::write(dir.path().join("hindsight-stack.yaml"), &changed).unwrap();

    let proxy = StrictAws::start_blocking(&moto.endpoint());
    let run = hoist(dir.path())
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("LLM_API_KEY", SECRET)
        .env("GITHUB_OUTPUT", dir.path().join("github_output"))
        .args(["deploy", "--env", "dev", "--apply"])
        .run();
    assert_ok("deploy", &run);
    run.assert_no_secret(SECRET);
    let calls = proxy.calls();
    let sandbox = Sandbox::read(&rt, &conf, &[STACK]);
    let deploy_role = written(&rt, &conf, ROLE);
    let judged = judge(&calls, &sandbox, &deploy_role, &[]);
    for needed in [
        "cloudformation:CreateChangeSet",
        "iam:PassRole",
        "cloudformation:ExecuteChangeSet",
        "secretsmanager:PutSecretValue",
        "ecs:UpdateService",
    ] {
        assert!(
            judged.iter().any(|a| a == needed),
            "the deploy made no {needed}: {judged:?}"
        );
    }
    assert_escalations_denied("template", &deploy_role, STACK, &format!("{ROLE}-CfnExec"));
    // The bring-your-own LLM secret is writable by its exact ARN only: another secret of the
    // same name prefix, or the name without its suffix, is not.
    let llm = &params["LlmSecretArnParam"];
    assert!(deploy_role.allows("secretsmanager:PutSecretValue", llm, &[]));
    for other in [
        format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:team/other-AbCdEf"),
        format!("{}x", &llm[..llm.len() - 1]),
    ] {
        assert!(
            !deploy_role.allows("secretsmanager:PutSecretValue", &other, &[]),
            "the deploy role may write {other}"
        );
    }
    let exec = written(&rt, &conf, &format!("{ROLE}-CfnExec"));
    assert!(
        exec.boundary.is_some(),
        "the execution role carries the boundary"
    );
    // The execution role's policy passes and re-trusts only roles under the boundary's path,
    // which it creates only with the boundary: it audits clean too, and still may not pass or
    // re-trust a stack-named role at `/` (one made some other way, without the boundary).
    // A boundary grants nothing (it is a ceiling: Allow * minus its Denies), so it is not
    // audited as a permission policy.
    let all: Vec<&PolicyDocument> = deploy_role.policies.iter().chain(&exec.policies).collect();
    assert_audit_clean("template", &all);
    assert_stack_roles_outside_the_path_are_fenced(
        "template",
        &exec,
        STACK,
        &format!("/{ROLE}-Boundary/"),
    );
}

const CDK_MANIFEST: &str = r#"{"version": "38.0.1", "artifacts": {
  "AppStack.assets": {"type": "cdk:asset-manifest", "properties": {"file": "AppStack.assets.json",
    "requiresBootstrapStackVersion": 6, "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"}},
  "AppStack": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
    "properties": {"templateFile": "AppStack.template.json", "validateOnSynth": false,
      "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}",
      "cloudFormationExecutionRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}",
      "stackTemplateAssetObjectUrl": "s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/TEMPLATEHASH.json",
      "requiresBootstrapStackVersion": 6, "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"},
    "dependencies": ["AppStack.assets"], "displayName": "AppStack"}}}"#;

fn cdk_assets() -> String {
    let dest = |key: &str| {
        format!(
            r#"{{"current_account-current_region": {{"bucketName": "cdk-hnb659fds-assets-${{AWS::AccountId}}-${{AWS::Region}}", "objectKey": "{key}",
               "assumeRoleArn": "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-file-publishing-role-${{AWS::AccountId}}-${{AWS::Region}}"}}}}"#
        )
    };
    format!(
        r#"{{"version": "38.0.1", "files": {{
          "c0de": {{"source": {{"path": "asset.c0de", "packaging": "zip"}}, "destinations": {}}},
          "TEMPLATEHASH": {{"source": {{"path": "AppStack.template.json", "packaging": "file"}}, "destinations": {}}}}},
          "dockerImages": {{}}}}"#,
        dest("c0de.zip"),
        dest("TEMPLATEHASH.json")
    )
}

fn cdk_bucket() -> String {
    format!("cdk-hnb659fds-assets-{ACCOUNT}-{REGION}")
}

/// A Lambda (and its role) reading its code from the zip asset.
fn cdk_template() -> String {
    format!(
        r#"{{"Resources": {{
  "Role": {{"Type": "AWS::IAM::Role", "Properties": {{"AssumeRolePolicyDocument": {{"Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}}}}},
  "Fn": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "python3.12", "Handler": "index.handler",
    "Role": {{"Fn::GetAtt": ["Role", "Arn"]}}, "Code": {{"S3Bucket": "{bucket}", "S3Key": "c0de.zip"}}}}}}}},
 "Parameters": {{"BootstrapVersion": {{"Type": "String", "Default": "/cdk-bootstrap/hnb659fds/version"}}}}}}"#,
        bucket = cdk_bucket()
    )
}

/// A stand-in CDK app (no aws-cdk-lib; the real app is the cdk-app fixture of testkit's
/// `cdk_deploy`) that writes, into `CDK_OUTDIR`, the assembly `app.synth()` writes for a
/// default-synthesizer stack: roles of qualifier hnb659fds, a zip asset, the template as an
/// asset.
const APP_PY: &str = r#"
import os, shutil
shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "assembly"), os.environ["CDK_OUTDIR"], dirs_exist_ok=True)
"#;

/// What `cdk bootstrap` leaves that a deploy reads: the assets bucket and the version.
fn cdk_bootstrap(rt: &tokio::runtime::Runtime, conf: &aws_config::SdkConfig) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(true)
            .build(),
    );
    rt.block_on(
        s3.create_bucket()
            .bucket(cdk_bucket())
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    common::raw_aws::put_ssm_parameter(
        common::raw_aws::port_of(conf.endpoint_url().expect("the sandbox's endpoint")),
        "/cdk-bootstrap/hnb659fds/version",
        "21",
    );
    // The roles `cdk bootstrap` creates: the strict proxy, like IAM, refuses to assume a role
    // that does not exist.
    let iam = aws_sdk_iam::Client::new(conf);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    for kind in [
        "deploy-role",
        "file-publishing-role",
        "image-publishing-role",
        "lookup-role",
        "cfn-exec-role",
    ] {
        rt.block_on(
            iam.create_role()
                .role_name(format!("cdk-hnb659fds-{kind}-{ACCOUNT}-{REGION}"))
                .assume_role_policy_document(&trust)
                .send(),
        )
        .unwrap();
    }
}

/// CDK mode, `cdk_app`: hoist synthesizes the app, assumes the CDK bootstrap roles the
/// assembly names, publishes the assets as the file-publishing role and deploys as the
/// deploy role. What the GitHub deploy role itself calls must be allowed by what bootstrap
/// wrote; everything else must be signed by a role it may assume. Bootstrap, run again
/// once the app is synthesized, plans the CDK execution policy and boundary for it.
#[test]
fn cdk_app_deploy_calls_are_all_allowed_by_what_bootstrap_wrote() {
    const ROLE: &str = "GitHubActionsAppDev";
    const STACK: &str = "AppStack";
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let rt = rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    cdk_bootstrap(&rt, &conf);
    let config = format!(
        "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"{REGION}\"\naccount_id = \"{ACCOUNT}\"\n\
         [environments.dev]\nbranch = \"main\"\nrole = \"{ROLE}\"\nstack = \"{STACK}\"\ncdk_app = \"cdk\"\n"
    );
    let dir = project(&[
        ("hoist.toml", &config),
        ("cdk/cdk.json", r#"{"app": "python3 app.py"}"#),
        ("cdk/app.py", APP_PY),
        ("cdk/assembly/manifest.json", CDK_MANIFEST),
        ("cdk/assembly/AppStack.assets.json", &cdk_assets()),
        ("cdk/assembly/AppStack.template.json", &cdk_template()),
        (
            "cdk/assembly/asset.c0de/index.py",
            "def handler(e, c):\n    return 1\n",
        ),
    ]);
    bootstrap(dir.path(), &moto);

    let proxy = StrictAws::start_blocking(&moto.endpoint());
    let run = hoist(dir.path())
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        // moto reads a TemplateURL's object only from a `localhost` URL (see deploy_cdk.rs).
        .env(
            "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION",
            format!("http://localhost:{}", moto.port()),
        )
        .args(["deploy", "--env", "dev", "--apply"])
        .run();
    assert_ok("deploy", &run);
    let calls = proxy.calls();
    let sandbox = Sandbox::read(&rt, &conf, &[STACK]);
    let deploy_role = written(&rt, &conf, ROLE);
    let assumable: Vec<String> = ["deploy", "file-publishing", "image-publishing", "lookup"]
        .iter()
        .map(|k| format!("arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-{k}-role-{ACCOUNT}-{REGION}"))
        .collect();
    let judged = judge(&calls, &sandbox, &deploy_role, &assumable);
    assert!(
        judged.iter().filter(|a| *a == "sts:AssumeRole").count() >= 2,
        "the deploy and file-publishing roles were assumed: {judged:?}"
    );
    for (kind, action) in [
        ("deploy", "CreateChangeSet"),
        ("deploy", "ExecuteChangeSet"),
        ("file-publishing", "PutObject"),
    ] {
        let role =
            format!("arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-{kind}-role-{ACCOUNT}-{REGION}");
        assert!(
            calls
                .iter()
                .any(|c| c.action == action && c.identity.as_deref() == Some(role.as_str())),
            "{action} was not signed by the {kind} role"
        );
    }
    assert_escalations_denied(
        "cdk",
        &deploy_role,
        STACK,
        &format!("cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"),
    );

    // The app is synthesized now: bootstrap writes the execution policy CDK's execution
    // role should hold, generated from its template's types, and the boundary.
    bootstrap(dir.path(), &moto);
    let iam = aws_sdk_iam::Client::new(&conf);
    let managed = |name: &str| {
        let arn = format!("arn:aws:iam::{ACCOUNT}:policy/{name}");
        let p = rt
            .block_on(iam.get_policy().policy_arn(&arn).send())
            .unwrap();
        let version = p.policy().unwrap().default_version_id().unwrap().to_owned();
        let v = rt
            .block_on(
                iam.get_policy_version()
                    .policy_arn(&arn)
                    .version_id(version)
                    .send(),
            )
            .unwrap();
        PolicyDocument::parse_iam_encoded(v.policy_version().unwrap().document().unwrap()).unwrap()
    };
    let exec = managed("hoist-cdk-exec-hnb659fds");
    let boundary = managed("hoist-cdk-boundary-hnb659fds");
    let text = exec.to_json();
    assert!(
        text.contains("lambda:CreateFunction") && text.contains("iam:PermissionsBoundary"),
        "{text}"
    );
    // As in template mode, the execution policy audits clean too.
    let all: Vec<&PolicyDocument> = deploy_role.policies.iter().chain([&exec]).collect();
    assert_audit_clean("cdk", &all);
    // CDK's execution role holding these may not escape the boundary.
    let cfn_exec = Written {
        policies: vec![exec.clone()],
        boundary: Some(boundary.clone()),
    };
    assert_stack_roles_outside_the_path_are_fenced(
        "cdk",
        &cfn_exec,
        STACK,
        "/hoist-cdk-boundary-hnb659fds/",
    );
    let unbounded = format!("arn:aws:iam::{ACCOUNT}:role/{STACK}-x");
    assert!(!cfn_exec.allows("iam:CreateRole", &unbounded, &[]));
    assert!(!cfn_exec.allows(
        "iam:AttachRolePolicy",
        &unbounded,
        &[("iam:PolicyARN", ADMIN)]
    ));
    assert!(!cfn_exec.allows(
        "iam:CreateUser",
        &format!("arn:aws:iam::{ACCOUNT}:user/x"),
        &[]
    ));
}
