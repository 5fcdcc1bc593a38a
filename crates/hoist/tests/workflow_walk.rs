//! The deploy workflow `hoist workflow` writes, walked step by step the way a GitHub-hosted
//! runner runs its dev job on a push to `main`, against the sandbox: the checkout is the
//! project directory, "Install hoist" puts the binary under test on `PATH`, and every `run:`
//! step runs in `bash --noprofile --norc -eo pipefail` (Actions' default shell) with the
//! step's `env:` evaluated, `$GITHUB_ENV` carried to later steps and `$GITHUB_OUTPUT` read into
//! `steps.ID.outputs`. The test asserts the stack was given the image digest the push step
//! just pushed, and that this digest is what the registry holds.
//!
//! Which path each part takes, honestly:
//! - GitHub has no emulator: the job's OIDC token comes from testkit's Actions token endpoint
//!   and issuer fixtures (GitHub's documented shapes); the `${{ }}` expressions the generated
//!   file uses are evaluated by a small evaluator here that knows exactly those forms
//!   (`secrets.X`, `vars.X`, `steps.ID.outputs.KEY`, `toJSON(steps.ID.outputs)`) and fails the
//!   test on any other, so a new expression cannot slip through unevaluated. The job's `if:`
//!   is asserted as text (the generator's own tests evaluate the triggers).
//! - No step gets AWS credentials from the test: like a runner, the job has none until
//!   `hoist credentials` writes the role session's to `$GITHUB_ENV`. moto's STS issues them for
//!   any token (it checks nothing), which is why the strict proxy records who signed each
//!   later call.
//! - moto has no ECR data plane: ECR's registry is a Distribution registry with ECR-style
//!   Basic auth (`HOIST_ECR_REGISTRY_URL`), the control plane is moto's.
//! - moto cannot create `AWS::SecretsManager::Secret`: as in `deploy.rs`, the stack is first
//!   created by hand (the guide's first manual deploy) with secrets made through the API; the
//!   job's deploy is an UPDATE change set.
//! - moto's CloudFormation records the new parameter value but does not carry it into the ECS
//!   task definition (seen with moto 5.2.1: the family's newest revision lists no image and
//!   the service keeps its first task definition), so the test asserts on what hoist sent (the
//!   change set's parameters) and what the stack recorded (DescribeStacks), not on ECS.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{docker_engine, hoist, project};
use hoist_testkit::aws_proxy::StrictAws;
use hoist_testkit::github::{ActionsTokenEndpoint, ClaimsBuilder, GithubApi, OidcIssuer};
use hoist_testkit::sandbox::{Moto, Registry, require};

const REPO: &str = "arshargithub/HindsightRoboMemSetup";
const STACK: &str = "HindsightDevStack";
const SECRET: &str = "sk-hoistwalk-0123456789abcdefghijKLMNOP";
const TOKEN_PASSWORD: &str = "123456789012-auth-token";
const SHA: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn example(path: &str) -> String {
    let root =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../examples/hindsight");
    std::fs::read_to_string(root.join(path)).unwrap()
}

use common::sdk::rt;

/// The `${{ … }}` forms the generated workflow uses, evaluated against the run so far.
struct Contexts {
    /// `github.token`: the job's `GITHUB_TOKEN`.
    github_token: String,
    secrets: BTreeMap<String, String>,
    vars: BTreeMap<String, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
}

