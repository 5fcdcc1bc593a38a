//! `hoist teardown` of examples/hindsight on moto_server.
//!
//! What is real here and what is not: moto deletes stacks synchronously and its
//! DeleteSecurityGroup does NOT fail with DependencyViolation when another group's rule
//! references the group (checked against moto 5.2.1), so the stuck delete of the guide cannot
//! be produced. These tests cover what moto does for real: the plan reads the stack's template
//! (GetTemplate) and finds the RDS rule whose source is the group the VPC Lambda uses, the
//! apply revokes it (and a rule on a group outside the stack, which survives the delete and so
//! can be looked at afterwards) before deleting; prod needs confirmation; `--cleanup` deletes
//! a retained group only once no network interface uses it. moto 5.2.1 cannot delete
//! examples/hindsight's network itself: its DeleteStack removes the VPC before the NAT
//! gateway, internet gateway and route tables and answers `DependencyViolation` from the call
//! (AWS orders deletes by dependency); that test asserts hoist revoked the rules first and
//! reports the failure with exit 1. A complete delete with progress is tested on a
//! stack of the same security groups, rule and VPC Lambda without the VPC (moto does not check
//! a function's subnets or role permissions; AWS does: the template uses a default-VPC subnet
//! and a role of its own so it would also be valid there).
//! Which rules are revoked is decided in hoist-plan (`teardown::plan`, table-tested on
//! templates with renamed logical ids); the DELETE_FAILED → retain decision is unit-tested
//! there on events worded as AWS words them (written from AWS's documented messages).

mod common;

use std::collections::BTreeMap;

use common::ec2::Ec2Api;
use common::{hoist, project};
use hoist_testkit::sandbox::{Moto, require};

struct Sandbox {
    moto: Moto,
    conf: aws_config::SdkConfig,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    params: BTreeMap<String, String>,
}

fn sandbox() -> Option<Sandbox> {
    let moto = require(
        "moto_server",
        Moto::start_with(&[("MOTO_ECS_SERVICE_RUNNING", "1")]),
    )?;
    let rt = common::sdk::rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    let mut params = BTreeMap::new();
    for (param, name, value) in [
        ("LlmSecretArnParam", "hindsight-llm", "sk-x"),
        (
            "RdsSecretArnParam",
            "hindsight-rds",
            r#"{"username":"hindsight","password":"pw-teardown"}"#,
        ),
        (
            "DatabaseUrlSecretArnParam",
            "hindsight-db-url",
            "postgresql://hindsight@db:5432/hindsight",
        ),
    ] {
        let out = rt
            .block_on(sm.create_secret().name(name).secret_string(value).send())
            .unwrap();
        params.insert(param.to_owned(), out.arn.unwrap());
    }
    let config = common::read_manifest_file("../../examples/hindsight/hoist.toml");
    let dir = project(&[("hoist.toml", &config)]);
    Some(Sandbox {
        moto,
        conf,
        rt,
        dir,
        params,
    })
}

impl Sandbox {
    fn create_stack(&self, name: &str, env_name: &str) {
        let template = common::read_manifest_file("../../examples/hindsight/hindsight-stack.yaml");
        self.create_stack_from(name, env_name, &template);
    }

    fn create_stack_from(&self, name: &str, env_name: &str, template: &str) {
        let cfn = aws_sdk_cloudformation::Client::new(&self.conf);
        let params: Vec<_> = self
            .params
            .iter()
            .map(|(k, v)| {
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build()
            })
            .chain([aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key("EnvName")
                .parameter_value(env_name)
                .build()])
            .collect();
        let req = cfn
            .create_stack()
            .stack_name(name)
            .template_body(template)
            .set_parameters(Some(if template.contains("EnvName") {
                params
            } else if template.contains("SubnetParam") {
                vec![
                    aws_sdk_cloudformation::types::Parameter::builder()
                        .parameter_key("SubnetParam")
                        .parameter_value(self.default_subnet())
                        .build(),
                ]
            } else {
                Vec::new()
            }))
            .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityIam);
        self.rt.block_on(req.send()).unwrap();
    }

    /// A subnet of moto's default VPC.
    fn default_subnet(&self) -> String {
        self.ec2().default_subnet()
    }

    fn ec2(&self) -> Ec2Api {
        Ec2Api::new(self.moto.port())
    }

    fn exists(&self, name: &str) -> bool {
        let cfn = aws_sdk_cloudformation::Client::new(&self.conf);
        self.rt
            .block_on(cfn.describe_stacks().stack_name(name).send())
            .is_ok_and(|o| {
                o.stacks().iter().any(|s| {
                    s.stack_status()
                        .is_some_and(|st| st.as_str() != "DELETE_COMPLETE")
                })
            })
    }

    fn output(&self, stack: &str, key: &str) -> String {
        let cfn = aws_sdk_cloudformation::Client::new(&self.conf);
        let out = self
            .rt
            .block_on(cfn.describe_stacks().stack_name(stack).send())
            .unwrap();
        out.stacks()[0]
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .unwrap()
            .to_owned()
    }

    fn group(&self, name: &str, vpc: Option<&str>) -> String {
        self.ec2().create_security_group(name, vpc)
    }

    /// Sources of the ingress rules of `group`.
    fn sources(&self, group: &str) -> Vec<String> {
        self.ec2()
            .ingress_sources(group)
            .unwrap_or_else(|| panic!("{group} does not exist"))
    }

    fn teardown(&self, args: &[&str]) -> common::Run {
        let run = hoist(self.dir.path())
            .envs(self.moto.env())
            .args(["teardown"])
            .args(args)
            .run();
        run.assert_no_secret("pw-teardown");
        run
    }
}

