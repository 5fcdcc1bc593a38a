//! `hoist deploy` of CDK cloud assemblies and large templates under CloudFormation's and the
//! CDK's rules, through the real binary against moto_server.
//!
//! Which path each test takes, honestly:
//! - moto's STS assumes any role, existing or not, and moto enforces no IAM: these tests
//!   prove the roles hoist *names* (the change set's `RoleARN` as the stack keeps it, hoist's
//!   plan output), not that each call was signed by them. An unassumable role is judged by
//!   `hoist_deploy::preflight` (its tests), and by the strict AWS proxy once it lands.
//! - moto reads a `TemplateURL` from its own S3 only when the URL's host is `localhost`, so
//!   runs set the CDK CLI's `AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION=http://localhost:PORT`,
//!   which hoist honours as the CDK CLI does (the URL is otherwise
//!   `https://s3.REGION.amazonaws.com/BUCKET/KEY`).
//! - "Before any call" cases run with `AWS_ENDPOINT_URL` at a closed port: any call would
//!   fail with a transport error and exit 1, so exit 2 with the message proves none was made.
//! - moto enforces no template size limit; the 51,200-byte and 1 MB rules are hoist's own,
//!   asserted on what hoist sent (the object in S3) and on exiting before any call.

mod common;

use common::{hoist, project};
use hoist_testkit::sandbox::{Moto, free_port, require};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "ca-central-1";
const SECRET: &str = "sk-hoisttest-0123456789abcdefghijKLMNOP";

fn bucket() -> String {
    format!("cdk-hnb659fds-assets-{ACCOUNT}-{REGION}")
}

fn role(kind: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-{kind}-role-{ACCOUNT}-{REGION}")
}

struct Sandbox {
    moto: Moto,
    conf: aws_config::SdkConfig,
    rt: tokio::runtime::Runtime,
}

fn sandbox() -> Option<Sandbox> {
    let moto = require("moto_server", Moto::start())?;
    let rt = common::sdk::rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    Some(Sandbox { moto, conf, rt })
}

impl Sandbox {
    fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.conf)
                .force_path_style(true)
                .build(),
        )
    }

    /// What `cdk bootstrap` leaves that hoist reads: the assets bucket and, unless `None`,
    /// the version parameter.
    fn bootstrap(&self, version: Option<&str>) {
        self.rt
            .block_on(
                self.s3()
                    .create_bucket()
                    .bucket(bucket())
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
        if let Some(v) = version {
            common::raw_aws::put_ssm_parameter(
                self.moto.port(),
                "/cdk-bootstrap/hnb659fds/version",
                v,
            );
        }
    }

    fn objects(&self) -> Vec<String> {
        let out = self
            .rt
            .block_on(self.s3().list_objects_v2().bucket(bucket()).send());
        out.map(|o| {
            o.contents()
                .iter()
                .filter_map(|c| c.key().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    }

    fn stack(&self, name: &str) -> Option<aws_sdk_cloudformation::types::Stack> {
        let cfn = aws_sdk_cloudformation::Client::new(&self.conf);
        self.rt
            .block_on(cfn.describe_stacks().stack_name(name).send())
            .ok()?
            .stacks()
            .first()
            .cloned()
    }

    fn change_sets(&self, name: &str) -> usize {
        let cfn = aws_sdk_cloudformation::Client::new(&self.conf);
        self.rt
            .block_on(cfn.list_change_sets().stack_name(name).send())
            .map(|o| o.summaries().len())
            .unwrap_or(0)
    }

    fn deploy(&self, dir: &std::path::Path, args: &[&str]) -> common::Run {
        hoist(dir)
            .envs(self.moto.env())
            .env(
                "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION",
                format!("http://localhost:{}", self.moto.port()),
            )
            .env("LLM_API_KEY", SECRET)
            .args(["deploy", "--env", "dev"])
            .args(args)
            .run()
    }
}

/// A run whose every AWS call would fail (nothing listens on the endpoint).
fn deploy_offline(dir: &std::path::Path) -> common::Run {
    hoist(dir)
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("LLM_API_KEY", SECRET)
        .args(["deploy", "--env", "dev", "--apply"])
        .run()
}

fn config(source: &str, extra_aws: &str) -> String {
    format!(
        "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"{REGION}\"\n{extra_aws}\
         [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"AppStack\"\n{source}\n"
    )
}

const MANIFEST: &str = r#"{"version": "38.0.1", "artifacts": {
  "AppStack.assets": {"type": "cdk:asset-manifest", "properties": {"file": "AppStack.assets.json",
    "requiresBootstrapStackVersion": 6, "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"}},
  "AppStack": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
    "properties": {"templateFile": "AppStack.template.json", "validateOnSynth": false,
      "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}",
      "cloudFormationExecutionRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}",
      "stackTemplateAssetObjectUrl": "s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/TEMPLATEHASH.json",
      "requiresBootstrapStackVersion": 6, "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"},
    "dependencies": ["AppStack.assets"], "displayName": "AppStack"}}}"#;

