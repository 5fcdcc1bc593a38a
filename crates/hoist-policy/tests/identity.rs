//! Identity-based policy evaluation with permissions boundaries. Each case
//! is one of the examples of the IAM User Guide ("Policy evaluation logic",
//! "Permissions boundaries for IAM entities", "Example IAM identity-based
//! policies", "Controlling access to AWS resources using tags", "Granting a
//! user permissions to pass a role"), rewritten with this crate's API. No
//! AWS is involved: the evaluator is pure.

use hoist_policy::eval::Outcome;
use hoist_policy::{IdentityRequest, PolicyDocument, evaluate_identity};
use serde_json::json;

const ACCOUNT: &str = "123456789012";

fn doc(statements: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string())
        .unwrap()
}

fn outcome(
    policies: &[&PolicyDocument],
    boundary: Option<&PolicyDocument>,
    req: &IdentityRequest,
) -> Outcome {
    evaluate_identity(policies, boundary, req).outcome
}

#[test]
fn explicit_deny_wins_over_allow() {
    let allow = doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let deny = doc(json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]));
    let req = IdentityRequest::new("s3:DeleteBucket", "arn:aws:s3:::amzn-s3-demo-bucket");
    assert_eq!(outcome(&[&allow, &deny], None, &req), Outcome::ExplicitDeny);
    let req = IdentityRequest::new("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/k");
    assert_eq!(outcome(&[&allow, &deny], None, &req), Outcome::Allow);
    // Nothing allows it: implicit deny.
    let req = IdentityRequest::new("ec2:RunInstances", "*");
    assert_eq!(outcome(&[&allow, &deny], None, &req), Outcome::ImplicitDeny);
}