#[test]
fn the_example_revokes_the_blocking_rules_first_and_reports_motos_delete_failure() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack("HindsightDevStack", "dev");
    let rds_sg = sb.output("HindsightDevStack", "RdsSecurityGroupId");
    let lambda_sg = sb.output("HindsightDevStack", "PgvectorLambdaSecurityGroupId");
    // A group outside the stack (a shared bastion's) that also lets the Lambda in: it blocks
    // deleting the Lambda's group too, and it outlives the stack, so the revoke can be seen.
    let outside = sb.group("shared-bastion", None);
    sb.ec2()
        .authorize_ingress(&outside, ("tcp", 22, lambda_sg.as_str()));

    let plan = sb.teardown(&["--env", "dev"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "- delete    ingress-rule     {rds_sg} allows tcp/5432 from {lambda_sg} (PgvectorLambdaSecurityGroup)\n    note: PgvectorLambdaSecurityGroup holds the VPC network interfaces of PgvectorEnabler"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("note: declared by RdsIngressFromPgvectorLambda in the template"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(&format!(
            "- delete    ingress-rule     {outside} allows tcp/22 from {lambda_sg} (PgvectorLambdaSecurityGroup)"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("HindsightApiServiceSecurityGroup)"),
        "the ECS rule does not block: {}",
        plan.stdout
    );
    assert!(sb.exists("HindsightDevStack"));
    assert_eq!(sb.sources(&outside), vec![lambda_sg.clone()]);

    let run = sb.teardown(&["--env", "dev", "--apply"]);
    assert!(
        run.stderr.contains(&format!(
            "done: revoked {rds_sg} allows tcp/5432 from {lambda_sg}"
        )),
        "{}",
        run.stderr
    );
    assert!(
        sb.sources(&outside).is_empty(),
        "the outside rule was not revoked"
    );
    // moto's own limit (see the module doc): its DeleteStack fails on the VPC.
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("cloudformation:DeleteStack failed: DependencyViolation"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("deleted stack"), "{}", run.stdout);
}

/// The guide's blocking groups, rule and VPC Lambda, without the VPC moto cannot delete (the
/// function runs in a subnet of the default VPC, given as a parameter).
const GROUPS_ONLY: &str = r#"
Parameters:
  SubnetParam:
    Type: String
Resources:
  FunctionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: vpc-network-interfaces
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action:
                  - ec2:CreateNetworkInterface
                  - ec2:DescribeNetworkInterfaces
                  - ec2:DeleteNetworkInterface
                  - ec2:AssignPrivateIpAddresses
                  - ec2:UnassignPrivateIpAddresses
                Resource: "*"
  PgvectorEnabler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt FunctionRole.Arn
      VpcConfig:
        SubnetIds: [!Ref SubnetParam]
        SecurityGroupIds: [!GetAtt PgvectorLambdaSecurityGroup.GroupId]
      Code:
        ZipFile: |
          def handler(event, context):
              return {}
  RdsSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: Hindsight PostgreSQL
  PgvectorLambdaSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: PgvectorEnabler Lambda
  RdsIngressFromPgvectorLambda:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref RdsSecurityGroup
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !Ref PgvectorLambdaSecurityGroup
Outputs:
  RdsSecurityGroupId:
    Value: !Ref RdsSecurityGroup
  PgvectorLambdaSecurityGroupId:
    Value: !Ref PgvectorLambdaSecurityGroup
"#;

#[test]
fn a_stack_moto_can_delete_is_deleted_after_the_revoke() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_from("HindsightDevStack", "dev", GROUPS_ONLY);
    let rds_sg = sb.output("HindsightDevStack", "RdsSecurityGroupId");
    let lambda_sg = sb.output("HindsightDevStack", "PgvectorLambdaSecurityGroupId");
    let run = sb.teardown(&["--env", "dev", "--apply"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "{rds_sg} allows tcp/5432 from {lambda_sg} (PgvectorLambdaSecurityGroup)"
        )),
        "the plan applied is shown first: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!(
            "done: revoked {rds_sg} allows tcp/5432 from {lambda_sg}"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("DELETE_COMPLETE"),
        "progress: {}",
        run.stderr
    );
    assert!(
        run.stdout.contains("deleted stack HindsightDevStack"),
        "{}",
        run.stdout
    );
    assert!(!sb.exists("HindsightDevStack"));
    assert!(
        !sb.dir
            .path()
            .join(".hoist/teardown-HindsightDevStack.json")
            .exists()
    );
    let again = sb.teardown(&["--env", "dev", "--apply"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("does not exist: nothing to delete"),
        "{}",
        again.stdout
    );
}

#[test]
fn prod_needs_the_name_typed_or_the_flag() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_from("HindsightProdStack", "prod", GROUPS_ONLY);
    let refused = sb.teardown(&["--env", "prod", "--apply"]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("stdin is not a terminal")
            && refused.stderr.contains("--yes-delete-prod"),
        "{}",
        refused.stderr
    );
    assert!(sb.exists("HindsightProdStack"));
    // Piped input is not a terminal either: typing the name through a pipe does not count.
    let piped = hoist(sb.dir.path())
        .envs(sb.moto.env())
        .args(["teardown", "--env", "prod", "--apply"])
        .stdin("HindsightProdStack\n")
        .run();
    assert_eq!(piped.code, 1);
    assert!(sb.exists("HindsightProdStack"));
    let run = sb.teardown(&["--env", "prod", "--apply", "--yes-delete-prod"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!sb.exists("HindsightProdStack"));
}

#[test]
fn cleanup_deletes_a_retained_group_once_no_interface_uses_it() {
    let Some(sb) = sandbox() else { return };
    let ec2 = sb.ec2();
    let vpc = ec2.create_vpc("10.9.0.0/16");
    let subnet = ec2.create_subnet(&vpc, "10.9.1.0/24");
    let group = sb.group("retained-lambda-sg", Some(&vpc));
    let eni = ec2.create_network_interface(&subnet, &group, "AWS Lambda VPC ENI-PgvectorEnabler");
    // What a retained delete leaves in .hoist/ (the format teardown writes).
    let list = format!(
        r#"[{{"logical_id":"PgvectorLambdaSecurityGroup","physical_id":"{group}","resource_type":"AWS::EC2::SecurityGroup","reason":"its network interfaces (Lambda VPC ENIs) or another group's rule still use it"}}]"#
    );
    std::fs::create_dir_all(sb.dir.path().join(".hoist")).unwrap();
    std::fs::write(
        sb.dir.path().join(".hoist/teardown-HindsightDevStack.json"),
        list,
    )
    .unwrap();

    let busy = sb.teardown(&["--env", "dev", "--cleanup"]);
    assert_eq!(busy.code, 1, "{}{}", busy.stdout, busy.stderr);
    assert!(
        busy.stdout.contains(&format!(
            "= unchanged security-group   {group} (PgvectorLambdaSecurityGroup)\n    note: still has 1 network interface(s): {eni}"
        )),
        "{}",
        busy.stdout
    );
    assert!(busy.stdout.contains("(Lambda)"), "{}", busy.stdout);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(
            "teardown_cleanup_busy",
            shown(&busy, &[(group.as_str(), "[GROUP]"), (eni.as_str(), "[ENI]")])
        );
    });

    ec2.delete_network_interface(&eni);
    let done = sb.teardown(&["--env", "dev", "--cleanup"]);
    assert_eq!(done.code, 0, "{}{}", done.stdout, done.stderr);
    assert!(
        done.stdout
            .contains(&format!("deleted security group {group}")),
        "{}",
        done.stdout
    );
    assert_eq!(ec2.ingress_sources(&group), None, "the group still exists");
    assert!(
        !sb.dir
            .path()
            .join(".hoist/teardown-HindsightDevStack.json")
            .exists()
    );
}