fn assets() -> String {
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

/// A Lambda reading its code from the zip asset; `env_value` goes into its environment.
fn cdk_template(env_value: &str) -> String {
    format!(
        r#"{{"Resources": {{
  "Role": {{"Type": "AWS::IAM::Role", "Properties": {{"AssumeRolePolicyDocument": {{"Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}}}}},
  "Fn": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "python3.12", "Handler": "index.handler",
    "Role": {{"Fn::GetAtt": ["Role", "Arn"]}}, "Code": {{"S3Bucket": "{bucket}", "S3Key": "c0de.zip"}},
    "Environment": {{"Variables": {{"API_KEY": "{env_value}"}}}}}}}}}},
 "Parameters": {{"BootstrapVersion": {{"Type": "String", "Default": "/cdk-bootstrap/hnb659fds/version"}}}}}}"#,
        bucket = bucket()
    )
}

fn cdk_project(extra_aws: &str, env_value: &str) -> tempfile::TempDir {
    project(&[
        ("hoist.toml", &config("cdk_out = \"cdk.out\"", extra_aws)),
        ("cdk.out/manifest.json", MANIFEST),
        ("cdk.out/AppStack.assets.json", &assets()),
        ("cdk.out/AppStack.template.json", &cdk_template(env_value)),
        (
            "cdk.out/asset.c0de/index.py",
            "def handler(e, c):\n    return 1\n",
        ),
    ])
}

/// The assembly's way: bootstrap version checked, the template published as its own file
/// asset and passed as TemplateURL, the execution role on the change set (the stack keeps
/// it as its RoleARN), the account from STS (hoist.toml names none). A second deploy finds
/// the deployed template and parameters equal and creates no change set.
#[test]
fn assembly_deploys_with_its_roles_template_url_and_bootstrap_check() {
    let Some(sb) = sandbox() else { return };
    sb.bootstrap(Some("21"));
    let dir = cdk_project("", "plain-config");
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let url = format!(
        "http://localhost:{}/{}/TEMPLATEHASH.json",
        sb.moto.port(),
        bucket()
    );
    assert!(
        run.stderr.contains(&format!("sent as TemplateURL {url}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("deploy role: {}", role("deploy"))),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("as {}", role("file-publishing"))),
        "{}",
        run.stderr
    );
    let mut objects = sb.objects();
    objects.sort();
    assert_eq!(objects, ["TEMPLATEHASH.json", "c0de.zip"]);
    let stack = sb.stack("AppStack").expect("stack created");
    assert_eq!(
        stack.stack_status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
    assert_eq!(
        stack.role_arn(),
        Some(role("cfn-exec").as_str()),
        "the change set's RoleARN"
    );

    // moto keeps an executed change set listed (AWS removes it): the count must not grow.
    let change_sets = sb.change_sets("AppStack");
    let again = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("no change set created"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("already there"), "{}", again.stderr);
    assert_eq!(
        sb.change_sets("AppStack"),
        change_sets,
        "a change set was created"
    );
}

/// No bootstrap: exit 1 naming the exact `cdk bootstrap` line with the configured profile,
/// and nothing uploaded or created — the plan fails the same way.
#[test]
fn missing_bootstrap_fails_plan_and_apply_with_the_bootstrap_line() {
    let Some(sb) = sandbox() else { return };
    let dir = cdk_project(&format!("account_id = \"{ACCOUNT}\"\n"), "x");
    for args in [&[][..], &["--apply"][..]] {
        let run = sb.deploy(dir.path(), args);
        assert_eq!(
            run.code, 1,
            "stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        assert!(run.stderr.contains("not bootstrapped"), "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("`cdk bootstrap aws://{ACCOUNT}/{REGION}`")),
            "{}",
            run.stderr
        );
    }
    assert!(sb.stack("AppStack").is_none());
    // With a profile in hoist.toml, the line names it.
    let dir = cdk_project(
        &format!("account_id = \"{ACCOUNT}\"\nprofile = \"ci\"\n"),
        "x",
    );
    let run = sb.deploy(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "`cdk bootstrap aws://{ACCOUNT}/{REGION} --profile ci`"
        )),
        "{}",
        run.stderr
    );
}

