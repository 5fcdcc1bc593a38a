//! `hoist deploy` through the real binary against moto_server (started with
//! `MOTO_ECS_SERVICE_RUNNING=1`, so services created from CloudFormation run their tasks).
//!
//! Which path each test takes, honestly:
//! - moto cannot create `AWS::SecretsManager::Secret` from a template, so the tests create
//!   the three secrets through the Secrets Manager API and pass their ARNs as the template's
//!   `*SecretArnParam` parameters — the template's bring-your-own-secret path, which real
//!   AWS runs too (empty parameters make it create them).
//! - The full-deploy tests create the stack first with CreateStack, as the guide's step 4.3
//!   "first deploy (manual)" does, and hoist deploys it with an UPDATE change set; the CREATE
//!   path is tested on its own here and, with outputs and secret sync, in `deploy_cdk_app.rs`
//!   (moto 5.2.1 rebuilds a stack's outputs on ExecuteChangeSet only with hoist-testkit's
//!   moto fix loaded, which every test's moto_server has).
//! - moto answers a resource failure from ExecuteChangeSet itself and emits no resource
//!   events; that path is tested here, the event-based report on AWS-shaped events in
//!   hoist-aws's cfn tests.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{hoist, project};
use hoist_testkit::sandbox::{Moto, require};

const SECRET: &str = "sk-hoisttest-0123456789abcdefghijKLMNOP";
const STACK: &str = "HindsightDevStack";

fn template() -> String {
    common::read_manifest_file("../../examples/hindsight/hindsight-stack.yaml")
}

use common::sdk::rt;

/// What the tests set up in moto: three secrets (the LLM one without a value, as the stack
/// creates it) and their ARNs as template parameters.
struct Sandbox {
    moto: Moto,
    conf: aws_config::SdkConfig,
    params: BTreeMap<String, String>,
    rt: tokio::runtime::Runtime,
}

fn sandbox() -> Option<Sandbox> {
    sandbox_with(&[("MOTO_ECS_SERVICE_RUNNING", "1")])
}

fn sandbox_with(settings: &[(&str, &str)]) -> Option<Sandbox> {
    let moto = require("moto_server", Moto::start_with(settings))?;
    let rt = rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    let params = common::stack::create_secrets(
        &rt,
        &conf,
        &[
            ("LlmSecretArnParam", "hindsight-dev-llm", None),
            (
                "RdsSecretArnParam",
                "hindsight-dev-rds",
                Some(r#"{"username":"hindsight","password":"pw"}"#),
            ),
            (
                "DatabaseUrlSecretArnParam",
                "hindsight-dev-db-url",
                Some("postgresql://hindsight@db:5432/hindsight"),
            ),
        ],
    );
    Some(Sandbox {
        moto,
        conf,
        params,
        rt,
    })
}

impl Sandbox {
    /// hoist.toml as examples/hindsight has it, with the secret ARNs as parameters.
    fn config(&self, extra_env: &str) -> String {
        let example = common::read_manifest_file("../../examples/hindsight/hoist.toml");
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k} = \"{v}\""))
            .collect();
        let config = example.replacen(
            "parameters = { EnvName = \"dev\" }",
            &format!(
                "parameters = {{ EnvName = \"dev\", {} }}{extra_env}",
                params.join(", ")
            ),
            1,
        );
        assert_ne!(config, example);
        config
    }

    /// The guide's first manual deploy: CreateStack with the same template and parameters.
    fn create_stack_by_hand(&self, body: &str) {
        common::stack::create_stack_by_hand(&self.rt, &self.conf, STACK, body, &self.params);
    }

    fn secret_value(&self, output: &str) -> Option<String> {
        let sm = aws_sdk_secretsmanager::Client::new(&self.conf);
        self.rt
            .block_on(sm.get_secret_value().secret_id(&self.params[output]).send())
            .ok()
            .and_then(|o| o.secret_string)
    }

    fn deployment_id(&self) -> String {
        common::sdk::primary_deployment(&self.rt, &self.conf, "hindsight-dev", "hindsight-dev-api")
    }

    fn stack_status(&self, name: &str) -> Option<String> {
        let cfn = aws_sdk_cloudformation::Client::new(&self.conf);
        let out = self
            .rt
            .block_on(cfn.describe_stacks().stack_name(name).send())
            .ok()?;
        out.stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| s.as_str().to_owned())
    }

    fn deploy(&self, dir: &Path, args: &[&str]) -> common::Run {
        hoist(dir)
            .envs(self.moto.env())
            // moto reads a TemplateURL's object only from a `localhost` URL (see deploy_cdk.rs).
            .env(
                "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION",
                format!("http://localhost:{}", self.moto.port()),
            )
            .env("LLM_API_KEY", SECRET)
            .env("GITHUB_OUTPUT", dir.join("github_output"))
            .env("GITHUB_STEP_SUMMARY", dir.join("step_summary.md"))
            .args(["deploy", "--env", "dev"])
            .args(args)
            .run()
    }
}

