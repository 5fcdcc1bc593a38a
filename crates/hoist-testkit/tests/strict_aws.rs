//! The strict AWS proxy in front of a real moto_server, driven by the AWS SDK for Rust: each
//! documented limit is refused with AWS's error code (and moto never sees the call), calls within
//! the limits reach moto, and every call is recorded with the role that signed it.
//!
//! moto path: every call here that passes the proxy is served by moto itself (CreateStack with an
//! SQS queue, S3 objects, STS credentials, Secrets Manager); nothing is faked.

use aws_config::BehaviorVersion;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::Parameter;
use hoist_testkit::aws_proxy::{RecordedCall, StrictAws};
use hoist_testkit::sandbox::{Moto, require};
use serde_json::json;

const ROLE: &str =
    "arn:aws:iam::123456789012:role/cdk-hnb659fds-deploy-role-123456789012-ca-central-1";

async fn sdk(
    endpoint: &str,
    key: &str,
    secret: &str,
    token: Option<&str>,
) -> aws_config::SdkConfig {
    let creds =
        aws_sdk_sts::config::Credentials::new(key, secret, token.map(str::to_owned), None, "test");
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(Moto::REGION))
        .credentials_provider(creds)
        .load()
        .await
}

fn s3(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// A template with `n` SQS queues, padded with a description to about `bytes` bytes.
fn template(queues: usize, bytes: usize) -> String {
    let resources: serde_json::Map<String, serde_json::Value> = (0..queues)
        .map(|i| (format!("Queue{i}"), json!({"Type": "AWS::SQS::Queue"})))
        .collect();
    let mut t = json!({"Resources": resources, "Description": ""});
    let len = t.to_string().len();
    if bytes > len {
        t["Description"] = json!("d".repeat(bytes - len));
    }
    t.to_string()
}

fn code<E, R>(err: &aws_sdk_cloudformation::error::SdkError<E, R>) -> String
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<not a service error>")
        .to_owned()
}

fn message<E, R>(err: &aws_sdk_cloudformation::error::SdkError<E, R>) -> String
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.message())
        .unwrap_or("")
        .to_owned()
}

