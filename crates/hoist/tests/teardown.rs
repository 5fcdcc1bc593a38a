//! `hoist teardown` of examples/hindsight on moto_server.
//!
//! What is real here and what is not: moto deletes stacks synchronously and its
//! DeleteSecurityGroup does NOT fail with DependencyViolation when another group's rule
//! references the group (checked against moto 5.2.1), so the stuck delete of the guide cannot
//! be produced. These tests cover what moto does for real: the plan finds the RDS rule whose
//! source is the stack's Lambda group, the apply revokes it (and a rule on a group outside the
//! stack, which survives the delete and so can be looked at afterwards) before deleting; prod
//! needs confirmation; `--cleanup` deletes a retained group only once no network interface
//! uses it. moto 5.2.1 cannot delete examples/hindsight's network itself: its DeleteStack
//! removes the VPC before the NAT gateway, internet gateway and route tables and answers
//! `DependencyViolation` from the call (AWS orders deletes by dependency); that test asserts
//! hoist revoked the rules first and reports the failure with exit 1. A complete delete with
//! progress is tested on a stack of the same security groups and rule without the VPC.
//! The DELETE_FAILED → retain decision is unit-tested in src/commands/teardown/decide.rs
//! on events worded as AWS words them (written from AWS's documented messages, not captured).

mod common;

use std::collections::BTreeMap;

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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new("ca-central-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load(),
    );
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
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hindsight/hoist.toml"
    ))
    .unwrap();
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
        let template = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/hindsight/hindsight-stack.yaml"
        ))
        .unwrap();
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
            } else {
                Vec::new()
            }))
            .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityIam);
        self.rt.block_on(req.send()).unwrap();
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
        let ec2 = aws_sdk_ec2::Client::new(&self.conf);
        self.rt
            .block_on(
                ec2.create_security_group()
                    .group_name(name)
                    .description(name)
                    .set_vpc_id(vpc.map(str::to_owned))
                    .send(),
            )
            .unwrap()
            .group_id()
            .unwrap()
            .to_owned()
    }

    /// Sources of the ingress rules of `group`.
    fn sources(&self, group: &str) -> Vec<String> {
        let ec2 = aws_sdk_ec2::Client::new(&self.conf);
        let out = self
            .rt
            .block_on(ec2.describe_security_groups().group_ids(group).send())
            .unwrap();
        out.security_groups()[0]
            .ip_permissions()
            .iter()
            .flat_map(|p| {
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_owned))
            })
            .collect()
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
    let ec2 = aws_sdk_ec2::Client::new(&sb.conf);
    let perm = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .user_id_group_pairs(
            aws_sdk_ec2::types::UserIdGroupPair::builder()
                .group_id(&lambda_sg)
                .build(),
        )
        .build();
    sb.rt
        .block_on(
            ec2.authorize_security_group_ingress()
                .group_id(&outside)
                .ip_permissions(perm)
                .send(),
        )
        .unwrap();

    let plan = sb.teardown(&["--env", "dev"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "first revoke: {rds_sg} allows tcp/5432 from {lambda_sg} (PgvectorLambdaSecurityGroup)"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(&format!(
            "first revoke: {outside} allows tcp/22 from {lambda_sg}"
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
            "revoked: {rds_sg} allows tcp/5432 from {lambda_sg}"
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

/// The guide's blocking groups and rule, without the VPC moto cannot delete.
const GROUPS_ONLY: &str = r#"
Resources:
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
        run.stderr.contains(&format!(
            "revoked: {rds_sg} allows tcp/5432 from {lambda_sg} (PgvectorLambdaSecurityGroup)"
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
    let ec2 = aws_sdk_ec2::Client::new(&sb.conf);
    let vpc = sb
        .rt
        .block_on(ec2.create_vpc().cidr_block("10.9.0.0/16").send())
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_owned();
    let subnet = sb
        .rt
        .block_on(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block("10.9.1.0/24")
                .send(),
        )
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_owned();
    let group = sb.group("retained-lambda-sg", Some(&vpc));
    let eni = sb
        .rt
        .block_on(
            ec2.create_network_interface()
                .subnet_id(&subnet)
                .groups(&group)
                .description("AWS Lambda VPC ENI-PgvectorEnabler")
                .send(),
        )
        .unwrap()
        .network_interface()
        .unwrap()
        .network_interface_id()
        .unwrap()
        .to_owned();
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
            "{group} (PgvectorLambdaSecurityGroup) still has 1 network interface(s): {eni}"
        )),
        "{}",
        busy.stdout
    );
    assert!(busy.stdout.contains("(Lambda)"), "{}", busy.stdout);

    sb.rt
        .block_on(
            ec2.delete_network_interface()
                .network_interface_id(&eni)
                .send(),
        )
        .unwrap();
    let done = sb.teardown(&["--env", "dev", "--cleanup"]);
    assert_eq!(done.code, 0, "{}{}", done.stdout, done.stderr);
    assert!(
        done.stdout
            .contains(&format!("deleted security group {group}")),
        "{}",
        done.stdout
    );
    assert!(
        sb.rt
            .block_on(ec2.describe_security_groups().group_ids(&group).send())
            .is_err()
    );
    assert!(
        !sb.dir
            .path()
            .join(".hoist/teardown-HindsightDevStack.json")
            .exists()
    );
}