impl Contexts {
    fn eval(&self, expr: &str) -> String {
        let expr = expr.trim();
        if expr == "github.token" {
            return self.github_token.clone();
        }
        if let Some(name) = expr.strip_prefix("secrets.") {
            return self.secrets.get(name).cloned().unwrap_or_default();
        }
        if let Some(name) = expr.strip_prefix("vars.") {
            return self.vars.get(name).cloned().unwrap_or_default();
        }
        if let Some(inner) = expr
            .strip_prefix("toJSON(steps.")
            .and_then(|r| r.strip_suffix(".outputs)"))
        {
            let outputs = self.steps.get(inner).cloned().unwrap_or_default();
            return serde_json::to_string_pretty(&outputs).unwrap();
        }
        if let Some((step, key)) = expr
            .strip_prefix("steps.")
            .and_then(|r| r.split_once(".outputs."))
        {
            return self
                .steps
                .get(step)
                .and_then(|o| o.get(key))
                .cloned()
                .unwrap_or_default();
        }
        panic!(
            "the walk does not know the expression `${{{{ {expr} }}}}`: teach it, or the generator wrote something unexpected"
        );
    }

    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("${{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").expect("closed expression") + at;
            out.push_str(&self.eval(&rest[at + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// `NAME=value` and `NAME<<DELIMITER` … `DELIMITER` lines, as `$GITHUB_ENV` and
/// `$GITHUB_OUTPUT` hold them (GitHub's "Workflow commands", environment files).
fn environment_file(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.push((name.to_owned(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            out.push((name.to_owned(), value.to_owned()));
        } else if !line.is_empty() {
            panic!("not an environment-file line: {line:?}");
        }
    }
    out
}

struct StepRun {
    name: String,
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the steps of `job` in `dir` as a runner would; stops at the first failing step.
fn walk_job(
    dir: &Path,
    job: &serde_norway::Value,
    base_env: &[(String, String)],
    cx: &mut Contexts,
) -> Vec<StepRun> {
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_hoist"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut path = std::env::var("PATH").unwrap_or_default();
    let mut job_env: Vec<(String, String)> = Vec::new();
    if let Some(env) = job.get("env").and_then(|e| e.as_mapping()) {
        for (k, v) in env {
            job_env.push((
                k.as_str().unwrap().to_owned(),
                cx.substitute(v.as_str().unwrap()),
            ));
        }
    }
    let mut runs = Vec::new();
    let steps = job["steps"].as_sequence().expect("steps");
    for (i, step) in steps.iter().enumerate() {
        let name = step
            .get("name")
            .and_then(|n| n.as_str())
            .map_or_else(|| format!("step {i}"), str::to_owned);
        if let Some(uses) = step.get("uses").and_then(|u| u.as_str()) {
            if uses.starts_with("actions/checkout@") {
                // The project directory is the checkout.
            } else if uses.starts_with("hoist-dev/hoist@") {
                // The action installs a release; the walk installs the binary under test
                // (the action itself is tested in install.rs).
                path = format!("{}:{path}", bin_dir.display());
            } else {
                panic!("the walk cannot run `uses: {uses}`");
            }
            continue;
        }
        let script = step["run"].as_str().expect("a run step");
        let github_env = dir.join(format!("github_env_{i}"));
        let github_output = dir.join(format!("github_output_{i}"));
        let carried: Vec<(String, String)> = (0..i)
            .flat_map(|j| environment_file(&dir.join(format!("github_env_{j}"))))
            .collect();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(dir)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("GITHUB_ENV", &github_env)
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_STEP_SUMMARY", dir.join("step_summary.md"));
        if let Ok(host) = std::env::var("DOCKER_HOST") {
            cmd.env("DOCKER_HOST", host);
        }
        cmd.envs(base_env.iter().cloned())
            .envs(job_env.iter().cloned())
            .envs(carried);
        if let Some(env) = step.get("env").and_then(|e| e.as_mapping()) {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), cx.substitute(v.as_str().unwrap()));
            }
        }
        let out = cmd.output().unwrap();
        let run = StepRun {
            name,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if let Some(id) = step.get("id").and_then(|i| i.as_str()) {
            cx.steps.insert(
                id.to_owned(),
                environment_file(&github_output).into_iter().collect(),
            );
        }
        let failed = run.code != 0;
        runs.push(run);
        if failed {
            break;
        }
    }
    runs
}

fn report(runs: &[StepRun]) -> String {
    runs.iter()
        .map(|r| {
            format!(
                "--- {} (exit {})\nstdout:\n{}\nstderr:\n{}",
                r.name, r.code, r.stdout, r.stderr
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A push to `main`: the generated dev job checks the workflow, gets the role's credentials
/// from the job's OIDC token, builds and pushes the image, and deploys the stack with the
/// digest it just pushed — never a tag.
#[test]
fn the_generated_dev_job_deploys_the_digest_it_just_pushed() {
    if !docker_engine() {
        return;
    }
    let Some(moto) = require(
        "moto_server",
        Moto::start_with(&[("MOTO_ECS_SERVICE_RUNNING", "1")]),
    ) else {
        return;
    };
    let Some(registry) = require(
        "docker-registry",
        Registry::start_with_basic_auth("AWS", TOKEN_PASSWORD),
    ) else {
        return;
    };
    let rt = rt();
    let conf = common::sdk::config(&rt, &moto.endpoint());

    // The secrets the stack reads, made out of band (moto's CloudFormation skips them).
    let params = common::stack::create_secrets(
        &rt,
        &conf,
        &[
            ("LlmSecretArnParam", "HindsightDevStack/llm-api-key", None),
            (
                "RdsSecretArnParam",
                "HindsightDevStack/rds",
                Some(r#"{"username":"hindsight","password":"pw"}"#),
            ),
            (
                "DatabaseUrlSecretArnParam",
                "HindsightDevStack/database-url",
                Some("postgresql://hindsight@db:5432/hindsight"),
            ),
        ],
    );

    // The example project, its dev stack's image given by `{image:api}`.
    let example_config = example("hoist.toml");
    let params_toml: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .chain(["ContainerImage = \"{image:api}\"".to_owned()])
        .collect();
    // …and its URL output recorded as the GitHub deployment's environment URL.
    let config = example_config.replacen(
        "parameters = { EnvName = \"dev\" }",
        &format!(
            "parameters = {{ EnvName = \"dev\", {} }}\nurl_output = \"HindsightApiUrl\"",
            params_toml.join(", ")
        ),
        1,
    );
    assert_ne!(config, example_config);
    let template = example("hindsight-stack.yaml");
    let dir = project(&[
        ("hoist.toml", &config),
        ("hindsight-stack.yaml", &template),
        ("app/docker-compose.yml", &example("app/docker-compose.yml")),
        ("app/Dockerfile", &example("app/Dockerfile")),
        ("app/hello.txt", &format!("walk {SHA}\n")),
    ]);

    // Set-up a team does once: bootstrap, the workflow, the guide's first manual deploy.
    let run = hoist(dir.path())
        .envs(moto.env())
        .args(["bootstrap", "--apply"])
        .run();
    assert_eq!(run.code, 0, "bootstrap: {}\n{}", run.stdout, run.stderr);
    let run = hoist(dir.path()).args(["workflow"]).run();
    assert_eq!(run.code, 0, "workflow: {}\n{}", run.stdout, run.stderr);
    common::stack::create_stack_by_hand(&rt, &conf, STACK, &template, &params);

    let workflow: serde_norway::Value = serde_norway::from_str(
        &std::fs::read_to_string(dir.path().join(".github/workflows/deploy.yml")).unwrap(),
    )
    .unwrap();
    let job = &workflow["jobs"]["deploy-dev"];
    assert!(
        job["if"]
            .as_str()
            .unwrap()
            .contains("github.event_name == 'push' && github.ref == 'refs/heads/main'"),
        "{job:?}"
    );

    // The runner: GitHub's variables and the job's token; no AWS credentials.
    let proxy = StrictAws::start_blocking(&moto.endpoint());
    let issuer = OidcIssuer::start_as_github();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch(REPO, "main"));
    let api = GithubApi::start(REPO, 987_654_321, 123_456);
    let mut base_env: Vec<(String, String)> = vec![
        ("AWS_CONFIG_FILE".into(), "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE".into(), "/dev/null".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("AWS_ENDPOINT_URL".into(), proxy.endpoint()),
        ("AWS_REGION".into(), Moto::REGION.into()),
        ("NO_COLOR".into(), "1".into()),
        ("HOIST_ECR_REGISTRY_URL".into(), registry.url()),
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_EVENT_NAME".into(), "push".into()),
        ("GITHUB_REF".into(), "refs/heads/main".into()),
        ("GITHUB_SHA".into(), SHA.into()),
        ("GITHUB_REPOSITORY".into(), REPO.into()),
        ("GITHUB_RUN_ID".into(), "4242".into()),
        ("GITHUB_SERVER_URL".into(), "https://github.com".into()),
        ("GITHUB_API_URL".into(), api.url()),
        ("GITHUB_WORKSPACE".into(), dir.path().display().to_string()),
    ];
    base_env.extend(endpoint.env());
    let mut cx = Contexts {
        github_token: api.token().to_owned(),
        secrets: BTreeMap::from([("LLM_API_KEY".to_owned(), SECRET.to_owned())]),
        vars: BTreeMap::new(),
        steps: BTreeMap::new(),
    };
    let runs = walk_job(dir.path(), job, &base_env, &mut cx);
    let log = report(&runs);
    assert!(runs.iter().all(|r| r.code == 0), "{log}");
    let ran: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        ran.len(),
        4,
        "check, credentials, push, deploy all ran: {ran:?}"
    );
    assert!(!log.contains(SECRET), "the API key was printed:\n{log}");
    assert!(
        !log.contains(api.token()),
        "the GitHub token was printed:\n{log}"
    );

    // What the push step pushed, by digest, and that the registry holds exactly that.
    let pushed = cx.steps["push"]["api-image"].clone();
    let (repository, digest) = pushed.split_once('@').expect("REPOSITORY@DIGEST");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{pushed}"
    );
    assert!(
        repository.ends_with("/hindsight-api"),
        "the api image's repository: {pushed}"
    );
    let client = hoist_registry::Client::new(
        &registry.url(),
        Some(hoist_registry::BasicAuth::new("AWS", TOKEN_PASSWORD)),
        std::sync::Arc::new(hoist_registry::NoReporter),
    )
    .unwrap();
    let by_digest = rt
        .block_on(client.get_manifest("hindsight-api", digest))
        .unwrap()
        .expect("the pushed digest is in the registry");
    assert_eq!(by_digest.digest.as_str(), digest);

    // The stack got that digest, never a tag, and so did the task its service runs.
    let cfn = aws_sdk_cloudformation::Client::new(&conf);
    let stack = rt
        .block_on(cfn.describe_stacks().stack_name(STACK).send())
        .unwrap();
    let given: BTreeMap<String, String> = stack.stacks()[0]
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_key().unwrap_or_default().to_owned(),
                p.parameter_value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(given["ContainerImage"], pushed, "{given:?}");
    // The deploy signed with the session the credentials step wrote to $GITHUB_ENV (the steps
    // had no other credentials).
    let session_key = (0..10)
        .flat_map(|i| environment_file(&dir.path().join(format!("github_env_{i}"))))
        .find(|(k, _)| k == "AWS_ACCESS_KEY_ID")
        .map(|(_, v)| v)
        .expect("the credentials step wrote AWS_ACCESS_KEY_ID to $GITHUB_ENV");
    let change_sets: Vec<_> = proxy
        .calls()
        .into_iter()
        .filter(|c| c.action == "CreateChangeSet")
        .collect();
    assert_eq!(change_sets.len(), 1, "{log}");
    assert_eq!(
        change_sets[0].access_key.as_deref(),
        Some(session_key.as_str())
    );
    // …and the change set it sent named the digest as the parameter's value.
    assert!(
        change_sets[0].params.to_string().contains(&pushed),
        "{:?}",
        change_sets[0].params
    );

    // The GitHub deployment: the job may write deployments, and the deploy step recorded one
    // for this commit, in progress, then successful with the stack's URL output and the run.
    assert_eq!(
        job["permissions"]["deployments"].as_str(),
        Some("write"),
        "{job:?}"
    );
    let url_output = stack.stacks()[0]
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("HindsightApiUrl"))
        .and_then(|o| o.output_value())
        .expect("the stack has its URL output")
        .to_owned();
    assert_eq!(cx.steps["deploy"]["environment_url"], url_output);
    let deployments = api.deployments();
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    let recorded = &deployments[0];
    assert_eq!(recorded.deployment["sha"], SHA);
    assert_eq!(recorded.deployment["environment"], "dev");
    assert_eq!(recorded.deployment["production_environment"], false);
    let states: Vec<&str> = recorded
        .statuses
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["in_progress", "success"]);
    let success = &recorded.statuses[1];
    assert_eq!(success["environment_url"], url_output.as_str());
    assert_eq!(
        success["log_url"],
        format!("https://github.com/{REPO}/actions/runs/4242").as_str()
    );
}