fn last(calls: &[RecordedCall], action: &str) -> RecordedCall {
    calls
        .iter()
        .rev()
        .find(|c| c.action == action)
        .unwrap_or_else(|| panic!("no {action} in {calls:#?}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudformation_limits_as_aws_enforces_them() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let proxy = StrictAws::start(&moto.endpoint()).await;
    let config = sdk(&proxy.endpoint(), "testing", "testing", None).await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let direct = aws_sdk_cloudformation::Client::new(
        &sdk(&moto.endpoint(), "testing", "testing", None).await,
    );

    // TemplateBody: 51,200 bytes pass, one more is refused before moto sees it.
    let at = template(1, 51_200);
    assert_eq!(at.len(), 51_200);
    cfn.create_stack()
        .stack_name("AtLimit")
        .template_body(&at)
        .send()
        .await
        .expect("51,200 bytes are allowed");
    let over = template(1, 51_201);
    let err = cfn
        .create_stack()
        .stack_name("OverLimit")
        .template_body(&over)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert!(
        message(&err).contains("Member must have length less than or equal to 51200"),
        "{err:?}"
    );
    assert!(
        direct
            .describe_stacks()
            .stack_name("OverLimit")
            .send()
            .await
            .is_err(),
        "the refused stack must not exist in moto"
    );
    let rejected = last(&proxy.calls(), "CreateStack");
    assert_eq!(rejected.rejected.as_deref(), Some("ValidationError"));
    assert_eq!(rejected.status, 400);

    // The same template through S3 as TemplateURL is fine (moto creates the stack), …
    let s3 = s3(&config);
    s3.create_bucket()
        .bucket("templates")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("templates")
        .key("big.json")
        .body(over.clone().into_bytes().into())
        .send()
        .await
        .unwrap();
    let url = format!("http://localhost:{}/templates/big.json", proxy.port());
    cfn.create_stack()
        .stack_name("ViaUrl")
        .template_url(&url)
        .send()
        .await
        .expect("TemplateURL up to 1 MB");
    let stack = direct
        .describe_stacks()
        .stack_name("ViaUrl")
        .send()
        .await
        .unwrap();
    assert_eq!(stack.stacks().len(), 1);
    let put = last(&proxy.calls(), "PutObject");
    assert_eq!(
        put.params,
        json!({"Bucket": "templates", "Key": "big.json", "Size": over.len()})
    );

    // … but not over 1 MB, …
    let huge = template(1, 1_048_577);
    s3.put_object()
        .bucket("templates")
        .key("huge.json")
        .body(huge.into_bytes().into())
        .send()
        .await
        .unwrap();
    let err = cfn
        .create_change_set()
        .stack_name("Huge")
        .change_set_name("c1")
        .template_url(format!(
            "http://localhost:{}/templates/huge.json",
            proxy.port()
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert_eq!(
        message(&err),
        "Template may not exceed 1048576 bytes in size."
    );

    // … and only from S3.
    let err = cfn
        .create_stack()
        .stack_name("Elsewhere")
        .template_url("https://example.com/templates/big.json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err).as_str(), message(&err).as_str()),
        ("ValidationError", "TemplateURL must be a supported URL.")
    );

    // Names.
    let err = cfn
        .create_stack()
        .stack_name("my_stack")
        .template_body(template(1, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert!(
        message(&err).contains("Value 'my_stack' at 'stackName'"),
        "{err:?}"
    );
    let err = cfn
        .create_change_set()
        .stack_name("AtLimit")
        .change_set_name("hoist_1")
        .template_body(template(1, 0))
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("at 'changeSetName'"), "{err:?}");

    // Template quotas: 201 parameters.
    let params: serde_json::Map<String, serde_json::Value> = (0..201)
        .map(|i| (format!("P{i}"), json!({"Type": "String", "Default": "x"})))
        .collect();
    let t =
        json!({"Parameters": params, "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}).to_string();
    let err = cfn
        .create_stack()
        .stack_name("ManyParams")
        .template_body(t)
        .parameters(
            Parameter::builder()
                .parameter_key("P0")
                .parameter_value("y")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Template format error: Number of parameters, 201, is greater than maximum allowed, 200"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_values_over_65536_bytes_are_refused_with_a_validation_exception() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let proxy = StrictAws::start(&moto.endpoint()).await;
    let sm = aws_sdk_secretsmanager::Client::new(
        &sdk(&proxy.endpoint(), "testing", "testing", None).await,
    );
    sm.create_secret()
        .name("app/key")
        .secret_string("k".repeat(65_536))
        .send()
        .await
        .expect("65,536 bytes are allowed");
    let value = "sk-".to_owned() + &"v".repeat(65_534);
    let err = sm
        .put_secret_value()
        .secret_id("app/key")
        .secret_string(&value)
        .send()
        .await
        .unwrap_err();
    let service = err.as_service_error().expect("a service error");
    assert_eq!(service.code(), Some("ValidationException"));
    let calls = proxy.calls();
    let put = last(&calls, "PutSecretValue");
    assert_eq!(put.rejected.as_deref(), Some("ValidationException"));
    // The record keeps no secret material.
    assert_eq!(put.params["SecretString"], "<redacted: 65537 bytes>");
    assert!(!serde_json::to_string(&calls).unwrap().contains("vvvvvvvv"));
    let direct = aws_sdk_secretsmanager::Client::new(
        &sdk(&moto.endpoint(), "testing", "testing", None).await,
    );
    let stored = direct
        .get_secret_value()
        .secret_id("app/key")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.secret_string().map(str::len),
        Some(65_536),
        "moto kept the earlier value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_recorded_with_the_role_that_signed_them() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let proxy = StrictAws::start(&moto.endpoint()).await;
    let base = sdk(&proxy.endpoint(), "testing", "testing", None).await;
    let sts = aws_sdk_sts::Client::new(&base);
    // A role that does not exist: IAM refuses, as AWS does (moto's STS would issue credentials).
    let refused = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("cdk")
        .send()
        .await
        .unwrap_err();
    let refused = refused.into_service_error();
    assert_eq!(refused.meta().code(), Some("AccessDenied"), "{refused:?}");
    assert!(
        refused
            .meta()
            .message()
            .is_some_and(|m| m.contains(&format!("sts:AssumeRole on resource: {ROLE}"))),
        "{refused:?}"
    );
    aws_sdk_iam::Client::new(&sdk(&moto.endpoint(), "testing", "testing", None).await)
        .create_role()
        .role_name(ROLE.rsplit('/').next().unwrap())
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let assumed = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("cdk")
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials().unwrap();
    let as_role = sdk(
        &proxy.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    )
    .await;
    let cfn = aws_sdk_cloudformation::Client::new(&as_role);
    let _ = cfn.describe_stacks().stack_name("Nope").send().await;
    aws_sdk_cloudformation::Client::new(&base)
        .list_stacks()
        .send()
        .await
        .unwrap();

    let calls = proxy.calls();
    let assume = last(&calls, "AssumeRole");
    assert_eq!(
        (assume.service.as_str(), assume.identity.as_deref()),
        ("sts", None)
    );
    assert_eq!(assume.params["RoleArn"], ROLE);
    let described = last(&calls, "DescribeStacks");
    assert_eq!(described.service, "cloudformation");
    assert_eq!(described.identity.as_deref(), Some(ROLE));
    assert_eq!(described.access_key.as_deref(), Some(creds.access_key_id()));
    assert_eq!(described.params["StackName"], "Nope");
    assert_eq!(last(&calls, "ListStacks").identity, None);

    // The control endpoint serves the same record.
    let served: serde_json::Value = reqwest::get(format!("{}/_strict_aws/calls", proxy.endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served.as_array().map(Vec::len), Some(calls.len()));
}
