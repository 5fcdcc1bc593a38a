//! `hoist keys` against moto_server (IAM, STS) and the GitHub secrets fixture.
//!
//! moto checks no request signature unless its auth mode is on (it is off here), so the
//! verification step proves that GetCallerIdentity sent with the new key id succeeds and
//! answers the user's ARN (moto maps the key id to its user), not that AWS would accept the
//! secret half. The 2-key quota is moto's own (`LimitExceeded`), as in IAM.

mod common;

use common::{hoist, project};
use hoist_testkit::github::GithubApi;
use hoist_testkit::sandbox::{Moto, require};

const USER: &str = "github-ecr-push";
const REPO: &str = "arshargithub/HindsightRoboMemSetup";

struct Env {
    moto: Moto,
    github: GithubApi,
    iam: aws_sdk_iam::Client,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

fn setup() -> Option<Env> {
    let moto = require("moto_server", Moto::start())?;
    let rt = common::sdk::rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());
    let iam = aws_sdk_iam::Client::new(&conf);
    rt.block_on(iam.create_user().user_name(USER).send())
        .unwrap();
    let github = GithubApi::start(REPO, 1_000_001, 2_000_002);
    let dir = project(&[("hoist.toml", common::GUIDE_CONFIG)]);
    Some(Env {
        moto,
        github,
        iam,
        rt,
        dir,
    })
}

impl Env {
    fn create_key(&self) -> (String, String) {
        let out = self
            .rt
            .block_on(self.iam.create_access_key().user_name(USER).send())
            .unwrap();
        let k = out.access_key().unwrap();
        (
            k.access_key_id().to_owned(),
            k.secret_access_key().to_owned(),
        )
    }

    /// `(id, active)` of the user's keys, from IAM directly.
    fn keys(&self) -> Vec<(String, bool)> {
        let out = self
            .rt
            .block_on(self.iam.list_access_keys().user_name(USER).send())
            .unwrap();
        out.access_key_metadata()
            .iter()
            .map(|m| {
                (
                    m.access_key_id().unwrap().to_owned(),
                    m.status() == Some(&aws_sdk_iam::types::StatusType::Active),
                )
            })
            .collect()
    }

    fn run(&self, args: &[&str]) -> common::Run {
        hoist(self.dir.path())
            .envs(self.moto.env())
            .envs(self.github.env())
            .args(["keys"])
            .args(args)
            .run()
    }
}

#[test]
fn rotate_replaces_the_key_in_github_and_iam() {
    let Some(env) = setup() else { return };
    let (old_id, old_secret) = env.create_key();
    env.github.insert_secret("AWS_ACCESS_KEY_ID", &old_id);
    env.github
        .insert_secret("AWS_SECRET_ACCESS_KEY", &old_secret);

    // Without --apply: a plan, nothing changes.
    let plan = env.run(&["rotate", "--user", USER]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains(&format!("- delete    access-key       {old_id}\n")),
        "{}",
        plan.stdout
    );
    assert_eq!(env.keys(), vec![(old_id.clone(), true)]);
    assert_eq!(
        env.github.secret_plaintext("AWS_ACCESS_KEY_ID").as_deref(),
        Some(old_id.as_str())
    );

    let run = env.run(&["rotate", "--user", USER, "--apply"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let keys = env.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let (new_id, active) = &keys[0];
    let labels = [
        (old_id.as_str(), "[OLD_KEY]"),
        (new_id.as_str(), "[NEW_KEY]"),
    ];
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("keys_rotate_plan", shown(&plan, &labels));
        insta::assert_snapshot!("keys_rotate_apply", shown(&run, &labels));
    });
    assert!(*active);
    assert_ne!(new_id, &old_id);
    assert_eq!(
        env.github.secret_plaintext("AWS_ACCESS_KEY_ID").as_deref(),
        Some(new_id.as_str())
    );
    let new_secret = env
        .github
        .secret_plaintext("AWS_SECRET_ACCESS_KEY")
        .unwrap();
    assert_ne!(new_secret, old_secret);
    assert!(
        run.stderr.contains("verified") && run.stderr.contains(&format!("user/{USER}")),
        "{}",
        run.stderr
    );
    run.assert_no_secret(&new_secret);
    run.assert_no_secret(&old_secret);

    let list = hoist(env.dir.path())
        .envs(env.moto.env())
        .args(["--json", "keys", "list", "--user", USER])
        .run();
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(list.json()["keys"][0]["access_key_id"], new_id.as_str());
    assert_eq!(list.json()["keys"][0]["too_old"], false);
}

