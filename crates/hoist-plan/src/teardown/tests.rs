use std::collections::BTreeMap;

use super::*;
use crate::Action;

/// The guide's groups, with logical ids that say nothing about Lambda or services: only the
/// references tie the function to its group and the rule to its source.
const RENAMED_YAML: &str = r#"
Resources:
  Alpha:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: database
  Bravo:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: a function's group
  Charlie:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: the web service's group
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 80
          ToPort: 80
          SourceSecurityGroupId: !GetAtt Delta.GroupId
  Delta:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: load balancer
  Echo:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Alpha
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !GetAtt Bravo.GroupId
  Foxtrot:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Alpha
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !Ref Charlie
  Golf:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      VpcConfig:
        SubnetIds: [!Ref Sub1]
        SecurityGroupIds: [!Ref Bravo]
  Hotel:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
"#;

/// The same relations in JSON with long-form intrinsics and other names again.
const RENAMED_JSON: &str = r#"{
  "Resources": {
    "Db": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "d"}},
    "Worker": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "w"}},
    "Rule": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
      "GroupId": {"Fn::GetAtt": ["Db", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
      "SourceSecurityGroupId": {"Fn::GetAtt": ["Worker", "GroupId"]}}},
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
      "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": [{"Fn::If": ["C", {"Ref": "Worker"}, {"Ref": "AWS::NoValue"}]}]}}}
  }
}"#;

#[test]
fn relations_come_from_references_not_names() {
    let r = Relations::from_template(RENAMED_YAML).unwrap();
    assert_eq!(
        r.eni_holders.keys().collect::<Vec<_>>(),
        ["Bravo"],
        "only Golf has a VpcConfig"
    );
    assert!(r.eni_holders["Bravo"].contains("Golf"));
    let decl = r.declaration("Alpha", "Bravo").unwrap();
    assert_eq!(decl.declared_by, "Echo");
    assert_eq!(
        r.declaration("Charlie", "Delta").unwrap().declared_by,
        "Charlie"
    );
    assert_eq!(
        r.declaration("Alpha", "Charlie").unwrap().declared_by,
        "Foxtrot"
    );
    assert!(r.declaration("Bravo", "Alpha").is_none());

    let j = Relations::from_template(RENAMED_JSON).unwrap();
    assert_eq!(j.eni_holders.keys().collect::<Vec<_>>(), ["Worker"]);
    assert_eq!(j.declaration("Db", "Worker").unwrap().declared_by, "Rule");
}

#[test]
fn a_template_that_is_not_yaml_is_an_error() {
    assert!(Relations::from_template("Resources: [unclosed").is_err());
}

#[test]
fn the_examples_lambda_group_is_found_by_its_function() {
    let body = include_str!("../../../../examples/hindsight/hindsight-stack.yaml");
    let r = Relations::from_template(body).unwrap();
    assert_eq!(
        r.eni_holders.keys().collect::<Vec<_>>(),
        ["PgvectorLambdaSecurityGroup"]
    );
    assert!(r.eni_holders["PgvectorLambdaSecurityGroup"].contains("PgvectorEnabler"));
}

#[test]
fn a_services_groups_come_from_its_awsvpc_configuration() {
    let body = include_str!("../../../../examples/hindsight/hindsight-stack.yaml");
    let r = Relations::from_template(body).unwrap();
    let groups: Vec<(&str, Vec<&str>)> = r
        .service_groups
        .iter()
        .map(|(svc, g)| (svc.as_str(), g.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        groups,
        [("Service", vec!["HindsightApiServiceSecurityGroup"])]
    );
    // Renamed, in JSON with Fn::GetAtt: the reference decides, not the name.
    let renamed = r#"{"Resources": {
        "Zulu": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}},
        "Yankee": {"Type": "AWS::ECS::Service", "Properties": {"NetworkConfiguration": {"AwsvpcConfiguration": {
            "SecurityGroups": [{"Fn::GetAtt": ["Zulu", "GroupId"]}, "sg-outside"]}}}},
        "Xray": {"Type": "AWS::ECS::Service", "Properties": {}}}}"#;
    let r = Relations::from_template(renamed).unwrap();
    assert_eq!(r.service_groups.len(), 1);
    assert!(r.service_groups["Yankee"].contains("Zulu"));
}

