//! `audit_permission_policy`: one policy per documented privilege-escalation
//! path (each must fire its rule), the same policies with the condition that
//! closes the path (each must not), and a least-privilege deploy policy with
//! zero findings. Decided by hoist's evaluator; no AWS.

use hoist_policy::PolicyDocument;
use hoist_policy::audit::{PERMISSION_RULES, Severity, audit_permission_policy};
use serde_json::{Value, json};

const A: &str = "111122223333";
const BOUNDARY: &str = "arn:aws:iam::111122223333:policy/hoist-boundary";

fn doc(statements: Value) -> PolicyDocument {
    PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string())
        .unwrap()
}

fn rules(p: &PolicyDocument) -> Vec<&'static str> {
    audit_permission_policy(p)
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

#[test]
fn each_escalation_path_fires_its_rule() {
    let role_star = format!("arn:aws:iam::{A}:role/app-*");
    let cases: Vec<(&str, Value)> = vec![
        (
            "HOIST-P001",
            json!([allow(
                json!("iam:CreatePolicyVersion"),
                json!(format!("arn:aws:iam::{A}:policy/app-*"))
            )]),
        ),
        (
            "HOIST-P002",
            json!([allow(json!("iam:SetDefaultPolicyVersion"), json!("*"))]),
        ),
        (
            "HOIST-P003",
            json!([allow(json!("iam:AttachRolePolicy"), json!(role_star))]),
        ),
        (
            "HOIST-P003",
            json!([allow(json!("iam:AttachUserPolicy"), json!("*"))]),
        ),
        (
            "HOIST-P003",
            json!([allow(json!("iam:AttachGroupPolicy"), json!("*"))]),
        ),
        (
            "HOIST-P004",
            json!([allow(json!("iam:PutRolePolicy"), json!(role_star))]),
        ),
        (
            "HOIST-P004",
            json!([allow(json!("iam:PutUserPolicy"), json!("*"))]),
        ),
        (
            "HOIST-P004",
            json!([allow(json!("iam:PutGroupPolicy"), json!("*"))]),
        ),
        (
            "HOIST-P005",
            json!([allow(json!("iam:CreateRole"), json!(role_star))]),
        ),
        (
            "HOIST-P005",
            json!([allow(json!("iam:UpdateAssumeRolePolicy"), json!(role_star))]),
        ),
        (
            "HOIST-P006",
            json!([
                allow(json!("iam:PassRole"), json!(role_star)),
                allow(json!("lambda:CreateFunction"), json!("*"))
            ]),
        ),
        (
            "HOIST-P006",
            json!([
                allow(json!("iam:PassRole"), json!("*")),
                allow(
                    json!(["ecs:RegisterTaskDefinition", "ecs:RunTask"]),
                    json!("*")
                )
            ]),
        ),
        (
            "HOIST-P006",
            json!([
                allow(json!("iam:PassRole"), json!("*")),
                allow(json!("ec2:RunInstances"), json!("*"))
            ]),
        ),
        (
            "HOIST-P006",
            json!([
                allow(json!("iam:PassRole"), json!("*")),
                allow(json!("cloudformation:CreateStack"), json!("*"))
            ]),
        ),
        (
            "HOIST-P006",
            json!([
                allow(json!("iam:PassRole"), json!("*")),
                allow(json!("glue:CreateDevEndpoint"), json!("*"))
            ]),
        ),
        (
            "HOIST-P007",
            json!([allow(
                json!("iam:CreateAccessKey"),
                json!(format!("arn:aws:iam::{A}:user/*"))
            )]),
        ),
        (
            "HOIST-P007",
            json!([allow(json!("iam:CreateLoginProfile"), json!("*"))]),
        ),
        (
            "HOIST-P007",
            json!([allow(json!("iam:UpdateLoginProfile"), json!("*"))]),
        ),
        (
            "HOIST-P008",
            json!([allow(json!("sts:AssumeRole"), json!("*"))]),
        ),
        (
            "HOIST-P008",
            json!([allow(
                json!("sts:AssumeRole"),
                json!(format!("arn:aws:iam::{A}:role/cdk-*"))
            )]),
        ),
        (
            "HOIST-P008",
            json!([allow(
                json!("sts:AssumeRole"),
                json!("arn:aws:iam::*:role/deploy")
            )]),
        ),
        // Wildcards and NotAction reach the same actions.
        ("HOIST-P005", json!([allow(json!("iam:*"), json!("*"))])),
        (
            "HOIST-P003",
            json!([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]),
        ),
    ];
    for (rule, statements) in cases {
        let p = doc(statements.clone());
        let findings = audit_permission_policy(&p);
        let f = findings.iter().find(|f| f.rule == rule);
        let f = f.unwrap_or_else(|| panic!("{rule} not found for {statements}: {findings:#?}"));
        assert_eq!(f.severity, Severity::Error);
        assert!(!f.fix.is_empty() && f.statement.is_some());
        assert!(
            f.fragment.contains("\"Effect\":\"Allow\""),
            "{}",
            f.fragment
        );
    }
}