/// Whether the change set table has a row `action … resource`.
fn has_change(stdout: &str, action: &str, resource: &str) -> bool {
    stdout
        .lines()
        .any(|l| l.trim_start().starts_with(action) && l.split_whitespace().any(|w| w == resource))
}

/// The full deploy: change set (a modified log retention), execute, outputs, secret sync,
/// forced redeploy, wait — then a second deploy that finds nothing to change.
#[test]
fn full_deploy_of_the_example_then_no_changes() {
    let Some(sb) = sandbox() else { return };
    let original = template();
    sb.create_stack_by_hand(&original);
    let before = sb.deployment_id();
    assert_eq!(
        sb.secret_value("LlmSecretArnParam"),
        None,
        "the LLM secret starts empty"
    );

    let changed = original.replacen("RetentionInDays: 30", "RetentionInDays: 14", 1);
    assert_ne!(changed, original);
    let dir = project(&[
        ("hoist.toml", &sb.config("")),
        ("hindsight-stack.yaml", &changed),
    ]);
    let run = sb.deploy(dir.path(), &["--apply", "--outputs-file", "outputs.json"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.assert_no_secret(SECRET);
    assert!(
        run.stderr.contains("(UPDATE) for stack HindsightDevStack"),
        "{}",
        run.stderr
    );
    assert!(
        has_change(&run.stdout, "~ modify", "LogGroup"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("secret LLM_API_KEY → LlmSecretArn: updated"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("Deploy summary (dev)"),
        "{}",
        run.stdout
    );

    // The secret holds the value and the service got a new deployment.
    assert_eq!(
        sb.secret_value("LlmSecretArnParam").as_deref(),
        Some(SECRET)
    );
    let after = sb.deployment_id();
    assert_ne!(after, before, "no new ECS deployment");
    assert!(run.stdout.contains(&after), "{}", run.stdout);
    assert!(run.stdout.contains("completed"), "{}", run.stdout);

    // Outputs went to $GITHUB_OUTPUT and --outputs-file.
    let gh_out = std::fs::read_to_string(dir.path().join("github_output")).unwrap();
    assert!(
        gh_out.contains(&format!(
            "LlmSecretArn={}\n",
            sb.params["LlmSecretArnParam"]
        )),
        "{gh_out}"
    );
    assert!(gh_out.contains("ClusterName=hindsight-dev\n"), "{gh_out}");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("outputs.json")).unwrap())
            .unwrap();
    assert_eq!(file["ServiceName"], "hindsight-dev-api");
    assert!(
        file["HindsightApiUrl"]
            .as_str()
            .unwrap()
            .starts_with("http://")
    );
    let summary = std::fs::read_to_string(dir.path().join("step_summary.md")).unwrap();
    assert!(
        summary.contains("| service | hindsight-dev-api | completed |"),
        "{summary}"
    );
    assert!(!summary.contains(SECRET) && !gh_out.contains(SECRET));

    // Second deploy: same template, same value — no changes, nothing redeployed.
    let run = sb.deploy(dir.path(), &["--apply", "--json"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.assert_no_secret(SECRET);
    let doc = run.json();
    assert_eq!(doc["stack"]["result"], "no changes", "{doc}");
    assert_eq!(doc["secrets"][0]["result"], "unchanged", "{doc}");
    assert_eq!(doc["services"].as_array().unwrap().len(), 0, "{doc}");
    assert_eq!(sb.deployment_id(), after);
}

/// Without --apply: the change set is shown and deleted; no secret written, no redeploy.
#[test]
fn plan_changes_nothing() {
    let Some(sb) = sandbox() else { return };
    let original = template();
    sb.create_stack_by_hand(&original);
    let before = sb.deployment_id();
    let changed = original.replacen("RetentionInDays: 30", "RetentionInDays: 7", 1);
    let dir = project(&[
        ("hoist.toml", &sb.config("")),
        ("hindsight-stack.yaml", &changed),
    ]);
    let run = sb.deploy(dir.path(), &[]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.assert_no_secret(SECRET);
    assert!(
        has_change(&run.stdout, "~ modify", "LogGroup"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("plan only"), "{}", run.stderr);
    assert!(
        run.stdout.contains("would sync LLM_API_KEY"),
        "{}",
        run.stdout
    );
    assert_eq!(sb.secret_value("LlmSecretArnParam"), None);
    assert_eq!(sb.deployment_id(), before);
    // The change set was deleted: the same plan shows the same change again.
    let again = sb.deploy(dir.path(), &[]);
    assert!(
        has_change(&again.stdout, "~ modify", "LogGroup"),
        "{}",
        again.stdout
    );
}

/// hoist's CREATE path: a stack that does not exist is created through a CREATE change set.
#[test]
fn new_stack_is_created_through_a_create_change_set() {
    let Some(sb) = sandbox() else { return };
    let config = "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"ca-central-1\"\naccount_id = \"123456789012\"\n\
         [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"SmallStack\"\ntemplate = \"t.json\"\n"
        .to_owned();
    let body = r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "hoist-small"}},
                   "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/hoist/small"}}}}"#;
    let dir = project(&[("hoist.toml", &config), ("t.json", body)]);
    let plan = sb.deploy(dir.path(), &[]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    insta::assert_snapshot!("create_plan", shown(&plan));
    assert!(
        plan.stderr.contains("(CREATE) for stack SmallStack"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stdout.contains("+ add") && plan.stdout.contains("Topic"),
        "{}",
        plan.stdout
    );
    assert_eq!(
        sb.stack_status("SmallStack"),
        None,
        "the plan left a stack behind"
    );
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(
        sb.stack_status("SmallStack").as_deref(),
        Some("CREATE_COMPLETE")
    );
    // The result on stdout (stderr streams CloudFormation's events, with their times).
    insta::assert_snapshot!(
        "create_apply_stdout",
        format!("exit: {}\n{}", run.code, run.stdout)
    );
}

/// Exit code, stdout and stderr, with what changes on every run made stable: the change
/// set's name (hoist-MILLIS) and loopback ports.
fn shown(run: &common::Run) -> String {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    );
    let text = regex::Regex::new(r"hoist-\d{10,}")
        .unwrap()
        .replace_all(&text, "hoist-[MILLIS]");
    regex::Regex::new(r"(127\.0\.0\.1|localhost):\d+")
        .unwrap()
        .replace_all(&text, "$1:[PORT]")
        .into_owned()
}

/// A change set whose execution fails (an ECS service in a cluster that does not exist):
/// moto answers from ExecuteChangeSet itself; hoist prints the reason and the stack state.
#[test]
fn failing_change_set_reports_reason_and_exit_1() {
    let Some(sb) = sandbox() else { return };
    let config = "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"ca-central-1\"\naccount_id = \"123456789012\"\n\
         [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"BrokenStack\"\ntemplate = \"t.yaml\"\n";
    let body = "Resources:\n  Api:\n    Type: AWS::ECS::Service\n    Properties:\n      Cluster: no-such-cluster\n      ServiceName: api\n      DesiredCount: 1\n      TaskDefinition: arn:aws:ecs:ca-central-1:123456789012:task-definition/api:1\n";
    let dir = project(&[("hoist.toml", config), ("t.yaml", body)]);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("+ add") && run.stdout.contains("Api"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("stack BrokenStack failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ClusterNotFoundException"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("stack status:"), "{}", run.stderr);
    run.assert_no_secret(SECRET);
}

/// A value that fails its pattern is refused before any AWS call, without showing it.
#[test]
fn secret_failing_its_pattern_is_refused_before_any_aws_call() {
    let Some(sb) = sandbox() else { return };
    let log_before = std::fs::read_to_string(sb.moto.log_path()).unwrap_or_default();
    let dir = project(&[
        ("hoist.toml", &sb.config("")),
        ("hindsight-stack.yaml", &template()),
    ]);
    let bad = "not a key with spaces 12345";
    let run = hoist(dir.path())
        .envs(sb.moto.env())
        .env("LLM_API_KEY", bad)
        .args(["deploy", "--env", "dev", "--apply"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("LLM_API_KEY does not match its pattern"),
        "{}",
        run.stderr
    );
    run.assert_no_secret(bad);
    run.assert_no_secret("with spaces");
    let log_after = std::fs::read_to_string(sb.moto.log_path()).unwrap_or_default();
    assert_eq!(
        log_before.matches("\"POST /").count(),
        log_after.matches("\"POST /").count(),
        "hoist called AWS"
    );

    let run = hoist(dir.path())
        .envs(sb.moto.env())
        .args(["deploy", "--env", "dev", "--apply"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("LLM_API_KEY is empty or not set"),
        "{}",
        run.stderr
    );
}

/// The guide's "Secret not found": the output naming the secret is missing.
#[test]
fn missing_secret_output_is_explained() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_by_hand(&template());
    let config = sb
        .config("")
        .replace("output = \"LlmSecretArn\"", "output = \"LlmSecretArnTypo\"");
    let dir = project(&[
        ("hoist.toml", &config),
        ("hindsight-stack.yaml", &template()),
    ]);
    let run = sb.deploy(dir.path(), &["--skip-stack", "--apply"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Secret not found: stack HindsightDevStack has no output LlmSecretArnTypo"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("LlmSecretArn,"),
        "lists the outputs it has: {}",
        run.stderr
    );
    assert!(run.stderr.contains("finished"), "{}", run.stderr);
    run.assert_no_secret(SECRET);
}

/// `--skip-stack`: outputs → secret → redeploy → wait, no stack operation.
#[test]
fn skip_stack_syncs_and_redeploys_only() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_by_hand(&template());
    let before = sb.deployment_id();
    // A template that would fail if hoist touched the stack.
    let dir = project(&[
        ("hoist.toml", &sb.config("")),
        ("hindsight-stack.yaml", "not a template"),
    ]);
    let run = sb.deploy(dir.path(), &["--skip-stack", "--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("change set"), "{}", run.stderr);
    assert_eq!(
        sb.secret_value("LlmSecretArnParam").as_deref(),
        Some(SECRET)
    );
    assert_ne!(sb.deployment_id(), before);
    run.assert_no_secret(SECRET);
}

/// A deploy command instead of a template: its argv is exactly the split command and never
/// holds the secret (hoist passes secrets through the environment only). The command is
/// `cp /proc/self/cmdline …`, so the file holds the child's own argv.
#[test]
fn deploy_command_argv_never_holds_the_secret() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_by_hand(&template());
    let config = sb.config("").replacen(
        "template = \"hindsight-stack.yaml\"",
        "command = \"cp /proc/self/cmdline 'child argv.bin'\"",
        1,
    );
    let dir = project(&[("hoist.toml", &config)]);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.assert_no_secret(SECRET);
    let argv = std::fs::read(dir.path().join("child argv.bin")).unwrap();
    assert_eq!(argv, b"cp\0/proc/self/cmdline\0child argv.bin\0");
    assert!(!String::from_utf8_lossy(&argv).contains(SECRET));
    assert_eq!(
        sb.secret_value("LlmSecretArnParam").as_deref(),
        Some(SECRET)
    );
}

/// In Actions, a pull_request run is refused before anything happens.
#[test]
fn deploy_refuses_a_pull_request_run() {
    let dir = project(&[("hoist.toml", common::GUIDE_CONFIG)]);
    let run = hoist(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_REF", "refs/pull/3/merge")
        .args(["deploy", "--apply"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("refusing to deploy: pull_request events never deploy"),
        "{}",
        run.stderr
    );
}

/// A deployment that never completes: hoist stops at --wait-timeout with exit 1, says how
/// far it got, and looks for stopped tasks. moto (without MOTO_ECS_SERVICE_RUNNING) leaves
/// the service at 0 running tasks, so the deployment stays IN_PROGRESS. moto launches no
/// tasks for services, so there are no stopped tasks to show here (and the Rust SDK cannot
/// parse moto's Task documents: a hand-run task would not help); printing their reasons is
/// left to AWS.
#[test]
fn rollout_timeout_is_a_failure_with_what_was_seen() {
    let Some(sb) = sandbox_with(&[]) else { return };
    sb.create_stack_by_hand(&template());
    let dir = project(&[
        ("hoist.toml", &sb.config("")),
        ("hindsight-stack.yaml", &template()),
    ]);
    let run = sb.deploy(
        dir.path(),
        &["--skip-stack", "--apply", "--wait-timeout", "2"],
    );
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr
            .contains("the new ECS deployment did not complete"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("not complete after 2s (0/1 running)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hindsight-dev-api: no stopped tasks"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Incorrect API key"),
        "the hint names the guide's 401: {}",
        run.stderr
    );
    assert!(run.stdout.contains("timed out"), "summary: {}", run.stdout);
    // The secret was still written before the redeploy.
    assert_eq!(
        sb.secret_value("LlmSecretArnParam").as_deref(),
        Some(SECRET)
    );
    run.assert_no_secret(SECRET);
}

/// A CDK cloud assembly: the template comes from `manifest.json`, and the file asset named
/// in `CdkStack.assets.json` is uploaded to the bootstrap bucket before the change set —
/// the template's Lambda reads its code from that object, so the stack can only be created
/// when the upload happened first. (The test creates the bucket `cdk bootstrap` would.)
#[test]
fn cdk_out_assembly_uploads_file_assets_then_deploys() {
    let Some(sb) = sandbox() else { return };
    let (s3, bucket) = cdk_bootstrap_bucket(&sb);
    let key = "4f1c0e2d9a7b.zip";
    let manifest = r#"{"version": "36.0.0", "artifacts": {
        "CdkStack.assets": {"type": "cdk:asset-manifest", "properties": {"file": "CdkStack.assets.json"}},
        "CdkStack": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
                     "properties": {"templateFile": "CdkStack.template.json"}, "dependencies": ["CdkStack.assets"]}}}"#;
    let assets = format!(
        r#"{{"version": "36.0.0", "files": {{"4f1c0e2d9a7b": {{"source": {{"path": "asset.4f1c0e2d9a7b.zip", "packaging": "file"}},
            "destinations": {{"current_account-current_region": {{"bucketName": "cdk-hnb659fds-assets-${{AWS::AccountId}}-${{AWS::Region}}", "objectKey": "{key}"}}}}}}}}, "dockerImages": {{}}}}"#
    );
    let template = format!(
        r#"{{"Resources": {{
            "Role": {{"Type": "AWS::IAM::Role", "Properties": {{"AssumeRolePolicyDocument": {{"Version": "2012-10-17",
                "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}}}}},
            "Fn": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "python3.12", "Handler": "index.handler",
                "Role": {{"Fn::GetAtt": ["Role", "Arn"]}}, "Code": {{"S3Bucket": "{bucket}", "S3Key": "{key}"}}}}}}}},
          "Parameters": {{"BootstrapVersion": {{"Type": "String", "Default": "/cdk-bootstrap/hnb659fds/version"}}}}}}"#
    );
    let config = "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"ca-central-1\"\naccount_id = \"123456789012\"\n\
         [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"CdkStack\"\ncdk_out = \"cdk.out\"\n";
    let asset_bytes = "PK\u{5}\u{6}\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"; // an empty zip archive
    let dir = project(&[
        ("hoist.toml", config),
        ("cdk.out/manifest.json", manifest),
        ("cdk.out/CdkStack.assets.json", &assets),
        ("cdk.out/CdkStack.template.json", &template),
        ("cdk.out/asset.4f1c0e2d9a7b.zip", asset_bytes),
    ]);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("asset s3://{bucket}/{key}: uploaded")),
        "{}",
        run.stderr
    );
    let object = sb
        .rt
        .block_on(s3.get_object().bucket(bucket).key(key).send())
        .unwrap();
    let body = sb.rt.block_on(object.body.collect()).unwrap().into_bytes();
    assert_eq!(&body[..], asset_bytes.as_bytes());
    assert_eq!(
        sb.stack_status("CdkStack").as_deref(),
        Some("CREATE_COMPLETE")
    );
    // Again: the asset is already there, the stack has no changes.
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("already there"), "{}", run.stderr);
}