fn rule(on: &str, from: &str, port: i32) -> IngressRule {
    IngressRule {
        group_id: on.into(),
        protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        source_group_id: from.into(),
    }
}

fn res(logical: &str, ty: &str, physical: &str) -> StackResource {
    StackResource {
        logical_id: logical.into(),
        physical_id: Some(physical.into()),
        resource_type: ty.into(),
    }
}

/// Alpha=sg-a (database), Bravo=sg-b (Golf's group), Charlie=sg-c (service), Delta=sg-d;
/// rules as EC2 reports them, plus one on sg-x outside the stack.
fn renamed_stack(rules: Vec<IngressRule>) -> ActualStack {
    let sg = "AWS::EC2::SecurityGroup";
    let mut rules_from: BTreeMap<String, Vec<IngressRule>> = BTreeMap::new();
    for r in rules {
        rules_from
            .entry(r.source_group_id.clone())
            .or_default()
            .push(r);
    }
    ActualStack {
        name: "AppStack".into(),
        stack_id: "arn:aws:cloudformation:ca-central-1:123456789012:stack/AppStack/1".into(),
        status: "CREATE_COMPLETE".into(),
        resources: vec![
            res("Alpha", sg, "sg-a"),
            res("Bravo", sg, "sg-b"),
            res("Charlie", sg, "sg-c"),
            res("Delta", sg, "sg-d"),
            res("Golf", "AWS::Lambda::Function", "AppStack-Golf-1"),
        ],
        relations: Relations::from_template(RENAMED_YAML).unwrap(),
        rules_from,
    }
}

