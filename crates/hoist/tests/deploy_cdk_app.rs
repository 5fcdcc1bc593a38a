//! The team's test CDK app (`tests/fixtures/cdk-app`, sandbox variant) deployed end to end by
//! `hoist deploy` through the strict AWS proxy, which records which role signed each call —
//! what AWS's IAM would judge. hoist synthesizes the app itself (PyPI `aws-cdk-lib` with the
//! machine's Node), publishes the file, zip and Docker image assets with their publishing roles,
//! passes the template (over 51,200 bytes) as a TemplateURL with the execution role on the
//! change set, reads the stack's outputs, syncs `LLM_API_KEY` into the secret its `LlmSecretArn`
//! output names, redeploys the ECS services whose tasks read that secret and waits for their new
//! deployments; a second run changes nothing: no change set is even created (the deployed
//! template and parameters equal the synthesized ones), no upload, no push, no secret write, no
//! redeploy. The key's value never appears in hoist's output.
//!
//! Which path each step takes, honestly:
//! - `cdk bootstrap` is the real CDK CLI's, through the same proxy (see `hoist_testkit::cdk`).
//! - moto has no ECR data plane: the proxy names a Distribution registry as ECR's repository
//!   host, and the image goes there. moto's DescribeImages therefore never lists the pushed
//!   tag, so on the second run hoist finds the tag in the registry itself (its check after
//!   DescribeImages); on AWS, DescribeImages already answers.
//! - moto 5.2.1 keeps no Outputs for a stack created through a CREATE change set (its
//!   ExecuteChangeSet never rebuilds the stack's output map); the moto the test starts has that
//!   bug fixed (`hoist-testkit/python/hoist_moto_fixes.py`, loaded by `sandbox::Moto`), so the
//!   outputs are the template's, as on AWS.
//! - moto's CloudFormation has no AWS::SecretsManager::Secret (it skips the resource, and an
//!   output referring to it vanishes), so the sandbox variant imports both secrets by name and
//!   the test creates them out of band; `LlmSecretArn` is then the secret's partial ARN (no
//!   random suffix), which Secrets Manager and the containers' `valueFrom` accept as AWS does.
//! - moto's CloudFormation skips some resources of the app (alarms, SecurityGroupEgress, the
//!   bucket policy) and cannot run custom resources, which the sandbox variant leaves out;
//!   assertions are on what hoist sent and which role signed it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{docker_engine, hoist};
use hoist_testkit::aws_proxy::{RecordedCall, StrictAws};
use hoist_testkit::cdk::{CdkToolchain, cdk_bootstrap, cdk_env};
use hoist_testkit::sandbox::{Moto, Registry, require};

const STACK: &str = "HoistCdkTestStack";
const ACCOUNT_REGION: &str = "123456789012-ca-central-1";
/// The `LLM_API_KEY` the job passes (a GitHub secret in a workflow).
const SECRET: &str = "sk-hoistcdk-0123456789abcdefghijKLMNOP";
/// The `LlmSecretArn` output: the imported secret's partial ARN, as CDK's
/// `Secret.fromSecretNameV2` builds it.
const LLM_SECRET_ARN: &str =
    "arn:aws:secretsmanager:ca-central-1:123456789012:secret:hoist-test/llm-api-key";

fn role(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/cdk-hnb659fds-{name}-{ACCOUNT_REGION}")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "cdk.out" || name == "__pycache__" {
            continue;
        }
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// The project a user writes: hoist.toml naming the CDK app's directory, and the app.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::manifest_path("tests/fixtures/cdk-app");
    copy_tree(&fixture, &dir.path().join("infra"));
    // The sandbox variant (see the app's docstring), as a team would pin a context value.
    std::fs::write(
        dir.path().join("infra/cdk.context.json"),
        r#"{"hoist:sandbox": "true"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("hoist.toml"),
        format!(
            "repository = \"arshargithub/HindsightRoboMemSetup\"\n[aws]\nregion = \"{}\"\n\n\
             [environments.dev]\nbranch = \"main\"\nrole = \"R\"\nstack = \"{STACK}\"\n\
             cdk_app = \"infra\"\n\n\
             [[environments.dev.secrets]]\nenv = \"LLM_API_KEY\"\noutput = \"LlmSecretArn\"\n\
             pattern = \"sk-[A-Za-z0-9_-]{{20,}}\"\n",
            Moto::REGION
        ),
    )
    .unwrap();
    dir
}

