//! The team's test CDK app (`tests/fixtures/cdk-app`, sandbox variant) deployed end to end by
//! `hoist deploy` through the strict AWS proxy, which records which role signed each call —
//! what AWS's IAM would judge. hoist synthesizes the app itself (PyPI `aws-cdk-lib` with the
//! machine's Node), publishes the file, zip and Docker image assets with their publishing roles,
//! passes the template (over 51,200 bytes) as a TemplateURL with the execution role on the
//! change set, finds the stack's ECS services and waits for their new deployments; a second run
//! changes nothing (no upload, no push, no executed change set).
//!
//! Which path each step takes, honestly:
//! - `cdk bootstrap` is the real CDK CLI's, through the same proxy (see `hoist_testkit::cdk`).
//! - moto has no ECR data plane: the proxy names a Distribution registry as ECR's repository
//!   host, and the image goes there. moto's DescribeImages therefore never lists the pushed
//!   tag, so on the second run hoist finds the tag in the registry itself (its check after
//!   DescribeImages); on AWS, DescribeImages already answers.
//! - moto 5.2.1 keeps no Outputs for a stack created through a CREATE change set (the stack is
//!   made with an empty template and its output map is never rebuilt), so this run syncs no
//!   secret: secret sync is tested on a stack with outputs in `deploy.rs`. The services are
//!   found from the stack's resources (`redeploy = "always"`), which needs no output.
//! - moto's CloudFormation skips some resources of the app (alarms, SecurityGroupEgress, the
//!   bucket policy) and cannot run custom resources, which the sandbox variant leaves out;
//!   assertions are on what hoist sent and which role signed it.

mod common;

use std::path::{Path, PathBuf};

use common::{docker_engine, hoist};
use hoist_testkit::aws_proxy::{RecordedCall, StrictAws};
use hoist_testkit::cdk::{CdkToolchain, cdk_bootstrap, cdk_env};
use hoist_testkit::sandbox::{Moto, Registry, require};

const STACK: &str = "HoistCdkTestStack";
const ACCOUNT_REGION: &str = "123456789012-ca-central-1";

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
             cdk_app = \"infra\"\nredeploy = \"always\"\n",
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
        .args(["deploy", "--env", "dev", "--apply", "--wait-timeout", "120"])
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(
        &rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(moto.endpoint())
                .region(aws_config::Region::new(Moto::REGION))
                .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                    "testing", "testing", None, None, "t",
                ))
                .load(),
        ),
    );
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

    // The stack's services, found from its resources, redeployed and waited for.
    let updates: Vec<_> = calls
        .iter()
        .filter(|c| c.service == "ecs" && c.action == "UpdateService")
        .collect();
    assert_eq!(
        updates.len(),
        3,
        "Api, Admin, Worker: {:?}",
        actions(&calls)
    );
    for u in &updates {
        assert_eq!(u.params["forceNewDeployment"], true, "{u:?}");
    }
    assert!(
        run.stderr.matches("completed").count() >= 3
            || run.stdout.matches("completed").count() >= 3,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );

    // Second run: the same synthesis plans zero changes — no change set, no upload, no push.
    proxy.clear_calls();
    let again = deploy(dir.path(), &proxy, &cdk);
    assert_eq!(
        again.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        again.stdout, again.stderr
    );
    let calls = proxy.calls();
    // moto's DescribeStacks reports an SSM-typed parameter (the app's BootstrapVersion) with its
    // resolved value ("32") as ParameterValue, where AWS reports the parameter name and puts the
    // value in ResolvedValue; so on moto hoist cannot prove the parameters equal and lets a
    // change set decide (on AWS the comparison matches and no change set is created, as
    // `hoist_deploy::unchanged`'s tests show). CloudFormation finds no changes; hoist deletes it.
    let created = calls
        .iter()
        .filter(|c| c.action == "CreateChangeSet")
        .count();
    let deleted = calls
        .iter()
        .filter(|c| c.action == "DeleteChangeSet")
        .count();
    assert!(created <= 1 && deleted == created, "{:?}", actions(&calls));
    assert!(
        again.stderr.contains("no change set created") || again.stderr.contains("no changes"),
        "{}",
        again.stderr
    );
    let mutating: Vec<String> = actions(&calls)
        .into_iter()
        .filter(|a| {
            ["ExecuteChangeSet", "PutObject", "PutImage"]
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
