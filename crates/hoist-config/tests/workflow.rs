//! The `[workflow]` section: setup steps and extra paths parse into what the generator emits,
//! and every bad step names its line and column and the expected form.

use hoist_config::{StepAction, parse};

const BASE: &str = r#"repository = "octo-org/ledger"

[aws]
region = "us-east-2"

[environments.dev]
branch = "main"
role = "LedgerDev"
"#;

fn with(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn no_section_means_no_extra_steps() {
    let c = parse(BASE, "hoist.toml").unwrap();
    assert!(c.workflow.setup.is_empty() && c.workflow.paths.is_empty());
}

#[test]
fn setup_steps_and_paths_keep_their_order_and_text() {
    let text = with(
        r#"[workflow]
paths = ["docs/api.yaml", "src/**"]

[[workflow.setup]]
uses = "actions/setup-python@v6"
with = { python-version = "3.12", cache = "pip" }

[[workflow.setup]]
name = "CDK synth"
run = "npx --yes aws-cdk@2 synth"
shell = "bash"
working_directory = "infra"
env = { CDK_DISABLE_VERSION_CHECK = "true" }
"#,
    );
    let c = parse(&text, "hoist.toml").unwrap();
    assert_eq!(c.workflow.paths, ["docs/api.yaml", "src/**"]);
    assert_eq!(c.workflow.setup.len(), 2);
    match &c.workflow.setup[0].action {
        StepAction::Uses { uses, with } => {
            assert_eq!(uses, "actions/setup-python@v6");
            assert_eq!(with["python-version"], "3.12");
            assert_eq!(with["cache"], "pip");
        }
        other => panic!("{other:?}"),
    }
    let synth = &c.workflow.setup[1];
    assert_eq!(synth.name.as_deref(), Some("CDK synth"));
    assert_eq!(synth.env["CDK_DISABLE_VERSION_CHECK"], "true");
    assert_eq!(
        synth.action,
        StepAction::Run {
            run: "npx --yes aws-cdk@2 synth".to_owned(),
            shell: Some("bash".to_owned()),
            working_directory: Some("infra".to_owned()),
        }
    );
}

#[test]
fn bad_steps_name_their_place() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[workflow.setup]]\nrun = \"make\"\nuses = \"actions/setup-go@v6\"\n",
            "uses = ",
            "a setup step has `run` or `uses`, not both",
        ),
        (
            "[[workflow.setup]]\nuses = \"setup-go\"\n",
            "uses = ",
            "\"setup-go\" is not an action reference",
        ),
        (
            "[[workflow.setup]]\nrun = \"make\"\nwith = { x = \"1\" }\n",
            "with = ",
            "`with` belongs to a step that `uses` an action",
        ),
        (
            "[[workflow.setup]]\nuses = \"actions/setup-go@v6\"\nshell = \"bash\"\n",
            "shell = ",
            "`shell` and `working_directory` belong to a `run` step",
        ),
        (
            "[[workflow.setup]]\nrun = \"make\"\nshell = \"fish\"\n",
            "shell = ",
            "unknown shell \"fish\"",
        ),
        (
            "[[workflow.setup]]\nrun = \"make\"\nenv = { \"BAD-NAME\" = \"1\" }\n",
            "env = ",
            "\"BAD-NAME\" is not an environment variable name",
        ),
        (
            "[workflow]\npaths = [\"!docs/**\"]\n",
            "paths = ",
            "a negated path",
        ),
        (
            "[[workflow.setup]]\nrun = \"   \"\n",
            "run = ",
            "`run` is empty",
        ),
        (
            "[[workflow.setup]]\nname = \"x\"\nrun = \"make\"\nif = \"always()\"\n",
            "if = ",
            "unknown field `if`",
        ),
    ];
    for (extra, at, message) in cases {
        let text = with(extra);
        let err = parse(&text, "hoist.toml").unwrap_err();
        assert!(err.message.contains(message), "{extra}: {err}");
        assert_eq!(err.line, line_of(&text, at), "{extra}: {err}");
        assert!(err.column >= 1, "{err}");
    }
    // A step with neither `run` nor `uses` points at the step itself.
    let text = with("[[workflow.setup]]\nname = \"nothing\"\n");
    let err = parse(&text, "hoist.toml").unwrap_err();
    assert!(err.message.contains("needs `run` or `uses`"), "{err}");
    assert!(err.line >= line_of(&text, "[[workflow.setup]]"), "{err}");
    assert!(err.expected.unwrap().contains("actions/setup-python@v6"));
}