/// A CDK directory asset (packaging `"zip"`, e.g. a Lambda's code directory): hoist zips the
/// directory under cdk.out and uploads the archive to the bootstrap bucket before the change set
/// (the template's Lambda reads its code from that object); a second deploy finds it there
/// and uploads nothing.
#[test]
fn cdk_out_assembly_zips_directory_assets_then_deploys() {
    let Some(sb) = sandbox() else { return };
    let (s3, bucket) = cdk_bootstrap_bucket(&sb);
    let key = "9a8b7c6d5e4f.zip";
    let manifest = r#"{"version": "36.0.0", "artifacts": {
        "ZipStack.assets": {"type": "cdk:asset-manifest", "properties": {"file": "ZipStack.assets.json"}},
        "ZipStack": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
                     "properties": {"templateFile": "ZipStack.template.json"}, "dependencies": ["ZipStack.assets"]}}}"#;
    let assets = format!(
        r#"{{"version": "36.0.0", "files": {{"9a8b7c6d5e4f": {{"source": {{"path": "asset.9a8b7c6d5e4f", "packaging": "zip"}},
            "destinations": {{"current_account-current_region": {{"bucketName": "cdk-hnb659fds-assets-${{AWS::AccountId}}-${{AWS::Region}}", "objectKey": "{key}"}}}}}}}}, "dockerImages": {{}}}}"#
    );
    let template = format!(
        r#"{{"Resources": {{
            "Role": {{"Type": "AWS::IAM::Role", "Properties": {{"AssumeRolePolicyDocument": {{"Version": "2012-10-17",
                "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}}}}},
            "Fn": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "python3.12", "Handler": "index.handler",
                "Role": {{"Fn::GetAtt": ["Role", "Arn"]}}, "Code": {{"S3Bucket": "{bucket}", "S3Key": "{key}"}}}}}}}},
          "Parameters": {{"BootstrapVersion": {{"Type": "String", "Default": "/cdk-bootstrap/hnb659fds/version"}}}}}}"#
    );
    let config = "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"ca-central-1\"\naccount_id = \"123456789012\"\n\
         [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"ZipStack\"\ncdk_out = \"cdk.out\"\n";
    let index = "def handler(event, context):\n    return {\"ok\": True}\n";
    let util = "ANSWER = 42\n";
    let dir = project(&[
        ("hoist.toml", config),
        ("cdk.out/manifest.json", manifest),
        ("cdk.out/ZipStack.assets.json", &assets),
        ("cdk.out/ZipStack.template.json", &template),
        ("cdk.out/asset.9a8b7c6d5e4f/index.py", index),
        ("cdk.out/asset.9a8b7c6d5e4f/lib/util.py", util),
    ]);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("asset s3://{bucket}/{key}: uploaded")),
        "{}",
        run.stderr
    );
    let object = sb
        .rt
        .block_on(s3.get_object().bucket(bucket).key(key).send())
        .unwrap();
    let etag = object.e_tag.clone();
    let body = sb.rt.block_on(object.body.collect()).unwrap().into_bytes();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec()))
        .expect("the uploaded object is a zip archive");
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        entries.push((file.name().to_owned(), text));
    }
    assert_eq!(
        entries,
        [
            ("index.py".to_owned(), index.to_owned()),
            ("lib/util.py".to_owned(), util.to_owned())
        ]
    );
    assert_eq!(
        sb.stack_status("ZipStack").as_deref(),
        Some("CREATE_COMPLETE")
    );
    // Again: the archive is already there (same object, not rewritten), the stack has no changes.
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("asset s3://{bucket}/{key}: already there")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("uploaded"), "{}", run.stderr);
    let again = sb
        .rt
        .block_on(s3.head_object().bucket(bucket).key(key).send())
        .unwrap();
    assert_eq!(again.e_tag, etag);
}