/// What changes between runs, replaced: ports, temp dirs, stack ARNs, generated suffixes of
/// physical ids, account ids, then any group, interface or subnet id not labelled by the test.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"/tmp/\.tmp[\w]+", "[DIR]"),
        (
            r"arn:aws:cloudformation:[a-z0-9-]+:\d{12}:stack/[\w-]+/[0-9a-f-]+",
            "[STACK_ARN]",
        ),
        (r"(Hindsight\w+Stack)-(\w+)-[A-Za-z0-9]+", "$1-$2-[SUFFIX]"),
        (r"\b\d{12}\b", "[ACCOUNT]"),
        (r"sg-[0-9a-f]{8,17}", "[SG]"),
        (r"eni-[0-9a-f]{8,17}", "[ENI]"),
        (r"subnet-[0-9a-f]{8,17}", "[SUBNET]"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[DATE]"),
    ]
}

/// Exit code, stdout and stderr, with the test's own ids replaced by labels.
fn shown(run: &common::Run, labels: &[(&str, &str)]) -> String {
    let mut text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    );
    for (id, label) in labels {
        text = text.replace(id, label);
    }
    text
}

#[test]
fn snapshots_of_the_plan_the_apply_and_the_second_run() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_from("HindsightDevStack", "dev", GROUPS_ONLY);
    let labels = [
        (
            sb.output("HindsightDevStack", "RdsSecurityGroupId"),
            "[RDS_SG]",
        ),
        (
            sb.output("HindsightDevStack", "PgvectorLambdaSecurityGroupId"),
            "[LAMBDA_SG]",
        ),
    ];
    let labels: Vec<(&str, &str)> = labels.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    let plan = sb.teardown(&["--env", "dev"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let summary = sb.dir.path().join("step-summary.md");
    let apply = hoist(sb.dir.path())
        .envs(sb.moto.env())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["teardown", "--env", "dev", "--apply"])
        .run();
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.contains("| - | delete | stack | `HindsightDevStack` |")
            && markdown.contains("| - | delete | ingress-rule |"),
        "the applied plan is in the step summary: {markdown}"
    );
    let again = sb.teardown(&["--env", "dev", "--apply"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("teardown_plan", shown(&plan, &labels));
        insta::assert_snapshot!("teardown_apply", shown(&apply, &labels));
        insta::assert_snapshot!("teardown_again", shown(&again, &labels));
    });
    // The second run converged: its plan is empty, in JSON too.
    let json = hoist(sb.dir.path())
        .envs(sb.moto.env())
        .args(["--json", "teardown", "--env", "dev"])
        .run();
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.json()["summary"]["delete"], 0);
    assert_eq!(json.json()["exists"], false);
}

