//! The reference hoist's deploy is held to: the real `cdk deploy` of the team's test app
//! (sandbox variant) through the strict proxy, with the roles the assembly names. What the CDK
//! CLI does here is what AWS's IAM would see: CloudFormation and the bootstrap-version read as
//! the deploy role, assets as the publishing roles, the change set naming the execution role,
//! the template as a TemplateURL (it is over 51,200 bytes).
//!
//! moto paths: the stack is created by moto's CloudFormation, which skips CloudWatch alarms,
//! SecurityGroupEgress and S3 BucketPolicy; the app's secrets are created out of band (the sandbox
//! variant imports them by name); the image asset is pushed to Distribution's registry, which the
//! proxy names as ECR's data plane (moto has none).

use std::path::PathBuf;
use std::process::Command;

use hoist_testkit::aws_proxy::{RecordedCall, StrictAws};
use hoist_testkit::cdk::{CdkToolchain, cdk_bootstrap, cdk_deploy};
use hoist_testkit::sandbox::{Moto, Registry, require};

const ACCOUNT_REGION: &str = "123456789012-ca-central-1";

fn docker_engine() -> bool {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    let ok = out.is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    assert!(
        ok || std::env::var("HOIST_REQUIRE_DOCKER").as_deref() != Ok("1"),
        "HOIST_REQUIRE_DOCKER=1 but no Docker engine answers"
    );
    ok
}

fn role(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/cdk-hnb659fds-{name}-{ACCOUNT_REGION}")
}

fn of<'c>(calls: &'c [RecordedCall], service: &str) -> Vec<&'c RecordedCall> {
    calls.iter().filter(|c| c.service == service).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdk_deploy_signs_each_call_with_the_role_the_assembly_names() {
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
    // Read at run time (cargo test sets it): a binary built in another checkout reads this one's.
    let app = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join("../hoist/tests/fixtures/cdk-app");
    let proxy = StrictAws::start_with_ecr_registry(&moto.endpoint(), &registry.host());
    let sm = aws_sdk_secretsmanager::Client::new(
        &aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new(Moto::REGION))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "testing", "testing", None, None, "t",
            ))
            .load()
            .await,
    );
    sm.create_secret()
        .name("hoist-test/llm-api-key")
        .send()
        .await
        .unwrap();
    sm.create_secret()
        .name("hoist-test/db")
        .secret_string(r#"{"username":"app","password":"sandbox-db-password"}"#)
        .send()
        .await
        .unwrap();
    let endpoint = proxy.endpoint();
    let assembly = tokio::task::spawn_blocking(move || {
        let assembly = cdk.synth(&app, &[("hoist:sandbox", "true")])?;
        cdk_bootstrap(&cdk, &endpoint)?;
        Ok::<_, String>((cdk, assembly))
    })
    .await
    .unwrap()
    .expect("synth and bootstrap");
    proxy.clear_calls();
    let endpoint = proxy.endpoint();
    let (cdk, assembly) = assembly;
    tokio::task::spawn_blocking(move || {
        cdk_deploy(&cdk, &endpoint, &assembly, "HoistCdkTestStack")
    })
    .await
    .unwrap()
    .expect("cdk deploy");

    let calls = proxy.calls();
    assert!(calls.iter().all(|c| c.rejected.is_none()), "{calls:#?}");
    let deploy_role = role("deploy-role");
    for c in of(&calls, "cloudformation") {
        assert_eq!(c.identity.as_deref(), Some(deploy_role.as_str()), "{c:?}");
    }
    let version_read: Vec<_> = of(&calls, "ssm");
    assert_eq!(version_read.len(), 1);
    assert_eq!(
        version_read[0].params["Name"],
        "/cdk-bootstrap/hnb659fds/version"
    );
    assert_eq!(
        version_read[0].identity.as_deref(),
        Some(deploy_role.as_str())
    );

    let change_set = calls
        .iter()
        .find(|c| c.action == "CreateChangeSet")
        .expect("a change set");
    assert_eq!(change_set.params["RoleARN"], role("cfn-exec-role"));
    assert!(change_set.params.get("TemplateBody").is_none());
    let url = change_set.params["TemplateURL"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "http://localhost:{}/cdk-hnb659fds-assets-{ACCOUNT_REGION}/",
            proxy.port()
        )),
        "{url}"
    );

    let file_role = role("file-publishing-role");
    let puts: Vec<_> = calls.iter().filter(|c| c.action == "PutObject").collect();
    let keys: Vec<&str> = puts
        .iter()
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
    let image_role = role("image-publishing-role");
    assert!(!of(&calls, "ecr").is_empty());
    for c in of(&calls, "ecr") {
        assert_eq!(c.identity.as_deref(), Some(image_role.as_str()), "{c:?}");
    }
    // The image reached the registry ECR's answers named.
    let pushed = registry.access_log().iter().any(|e| {
        e.method == "PUT"
            && e.path.contains("/manifests/")
            && e.path.contains("cdk-hnb659fds-container-assets")
    });
    assert!(pushed, "{:?}", registry.access_log());
}