/// The assets bucket `cdk bootstrap` creates, and an S3 client for it (path-style against moto).
fn cdk_bootstrap_bucket(sb: &Sandbox) -> (aws_sdk_s3::Client, &'static str) {
    let bucket = "cdk-hnb659fds-assets-123456789012-ca-central-1";
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sb.conf)
            .force_path_style(true)
            .build(),
    );
    sb.rt
        .block_on(
            s3.create_bucket()
                .bucket(bucket)
                .create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(
                            aws_sdk_s3::types::BucketLocationConstraint::CaCentral1,
                        )
                        .build(),
                )
                .send(),
        )
        .unwrap();
    (s3, bucket)
}

/// Without `services` in hoist.toml, the service to restart is found from the stack: its
/// `AWS::ECS::Service` whose task definition reads the secret that just changed
/// (`secrets[].valueFrom` is the LLM secret's ARN) gets a new deployment.
#[test]
fn services_reading_a_changed_secret_are_found_from_the_stack() {
    let Some(sb) = sandbox() else { return };
    let original = template();
    sb.create_stack_by_hand(&original);
    let before = sb.deployment_id();
    let config = sb.config("").replacen(
        "[[environments.dev.services]]\ncluster_output = \"ClusterName\"\nservice_output = \"ServiceName\"\n",
        "",
        1,
    );
    assert!(!config.contains("[[environments.dev.services]]"));
    let dir = project(&[("hoist.toml", &config), ("hindsight-stack.yaml", &original)]);
    let run = sb.deploy(dir.path(), &["--apply", "--json"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.assert_no_secret(SECRET);
    let doc = run.json();
    assert_eq!(doc["secrets"][0]["result"], "updated", "{doc}");
    assert_eq!(doc["services"][0]["service"], "hindsight-dev-api", "{doc}");
    assert_eq!(doc["services"][0]["rollout"], "completed", "{doc}");
    assert_ne!(sb.deployment_id(), before, "no new ECS deployment");
    // Again: the secret is unchanged, so nothing restarts.
    let run = sb.deploy(dir.path(), &["--apply", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["services"].as_array().unwrap().len(), 0);
}

/// An environment in another account deploys there, with its own profile: two moto servers
/// stand for the two accounts, reached only through the profiles of an AWS config file.
#[test]
fn an_environment_in_another_account_deploys_with_its_own_profile() {
    let Some(dev) = require("moto_server", Moto::start()) else {
        return;
    };
    let Some(prod) = require(
        "moto_server",
        Moto::start_with(&[("MOTO_ACCOUNT_ID", "210987654321")]),
    ) else {
        return;
    };
    let config = "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"ca-central-1\"\nprofile = \"dev-account\"\n\
         [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"SmallStack\"\ntemplate = \"t.json\"\n\
         [environments.prod]\ntag = \"v*\"\nrole = \"P\"\nstack = \"SmallStack\"\ntemplate = \"t.json\"\naccount_id = \"210987654321\"\nprofile = \"prod-account\"\n";
    let profile = |name: &str, moto: &Moto| {
        format!(
            "[profile {name}]\nregion = {}\nendpoint_url = {}\naws_access_key_id = testing\naws_secret_access_key = testing\n",
            Moto::REGION,
            moto.endpoint()
        )
    };
    let aws_config = format!(
        "{}\n{}",
        profile("dev-account", &dev),
        profile("prod-account", &prod)
    );
    let body = r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "hoist-prod"}}}}"#;
    let dir = project(&[
        ("hoist.toml", config),
        ("t.json", body),
        ("aws-config", &aws_config),
    ]);
    // What AWS needs and moto would not check: the change set's execution role exists in
    // prod's account (bootstrap makes it there, with its permissions), not only in [aws]'s.
    let bootstrap = hoist(dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("aws-config"))
        .args(["bootstrap", "--apply"])
        .run();
    assert_eq!(
        bootstrap.code, 0,
        "{}\n{}",
        bootstrap.stdout, bootstrap.stderr
    );
    let role_exists = |moto: &Moto, role: &str| {
        common::raw_aws::query(
            moto.port(),
            "iam",
            "2010-05-08",
            "GetRole",
            &[("RoleName", role)],
        )
        .0 == 200
    };
    assert!(role_exists(&prod, "P-CfnExec") && !role_exists(&dev, "P-CfnExec"));
    let run = hoist(dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("aws-config"))
        .args(["deploy", "--env", "prod", "--apply"])
        .run();
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let rt = rt();
    let status = |moto: &Moto| {
        let conf = common::sdk::config(&rt, &moto.endpoint());
        let cfn = aws_sdk_cloudformation::Client::new(&conf);
        rt.block_on(cfn.describe_stacks().stack_name("SmallStack").send())
            .ok()
            .and_then(|o| {
                o.stacks()
                    .first()
                    .and_then(|s| s.stack_status().map(|s| s.as_str().to_owned()))
            })
    };
    assert_eq!(status(&prod).as_deref(), Some("CREATE_COMPLETE"));
    assert_eq!(status(&dev), None, "the stack went to [aws]'s account");
    // The change set ran as prod's own execution role, in prod's account.
    assert!(
        run.stderr
            .contains("arn:aws:iam::210987654321:role/P-CfnExec")
            || run
                .stdout
                .contains("arn:aws:iam::210987654321:role/P-CfnExec"),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}