#[test]
fn the_condition_that_closes_each_path_silences_it() {
    let role_star = format!("arn:aws:iam::{A}:role/app-*");
    let boundary = json!({"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}});
    let cases: Vec<Value> = vec![
        // Creating roles, attaching and putting policies only with the boundary.
        json!([{"Effect": "Allow", "Action": ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"], "Resource": role_star, "Condition": boundary}]),
        // PassRole only to CloudFormation, plus Lambda: no compute gets the role.
        json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_star,
                "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}},
               allow(json!("lambda:CreateFunction"), json!("*"))]),
        // Access keys for oneself only.
        json!([allow(
            json!(["iam:CreateAccessKey", "iam:UpdateLoginProfile"]),
            json!(format!("arn:aws:iam::{A}:user/${{aws:username}}"))
        )]),
        // An explicit Deny closes the path.
        json!([allow(json!("iam:*"), json!("*")), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]),
        // Attaching only one named, non-administrator managed policy.
        json!([{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": role_star,
                "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}]),
    ];
    for statements in cases {
        let p = doc(statements.clone());
        assert!(
            rules(&p).is_empty(),
            "{statements}: {:#?}",
            audit_permission_policy(&p)
        );
    }
}

#[test]
fn a_least_privilege_deploy_policy_has_no_findings() {
    let region = "eu-west-1";
    let cdk_roles: Vec<String> = ["deploy", "file-publishing", "image-publishing", "lookup"]
        .iter()
        .map(|r| format!("arn:aws:iam::{A}:role/cdk-hnb659fds-{r}-role-{A}-{region}"))
        .collect();
    let p = doc(json!([
        {"Sid": "Stack", "Effect": "Allow", "Action": "cloudformation:*",
         "Resource": format!("arn:aws:cloudformation:{region}:{A}:stack/app-dev/*")},
        {"Sid": "PassExecutionRole", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": format!("arn:aws:iam::{A}:role/app-dev-cfn-exec"),
         "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}},
        {"Sid": "CdkRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": cdk_roles},
        {"Sid": "Read", "Effect": "Allow", "Action": ["cloudformation:DescribeStacks", "ecr:GetAuthorizationToken", "sts:GetCallerIdentity"], "Resource": "*"}
    ]));
    assert!(
        audit_permission_policy(&p).is_empty(),
        "{:#?}",
        audit_permission_policy(&p)
    );
    // The same policy with CreateStack on any stack name opens PassRole → CloudFormation.
    let mut wide = p.clone();
    wide.statements[0].resource = Some(hoist_policy::model::OneOrMany::One("*".into()));
    assert_eq!(rules(&wide), vec!["HOIST-P006"]);
}

#[test]
fn rule_table_lists_every_permission_rule() {
    let ids: Vec<&str> = PERMISSION_RULES.iter().map(|r| r.id).collect();
    for n in 1..=8 {
        assert!(ids.contains(&format!("HOIST-P{n:03}").as_str()), "P{n:03}");
    }
}

/// AWS's admin-class managed policies, known by ARN (any partition): each draws the paths
/// its grant opens; other ARNs are not guessed at.
#[test]
fn aws_managed_admin_policies_are_known_by_arn() {
    use hoist_policy::known_aws_managed_policy;
    let rules_of = |arn: &str| {
        let mut r = rules(&known_aws_managed_policy(arn).unwrap());
        r.sort_unstable();
        r.dedup();
        r
    };
    let admin = rules_of("arn:aws:iam::aws:policy/AdministratorAccess");
    for n in 1..=8 {
        assert!(
            admin.contains(&format!("HOIST-P{n:03}").as_str()),
            "P{n:03}: {admin:?}"
        );
    }
    let iam = rules_of("arn:aws-us-gov:iam::aws:policy/IAMFullAccess");
    for rule in [
        "HOIST-P001",
        "HOIST-P003",
        "HOIST-P004",
        "HOIST-P005",
        "HOIST-P007",
    ] {
        assert!(iam.contains(&rule), "{rule}: {iam:?}");
    }
    assert!(
        !iam.contains(&"HOIST-P008"),
        "IAMFullAccess grants no sts: {iam:?}"
    );
    let power = rules_of("arn:aws:iam::aws:policy/PowerUserAccess");
    assert!(power.contains(&"HOIST-P008"), "{power:?}");
    assert!(
        !power.contains(&"HOIST-P005") && !power.contains(&"HOIST-P006"),
        "PowerUserAccess excludes iam:*: {power:?}"
    );
    for other in [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::123456789012:policy/AdministratorAccess",
        "AdministratorAccess",
    ] {
        assert!(known_aws_managed_policy(other).is_none(), "{other}");
    }
}

/// Roles under a path named after a boundary: passing and re-trusting them is fenced only
/// when the policy itself creates roles there solely with that boundary and can neither
/// remove nor replace it (a role's path is fixed at creation). Every way the fence can be
/// missing leaves the finding.
#[test]
fn roles_under_the_boundarys_path_are_fenced_only_when_the_policy_bounds_them() {
    let root = format!("arn:aws:iam::{A}:role/app-*");
    let path = format!("arn:aws:iam::{A}:role/hoist-boundary/app-*");
    let boundary = json!({"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}});
    let compute = allow(json!("lambda:CreateFunction"), json!("*"));
    let create = |resource: &str, condition: Value| {
        json!({"Effect": "Allow", "Action": ["iam:CreateRole", "iam:AttachRolePolicy"],
               "Resource": resource, "Condition": condition})
    };
    let pass = |resource: &str| {
        allow(
            json!(["iam:PassRole", "iam:UpdateAssumeRolePolicy"]),
            json!(resource),
        )
    };

    // The generated shape: create only with the boundary, pass and re-trust under its path.
    let fenced = doc(json!([
        create(&path, boundary.clone()),
        pass(&path),
        compute.clone()
    ]));
    assert!(
        rules(&fenced).is_empty(),
        "{:#?}",
        audit_permission_policy(&fenced)
    );

    let open: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "stack-named roles at /, which need not carry the boundary",
            json!([
                create(&root, boundary.clone()),
                pass(&root),
                compute.clone()
            ]),
            vec!["HOIST-P005", "HOIST-P006"],
        ),
        (
            "the policy creates nothing there: nothing says the roles are bounded",
            json!([pass(&path), compute.clone()]),
            vec!["HOIST-P005", "HOIST-P006"],
        ),
        (
            "roles there are created without a boundary",
            json!([create(&path, json!({})), pass(&path), compute.clone()]),
            vec!["HOIST-P003", "HOIST-P005", "HOIST-P006"],
        ),
        (
            "the path names another boundary than the one required",
            json!([
                create(
                    &format!("arn:aws:iam::{A}:role/other-boundary/app-*"),
                    boundary.clone()
                ),
                pass(&format!("arn:aws:iam::{A}:role/other-boundary/app-*")),
                compute.clone()
            ]),
            vec!["HOIST-P005", "HOIST-P006"],
        ),
        (
            "the holder can remove the boundary of a role there",
            json!([
                create(&path, boundary.clone()),
                pass(&path),
                allow(json!("iam:DeleteRolePermissionsBoundary"), json!(path)),
                compute.clone()
            ]),
            vec!["HOIST-P005", "HOIST-P006"],
        ),
    ];
    for (what, statements, expected) in open {
        let p = doc(statements);
        let mut got = rules(&p);
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, expected, "{what}: {:#?}", audit_permission_policy(&p));
    }
}

/// The IAM User Guide: tags on a role do not reliably control iam:PassRole, so a
/// resource-tag condition never fences passing a role; for re-trusting, it fences only
/// while the holder cannot put the tag on the role itself.
#[test]
fn resource_tags_fence_only_what_aws_enforces_and_the_holder_cannot_set() {
    let role = format!("arn:aws:iam::{A}:role/app-*");
    let tagged = json!({"StringEquals": {"aws:ResourceTag/hoist-bounded": "yes"}});
    let pass = doc(json!([
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role, "Condition": tagged},
        allow(json!("lambda:CreateFunction"), json!("*"))
    ]));
    assert_eq!(rules(&pass), vec!["HOIST-P006"]);

    let retrust = json!({"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy",
                         "Resource": role, "Condition": tagged});
    let fenced = doc(json!([retrust]));
    assert!(
        rules(&fenced).is_empty(),
        "{:#?}",
        audit_permission_policy(&fenced)
    );
    let self_tagging = doc(json!([retrust, allow(json!("iam:TagRole"), json!(role))]));
    assert_eq!(rules(&self_tagging), vec!["HOIST-P005"]);
    // Tagging only with another key leaves the fence standing.
    let other_key = doc(json!([retrust,
        {"Effect": "Allow", "Action": "iam:TagRole", "Resource": role,
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}]));
    assert!(
        rules(&other_key).is_empty(),
        "{:#?}",
        audit_permission_policy(&other_key)
    );
}
