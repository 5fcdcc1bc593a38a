use std::collections::{BTreeMap, BTreeSet};

use hoist_policy::{PolicyDocument, github_trust_policy};

use super::*;
use crate::Action;

const PROVIDER: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn trust(sub: &str) -> PolicyDocument {
    github_trust_policy(PROVIDER, &[sub.to_owned()], "sts.amazonaws.com")
}

fn perms() -> PolicyDocument {
    PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#).unwrap()
}

fn desired() -> Desired {
    Desired {
        policies: Vec::new(),
        provider: DesiredProvider {
            arn: PROVIDER.into(),
            url: "https://token.actions.githubusercontent.com".into(),
            audience: "sts.amazonaws.com".into(),
        },
        roles: vec![DesiredRole {
            name: "Prod".into(),
            purpose: "environment prod".into(),
            description: "d".into(),
            trust: trust("repo:o/r:ref:refs/tags/*"),
            max_session_duration: 3600,
            tags: BTreeMap::from([("hoist:tier".to_owned(), "prod".to_owned())]),
            permissions: RolePermissions::Inline {
                name: "hoist-deploy".into(),
                document: perms(),
            },
            owned_inline: vec!["hoist-deploy".into()],
            owned_managed: vec![ADMIN.into()],
            permissions_boundary: None,
        }],
        user: None,
        github: None,
    }
}

