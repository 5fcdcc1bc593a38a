use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::aws_proxy::classify::Protocol;

fn cfn(action: &str, params: Value) -> Incoming {
    let mut params = params;
    params["Action"] = Value::from(action);
    Incoming {
        service: "cloudformation".into(),
        action: action.into(),
        scope: None,
        protocol: Protocol::Query,
        params,
    }
}

const PORTS: &[u16] = &[4566];

#[test]
fn template_body_at_the_limit_passes_one_byte_over_is_refused() {
    let at = format!(
        "{{\"Description\":\"{}\"}}",
        "x".repeat(TEMPLATE_BODY_MAX - 18)
    );
    assert_eq!(at.len(), TEMPLATE_BODY_MAX);
    let ok = cfn(
        "CreateStack",
        json!({"StackName": "App", "TemplateBody": at}),
    );
    assert_eq!(check_request(&ok, PORTS), Ok(Next::Forward));
    let over = format!("{at} ");
    let err = check_request(
        &cfn(
            "CreateChangeSet",
            json!({"StackName": "App", "ChangeSetName": "c1", "TemplateBody": over}),
        ),
        PORTS,
    )
    .unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200"
    );
}

#[test]
fn template_urls_aws_accepts() {
    for (url, bucket, key) in [
        (
            "https://cdk-hnb659fds-assets-1-ca-central-1.s3.ca-central-1.amazonaws.com/abc.json",
            "cdk-hnb659fds-assets-1-ca-central-1",
            "abc.json",
        ),
        (
            "https://bkt.s3.amazonaws.com/dir/t.yaml",
            "bkt",
            "dir/t.yaml",
        ),
        (
            "https://my.dotted.bucket.s3-us-west-2.amazonaws.com/t",
            "my.dotted.bucket",
            "t",
        ),
        (
            "https://s3.ca-central-1.amazonaws.com/bkt/a%20b.json",
            "bkt",
            "a b.json",
        ),
        ("https://s3.amazonaws.com/bkt/k", "bkt", "k"),
        (
            "https://bkt.s3.dualstack.eu-west-1.amazonaws.com/k",
            "bkt",
            "k",
        ),
        ("https://s3.cn-north-1.amazonaws.com.cn/bkt/k", "bkt", "k"),
        ("http://localhost:4566/bkt/k.json", "bkt", "k.json"),
        ("http://127.0.0.1:4566/bkt/k.json", "bkt", "k.json"),
    ] {
        assert_eq!(
            parse_template_url(url, PORTS),
            Ok(S3Object {
                bucket: bucket.into(),
                key: key.into()
            }),
            "{url}"
        );
    }
}

#[test]
fn template_urls_aws_refuses() {
    for url in [
        "http://bkt.s3.amazonaws.com/k", // S3 locations must start with https://
        "https://example.com/bkt/k",     // not S3
        "https://bkt.s3.amazonaws.com.evil.com/k", // look-alike host
        "https://s3.amazonaws.com/bkt",  // no key
        "http://localhost:9999/bkt/k",   // loopback, but not the sandbox's S3
        "ftp://localhost:4566/bkt/k",
        "s3://bkt/k", // the s3:// form is not a TemplateURL
        "not a url",
    ] {
        let err = parse_template_url(url, PORTS).unwrap_err();
        assert_eq!(err.message, "TemplateURL must be a supported URL.", "{url}");
    }
    let call = cfn(
        "CreateStack",
        json!({"StackName": "App", "TemplateURL": "https://example.com/t.json"}),
    );
    assert_eq!(
        check_request(&call, PORTS).unwrap_err().code,
        "ValidationError"
    );
}

#[test]
fn template_url_asks_for_measurement() {
    let call = cfn(
        "CreateChangeSet",
        json!({"StackName": "App", "ChangeSetName": "cdk-deploy-change-set", "TemplateURL": "http://localhost:4566/b/k.json"}),
    );
    assert_eq!(
        check_request(&call, PORTS),
        Ok(Next::MeasureTemplate(S3Object {
            bucket: "b".into(),
            key: "k.json".into()
        }))
    );
}

#[test]
fn template_object_over_one_mebibyte_is_refused() {
    let at = format!("{{\"Description\":\"{}\"}}", "x".repeat(1_048_576 - 18));
    assert_eq!(check_template_object(at.as_bytes()), Ok(()));
    let over = format!("{at} ");
    assert_eq!(
        check_template_object(over.as_bytes()).unwrap_err().message,
        "Template may not exceed 1048576 bytes in size."
    );
}

fn template_with(section: &str, n: usize, yaml: bool) -> String {
    if yaml {
        let mut t = format!("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n{section}:\n");
        for i in 0..n {
            t.push_str(&format!("  P{i}:\n    Value: !Ref Q\n"));
        }
        t
    } else {
        let entries: serde_json::Map<String, Value> = (0..n)
            .map(|i| (format!("P{i}"), json!({"Type": "String"})))
            .collect();
        json!({ section: entries }).to_string()
    }
}

