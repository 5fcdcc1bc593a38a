//! `hoist secret rotate` through the real binary: AWS is moto_server behind the strict proxy
//! (which records each call, so the tests see exactly what changed), GitHub is the testkit's
//! secrets fixture (it opens the sealed box, so the tests read what hoist stored).
//!
//! Which path each test takes, honestly:
//! - moto cannot create `AWS::SecretsManager::Secret` from a template, so the stack is the
//!   hindsight example created with
//!   CreateStack, its secrets made beforehand and passed as the template's `*SecretArnParam`
//!   parameters (the template's bring-your-own-secret path, as in `deploy.rs`).
//! - moto runs the ECS service's tasks (`MOTO_ECS_SERVICE_RUNNING=1`), so a forced deployment
//!   completes; the service is found from the stack's resources and its task definition's
//!   `secrets[].valueFrom`, as `hoist deploy` finds it (hoist.toml names no service here).

mod common;

use std::collections::BTreeMap;

use common::{hoist, project};
use hoist_testkit::aws_proxy::{RecordedCall, StrictAws};
use hoist_testkit::github::GithubApi;
use hoist_testkit::sandbox::{Moto, require};

const OLD: &str = "sk-oldkey-0123456789abcdefghijKLMNOP";
const NEW: &str = "sk-newkey-9876543210zyxwvutsrqPONMLK";
const REPO: &str = "arshargithub/HindsightRoboMemSetup";
const STACK: &str = "HindsightDevStack";

struct Sandbox {
    // Dropped last: the proxy and the fixture stop before moto.
    proxy: StrictAws,
    github: GithubApi,
    moto: Moto,
    conf: aws_config::SdkConfig,
    params: BTreeMap<String, String>,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
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
        ("LlmSecretArnParam", "hindsight-dev-llm", OLD),
        (
            "RdsSecretArnParam",
            "hindsight-dev-rds",
            r#"{"username":"hindsight","password":"pw"}"#,
        ),
        (
            "DatabaseUrlSecretArnParam",
            "hindsight-dev-db-url",
            "postgresql://hindsight@db:5432/hindsight",
        ),
    ] {
        let out = rt
            .block_on(sm.create_secret().name(name).secret_string(value).send())
            .unwrap();
        params.insert(param.to_owned(), out.arn.unwrap());
    }
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hindsight/hindsight-stack.yaml"
    ))
    .unwrap();
    common::stack::create_stack_by_hand(&rt, &conf, STACK, &template, &params);

    // The example's hoist.toml without its [[environments.dev.services]]: the service is
    // found from the stack.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hindsight/hoist.toml"
    ))
    .unwrap();
    let config = example.replacen(
        "[[environments.dev.services]]\ncluster_output = \"ClusterName\"\nservice_output = \"ServiceName\"\n",
        "",
        1,
    );
    assert_ne!(config, example);
    let dir = project(&[("hoist.toml", &config)]);
    let github = GithubApi::start(REPO, 1_000_001, 2_000_002);
    github.insert_secret("LLM_API_KEY", OLD);
    let proxy = StrictAws::start_blocking(&moto.endpoint());
    Some(Sandbox {
        proxy,
        github,
        moto,
        conf,
        params,
        rt,
        dir,
    })
}

impl Sandbox {
    fn rotate(&self, stdin: &str, args: &[&str]) -> common::Run {
        self.proxy.clear_calls();
        hoist(self.dir.path())
            .envs(self.moto.env())
            .env("AWS_ENDPOINT_URL", self.proxy.endpoint())
            .envs(self.github.env())
            .args(["secret", "rotate", "--env", "dev"])
            .args(args)
            .stdin(stdin)
            .run()
    }

    fn llm_secret(&self) -> String {
        let sm = aws_sdk_secretsmanager::Client::new(&self.conf);
        self.rt
            .block_on(
                sm.get_secret_value()
                    .secret_id(&self.params["LlmSecretArnParam"])
                    .send(),
            )
            .unwrap()
            .secret_string
            .unwrap()
    }

    fn deployment_id(&self) -> String {
        common::sdk::primary_deployment(&self.rt, &self.conf, "hindsight-dev", "hindsight-dev-api")
    }

    fn github_puts(&self) -> usize {
        self.github
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .count()
    }

    /// Exit code, stdout and stderr — every byte — with the sandbox's random ids labelled.
    fn shown(&self, run: &common::Run, deployments: &[&str]) -> String {
        let mut text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            run.code, run.stdout, run.stderr
        );
        text = text.replace(&self.params["LlmSecretArnParam"], "[LLM_SECRET_ARN]");
        for (i, d) in deployments.iter().enumerate() {
            text = text.replace(d, &format!("[DEPLOYMENT_{i}]"));
        }
        text
    }
}

fn mutating(calls: &[RecordedCall]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| {
            !["Describe", "Get", "List"]
                .iter()
                .any(|p| c.action.starts_with(p))
        })
        .map(|c| format!("{}:{}", c.service, c.action))
        .collect()
}