#[test]
fn snapshot_of_the_prod_refusal() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_from("HindsightProdStack", "prod", GROUPS_ONLY);
    let refused = sb.teardown(&["--env", "prod", "--apply"]);
    assert_eq!(refused.code, 1);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("teardown_prod_refused", shown(&refused, &[]));
    });
}

#[test]
fn snapshots_of_bad_input() {
    let config = common::read_manifest_file("../../examples/hindsight/hoist.toml");
    let dir = project(&[("hoist.toml", &config)]);
    let unknown = hoist(dir.path())
        .args(["teardown", "--env", "staging"])
        .run();
    assert_eq!(unknown.code, 2);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("teardown_unknown_env", shown(&unknown, &[]));
    });
}

/// An AWS failure in a command that writes no hint of its own gets the renderer's, from the
/// error's kind: here no credentials at all (no profile, no keys: the SDK's credential chain
/// fails before any request, so no endpoint is needed), the sign-in command.
#[test]
fn missing_credentials_get_the_sign_in_hint() {
    let config = common::read_manifest_file("../../examples/hindsight/hoist.toml");
    let dir = project(&[("hoist.toml", &config)]);
    let run = hoist(dir.path()).args(["teardown", "--env", "dev"]).run();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("teardown_no_credentials", shown(&run, &[]));
    });
    let with_profile = hoist(dir.path())
        .args(["--profile", "hindsight-sso", "teardown", "--env", "dev"])
        .run();
    assert_eq!(with_profile.code, 1, "{}", with_profile.stderr);
    assert!(
        with_profile
            .stderr
            .contains("hint: sign in with `aws sso login --profile hindsight-sso`"),
        "{}",
        with_profile.stderr
    );
}

#[test]
fn the_plan_as_json_names_each_operation_target() {
    let Some(sb) = sandbox() else { return };
    sb.create_stack_from("HindsightDevStack", "dev", GROUPS_ONLY);
    let lambda_sg = sb.output("HindsightDevStack", "PgvectorLambdaSecurityGroupId");
    let run = hoist(sb.dir.path())
        .envs(sb.moto.env())
        .args(["--json", "teardown", "--env", "dev"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["applied"], false);
    assert_eq!(json["summary"]["delete"], 2, "{json:#}");
    let first = &json["resources"][0];
    assert_eq!(first["kind"], "ingress-rule");
    assert!(
        first["name"]
            .as_str()
            .unwrap()
            .contains(&format!("from {lambda_sg} (PgvectorLambdaSecurityGroup)")),
        "{json:#}"
    );
    assert_eq!(json["resources"][1]["kind"], "stack");
    assert!(sb.exists("HindsightDevStack"));
}