#[test]
fn parameter_and_output_counts_follow_the_quotas() {
    for yaml in [false, true] {
        for (section, noun, max) in [
            ("Parameters", "parameters", 200),
            ("Outputs", "outputs", 200),
            ("Mappings", "mappings", 200),
        ] {
            let ok = template_with(section, max, yaml);
            assert_eq!(
                check_template_sections(&ok),
                Ok(()),
                "{section} yaml={yaml}"
            );
            let over = template_with(section, max + 1, yaml);
            let err = check_template_sections(&over).unwrap_err();
            assert_eq!(
                err.message,
                format!(
                    "Template format error: Number of {noun}, {}, is greater than maximum allowed, {max}",
                    max + 1
                )
            );
        }
    }
    // Through the request path, too.
    let over = template_with("Outputs", 201, false);
    let err = check_request(
        &cfn("ValidateTemplate", json!({"TemplateBody": over})),
        PORTS,
    )
    .unwrap_err();
    assert!(err.message.contains("Number of outputs, 201"), "{err:?}");
}

#[test]
fn stack_names() {
    let create = |n: &str| {
        check_request(
            &cfn("CreateStack", json!({"StackName": n, "TemplateBody": "{}"})),
            PORTS,
        )
    };
    assert!(create("HindsightDevStack").is_ok());
    assert!(create("a-1").is_ok());
    let err = create("my_stack").unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value 'my_stack' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
    );
    assert!(create("1stack").is_err());
    assert!(create(&"a".repeat(128)).is_ok());
    let long = create(&format!("{}_", "a".repeat(128))).unwrap_err();
    assert!(
        long.message.starts_with("2 validation errors detected: "),
        "{long:?}"
    );

    let cs = |stack: &str, name: &str| {
        check_request(
            &cfn(
                "CreateChangeSet",
                json!({"StackName": stack, "ChangeSetName": name, "TemplateBody": "{}"}),
            ),
            PORTS,
        )
    };
    assert!(cs("App", "cdk-deploy-change-set").is_ok());
    assert!(
        cs(
            "arn:aws:cloudformation:ca-central-1:123456789012:stack/App/1-2",
            "c"
        )
        .is_ok()
    );
    assert!(cs("arn:aws-cn:cloudformation:cn-north-1:1:stack/App/x", "c").is_ok());
    assert!(cs("arn:other:cloudformation:x", "c").is_err());
    assert!(
        cs("App", "hoist_1")
            .unwrap_err()
            .message
            .contains("'changeSetName'")
    );
    assert!(cs("App", &"c".repeat(129)).is_err());

    let describe = |name: &str| {
        check_request(
            &cfn(
                "DescribeChangeSet",
                json!({"ChangeSetName": name, "StackName": "App"}),
            ),
            PORTS,
        )
    };
    assert!(describe("arn:aws:cloudformation:ca-central-1:1:changeSet/c/uuid-1").is_ok());
    assert!(describe("c.1").is_err());
}

#[test]
fn secret_values_up_to_65536_bytes() {
    let sm = |action: &str, params: Value| Incoming {
        service: "secretsmanager".into(),
        action: action.into(),
        scope: None,
        protocol: Protocol::Json,
        params,
    };
    let at = "k".repeat(65_536);
    assert!(
        check_request(
            &sm(
                "PutSecretValue",
                json!({"SecretId": "s", "SecretString": at})
            ),
            PORTS
        )
        .is_ok()
    );
    // Bytes, not characters: 'é' is two bytes in UTF-8.
    let over = format!("{}é", "k".repeat(65_535));
    let err = check_request(
        &sm("CreateSecret", json!({"Name": "s", "SecretString": over})),
        PORTS,
    )
    .unwrap_err();
    assert_eq!(err.code, "ValidationException");
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536"
    );
    assert!(!err.message.contains("kkk"), "the value is never echoed");
    use base64::Engine as _;
    let bin = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 65_537]);
    assert!(
        check_request(
            &sm(
                "UpdateSecret",
                json!({"SecretId": "s", "SecretBinary": bin})
            ),
            PORTS
        )
        .is_err()
    );
}

proptest! {
    #[test]
    fn plain_names_match_the_documented_class(name in "[a-zA-Z][-a-zA-Z0-9]{0,40}") {
        prop_assert!(is_plain_name(&name));
    }

    #[test]
    fn any_character_outside_the_class_is_refused(
        head in "[a-zA-Z][-a-zA-Z0-9]{0,10}",
        bad in "[^-a-zA-Z0-9]",
        tail in "[-a-zA-Z0-9]{0,10}",
    ) {
        let name = format!("{head}{bad}{tail}");
        prop_assert!(!is_plain_name(&name));
    }

    #[test]
    fn names_must_start_with_a_letter(first in "[-0-9]", rest in "[-a-zA-Z0-9]{0,10}") {
        let name = format!("{first}{rest}");
        prop_assert!(!is_plain_name(&name));
    }
}