/// What IAM would hold after applying `desired()`: the trust policy re-serialized differently
/// (percent-encoded, other key order) so only a semantic comparison sees it as equal.
fn converged() -> Actual {
    let encoded: String = trust("repo:o/r:ref:refs/tags/*")
        .to_json_pretty()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Actual {
        policies: BTreeMap::new(),
        provider: Some(ActualProvider { arn: PROVIDER.into(), client_ids: vec!["sts.amazonaws.com".into()] }),
        roles: BTreeMap::from([(
            "Prod".to_owned(),
            ActualRole {
                name: "Prod".into(),
                trust_json: encoded,
                max_session_duration: 3600,
                tags: BTreeMap::from([("hoist:tier".to_owned(), "prod".to_owned()), ("other".to_owned(), "x".to_owned())]),
                inline: BTreeMap::from([("hoist-deploy".to_owned(), r#"{"Statement":[{"Resource":"*","Action":["s3:GetObject"],"Effect":"Allow"}],"Version":"2012-10-17"}"#.to_owned())]),
                managed: BTreeSet::new(),
                permissions_boundary: None,
            },
        )]),
        user: None,
        github: None,
    }
}

#[test]
fn empty_account_creates_everything() {
    let p = plan(&desired(), &Actual::default());
    let actions: Vec<_> = p.resources.iter().map(|r| (r.kind, r.action)).collect();
    assert_eq!(
        actions,
        [
            ("oidc-provider", Action::Create),
            ("iam-role", Action::Create),
            ("role-policy", Action::Create)
        ]
    );
    assert!(matches!(
        &p.resources[1].ops[0],
        Op::CreateRole {
            max_session_duration: 3600,
            ..
        }
    ));
}

#[test]
fn converged_state_plans_nothing() {
    let p = plan(&desired(), &converged());
    assert!(p.is_converged(), "{}", p.render_human());
    assert_eq!(p.operations().count(), 0);
}

#[test]
fn branch_trust_on_prod_is_drift_with_a_diff() {
    let mut actual = converged();
    actual.roles.get_mut("Prod").unwrap().trust_json = trust("repo:o/r:ref:refs/heads/*").to_json();
    let p = plan(&desired(), &actual);
    let role = &p.resources[1];
    assert_eq!(role.action, Action::Update);
    let diff = role.diffs[0].unified();
    assert!(
        diff.contains("-")
            && diff.contains("refs/heads/*")
            && diff.contains("+")
            && diff.contains("refs/tags/*"),
        "{diff}"
    );
    assert!(matches!(&role.ops[..], [Op::UpdateTrustPolicy { .. }]));
}

#[test]
fn missing_audience_adds_the_client_id() {
    let mut actual = converged();
    actual.provider.as_mut().unwrap().client_ids = vec!["other".into()];
    let p = plan(&desired(), &actual);
    assert_eq!(p.resources[0].action, Action::Update);
    assert!(
        matches!(&p.resources[0].ops[..], [Op::AddProviderClientId { client_id, .. }] if client_id == "sts.amazonaws.com")
    );
}

#[test]
fn session_duration_and_tags_drift() {
    let mut actual = converged();
    let role = actual.roles.get_mut("Prod").unwrap();
    role.max_session_duration = 7200;
    role.tags.insert("hoist:tier".into(), "dev".into());
    let p = plan(&desired(), &actual);
    let ops = &p.resources[1].ops;
    assert!(
        matches!(
            &ops[..],
            [
                Op::SetMaxSessionDuration { seconds: 3600, .. },
                Op::TagRole { .. }
            ]
        ),
        "{ops:?}"
    );
}

#[test]
fn switching_to_admin_attaches_and_removes_the_inline_policy() {
    let mut d = desired();
    d.roles[0].permissions = RolePermissions::Managed { arn: ADMIN.into() };
    let p = plan(&d, &converged());
    let tail: Vec<_> = p.resources[2..]
        .iter()
        .map(|r| (r.kind, r.action))
        .collect();
    assert_eq!(
        tail,
        [
            ("managed-policy", Action::Create),
            ("role-policy", Action::Delete)
        ]
    );
}

#[test]
fn leaving_admin_detaches_it() {
    let mut actual = converged();
    actual
        .roles
        .get_mut("Prod")
        .unwrap()
        .managed
        .insert(ADMIN.into());
    let p = plan(&desired(), &actual);
    assert!(
        p.operations()
            .any(|o| matches!(o, Op::DetachRolePolicy { policy_arn, .. } if policy_arn == ADMIN))
    );
}

#[test]
fn existing_secrets_are_unchanged_unless_rewritten_and_values_never_render() {
    let mut d = desired();
    d.github = Some(DesiredGithub {
        repository: "o/r".into(),
        secrets: BTreeMap::from([(
            "AWS_ROLE_ARN_PROD".to_owned(),
            DesiredSecret {
                value: "VALUE-XYZ".into(),
                description: "the ARN".into(),
            },
        )]),
        variables: BTreeMap::from([("AWS_REGION".to_owned(), "ca-central-1".to_owned())]),
        rewrite_secrets: false,
        tag_rulesets: Vec::new(),
    });
    let mut actual = converged();
    actual.github = Some(ActualGithub {
        secret_names: BTreeSet::from(["AWS_ROLE_ARN_PROD".to_owned()]),
        variables: BTreeMap::from([("AWS_REGION".to_owned(), "us-east-1".to_owned())]),
        tag_protection: BTreeMap::new(),
    });
    let p = plan(&d, &actual);
    let gh: Vec<_> = p
        .resources
        .iter()
        .filter(|r| r.kind.starts_with("github"))
        .map(|r| (r.kind, r.action))
        .collect();
    assert_eq!(
        gh,
        [
            ("github-secret", Action::Unchanged),
            ("github-variable", Action::Update)
        ]
    );
    d.github.as_mut().unwrap().rewrite_secrets = true;
    let p = plan(&d, &actual);
    assert!(
        p.operations()
            .any(|o| matches!(o, Op::SetGithubSecret { .. }))
    );
    let shown = format!("{}{}{:?}", p.render_human(), p.to_json(), p);
    assert!(!shown.contains("VALUE-XYZ"), "{shown}");
}

#[test]
fn json_has_kind_name_action_and_diffs() {
    let p = plan(&desired(), &Actual::default());
    let v = p.to_json();
    assert_eq!(v["resources"][1]["kind"], "iam-role");
    assert_eq!(v["resources"][1]["action"], "create");
    assert_eq!(v["resources"][1]["diffs"][0]["field"], "trust policy");
    assert_eq!(v["summary"]["create"], 3);
}

#[test]
fn unparsable_actual_policy_is_shown_and_replaced() {
    let mut actual = converged();
    actual
        .roles
        .get_mut("Prod")
        .unwrap()
        .inline
        .insert("hoist-deploy".into(), "not json".into());
    let p = plan(&desired(), &actual);
    assert_eq!(p.resources[2].action, Action::Update);
    assert_eq!(p.resources[2].diffs[0].before.as_deref(), Some("not json"));
}

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/hoist-boundary-prod";

fn with_boundary() -> Desired {
    let mut d = desired();
    d.policies.push(DesiredManagedPolicy {
        name: "hoist-boundary-prod".into(),
        arn: BOUNDARY.into(),
        description: "d".into(),
        purpose: "boundary".into(),
        document: perms(),
    });
    d.roles[0].permissions_boundary = Some(BOUNDARY.into());
    d
}

#[test]
fn boundary_policy_is_created_before_the_role_that_carries_it() {
    let p = plan(&with_boundary(), &Actual::default());
    let kinds: Vec<_> = p.resources.iter().map(|r| (r.kind, r.action)).collect();
    assert_eq!(kinds[1], ("managed-policy", Action::Create));
    assert!(
        matches!(&p.resources[2].ops[0], Op::CreateRole { permissions_boundary: Some(b), .. } if b == BOUNDARY)
    );
    assert!(
        p.render_human().contains("permissions boundary"),
        "{}",
        p.render_human()
    );
}

#[test]
fn changed_boundary_gets_a_new_version_and_room_is_made_first() {
    let mut actual = converged();
    actual.roles.get_mut("Prod").unwrap().permissions_boundary = Some(BOUNDARY.into());
    let other =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    actual.policies.insert(
        BOUNDARY.into(),
        ActualManagedPolicy {
            arn: BOUNDARY.into(),
            document: other.into(),
            non_default_versions: vec!["v1".into(), "v2".into(), "v3".into(), "v4".into()],
        },
    );
    let p = plan(&with_boundary(), &actual);
    assert!(
        matches!(&p.resources[1].ops[..], [
        Op::DeletePolicyVersion { version_id, .. },
        Op::CreatePolicyVersion { .. }
    ] if version_id == "v1"),
        "{:?}",
        p.resources[1].ops
    );
    // Fewer than five versions: nothing is deleted.
    actual
        .policies
        .get_mut(BOUNDARY)
        .unwrap()
        .non_default_versions
        .truncate(2);
    let p = plan(&with_boundary(), &actual);
    assert!(matches!(
        &p.resources[1].ops[..],
        [Op::CreatePolicyVersion { .. }]
    ));
    // Same document: unchanged, and the whole plan converges.
    actual.policies.get_mut(BOUNDARY).unwrap().document = perms().to_json();
    let p = plan(&with_boundary(), &actual);
    assert!(p.is_converged(), "{}", p.render_human());
}

#[test]
fn missing_or_other_boundary_on_a_role_is_set() {
    let mut actual = converged();
    actual.policies.insert(
        BOUNDARY.into(),
        ActualManagedPolicy {
            arn: BOUNDARY.into(),
            document: perms().to_json(),
            non_default_versions: Vec::new(),
        },
    );
    for current in [
        None,
        Some("arn:aws:iam::123456789012:policy/other".to_owned()),
    ] {
        actual.roles.get_mut("Prod").unwrap().permissions_boundary = current;
        let p = plan(&with_boundary(), &actual);
        let role = &p.resources[2];
        assert_eq!(role.action, Action::Update);
        assert!(
            matches!(&role.ops[..], [Op::PutRolePermissionsBoundary { policy_arn, .. }] if policy_arn == BOUNDARY)
        );
    }
}

fn with_ruleset(actual_protection: Option<ActualTagProtection>) -> (Desired, Actual) {
    let mut d = desired();
    d.github = Some(DesiredGithub {
        repository: "o/r".into(),
        secrets: BTreeMap::new(),
        variables: BTreeMap::new(),
        rewrite_secrets: false,
        tag_rulesets: vec![DesiredTagRuleset {
            name: "hoist prod releases".into(),
            pattern: "v*".into(),
            environment: "prod".into(),
        }],
    });
    let mut actual = converged();
    actual.github = Some(ActualGithub {
        tag_protection: actual_protection
            .map(|p| BTreeMap::from([("v*".to_owned(), p)]))
            .unwrap_or_default(),
        ..ActualGithub::default()
    });
    (d, actual)
}

#[test]
fn tag_ruleset_is_created_replaced_or_left_alone() {
    let (d, a) = with_ruleset(None);
    let p = plan(&d, &a);
    assert!(matches!(
        p.operations().collect::<Vec<_>>()[..],
        [Op::PutTagRuleset { id: None, pattern, .. }] if pattern == "v*"
    ));
    let (d, a) = with_ruleset(Some(ActualTagProtection {
        protected_by: None,
        same_name: Some((7, "enforcement is evaluate, not active".into())),
    }));
    let p = plan(&d, &a);
    let ops: Vec<_> = p.operations().collect();
    assert!(
        matches!(ops[..], [Op::PutTagRuleset { id: Some(7), .. }]),
        "{ops:?}"
    );
    assert!(
        p.render_human().contains("enforcement is evaluate"),
        "{}",
        p.render_human()
    );
    let (d, a) = with_ruleset(Some(ActualTagProtection {
        protected_by: Some("release tags".into()),
        same_name: None,
    }));
    assert!(plan(&d, &a).is_converged());
}