/// A bootstrap stack older than the assembly needs: exit 1, nothing uploaded, no stack.
#[test]
fn too_old_bootstrap_version_changes_nothing() {
    let Some(sb) = sandbox() else { return };
    sb.bootstrap(Some("5"));
    let dir = cdk_project("", "x");
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("bootstrap version 5") && run.stderr.contains("needs 6"),
        "{}",
        run.stderr
    );
    assert!(sb.objects().is_empty(), "{:?}", sb.objects());
    assert!(sb.stack("AppStack").is_none());
}

/// A synced secret's value in the template (the `--context api_key=$KEY` leak): exit 2
/// before any call, naming resource and property, never the value.
#[test]
fn secret_value_in_the_template_is_refused_before_any_call() {
    let dir = cdk_project(&format!("account_id = \"{ACCOUNT}\"\n"), SECRET);
    let mut toml = std::fs::read_to_string(dir.path().join("hoist.toml")).unwrap();
    toml.push_str(
        "[[environments.dev.secrets]]\nenv = \"LLM_API_KEY\"\noutput = \"LlmSecretArn\"\n",
    );
    std::fs::write(dir.path().join("hoist.toml"), toml).unwrap();
    let run = deploy_offline(dir.path());
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("the value of LLM_API_KEY is in the template (resource Fn, property Environment.Variables.API_KEY)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("secret sync fills"), "{}", run.stderr);
    run.assert_no_secret(SECRET);
}

/// Over 1 MB, CloudFormation takes a template neither in the request nor from S3: exit 2
/// before any call.
#[test]
fn template_over_1_mb_is_refused_before_any_call() {
    let big = format!(
        "{{\"Metadata\": {{\"Pad\": \"{}\"}}, \"Resources\": {{\"B\": {{\"Type\": \"AWS::S3::Bucket\"}}}}}}",
        "x".repeat(1_048_576)
    );
    let dir = project(&[
        (
            "hoist.toml",
            &config(
                "template = \"big.json\"",
                &format!("account_id = \"{ACCOUNT}\"\n"),
            ),
        ),
        ("big.json", &big),
    ]);
    let run = deploy_offline(dir.path());
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("at most 1048576 bytes from S3"),
        "{}",
        run.stderr
    );
}

/// Over 51,200 bytes a plain template goes to the assets bucket under its content hash and
/// is passed as TemplateURL; without the bucket, the plan says to bootstrap.
#[test]
fn plain_template_over_51200_bytes_goes_by_template_url() {
    let Some(sb) = sandbox() else { return };
    let big = format!(
        "{{\"Metadata\": {{\"Pad\": \"{}\"}}, \"Resources\": {{\"B\": {{\"Type\": \"AWS::S3::Bucket\"}}}}}}",
        "x".repeat(60_000)
    );
    let dir = project(&[
        ("hoist.toml", &config("template = \"big.json\"", "")),
        ("big.json", &big),
    ]);
    let run = sb.deploy(dir.path(), &[]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("bucket {} does not exist", bucket())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cdk bootstrap aws://"),
        "{}",
        run.stderr
    );

    sb.bootstrap(None);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let objects = sb.objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0].starts_with("hoist-templates/") && objects[0].ends_with(".json"));
    assert!(run.stderr.contains("sent as TemplateURL"), "{}", run.stderr);
    assert_eq!(
        sb.stack("AppStack")
            .and_then(|s| s.stack_status().map(|s| s.as_str().to_owned()))
            .as_deref(),
        Some("CREATE_COMPLETE")
    );
}

/// A loopback TCP relay to moto that holds every answer back for `delay`, so hoist is
/// certainly waiting on CloudFormation when the test signals it. Returns its port.
fn slow_relay(target: u16, delay: std::time::Duration) -> u16 {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut c_read, &mut s_write));
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n) = s_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    std::thread::sleep(delay);
                    if c_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// SIGINT while CloudFormation computes the change set: hoist stops waiting, deletes the