fn path_with(venv: &Path) -> String {
    let mut paths: Vec<PathBuf> = vec![venv.join("bin")];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn deploy(dir: &Path, proxy: &StrictAws, cdk: &CdkToolchain) -> common::Run {
    hoist(dir)
        .envs(cdk_env(&proxy.endpoint()))
        .env("PATH", path_with(cdk.venv()))
        .env("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
        .env("LLM_API_KEY", SECRET)
        .args([
            "deploy",
            "--env",
            "dev",
            "--apply",
            "--wait-timeout",
            "120",
            "--outputs-file",
            "outputs.json",
        ])
        .run()
}

fn of<'c>(calls: &'c [RecordedCall], service: &str) -> Vec<&'c RecordedCall> {
    calls.iter().filter(|c| c.service == service).collect()
}

fn actions(calls: &[RecordedCall]) -> Vec<String> {
    calls
        .iter()
        .map(|c| format!("{}:{}", c.service, c.action))
        .collect()
}

/// The stack's outputs, read from moto directly.
fn stack_outputs(
    rt: &tokio::runtime::Runtime,
    conf: &aws_config::SdkConfig,
) -> BTreeMap<String, String> {
    let cfn = aws_sdk_cloudformation::Client::new(conf);
    let out = rt
        .block_on(cfn.describe_stacks().stack_name(STACK).send())
        .unwrap();
    out.stacks()[0]
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect()
}

/// The secret's value, read from moto directly.
fn secret_value(
    rt: &tokio::runtime::Runtime,
    sm: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Option<String> {
    rt.block_on(sm.get_secret_value().secret_id(id).send())
        .ok()
        .and_then(|o| o.secret_string)
}

/// The key's value appears in no byte hoist printed (the test sets no `GITHUB_ACTIONS`, so not
/// even an `::add-mask::` line may carry it).
fn assert_no_secret_byte(run: &common::Run) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(SECRET),
            "the secret value is in {name}:\n{text}"
        );
    }
}

fn manifest_puts(registry: &Registry) -> usize {
    registry
        .access_log()
        .iter()
        .filter(|e| {
            e.method == "PUT"
                && e.path.contains("/manifests/")
                && e.path.contains("cdk-hnb659fds-container-assets")
        })
        .count()
}

