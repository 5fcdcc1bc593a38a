//! Parsing, serializing and normalizing policy documents.

mod common;

use common::*;
use hoist_policy::model::{ConditionValue, Effect, OneOrMany, Principal};
use hoist_policy::{PolicyDocument, PolicyParseError};

const GUIDE_TRUST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
      },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
        },
        "StringLike": {
          "token.actions.githubusercontent.com:sub": "repo:arshargithub/HindsightRoboMemSetup:ref:refs/tags/*"
        }
      }
    }
  ]
}"#;

#[test]
fn parses_the_guides_trust_policy() {
    let doc = PolicyDocument::parse(GUIDE_TRUST).unwrap();
    assert_eq!(doc.version.as_deref(), Some("2012-10-17"));
    assert_eq!(doc.statements.len(), 1);
    let st = &doc.statements[0];
    assert_eq!(st.effect, Effect::Allow);
    assert_eq!(
        st.principal.as_ref().unwrap().federated_values(),
        [PROVIDER.to_owned()]
    );
    assert_eq!(
        st.action,
        Some(OneOrMany::One("sts:AssumeRoleWithWebIdentity".into()))
    );
    let like = st.condition.get("StringLike").unwrap();
    assert_eq!(like.entries[0].key, SUB);
    assert_eq!(
        like.entries[0].values,
        OneOrMany::One(ConditionValue::String(
            "repo:arshargithub/HindsightRoboMemSetup:ref:refs/tags/*".into()
        ))
    );
}

#[test]
fn statement_may_be_a_single_object() {
    let doc = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":["sts:*"]}}"#,
    )
    .unwrap();
    assert_eq!(doc.statements.len(), 1);
    assert_eq!(doc.statements[0].principal, Some(Principal::Wildcard));
    assert_eq!(
        doc.statements[0].action,
        Some(OneOrMany::Many(vec!["sts:*".into()]))
    );
}

#[test]
fn principal_types_are_string_or_list() {
    let doc = PolicyDocument::parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
            "Principal":{"AWS":["arn:aws:iam::1:root","arn:aws:iam::2:root"],"Service":"ecs-tasks.amazonaws.com","CanonicalUser":"abc"}}]}"#,
    )
    .unwrap();
    let Some(Principal::Map(m)) = &doc.statements[0].principal else {
        panic!("map principal")
    };
    assert_eq!(m.aws.as_ref().unwrap().len(), 2);
    assert_eq!(
        m.service.as_ref().unwrap().as_slice(),
        ["ecs-tasks.amazonaws.com".to_owned()]
    );
    assert!(m.federated.is_none());
}

#[test]
fn condition_values_keep_bool_and_number_form() {
    let doc = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
        "Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":[10, 2.5]}}}]}"#,
    )
    .unwrap();
    let c = &doc.statements[0].condition;
    assert_eq!(
        c.get("Bool").unwrap().entries[0].values.as_slice()[0],
        ConditionValue::Bool(true)
    );
    assert_eq!(
        c.get("Bool").unwrap().entries[0].values.as_slice()[0].as_str(),
        "true"
    );
    let nums: Vec<String> = c.get("NumericLessThan").unwrap().entries[0]
        .values
        .iter()
        .map(|v| v.as_str().into_owned())
        .collect();
    assert_eq!(nums, ["10", "2.5"]);
    // Re-serialization keeps the JSON types.
    let v: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    assert_eq!(
        v["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"],
        serde_json::json!(true)
    );
    assert_eq!(
        v["Statement"][0]["Condition"]["NumericLessThan"]["s3:max-keys"],
        serde_json::json!([10, 2.5])
    );
}

#[test]
fn round_trip_keeps_shapes_and_order() {
    let doc = PolicyDocument::parse(GUIDE_TRUST).unwrap();
    let again = PolicyDocument::parse(&doc.to_json_pretty()).unwrap();
    assert_eq!(doc, again);
    let original: serde_json::Value = serde_json::from_str(GUIDE_TRUST).unwrap();
    let written: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    assert_eq!(original, written);
    // Condition operator order is document order, not sorted.
    let ops: Vec<&str> = doc.statements[0]
        .condition
        .operators
        .iter()
        .map(|o| o.operator.as_str())
        .collect();
    assert_eq!(ops, ["StringEquals", "StringLike"]);
    let pretty = doc.to_json_pretty();
    assert!(pretty.find("StringEquals").unwrap() < pretty.find("StringLike").unwrap());
}