/// change set it created (never executed), leaves the stack as it was, and says how to
/// resume. (moto computes change sets at once; the relay delays its answers so the signal
/// lands while hoist waits on DescribeChangeSet.)
#[test]
fn sigint_while_waiting_deletes_the_unexecuted_change_set() {
    use std::io::{BufRead, BufReader};
    let Some(sb) = sandbox() else { return };
    let template = |n: u32| {
        format!(
            r#"{{"Resources": {{"Log": {{"Type": "AWS::Logs::LogGroup", "Properties": {{"RetentionInDays": {n}}}}}}}}}"#
        )
    };
    let cfn = aws_sdk_cloudformation::Client::new(&sb.conf);
    sb.rt
        .block_on(
            cfn.create_stack()
                .stack_name("AppStack")
                .template_body(template(30))
                .send(),
        )
        .unwrap();
    let dir = project(&[
        (
            "hoist.toml",
            &config(
                "template = \"t.json\"",
                &format!("account_id = \"{ACCOUNT}\"\n"),
            ),
        ),
        ("t.json", &template(7)),
    ]);
    let relay = slow_relay(sb.moto.port(), std::time::Duration::from_millis(700));
    let mut child = hoist(dir.path())
        .envs(sb.moto.env())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{relay}"))
        .args(["deploy", "--env", "dev", "--apply"])
        .spawn();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "hoist ended before creating a change set:\n{seen}"
        );
        seen.push_str(&line);
        if line.contains("change set hoist-") {
            break;
        }
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    seen.push_str(&rest);
    assert_eq!(status.code(), Some(1), "{seen}");
    assert!(
        seen.contains("interrupted (SIGINT)") && seen.contains("it was deleted, nothing changed"),
        "{seen}"
    );
    assert!(seen.contains("hoist deploy --env dev --apply"), "{seen}");
    assert_eq!(
        sb.change_sets("AppStack"),
        0,
        "a change set was left behind"
    );
    let body = sb
        .rt
        .block_on(cfn.get_template().stack_name("AppStack").send())
        .unwrap()
        .template_body
        .unwrap();
    assert!(body.contains("30"), "the stack changed: {body}");
}

/// A stand-in CDK app (Python, no aws-cdk-lib: the real app is the cdkapp fixture) that
/// writes the assembly the way `app.synth()` does, from the variables the CDK CLI sets:
/// `CDK_OUTDIR`, `CDK_DEFAULT_ACCOUNT`, `CDK_DEFAULT_REGION`, `CDK_CONTEXT_JSON`. It records
/// what it received in the template's Metadata.
const APP_PY: &str = r#"
import json, os
out = os.environ["CDK_OUTDIR"]
os.makedirs(out, exist_ok=True)
ctx = json.loads(os.environ["CDK_CONTEXT_JSON"])
template = {"Metadata": {"Account": os.environ["CDK_DEFAULT_ACCOUNT"], "Region": os.environ["CDK_DEFAULT_REGION"],
                         "Context": ctx.get("env"), "Cached": ctx.get("cached")},
            "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}
json.dump(template, open(os.path.join(out, "AppStack.template.json"), "w"))
json.dump({"version": "38.0.1", "artifacts": {"AppStack": {"type": "aws:cloudformation:stack",
    "environment": "aws://unknown-account/unknown-region", "properties": {"templateFile": "AppStack.template.json"}}}},
    open(os.path.join(out, "manifest.json"), "w"))
"#;

/// `cdk_app`: hoist runs cdk.json's `app` with the CDK CLI's variables and deploys the fresh
/// assembly; the context is cdk.json's over cdk.context.json's.
#[test]
fn cdk_app_is_synthesized_by_hoist_then_deployed() {
    let Some(sb) = sandbox() else { return };
    sb.bootstrap(None);
    let dir = project(&[
        ("hoist.toml", &config("cdk_app = \"cdk\"", "")),
        (
            "cdk/cdk.json",
            r#"{"app": "python3 app.py", "context": {"env": "from-cdk-json"}}"#,
        ),
        (
            "cdk/cdk.context.json",
            r#"{"env": "from-context-file", "cached": "lookup"}"#,
        ),
        ("cdk/app.py", APP_PY),
    ]);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("synthesizing"), "{}", run.stderr);
    let manifest = dir.path().join("cdk/cdk.out/manifest.json");
    assert!(manifest.exists(), "the assembly goes to the app's cdk.out");
    let cfn = aws_sdk_cloudformation::Client::new(&sb.conf);
    let body = sb
        .rt
        .block_on(cfn.get_template().stack_name("AppStack").send())
        .unwrap()
        .template_body
        .unwrap();
    let deployed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        deployed["Metadata"]["Account"], ACCOUNT,
        "from STS: hoist.toml names none"
    );
    assert_eq!(deployed["Metadata"]["Region"], REGION);
    assert_eq!(deployed["Metadata"]["Context"], "from-cdk-json");
    assert_eq!(deployed["Metadata"]["Cached"], "lookup");
}