fn assert_no_value(run: &common::Run) {
    run.assert_no_secret(NEW);
    run.assert_no_secret(OLD);
    // Not even a recognizable part of either.
    for part in ["newkey-98765", "oldkey-01234"] {
        assert!(!run.all_output().contains(part), "{}", run.all_output());
    }
}

/// Plan, apply, apply again: the plan changes nothing; the apply writes GitHub and Secrets
/// Manager and waits for the service's new deployment; the second apply finds the value in
/// place and restarts nothing.
#[test]
fn rotation_plans_applies_and_converges() {
    let Some(sb) = sandbox() else { return };
    let before = sb.deployment_id();

    // The plan: reads only.
    let plan = sb.rotate(&format!("{NEW}\n"), &["LLM_API_KEY"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_no_value(&plan);
    let calls = sb.proxy.calls();
    assert!(mutating(&calls).is_empty(), "{:?}", mutating(&calls));
    assert!(calls.iter().all(|c| c.rejected.is_none()), "{calls:#?}");
    assert_eq!(sb.github_puts(), 0);
    assert_eq!(sb.llm_secret(), OLD);
    assert_eq!(
        sb.github.secret_plaintext("LLM_API_KEY").as_deref(),
        Some(OLD)
    );
    assert_eq!(sb.deployment_id(), before);
    insta::assert_snapshot!("secret_rotate_plan", sb.shown(&plan, &[]));

    // The apply: GitHub, then Secrets Manager, then the service, waited for.
    let run = sb.rotate(NEW, &["LLM_API_KEY", "--apply", "--wait-timeout", "120"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_no_value(&run);
    assert_eq!(
        sb.github.secret_plaintext("LLM_API_KEY").as_deref(),
        Some(NEW)
    );
    assert_eq!(sb.llm_secret(), NEW);
    let after = sb.deployment_id();
    assert_ne!(after, before, "no new ECS deployment");
    let calls = sb.proxy.calls();
    assert_eq!(
        mutating(&calls),
        ["secretsmanager:PutSecretValue", "ecs:UpdateService"],
        "{calls:#?}"
    );
    let update = calls.iter().find(|c| c.action == "UpdateService").unwrap();
    assert_eq!(update.params["service"], "hindsight-dev-api");
    assert_eq!(update.params["forceNewDeployment"], true);
    insta::assert_snapshot!("secret_rotate_apply", sb.shown(&run, &[&after]));

    // Again, same value: Secrets Manager already holds it, nothing restarts. The GitHub secret
    // is written again (GitHub never returns a value to compare), which the plan said.
    let puts = sb.github_puts();
    let again = sb.rotate(NEW, &["LLM_API_KEY", "--apply", "--json"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_no_value(&again);
    let doc = again.json();
    assert_eq!(
        doc["plan"]["secrets_manager"]["action"], "unchanged",
        "{doc}"
    );
    assert_eq!(doc["plan"]["github"]["action"], "replace", "{doc}");
    assert_eq!(doc["applied"]["secrets_manager"], "unchanged", "{doc}");
    assert_eq!(doc["applied"]["services"].as_array().unwrap().len(), 0);
    assert!(mutating(&sb.proxy.calls()).is_empty());
    assert_eq!(sb.github_puts(), puts + 1);
    assert_eq!(sb.deployment_id(), after);
}

/// Each bad input exits 2 before any AWS or GitHub call, naming what is wrong, never the value.
#[test]
fn bad_input_changes_nothing() {
    let Some(sb) = sandbox() else { return };
    let big = "sk-".repeat(17_000);
    let cases: [(&str, &[&str], &str); 4] = [
        ("sk-short\n", &["LLM_API_KEY"], "does not match its pattern"),
        ("", &["LLM_API_KEY"], "stdin held no value for LLM_API_KEY"),
        (
            NEW,
            &["OPENAI_KEY"],
            "syncs no secret OPENAI_KEY (it syncs: LLM_API_KEY)",
        ),
        (
            big.as_str(),
            &["LLM_API_KEY"],
            "over 49152 bytes, GitHub's limit",
        ),
    ];
    for (stdin, args, says) in cases {
        let run = sb.rotate(stdin, &[args, &["--apply"]].concat());
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert!(!run.stderr.contains("sk-short"), "{}", run.stderr);
        assert_no_value(&run);
        assert!(sb.proxy.calls().is_empty(), "{:?}", sb.proxy.calls());
        assert!(sb.github.requests().is_empty());
    }
    // No GitHub token: refused before AWS is asked anything.
    sb.proxy.clear_calls();
    let run = hoist(sb.dir.path())
        .envs(sb.moto.env())
        .env("AWS_ENDPOINT_URL", sb.proxy.endpoint())
        .args(["secret", "rotate", "--env", "dev", "LLM_API_KEY"])
        .stdin(NEW)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("GITHUB_TOKEN is not set"),
        "{}",
        run.stderr
    );
    assert_no_value(&run);
    assert!(sb.proxy.calls().is_empty());
    assert_eq!(sb.llm_secret(), OLD);
}
