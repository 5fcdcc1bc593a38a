use std::collections::BTreeSet;

use super::*;
use crate::Action;

const DAY: i64 = 86_400;
const NOW: i64 = 1_000 * DAY;

fn key(id: &str, active: bool, age_days: i64) -> AccessKey {
    AccessKey {
        id: id.into(),
        active,
        created: Some(NOW - age_days * DAY),
        last_used: None,
    }
}

fn rotate_input(keys: Vec<AccessKey>) -> RotateInput {
    RotateInput {
        user: "ci".into(),
        user_arn: "arn:aws:iam::123456789012:user/ci".into(),
        repository: "o/r".into(),
        keys,
        now: NOW,
    }
}

fn ops(plan: &KeysPlan) -> Vec<String> {
    plan.operations().map(Op::describe).collect()
}

#[test]
fn rotate_table() {
    let one = rotate(&rotate_input(vec![key("AKIAOLD", true, 120)])).unwrap();
    assert_eq!(
        ops(&one),
        [
            "created a new access key for ci",
            "verified the new key: sts:GetCallerIdentity answers arn:aws:iam::123456789012:user/ci",
            "stored AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in o/r",
            "deactivated AKIAOLD",
            "deleted AKIAOLD",
        ]
    );
    assert!(matches!(
        &one.resources[1].ops[0],
        Op::StoreNewKey { restore_id: Some(id), .. } if id == "AKIAOLD"
    ));
    assert_eq!(one.resources[2].action, Action::Delete);
    assert!(one.resources[2].notes[0].contains("created 120 days ago"));
    assert!(!one.is_converged(), "a rotation always rotates");

    let none = rotate(&rotate_input(Vec::new())).unwrap();
    assert_eq!(none.operations().count(), 3);
    assert!(matches!(
        &none.resources[1].ops[0],
        Op::StoreNewKey {
            restore_id: None,
            ..
        }
    ));
    assert!(
        none.resources[0]
            .notes
            .iter()
            .any(|n| n.contains("nothing to retire"))
    );
}

#[test]
fn two_keys_are_refused_naming_the_spare() {
    let err = rotate(&rotate_input(vec![
        key("AKIAONE", true, 10),
        key("AKIATWO", false, 5),
    ]))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("already has two access keys (AKIAONE, AKIATWO)")
    );
    let hint = err.hint(NOW).unwrap();
    assert!(
        hint.contains("aws iam delete-access-key --user-name ci --access-key-id AKIATWO")
            && hint.contains("inactive"),
        "{hint}"
    );
    // Both active: the older (first listed) is the way out.
    let err = rotate(&rotate_input(vec![
        key("AKIAONE", true, 10),
        key("AKIATWO", true, 5),
    ]))
    .unwrap_err();
    assert_eq!(err.spare.unwrap().id, "AKIAONE");
}

fn migrate_input(
    current: Option<&str>,
    secrets: Option<&[&str]>,
    keys: Vec<AccessKey>,
) -> MigrateInput {
    MigrateInput {
        user: "ci".into(),
        repository: "o/r".into(),
        push_role: "Push".into(),
        workflow: WorkflowFile {
            path: ".github/workflows/images.yml".into(),
            current: current.map(str::to_owned),
            desired: "on: push\nrole: Push\n".into(),
        },
        secrets: secrets.map(|s| s.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>()),
        keys,
        now: NOW,
    }
}

#[test]
fn migrate_table() {
    let all = [KEY_ID_SECRET, KEY_SECRET_SECRET];
    // The starting point: keys workflow, both secrets, one key.
    let plan = migrate(&migrate_input(
        Some("on: push\nkeys: yes\n"),
        Some(&all),
        vec![key("AKIAOLD", true, 30)],
    ));
    assert_eq!(
        ops(&plan),
        [
            "wrote .github/workflows/images.yml",
            "deleted GitHub secret AWS_ACCESS_KEY_ID",
            "deleted GitHub secret AWS_SECRET_ACCESS_KEY",
            "deactivated AKIAOLD",
            "deleted AKIAOLD",
        ]
    );
    assert_eq!(plan.resources[0].action, Action::Update);
    assert!(
        plan.render_human().contains("-keys: yes\n"),
        "{}",
        plan.render_human()
    );

    // No file yet: created.
    let plan = migrate(&migrate_input(None, Some(&all), Vec::new()));
    assert_eq!(plan.resources[0].action, Action::Create);

    // Secrets not readable: both planned, said so.
    let plan = migrate(&migrate_input(None, None, Vec::new()));
    assert_eq!(plan.summary().delete, 2);
    assert!(plan.resources[1].notes[0].contains("not checked"));

    // After the migration: converged.
    let plan = migrate(&migrate_input(
        Some("on: push\nrole: Push\n"),
        Some(&[]),
        Vec::new(),
    ));
    assert!(plan.is_converged(), "{}", plan.render_human());
    assert_eq!(plan.operations().count(), 0);
}

#[test]
fn ages() {
    assert_eq!(ago(None, NOW), "never");
    assert_eq!(ago(Some(NOW - 10), NOW), "today");
    assert_eq!(ago(Some(NOW - DAY), NOW), "1 day ago");
    assert_eq!(ago(Some(NOW - 3 * DAY), NOW), "3 days ago");
}