#[test]
fn boundary_is_an_intersection() {
    // The guide's example: the boundary allows S3, CloudWatch and EC2; the
    // identity policy allows iam:CreateUser. Creating a user is denied.
    let boundary = doc(
        json!([{"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}]),
    );
    let identity = doc(
        json!([{"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"},
                              {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]),
    );
    let create = IdentityRequest::new("iam:CreateUser", &format!("arn:aws:iam::{ACCOUNT}:user/x"));
    let d = evaluate_identity(&[&identity], Some(&boundary), &create);
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    assert!(d.identity_allows);
    assert_eq!(d.boundary_allows, Some(false));
    // Without the boundary the same identity policy allows it.
    assert_eq!(outcome(&[&identity], None, &create), Outcome::Allow);
    // In both: allowed. In the boundary only: not allowed.
    let list = IdentityRequest::new("s3:ListBucket", "arn:aws:s3:::b");
    assert_eq!(
        outcome(&[&identity], Some(&boundary), &list),
        Outcome::Allow
    );
    let run = IdentityRequest::new("ec2:RunInstances", "*");
    assert_eq!(
        outcome(&[&identity], Some(&boundary), &run),
        Outcome::ImplicitDeny
    );
    // A Deny in the boundary is an explicit deny.
    let deny_boundary = doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                   {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*"}]));
    assert_eq!(
        outcome(&[&identity], Some(&deny_boundary), &list),
        Outcome::ExplicitDeny
    );
}

#[test]
fn create_user_only_with_the_boundary() {
    // "Delegating responsibility … using permissions boundaries": creating a
    // user is allowed only when the request sets the company boundary.
    let boundary_arn = format!("arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries");
    let policy = doc(json!([{
        "Effect": "Allow",
        "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
        "Resource": "*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}
    }]));
    let user = format!("arn:aws:iam::{ACCOUNT}:user/u");
    let with = IdentityRequest::new("iam:CreateUser", &user)
        .with("iam:PermissionsBoundary", &boundary_arn);
    assert_eq!(outcome(&[&policy], None, &with), Outcome::Allow);
    let without = IdentityRequest::new("iam:CreateUser", &user);
    assert_eq!(outcome(&[&policy], None, &without), Outcome::ImplicitDeny);
    let other = IdentityRequest::new("iam:CreateUser", &user).with(
        "iam:PermissionsBoundary",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    );
    assert_eq!(outcome(&[&policy], None, &other), Outcome::ImplicitDeny);
}

#[test]
fn pass_role_only_to_the_named_service() {
    // "Granting a user permissions to pass a role to an AWS service", with
    // the iam:PassedToService condition.
    let policy = doc(json!([{
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": format!("arn:aws:iam::{ACCOUNT}:role/EC2-roles-for-XYZ-*"),
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    }]));
    let role = format!("arn:aws:iam::{ACCOUNT}:role/EC2-roles-for-XYZ-web");
    let ok = IdentityRequest::new("iam:PassRole", &role)
        .with("iam:PassedToService", "ec2.amazonaws.com");
    assert_eq!(outcome(&[&policy], None, &ok), Outcome::Allow);
    let lambda = IdentityRequest::new("iam:PassRole", &role)
        .with("iam:PassedToService", "lambda.amazonaws.com");
    assert_eq!(outcome(&[&policy], None, &lambda), Outcome::ImplicitDeny);
    let other_role = IdentityRequest::new(
        "iam:PassRole",
        &format!("arn:aws:iam::{ACCOUNT}:role/Admin"),
    )
    .with("iam:PassedToService", "ec2.amazonaws.com");
    assert_eq!(
        outcome(&[&policy], None, &other_role),
        Outcome::ImplicitDeny
    );
    let other_account = IdentityRequest::new(
        "iam:PassRole",
        "arn:aws:iam::999999999999:role/EC2-roles-for-XYZ-web",
    )
    .with("iam:PassedToService", "ec2.amazonaws.com");
    assert_eq!(
        outcome(&[&policy], None, &other_account),
        Outcome::ImplicitDeny
    );
}

#[test]
fn resource_tag_matches_the_principal() {
    // "Controlling access to AWS resources using tags": start and stop only
    // instances whose Owner tag is the caller's user name.
    let policy = doc(json!([{
        "Effect": "Allow",
        "Action": ["ec2:StartInstances", "ec2:StopInstances"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}}
    }]));
    let inst = format!("arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc");
    let mine = IdentityRequest::new("ec2:StartInstances", &inst)
        .with("aws:username", "richard-roe")
        .with("aws:ResourceTag/Owner", "richard-roe");
    assert_eq!(outcome(&[&policy], None, &mine), Outcome::Allow);
    let theirs = mine.clone().with("aws:ResourceTag/Owner", "jane");
    assert_eq!(outcome(&[&policy], None, &theirs), Outcome::ImplicitDeny);
    // A role session has no aws:username: the variable has no value and
    // the condition cannot hold.
    let no_user =
        IdentityRequest::new("ec2:StartInstances", &inst).with("aws:ResourceTag/Owner", "");
    assert_eq!(outcome(&[&policy], None, &no_user), Outcome::ImplicitDeny);
}

#[test]
fn request_tags_and_tag_keys() {
    // "Controlling access during AWS requests": create only with these tag
    // keys, and with a costcenter tag of one of two values.
    let policy = doc(json!([{
        "Effect": "Allow",
        "Action": "iam:CreateRole",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:RequestTag/costcenter": ["A-123", "B-456"]},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["costcenter", "team"]}
        }
    }]));
    let role = format!("arn:aws:iam::{ACCOUNT}:role/r");
    let ok = IdentityRequest::new("iam:CreateRole", &role)
        .with("aws:RequestTag/costcenter", "A-123")
        .with_values("aws:TagKeys", &["costcenter", "team"]);
    assert_eq!(outcome(&[&policy], None, &ok), Outcome::Allow);
    let extra_key = ok
        .clone()
        .with_values("aws:TagKeys", &["costcenter", "owner"]);
    assert_eq!(outcome(&[&policy], None, &extra_key), Outcome::ImplicitDeny);
    let bad_value = ok.clone().with("aws:RequestTag/costcenter", "C-789");
    assert_eq!(outcome(&[&policy], None, &bad_value), Outcome::ImplicitDeny);
}

#[test]
fn attach_only_named_managed_policies() {
    // iam:PolicyARN with ArnEquals: attach only AmazonS3ReadOnlyAccess.
    let policy = doc(json!([{
        "Effect": "Allow",
        "Action": "iam:AttachRolePolicy",
        "Resource": format!("arn:aws:iam::{ACCOUNT}:role/app-*"),
        "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}}
    }]));
    let role = format!("arn:aws:iam::{ACCOUNT}:role/app-task");
    let ok = IdentityRequest::new("iam:AttachRolePolicy", &role).with(
        "iam:PolicyARN",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    );
    assert_eq!(outcome(&[&policy], None, &ok), Outcome::Allow);
    let admin = IdentityRequest::new("iam:AttachRolePolicy", &role).with(
        "iam:PolicyARN",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    );
    assert_eq!(outcome(&[&policy], None, &admin), Outcome::ImplicitDeny);
}

#[test]
fn not_action_and_not_resource() {
    // PowerUserAccess-style NotAction: everything but IAM.
    let power = doc(
        json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]),
    );
    let put = IdentityRequest::new("s3:PutObject", "arn:aws:s3:::b/k");
    assert_eq!(outcome(&[&power], None, &put), Outcome::Allow);
    let create_role =
        IdentityRequest::new("iam:CreateRole", &format!("arn:aws:iam::{ACCOUNT}:role/x"));
    assert_eq!(
        outcome(&[&power], None, &create_role),
        Outcome::ImplicitDeny
    );
    let case = IdentityRequest::new("IAM:createrole", &format!("arn:aws:iam::{ACCOUNT}:role/x"));
    assert_eq!(outcome(&[&power], None, &case), Outcome::ImplicitDeny);
    // Deny with NotResource: S3 outside one bucket is denied.
    let fence = doc(json!([
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"]}
    ]));
    let inside = IdentityRequest::new("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a");
    assert_eq!(outcome(&[&fence], None, &inside), Outcome::Allow);
    let outside = IdentityRequest::new("s3:GetObject", "arn:aws:s3:::other-bucket/a");
    assert_eq!(outcome(&[&fence], None, &outside), Outcome::ExplicitDeny);
}

#[test]
fn home_folder_with_a_resource_variable() {
    // "Amazon S3: Allows IAM users access to their S3 home directory".
    let policy = doc(json!([{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
    }]));
    let mine = IdentityRequest::new(
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/jane/notes.txt",
    )
    .with("aws:username", "jane");
    assert_eq!(outcome(&[&policy], None, &mine), Outcome::Allow);
    let theirs = IdentityRequest::new(
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt",
    )
    .with("aws:username", "jane");
    assert_eq!(outcome(&[&policy], None, &theirs), Outcome::ImplicitDeny);
    // A user name with a wildcard character is literal text.
    let star = IdentityRequest::new(
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt",
    )
    .with("aws:username", "*");
    assert_eq!(outcome(&[&policy], None, &star), Outcome::ImplicitDeny);
    // No user name (a role session): the resource matches nothing.
    let anon = IdentityRequest::new(
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/jane/notes.txt",
    );
    assert_eq!(outcome(&[&policy], None, &anon), Outcome::ImplicitDeny);
}

#[test]
fn arn_segments_do_not_bleed() {
    let policy = doc(json!([{"Effect": "Allow", "Action": "cloudformation:*",
        "Resource": format!("arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/app-dev/*")}]));
    let ok = IdentityRequest::new(
        "cloudformation:UpdateStack",
        &format!("arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/app-dev/1f2e"),
    );
    assert_eq!(outcome(&[&policy], None, &ok), Outcome::Allow);
    for arn in [
        format!("arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/app-prod/1f2e"),
        format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/app-dev/1f2e"),
        "arn:aws:cloudformation:eu-west-1:999999999999:stack/app-dev/1f2e".to_owned(),
        format!("arn:aws-cn:cloudformation:eu-west-1:{ACCOUNT}:stack/app-dev/1f2e"),
    ] {
        let req = IdentityRequest::new("cloudformation:UpdateStack", &arn);
        assert_eq!(
            outcome(&[&policy], None, &req),
            Outcome::ImplicitDeny,
            "{arn}"
        );
    }
}

#[test]
fn malformed_statements_never_grant() {
    // No Resource, a Principal, a wildcard service prefix: IAM rejects
    // these in identity policies; hoist never lets them allow.
    let req = IdentityRequest::new("sts:AssumeRole", &format!("arn:aws:iam::{ACCOUNT}:role/x"));
    for st in [
        json!({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}),
        json!({"Effect": "Allow", "Action": "*:AssumeRole", "Resource": "*"}),
        json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:*"}),
    ] {
        let policy = doc(json!([st]));
        assert_eq!(
            outcome(&[&policy], None, &req),
            Outcome::ImplicitDeny,
            "{st}"
        );
    }
    // The same malformed pieces in a Deny still deny.
    let allow = doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    for st in [
        json!({"Effect": "Deny", "Action": "sts:AssumeRole"}),
        json!({"Effect": "Deny", "Action": "*:AssumeRole", "Resource": "*"}),
        json!({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:*"}),
    ] {
        let deny = doc(json!([st]));
        assert_eq!(
            outcome(&[&allow, &deny], None, &req),
            Outcome::ExplicitDeny,
            "{st}"
        );
    }
}

#[test]
fn unresolved_variable_in_a_deny_keeps_denying() {
    let allow = doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let deny = doc(json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]));
    let req = IdentityRequest::new("s3:GetObject", "arn:aws:s3:::b/k")
        .with("aws:ResourceTag/team", "red");
    assert_eq!(outcome(&[&allow, &deny], None, &req), Outcome::ExplicitDeny);
    let same = req.clone().with("aws:PrincipalTag/team", "red");
    assert_eq!(outcome(&[&allow, &deny], None, &same), Outcome::Allow);
}

#[test]
fn display_names_the_deciding_parts() {
    let boundary = doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let identity = doc(
        json!([{"Sid": "Users", "Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}]),
    );
    let d = evaluate_identity(
        &[&identity],
        Some(&boundary),
        &IdentityRequest::new("iam:CreateUser", "*"),
    );
    let text = d.to_string();
    assert!(
        text.starts_with("DENIED (implicit): iam:CreateUser"),
        "{text}"
    );
    assert!(
        text.contains("permissions boundary allows: false"),
        "{text}"
    );
    assert!(text.contains("(Users)"), "{text}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn statement() -> impl Strategy<Value = serde_json::Value> {
        let action = prop_oneof![
            Just("*"),
            Just("iam:*"),
            Just("iam:PassRole"),
            Just("s3:Get*"),
            Just("s3:GetObject"),
            Just("*:GetObject")
        ];
        let resource = prop_oneof![
            Just("*"),
            Just("arn:aws:s3:::b/*"),
            Just("arn:aws:iam::123456789012:role/app-*"),
            Just("arn:aws:iam::*:role/*"),
            Just("arn:aws:s3:::b/${aws:username}/*")
        ];
        let cond = prop_oneof![
            Just(json!({})),
            Just(json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})),
            Just(json!({"StringNotEquals": {"aws:ResourceTag/t": "${aws:PrincipalTag/t}"}})),
        ];
        (
            any::<bool>(),
            any::<bool>(),
            action,
            any::<bool>(),
            resource,
            cond,
        )
            .prop_map(|(allow, not_action, a, not_resource, r, c)| {
                let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }, "Condition": c});
                s[if not_action { "NotAction" } else { "Action" }] = json!(a);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(r);
                s
            })
    }

    fn request() -> impl Strategy<Value = IdentityRequest> {
        (
            prop_oneof![
                Just("iam:PassRole"),
                Just("s3:GetObject"),
                Just("s3:PutObject"),
                Just("IAM:passrole")
            ],
            prop_oneof![
                Just("arn:aws:s3:::b/u/k"),
                Just("arn:aws:iam::123456789012:role/app-x"),
                Just("arn:aws:iam::999:role/app-x")
            ],
            proptest::option::of(Just("lambda.amazonaws.com")),
            proptest::option::of(Just("u")),
        )
            .prop_map(|(a, r, svc, user)| {
                let mut req = IdentityRequest::new(a, r).with("aws:ResourceTag/t", "red");
                if let Some(s) = svc {
                    req = req.with("iam:PassedToService", s);
                }
                if let Some(u) = user {
                    req = req.with("aws:username", u);
                }
                req
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// A boundary only ever takes away: allowed with it implies allowed
        /// without it and allowed by the boundary as an identity policy; an
        /// explicit deny anywhere stays a deny.
        #[test]
        fn boundaries_intersect(p in prop::collection::vec(statement(), 1..4), b in prop::collection::vec(statement(), 1..4), req in request()) {
            let p = doc(json!(p));
            let b = doc(json!(b));
            let both = evaluate_identity(&[&p], Some(&b), &req).outcome;
            let alone = evaluate_identity(&[&p], None, &req).outcome;
            let boundary_alone = evaluate_identity(&[&b], None, &req).outcome;
            if both == Outcome::Allow {
                prop_assert_eq!(alone, Outcome::Allow);
                prop_assert_eq!(boundary_alone, Outcome::Allow);
            }
            if alone == Outcome::ExplicitDeny || boundary_alone == Outcome::ExplicitDeny {
                prop_assert_eq!(both, Outcome::ExplicitDeny);
            }
            // Adding a policy never removes an explicit deny.
            let more = evaluate_identity(&[&p, &b], None, &req).outcome;
            if alone == Outcome::ExplicitDeny {
                prop_assert_eq!(more, Outcome::ExplicitDeny);
            }
        }
    }
}
