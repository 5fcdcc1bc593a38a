//! The team's test CDK app (`crates/hoist/tests/fixtures/cdk-app`), synthesized with PyPI's
//! `aws-cdk-lib` and the machine's Node, and the real `cdk bootstrap` against moto through the
//! strict proxy.
//!
//! The sandbox variant (`hoist:sandbox=true`) drops the custom resource and imports the secrets by
//! name, for what moto cannot deploy (see the app's docstring).
//!
//! moto path: bootstrap's CDKToolkit stack is created by moto's CloudFormation (the staging
//! bucket policy is skipped by moto); the synthesized app is only read here, not deployed.

use std::path::{Path, PathBuf};

use hoist_testkit::aws_proxy::{StrictAws, TEMPLATE_BODY_MAX};
use hoist_testkit::cdk::{CdkToolchain, cdk_bootstrap};
use hoist_testkit::sandbox::{Moto, require};
use serde_json::Value;

const STACK: &str = "HoistCdkTestStack";

fn app_dir() -> PathBuf {
    // Read at run time (cargo test sets it): a binary built in another checkout reads this one's.
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join("../hoist/tests/fixtures/cdk-app")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_assembly(out: &Path, full: bool) {
    let template_bytes = std::fs::metadata(out.join(format!("{STACK}.template.json")))
        .unwrap()
        .len();
    assert!(
        template_bytes > TEMPLATE_BODY_MAX as u64,
        "the template ({template_bytes} bytes) must exceed CloudFormation's TemplateBody limit"
    );
    let template = json(&out.join(format!("{STACK}.template.json")));
    let types: Vec<&str> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    for t in [
        "AWS::EC2::VPC",
        "AWS::EC2::NatGateway",
        "AWS::RDS::DBInstance",
        "AWS::ECS::Service",
        "AWS::Lambda::Function",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    // The full app creates its secrets; the sandbox variant imports them by name (moto's
    // CloudFormation skips AWS::SecretsManager::Secret), and the services read them either way.
    assert_eq!(
        types.contains(&"AWS::SecretsManager::Secret"),
        full,
        "{types:?}"
    );
    let text = template.to_string();
    assert_eq!(text.contains("secret:hoist-test/llm-api-key"), !full);
    assert!(
        text.contains("\"Name\":\"LLM_API_KEY\""),
        "the service reads the API key"
    );
    assert_eq!(
        types
            .iter()
            .any(|t| t.starts_with("AWS::CloudFormation::CustomResource")
                || t.starts_with("Custom::")),
        full
    );
    assert!(template["Outputs"].get("LlmSecretArn").is_some());

    // The assembly names the bootstrap roles the CDK CLI uses.
    let manifest = json(&out.join("manifest.json"));
    let props = &manifest["artifacts"][STACK]["properties"];
    assert_eq!(
        props["assumeRoleArn"],
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}"
    );
    assert_eq!(
        props["cloudFormationExecutionRoleArn"],
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"
    );
    assert_eq!(props["requiresBootstrapStackVersion"], 6);
    assert_eq!(
        props["bootstrapStackVersionSsmParameter"],
        "/cdk-bootstrap/hnb659fds/version"
    );
    assert!(
        props["stackTemplateAssetObjectUrl"]
            .as_str()
            .unwrap()
            .starts_with("s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/")
    );

    // Its assets: file and zip objects with the file-publishing role, a Docker image with the
    // image-publishing role, built from a FROM scratch Dockerfile.
    let assets = json(&out.join(format!("{STACK}.assets.json")));
    let files = assets["files"].as_object().unwrap();
    let packagings: Vec<&str> = files
        .values()
        .filter_map(|f| f["source"]["packaging"].as_str())
        .collect();
    assert!(
        packagings.contains(&"file") && packagings.contains(&"zip"),
        "{packagings:?}"
    );
    for f in files.values() {
        for d in f["destinations"].as_object().unwrap().values() {
            assert!(
                d["assumeRoleArn"]
                    .as_str()
                    .unwrap()
                    .contains("cdk-hnb659fds-file-publishing-role-"),
                "{d}"
            );
        }
    }
    let images = assets["dockerImages"].as_object().unwrap();
    assert_eq!(images.len(), 1);
    let image = images.values().next().unwrap();
    for d in image["destinations"].as_object().unwrap().values() {
        assert!(
            d["assumeRoleArn"]
                .as_str()
                .unwrap()
                .contains("cdk-hnb659fds-image-publishing-role-"),
            "{d}"
        );
        assert_eq!(
            d["repositoryName"],
            "cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}"
        );
    }
    let dir = out.join(image["source"]["directory"].as_str().unwrap());
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.lines().any(|l| l.trim() == "FROM scratch"),
        "{dockerfile}"
    );
}

#[test]
fn the_test_app_synthesizes_over_the_template_body_limit_and_names_the_bootstrap_roles() {
    let Some(cdk) = require("CDK toolchain", CdkToolchain::find()) else {
        return;
    };
    let full = cdk.synth(&app_dir(), &[]).unwrap();
    check_assembly(&full, true);
    // The variant the sandbox deploys: no custom resource (moto cannot run its Lambda).
    let sandbox = cdk.synth(&app_dir(), &[("hoist:sandbox", "true")]).unwrap();
    check_assembly(&sandbox, false);
    // Cached: a second synth of the same inputs is the same directory, at once.
    let started = std::time::Instant::now();
    assert_eq!(cdk.synth(&app_dir(), &[]).unwrap(), full);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_cdk_bootstrap_runs_against_moto_through_the_strict_proxy() {
    let Some(cdk) = require("CDK toolchain", CdkToolchain::find()) else {
        return;
    };
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let proxy = StrictAws::start(&moto.endpoint()).await;
    let endpoint = proxy.endpoint();
    tokio::task::spawn_blocking(move || cdk_bootstrap(&cdk, &endpoint))
        .await
        .unwrap()
        .expect("cdk bootstrap");

    let calls = proxy.calls();
    assert!(calls.iter().all(|c| c.rejected.is_none()), "{calls:#?}");
    let cfn = aws_sdk_cloudformation::Client::new(
        &aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new(Moto::REGION))
            .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
                "testing", "testing", None, None, "t",
            ))
            .load()
            .await,
    );
    let stacks = cfn
        .describe_stacks()
        .stack_name("CDKToolkit")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stacks.stacks()[0].stack_status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
    // moto drops the CDKToolkit stack's outputs (BootstrapVersion among them); the version the
    // deployers check lives in the SSM parameter the assembly names, which moto keeps.
    let answer: Value = reqwest::Client::new()
        .post(moto.endpoint())
        .header("x-amz-target", "AmazonSSM.GetParameter")
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/ca-central-1/ssm/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(r#"{"Name":"/cdk-bootstrap/hnb659fds/version"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let version: u32 = answer["Parameter"]["Value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no bootstrap version in {answer}"));
    assert!(version >= 6, "bootstrap version {version}");
    let resources = cfn
        .list_stack_resources()
        .stack_name("CDKToolkit")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = resources
        .stack_resource_summaries()
        .iter()
        .filter_map(|r| r.logical_resource_id())
        .collect();
    for role in [
        "DeploymentActionRole",
        "CloudFormationExecutionRole",
        "FilePublishingRole",
        "ImagePublishingRole",
        "LookupRole",
    ] {
        assert!(names.contains(&role), "{role} missing from {names:?}");
    }
}