/// The classic leak: a key passed as CDK context. hoist refuses before deploying, naming
/// the context entry, never the value.
#[test]
fn a_secret_in_the_cdk_context_is_refused() {
    let Some(sb) = sandbox() else { return };
    let mut toml = config(
        "cdk_app = \"cdk\"",
        &format!("account_id = \"{ACCOUNT}\"\n"),
    );
    toml.push_str(
        "[[environments.dev.secrets]]\nenv = \"LLM_API_KEY\"\noutput = \"LlmSecretArn\"\n",
    );
    let dir = project(&[
        ("hoist.toml", &toml),
        (
            "cdk/cdk.json",
            &format!(r#"{{"app": "python3 app.py", "context": {{"api_key": "{SECRET}"}}}}"#),
        ),
        ("cdk/app.py", APP_PY),
    ]);
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr
            .contains("the value of LLM_API_KEY is in the CDK context (api_key)"),
        "{}",
        run.stderr
    );
    run.assert_no_secret(SECRET);
    assert!(
        !run.stderr.contains("synthesizing"),
        "refused before the app ran: {}",
        run.stderr
    );
    assert!(!dir.path().join("cdk/cdk.out").exists());
    assert!(sb.stack("AppStack").is_none());
}

/// A role the assembly names that cannot be assumed (here: it does not exist; the strict proxy
/// refuses the AssumeRole with STS's AccessDenied, as IAM would — moto's STS alone would issue
/// credentials): exit 1 naming the role and the fix, in plan and apply, with no mutating call.
#[test]
fn an_unassumable_role_fails_plan_and_apply_before_any_change() {
    let Some(sb) = sandbox() else { return };
    sb.bootstrap(Some("21"));
    let proxy = hoist_testkit::aws_proxy::StrictAws::start_blocking(&sb.moto.endpoint());
    let dir = cdk_project("", "plain-config");
    for args in [&[][..], &["--apply"][..]] {
        proxy.clear_calls();
        let run = hoist(dir.path())
            .envs(sb.moto.env())
            .env("AWS_ENDPOINT_URL", proxy.endpoint())
            .env(
                "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION",
                format!("http://localhost:{}", proxy.port()),
            )
            .env("LLM_API_KEY", SECRET)
            .args(["deploy", "--env", "dev"])
            .args(args)
            .run();
        assert_eq!(
            run.code, 1,
            "stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("cannot assume the deploy role {}", role("deploy"))),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("cdk bootstrap aws://"),
            "{}",
            run.stderr
        );
        let calls = proxy.calls();
        assert!(
            calls
                .iter()
                .any(|c| c.rejected.as_deref() == Some("AccessDenied")),
            "{calls:#?}"
        );
        let mutating: Vec<&str> = calls
            .iter()
            .map(|c| c.action.as_str())
            .filter(|a| {
                ["Put", "Create", "Execute", "Update", "Delete"]
                    .iter()
                    .any(|p| a.starts_with(p))
            })
            .collect();
        assert!(mutating.is_empty(), "{mutating:?}");
    }
    assert!(sb.objects().is_empty());
    assert!(sb.stack("AppStack").is_none());
}

/// The assets are published while CloudFormation computes the change set; one that cannot be
/// published (its source directory is gone) means the change set is deleted unexecuted and
/// the empty stack of the CREATE with it: exit 2 naming the asset, nothing deployed.
#[test]
fn an_asset_that_cannot_be_published_deletes_the_change_set_unexecuted() {
    let Some(sb) = sandbox() else { return };
    sb.bootstrap(Some("21"));
    let dir = cdk_project("", "plain-config");
    std::fs::remove_dir_all(dir.path().join("cdk.out/asset.c0de")).unwrap();
    let run = sb.deploy(dir.path(), &["--apply"]);
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("the assets could not be published")
            && run.stderr.contains("was deleted, nothing changed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("asset.c0de"), "{}", run.stderr);
    // The change set was created (the template was there) and never executed: the CREATE's
    // empty stack is gone with it.
    assert!(
        run.stderr.contains("change set hoist-")
            && run.stderr.contains("(CREATE) for stack AppStack"),
        "{}",
        run.stderr
    );
    assert!(
        sb.stack("AppStack").is_none(),
        "the CREATE's empty stack is left"
    );
    // The template went first (the change set needs it); it stays, as a content-addressed key.
    assert_eq!(sb.objects(), ["TEMPLATEHASH.json"]);
}