#[test]
fn a_failed_github_write_keeps_the_old_key_and_removes_the_new_one() {
    let Some(env) = setup() else { return };
    let (old_id, old_secret) = env.create_key();
    env.github.insert_secret("AWS_ACCESS_KEY_ID", &old_id);
    env.github
        .insert_secret("AWS_SECRET_ACCESS_KEY", &old_secret);
    // The failure comes after the new key was created and AWS_ACCESS_KEY_ID was written.
    env.github.fail_put_secret("AWS_SECRET_ACCESS_KEY", 500);

    let run = env.run(&["rotate", "--user", USER, "--apply"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("AWS_SECRET_ACCESS_KEY"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("was deleted")
            && run.stderr.contains(&format!("{old_id} is still active")),
        "{}",
        run.stderr
    );
    // IAM: only the old key, still active.
    assert_eq!(env.keys(), vec![(old_id.clone(), true)]);
    // GitHub: the old pair, the id put back.
    assert_eq!(
        env.github.secret_plaintext("AWS_ACCESS_KEY_ID").as_deref(),
        Some(old_id.as_str())
    );
    assert_eq!(
        env.github
            .secret_plaintext("AWS_SECRET_ACCESS_KEY")
            .as_deref(),
        Some(old_secret.as_str())
    );
    let puts: Vec<_> = env
        .github
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| (r.path, r.status))
        .collect();
    // The failing PUT is a 500 every time: the GitHub client tries it 4 times (its retry
    // policy's max_attempts) before hoist rolls back.
    assert_eq!(
        puts.len(),
        6,
        "id (new), secret (failed, 4 attempts), id (restored): {puts:?}"
    );
    run.assert_no_secret(&old_secret);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(
            "keys_rotate_rolled_back",
            shown(&run, &[(old_id.as_str(), "[OLD_KEY]")])
        );
    });
}