fn revoked(plan: &TeardownPlan) -> Vec<String> {
    plan.operations()
        .filter_map(|op| match op {
            Op::RevokeIngress { rule } => Some(rule.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn plan_table() {
    struct Case {
        name: &'static str,
        rules: Vec<IngressRule>,
        revoke: Vec<&'static str>,
    }
    let cases = [
        Case {
            name: "the rule from the Lambda's group is revoked, the service's is not",
            rules: vec![rule("sg-a", "sg-b", 5432), rule("sg-a", "sg-c", 5432)],
            revoke: vec!["sg-a allows tcp/5432 from sg-b"],
        },
        Case {
            name: "a rule on a group outside the stack is revoked whatever its source",
            rules: vec![rule("sg-x", "sg-c", 22), rule("sg-c", "sg-d", 80)],
            revoke: vec!["sg-x allows tcp/22 from sg-c"],
        },
        Case {
            name: "rules between groups without VPC functions stay for CloudFormation",
            rules: vec![rule("sg-c", "sg-d", 80), rule("sg-a", "sg-c", 5432)],
            revoke: vec![],
        },
        Case {
            name: "both kinds, outside and Lambda, each once",
            rules: vec![
                rule("sg-x", "sg-b", 22),
                rule("sg-a", "sg-b", 5432),
                rule("sg-a", "sg-b", 5432),
            ],
            revoke: vec![
                "sg-a allows tcp/5432 from sg-b",
                "sg-x allows tcp/22 from sg-b",
            ],
        },
    ];
    for case in cases {
        let plan = plan(Some(&renamed_stack(case.rules)));
        assert_eq!(revoked(&plan), case.revoke, "{}", case.name);
        let last = plan.operations().last().unwrap();
        assert!(
            matches!(last, Op::DeleteStack { stack, .. } if stack == "AppStack"),
            "{}: the stack goes last",
            case.name
        );
    }
}

#[test]
fn notes_say_why_and_which_resource_declares_the_rule() {
    let plan = plan(Some(&renamed_stack(vec![rule("sg-a", "sg-b", 5432)])));
    let first = &plan.resources[0];
    assert_eq!(first.kind, "ingress-rule");
    assert_eq!(first.name, "sg-a allows tcp/5432 from sg-b (Bravo)");
    assert_eq!(first.action, Action::Delete);
    assert!(
        first.notes[0].contains("network interfaces of Golf"),
        "{:?}",
        first.notes
    );
    assert_eq!(first.notes[1], "declared by Echo in the template");
    let text = plan.render_human();
    assert!(
        text.contains("- delete    stack            AppStack\n"),
        "{text}"
    );
    assert!(text.contains("status: CREATE_COMPLETE -> (none)"), "{text}");
    assert!(
        text.ends_with("Plan: 0 to create, 0 to update, 2 to delete, 0 unchanged.\n"),
        "{text}"
    );
}

#[test]
fn renaming_every_logical_id_changes_nothing() {
    // The same stack under other names: the rule from the function's group is still found.
    let renamed = RENAMED_YAML
        .replace("Bravo", "PaymentsQueue")
        .replace("Golf", "NightlyJob");
    let mut stack = renamed_stack(vec![rule("sg-a", "sg-b", 5432)]);
    stack.relations = Relations::from_template(&renamed).unwrap();
    for r in &mut stack.resources {
        r.logical_id = r
            .logical_id
            .replace("Bravo", "PaymentsQueue")
            .replace("Golf", "NightlyJob");
    }
    assert_eq!(
        revoked(&plan(Some(&stack))),
        ["sg-a allows tcp/5432 from sg-b"]
    );
    // And a group *named* like a Lambda's but used by no function is not treated as one.
    let misleading = RENAMED_YAML
        .replace("Charlie", "LambdaSecurityGroup")
        .replace("Delta", "ServiceSecurityGroup");
    let mut stack = renamed_stack(vec![rule("sg-a", "sg-c", 5432), rule("sg-c", "sg-d", 80)]);
    stack.relations = Relations::from_template(&misleading).unwrap();
    for r in &mut stack.resources {
        r.logical_id = r
            .logical_id
            .replace("Charlie", "LambdaSecurityGroup")
            .replace("Delta", "ServiceSecurityGroup");
    }
    assert!(revoked(&plan(Some(&stack))).is_empty());
}

#[test]
fn a_missing_stack_plans_nothing() {
    let plan = plan(None);
    assert!(plan.is_converged());
    assert_eq!(plan.operations().count(), 0);
}

fn ev(logical: &str, ty: &str, status: &str, reason: Option<&str>) -> StackEvent {
    StackEvent {
        logical_id: logical.into(),
        physical_id: Some(match ty {
            "AWS::EC2::SecurityGroup" => "sg-0a1b2c3d4e5f60718".into(),
            "AWS::Lambda::Function" => "HindsightDevStack-PgvectorEnabler-AbCdEf123456".into(),
            _ => format!("{logical}-physical"),
        }),
        resource_type: ty.into(),
        status: status.into(),
        reason: reason.map(str::to_owned),
    }
}

/// The guide's case, newest first, with the status reasons worded as CloudFormation and EC2
/// word them ("resource sg-… has a dependent object", "The following resource(s) failed to
/// delete: […]"). Written from AWS's documented messages, not captured from a live account:
/// moto deletes stacks synchronously and never ends one DELETE_FAILED.
fn guide_case() -> Vec<StackEvent> {
    vec![
        ev(
            "HindsightDevStack",
            "AWS::CloudFormation::Stack",
            "DELETE_FAILED",
            Some(
                "The following resource(s) failed to delete: [PgvectorLambdaSecurityGroup, PgvectorEnabler]. ",
            ),
        ),
        ev(
            "PgvectorLambdaSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "DELETE_FAILED",
            Some(
                "resource sg-0a1b2c3d4e5f60718 has a dependent object (Service: Ec2, Status Code: 400, Request ID: 5f1c…)",
            ),
        ),
        ev(
            "PgvectorLambdaSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "DELETE_IN_PROGRESS",
            None,
        ),
        ev(
            "PgvectorEnabler",
            "AWS::Lambda::Function",
            "DELETE_FAILED",
            Some(
                "Resource handler returned message: \"Exceeded attempts to wait\" (RequestToken: 8d2…, HandlerErrorCode: NotStabilized)",
            ),
        ),
        ev(
            "PgvectorEnabler",
            "AWS::Lambda::Function",
            "DELETE_IN_PROGRESS",
            None,
        ),
        ev(
            "RdsInstance",
            "AWS::RDS::DBInstance",
            "DELETE_COMPLETE",
            None,
        ),
        ev(
            "HindsightDevStack",
            "AWS::CloudFormation::Stack",
            "DELETE_IN_PROGRESS",
            Some("User Initiated"),
        ),
    ]
}

#[test]
fn retains_the_stuck_lambda_and_its_group() {
    let retain = retain_on_retry(&guide_case()).unwrap();
    let ids: Vec<&str> = retain.iter().map(|l| l.logical_id.as_str()).collect();
    assert_eq!(ids, ["PgvectorLambdaSecurityGroup", "PgvectorEnabler"]);
    assert_eq!(
        retain[0].physical_id.as_deref(),
        Some("sg-0a1b2c3d4e5f60718")
    );
}

#[test]
fn a_resource_that_recovered_is_not_retained() {
    let mut events = guide_case();
    // Newest first: the group was deleted on a later attempt.
    events.insert(
        0,
        ev(
            "PgvectorLambdaSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "DELETE_COMPLETE",
            None,
        ),
    );
    let retain = retain_on_retry(&events).unwrap();
    assert_eq!(retain.len(), 1);
    assert_eq!(retain[0].logical_id, "PgvectorEnabler");
}

#[test]
fn unknown_failures_are_not_papered_over() {
    let events = vec![ev(
        "AppBucket",
        "AWS::S3::Bucket",
        "DELETE_FAILED",
        Some("The bucket you tried to delete is not empty"),
    )];
    let err = retain_on_retry(&events).unwrap_err();
    assert!(
        err[0].contains("AppBucket") && err[0].contains("not empty"),
        "{err:?}"
    );
}

fn leftover(ty: &str, physical: &str) -> Leftover {
    Leftover {
        logical_id: "Bravo".into(),
        physical_id: Some(physical.into()),
        resource_type: ty.into(),
        reason: "its network interfaces still use it".into(),
    }
}

#[test]
fn cleanup_table() {
    let sg = "AWS::EC2::SecurityGroup";
    let busy = LeftoverState {
        item: leftover(sg, "sg-b"),
        interfaces: vec![Interface {
            id: "eni-1".into(),
            status: "in-use".into(),
            lambda: true,
        }],
        rules_from: vec![rule("sg-a", "sg-b", 5432)],
    };
    let plan = cleanup_plan(std::slice::from_ref(&busy));
    assert!(plan.is_converged(), "a group in use is left alone");
    assert_eq!(
        plan.resources[0].notes[0],
        "still has 1 network interface(s): eni-1 in-use (Lambda) — try again later"
    );

    let free = LeftoverState {
        interfaces: Vec::new(),
        ..busy
    };
    let plan = cleanup_plan(&[free]);
    let ops: Vec<String> = plan.operations().map(Op::describe).collect();
    assert_eq!(
        ops,
        [
            "revoked sg-a allows tcp/5432 from sg-b",
            "deleted security group sg-b"
        ]
    );

    let function = LeftoverState {
        item: leftover("AWS::Lambda::Function", "AppStack-Golf-1"),
        interfaces: Vec::new(),
        rules_from: Vec::new(),
    };
    let plan = cleanup_plan(&[function]);
    assert!(plan.is_converged());
    assert!(
        plan.resources[0].notes[0]
            .contains("aws lambda delete-function --function-name AppStack-Golf-1")
    );
    assert!(cleanup_plan(&[]).resources.is_empty());
}