#[test]
fn parse_errors_say_where_and_what() {
    let err = PolicyDocument::parse(
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Maybe\"}]\n}",
    )
    .unwrap_err();
    match &err {
        PolicyParseError::Json { line, what, .. } => {
            assert_eq!(*line, 3);
            assert!(
                what.contains("Maybe") && what.contains("Allow") && what.contains("Deny"),
                "{what}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("line 3"), "{err}");

    let err =
        PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Actoin":"s3:*"}]}"#).unwrap_err();
    assert!(err.to_string().contains("Actoin"), "{err}");
    assert!(err.to_string().contains("Action"), "{err}");

    let err =
        PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Action":5}]}"#).unwrap_err();
    assert!(err.to_string().contains("a string or a list"), "{err}");

    let err = PolicyDocument::parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"a","Principal":"someone"}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"*\" or an object"), "{err}");

    let err = PolicyDocument::parse("{\"Statement\": [").unwrap_err();
    assert!(
        matches!(err, PolicyParseError::Json { line: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn grammar_rules_iam_enforces() {
    let cases = [
        (
            r#"{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"a"}]}"#,
            "Version",
        ),
        (
            r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"a","NotAction":"b"}]}"#,
            "both Action and NotAction",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow"}]}"#,
            "neither Action nor NotAction",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","Principal":"*","NotPrincipal":"*"}]}"#,
            "Principal and NotPrincipal",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","Resource":"*","NotResource":"*"}]}"#,
            "Resource and NotResource",
        ),
    ];
    for (text, needle) in cases {
        let err = PolicyDocument::parse(text).unwrap_err();
        assert!(
            matches!(err, PolicyParseError::Invalid { .. }),
            "{text}: {err:?}"
        );
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    let err = PolicyDocument::parse(cases[1].0).unwrap_err();
    assert!(err.to_string().contains("#0 (X)"), "{err}");
}

#[test]
fn iam_encoded_documents_decode() {
    // What GetRole returns on the wire (see sandbox FINDINGS: percent-encoded JSON, trailing newline).
    let encoded: String = percent_encoding::utf8_percent_encode(
        &format!("{GUIDE_TRUST}\n"),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    assert!(encoded.starts_with("%7B"));
    let a = PolicyDocument::parse_iam_encoded(&encoded).unwrap();
    let b = PolicyDocument::parse_iam_encoded(GUIDE_TRUST).unwrap();
    assert_eq!(a, b);
    // Invalid UTF-8 after decoding is a clear error.
    let err = PolicyDocument::parse_iam_encoded("%FF%FE").unwrap_err();
    assert!(matches!(err, PolicyParseError::NotUtf8 { .. }));
}

#[test]
fn normalized_collapses_sorts_and_stringifies() {
    let a = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":["p"]},
        "Action":["sts:AssumeRoleWithWebIdentity"],
        "Condition":{"StringLike":{"k:sub":["b","a","a"]},"Bool":{"aws:x":true}}}]}"#,
    )
    .unwrap();
    let n = a.normalized();
    let expected = serde_json::json!({
        "Statement": {
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"Bool": {"aws:x": "true"}, "StringLike": {"k:sub": ["a", "b"]}},
            "Effect": "Allow",
            "Principal": {"Federated": "p"}
        },
        "Version": "2012-10-17"
    });
    assert_eq!(n, expected);
    // Keys come out sorted.
    let text = serde_json::to_string(&n).unwrap();
    assert!(text.find("\"Statement\"").unwrap() < text.find("\"Version\"").unwrap());
    assert!(text.find("\"Bool\"").unwrap() < text.find("\"StringLike\"").unwrap());
}

#[test]
fn semantic_equality() {
    let a = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"Federated":"p"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"Token.Actions.GitHubUserContent.com:aud":"sts.amazonaws.com"}}},
        {"Effect":"Deny","Principal":"*","Action":["x","y"]}]}"#,
    )
    .unwrap();
    let b = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Deny","Principal":"*","Action":["y","x"]},
        {"Effect":"Allow","Principal":{"Federated":["p"]},"Action":["sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":["sts.amazonaws.com"]}}}]}"#,
    )
    .unwrap();
    assert!(PolicyDocument::semantically_equal(&a, &b));
    let mut c = b.clone();
    c.statements[0].effect = Effect::Allow;
    assert!(!PolicyDocument::semantically_equal(&a, &c));
    let mut d = b.clone();
    d.version = None;
    assert!(!PolicyDocument::semantically_equal(&a, &d));
}

#[test]
fn duplicate_keys_are_refused_so_every_reader_agrees() {
    use hoist_policy::PolicyDocument;
    let base = |cond: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{cond}}}]}}"#
        )
    };
    // Same key twice under one operator: the evaluator used to AND them
    // while the normaliser (a JSON map) kept the last.
    let twice = base(
        r#"{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:ref:refs/heads/main","token.actions.githubusercontent.com:sub":"*"}}"#,
    );
    let err = PolicyDocument::parse(&twice).unwrap_err().to_string();
    assert!(err.contains("appears twice"), "{err}");
    // Keys differing only in case are the same key to IAM.
    let cased = base(
        r#"{"StringEquals":{"token.actions.githubusercontent.com:sub":"a","Token.Actions.GitHubUserContent.com:SUB":"b"}}"#,
    );
    assert!(PolicyDocument::parse(&cased).is_err());
    // The same operator twice.
    let ops = base(
        r#"{"StringEquals":{"token.actions.githubusercontent.com:sub":"a"},"StringEquals":{"token.actions.githubusercontent.com:aud":"b"}}"#,
    );
    assert!(PolicyDocument::parse(&ops).is_err());
    // Statement fields twice: refused too.
    let effect = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    assert!(PolicyDocument::parse(effect).is_err());
    // Different keys and operators are fine.
    let ok = base(
        r#"{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"}}"#,
    );
    assert!(PolicyDocument::parse(&ok).is_ok());
}