#[test]
fn the_test_cdk_app_deploys_through_the_strict_proxy_then_plans_zero_changes() {
    let Some(cdk) = require("CDK toolchain", CdkToolchain::find()) else {
        return;
    };
    if !docker_engine() {
        return;
    }
    let Some(moto) = require(
        "moto_server",
        Moto::start_with(&[("MOTO_ECS_SERVICE_RUNNING", "1")]),
    ) else {
        return;
    };
    let Some(registry) = require("docker-registry", Registry::start()) else {
        return;
    };
    let proxy = StrictAws::start_with_ecr_registry(&moto.endpoint(), &registry.host());
    // The secrets the sandbox variant imports by name, made out of band (moto's CloudFormation
    // skips AWS::SecretsManager::Secret).
    let rt = common::sdk::rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    rt.block_on(sm.create_secret().name("hoist-test/llm-api-key").send())
        .unwrap();
    rt.block_on(
        sm.create_secret()
            .name("hoist-test/db")
            .secret_string(r#"{"username":"app","password":"sandbox-db-password"}"#)
            .send(),
    )
    .unwrap();
    cdk_bootstrap(&cdk, &proxy.endpoint()).expect("cdk bootstrap");
    proxy.clear_calls();

    let dir = project();
    let run = deploy(dir.path(), &proxy, &cdk);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("synthesizing"), "{}", run.stderr);
    assert!(dir.path().join("infra/cdk.out/manifest.json").exists());
    let calls = proxy.calls();
    assert!(
        calls.iter().all(|c| c.rejected.is_none()),
        "the proxy refused a call: {:#?}",
        calls
            .iter()
            .filter(|c| c.rejected.is_some())
            .collect::<Vec<_>>()
    );

    // CloudFormation's stack work and the bootstrap version read: as the deploy role.
    let deploy_role = role("deploy-role");
    for c in calls.iter().filter(|c| {
        c.service == "cloudformation"
            && matches!(
                c.action.as_str(),
                "CreateChangeSet" | "DescribeChangeSet" | "ExecuteChangeSet" | "GetTemplate"
            )
    }) {
        assert_eq!(c.identity.as_deref(), Some(deploy_role.as_str()), "{c:?}");
    }
    let version_read = of(&calls, "ssm");
    assert_eq!(version_read.len(), 1, "{:?}", actions(&calls));
    assert_eq!(
        version_read[0].params["Name"],
        "/cdk-bootstrap/hnb659fds/version"
    );
    assert_eq!(
        version_read[0].identity.as_deref(),
        Some(deploy_role.as_str())
    );

    // The change set: TemplateURL into the assets bucket, the execution role as RoleARN.
    let change_sets: Vec<_> = calls
        .iter()
        .filter(|c| c.action == "CreateChangeSet")
        .collect();
    assert_eq!(change_sets.len(), 1, "{:?}", actions(&calls));
    let cs = change_sets[0];
    assert_eq!(cs.params["RoleARN"], role("cfn-exec-role"));
    assert_eq!(cs.params["ChangeSetType"], "CREATE");
    assert!(cs.params.get("TemplateBody").is_none(), "{cs:?}");
    let url = cs.params["TemplateURL"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "http://localhost:{}/cdk-hnb659fds-assets-{ACCOUNT_REGION}/",
            proxy.port()
        )),
        "{url}"
    );

    // File assets (the template, the seed file, the handler's zip): as the file publishing role.
    let file_role = role("file-publishing-role");
    let keys: Vec<&str> = calls
        .iter()
        .filter(|c| c.action == "PutObject")
        .filter_map(|c| c.params["Key"].as_str())
        .collect();
    assert!(
        keys.iter().any(|k| k.ends_with(".zip"))
            && keys.iter().filter(|k| k.ends_with(".json")).count() >= 2,
        "{keys:?}"
    );
    for c in of(&calls, "s3") {
        assert_eq!(c.identity.as_deref(), Some(file_role.as_str()), "{c:?}");
    }

    // The image asset: built by the engine, looked up and pushed as the image publishing role.
    let image_role = role("image-publishing-role");
    let ecr = of(&calls, "ecr");
    assert!(
        ecr.iter().any(|c| c.action == "GetAuthorizationToken"),
        "{:?}",
        actions(&calls)
    );
    for c in &ecr {
        assert_eq!(c.identity.as_deref(), Some(image_role.as_str()), "{c:?}");
    }
    assert_eq!(manifest_puts(&registry), 1, "{:?}", registry.access_log());
    assert!(run.stderr.contains("pushed"), "{}", run.stderr);

    // The stack's outputs, read once it finished: the template's, as moto computed them, and
    // what hoist wrote to --outputs-file.
    let outputs = stack_outputs(&rt, &conf);
    assert_eq!(
        outputs.get("LlmSecretArn").map(String::as_str),
        Some(LLM_SECRET_ARN),
        "{outputs:?}"
    );
    let written: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("outputs.json")).unwrap())
            .unwrap();
    assert_eq!(written, outputs);
    let output = |key: &str| {
        outputs
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("no output {key}: {outputs:?}"))
    };
    let (api, admin, worker) = (
        output("ServiceName"),
        output("AdminServiceName"),
        output("WorkerServiceName"),
    );

    // The secret the LlmSecretArn output names: read, then written once with the job's value.
    let at = |pred: &dyn Fn(&RecordedCall) -> bool| calls.iter().position(pred);
    let executed = at(&|c| c.action == "ExecuteChangeSet");
    let read = at(&|c| c.action == "GetSecretValue" && c.params["SecretId"] == LLM_SECRET_ARN);
    let put = at(&|c| c.action == "PutSecretValue" && c.params["SecretId"] == LLM_SECRET_ARN);
    assert!(
        executed.is_some() && executed < read && read < put,
        "{:?}",
        actions(&calls)
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.action == "PutSecretValue")
            .count(),
        1,
        "{:?}",
        actions(&calls)
    );
    assert_eq!(
        secret_value(&rt, &sm, LLM_SECRET_ARN).as_deref(),
        Some(SECRET)
    );
    assert!(
        run.stderr
            .contains("secret LLM_API_KEY → LlmSecretArn: updated"),
        "{}",
        run.stderr
    );

    // Because the secret changed, the services whose tasks read it (Api and Worker: a
    // container's `secrets[].valueFrom` names it) get new deployments after the write, waited
    // for; Admin reads only the database secret and is left alone.
    let updates: Vec<(usize, &RecordedCall)> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.service == "ecs" && c.action == "UpdateService")
        .collect();
    let mut redeployed: Vec<&str> = updates
        .iter()
        .filter_map(|(_, u)| u.params["service"].as_str())
        .collect();
    redeployed.sort_unstable();
    let mut readers = vec![api.as_str(), worker.as_str()];
    readers.sort_unstable();
    assert_eq!(redeployed, readers, "{:?}", actions(&calls));
    assert!(!redeployed.contains(&admin.as_str()));
    for (i, u) in &updates {
        assert_eq!(u.params["forceNewDeployment"], true, "{u:?}");
        assert!(
            Some(*i) > put,
            "redeployed before the secret was written: {u:?}"
        );
    }
    assert!(
        run.stderr.matches("completed").count() >= 2
            || run.stdout.matches("completed").count() >= 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert_no_secret_byte(&run);

    // Second run: the same synthesis plans zero changes. The deployed template (GetTemplate)
    // and parameters (DescribeStacks, with BootstrapVersion reported as AWS does: the SSM
    // parameter's name, its value as ResolvedValue) equal what hoist would send, so no change
    // set is even created; no upload, no push, no secret write, no redeploy.
    proxy.clear_calls();
    let again = deploy(dir.path(), &proxy, &cdk);
    assert_eq!(
        again.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        again.stdout, again.stderr
    );
    let calls = proxy.calls();
    let created = calls
        .iter()
        .filter(|c| c.action == "CreateChangeSet")
        .count();
    assert_eq!(created, 0, "{:?}", actions(&calls));
    assert!(
        calls.iter().any(|c| c.action == "GetTemplate"),
        "{:?}",
        actions(&calls)
    );
    assert!(
        again.stderr.contains(
            "no changes (deployed template, parameters and tags are the same; no change set created)"
        ),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("secret LLM_API_KEY → LlmSecretArn: unchanged"),
        "{}",
        again.stderr
    );
    assert!(
        calls
            .iter()
            .any(|c| c.action == "GetSecretValue" && c.params["SecretId"] == LLM_SECRET_ARN),
        "{:?}",
        actions(&calls)
    );
    assert_no_secret_byte(&again);
    let mutating: Vec<String> = actions(&calls)
        .into_iter()
        .filter(|a| {
            [
                "ChangeSet",
                "PutObject",
                "PutImage",
                "PutSecretValue",
                "UpdateService",
            ]
            .iter()
            .any(|m| a.ends_with(m))
        })
        .collect();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert_eq!(manifest_puts(&registry), 1, "the image was pushed again");
    assert!(
        again.stderr.contains("already in the registry"),
        "{}",
        again.stderr
    );
}