#[test]
fn two_keys_are_refused_with_the_way_out() {
    let Some(env) = setup() else { return };
    let (first, _) = env.create_key();
    let (second, _) = env.create_key();
    env.rt
        .block_on(
            env.iam
                .update_access_key()
                .user_name(USER)
                .access_key_id(&second)
                .status(aws_sdk_iam::types::StatusType::Inactive)
                .send(),
        )
        .unwrap();
    let run = env.run(&["rotate", "--user", USER, "--apply"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("already has two access keys"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "aws iam delete-access-key --user-name {USER} --access-key-id {second}"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(env.keys().len(), 2);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(
            "keys_rotate_two_keys",
            shown(&run, &[(first.as_str(), "[FIRST_KEY]"), (second.as_str(), "[SECOND_KEY]")])
        );
    });
    assert!(env.keys().contains(&(first, true)));
    assert!(env.github.requests().iter().all(|r| r.method != "PUT"));
}

#[test]
fn migrate_plans_then_replaces_keys_with_the_push_role() {
    let Some(env) = setup() else { return };
    let (old_id, old_secret) = env.create_key();
    env.github.insert_secret("AWS_ACCESS_KEY_ID", &old_id);
    env.github
        .insert_secret("AWS_SECRET_ACCESS_KEY", &old_secret);
    let config = format!(
        "{}\n[images]\npush_role = \"GitHubActionsHindsightEcrPush\"\nservices = [\"api\"]\n",
        common::GUIDE_CONFIG
    );
    std::fs::write(env.dir.path().join("hoist.toml"), &config).unwrap();
    // Refused while the role does not exist.
    let run = env.run(&["migrate", "--user", USER]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("keys_migrate_no_role", shown(&run, &[]));
    });
    assert!(
        run.stderr.contains("hoist bootstrap --apply"),
        "{}",
        run.stderr
    );
    env.rt
        .block_on(
            env.iam
                .create_role()
                .role_name("GitHubActionsHindsightEcrPush")
                .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
                .send(),
        )
        .unwrap();
    let plan = env.run(&["migrate", "--user", USER]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(".github/workflows/deploy.yml"),
        "{}",
        plan.stdout
    );
    assert_eq!(env.keys().len(), 1);
    assert!(!env.dir.path().join(".github/workflows/deploy.yml").exists());

    let run = env.run(&["migrate", "--user", USER, "--apply"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(env.keys().is_empty());
    assert!(
        env.github.secret_names().is_empty(),
        "{:?}",
        env.github.secret_names()
    );
    let workflow =
        std::fs::read_to_string(env.dir.path().join(".github/workflows/deploy.yml")).unwrap();
    assert!(
        workflow.contains("id-token: write") && !workflow.contains("AWS_SECRET_ACCESS_KEY"),
        "{workflow}"
    );
    let labels = [(old_id.as_str(), "[OLD_KEY]")];
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("keys_migrate_plan", shown(&plan, &labels));
        insta::assert_snapshot!("keys_migrate_apply", shown(&run, &labels));
    });
    // A second run converges: nothing left to change.
    let again = env.run(&["migrate", "--user", USER]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stdout.ends_with("Nothing to change.\n"),
        "{}",
        again.stdout
    );
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("keys_migrate_again", shown(&again, &[]));
    });
    let check = hoist(env.dir.path()).args(["workflow", "--check"]).run();
    assert!(
        check.stdout.contains("deploy.yml: up to date"),
        "{}",
        check.stdout
    );
}

#[test]
fn rotate_without_a_github_token_changes_nothing() {
    let Some(env) = setup() else { return };
    let (old_id, _) = env.create_key();
    let run = hoist(env.dir.path())
        .envs(env.moto.env())
        .args(["keys", "rotate", "--user", USER, "--apply"])
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        env.keys(),
        vec![(old_id.clone(), true)],
        "no key was created"
    );
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(
            "keys_rotate_no_token",
            shown(&run, &[(old_id.as_str(), "[OLD_KEY]")])
        );
    });
}

#[test]
fn rotate_of_a_missing_user_says_how_to_find_it() {
    let Some(env) = setup() else { return };
    let run = env.run(&["rotate", "--user", "nobody"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("keys_rotate_no_user", shown(&run, &[]));
    });
}

/// An endpoint that does not answer (a closed loopback port as `AWS_ENDPOINT_URL`; an unknown
/// region's host fails the same way, at the connection): the renderer's hint names the
/// endpoint, in a command that writes no hint of its own.
#[test]
fn an_endpoint_that_does_not_answer_is_named_in_the_hint() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = project(&[]);
    let run = hoist(dir.path())
        .env("AWS_ACCESS_KEY_ID", common::unknown_access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        .env("AWS_REGION", "ca-central-1")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .args(["keys", "list", "--user", "github-ecr-push"])
        .run();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run.assert_no_secret("not-a-real-secret");
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("keys_list_unreachable", shown(&run, &[]));
    });
}

/// What changes between runs, replaced: ports, temp dirs, account ids, key ids not labelled
/// by the test.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"/tmp/\.tmp[\w]+", "[DIR]"),
        (r"\b\d{12}\b", "[ACCOUNT]"),
        (r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", "[KEY]"),
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
