//! The `[workflow]` section: what the generated deploy workflow adds to hoist's own steps.
//!
//! ```toml
//! [workflow]
//! paths = ["docs/openapi.yaml"]            # more files whose change deploys
//!
//! [[workflow.setup]]                       # steps run after checkout, before hoist runs
//! uses = "actions/setup-python@v6"
//! with = { python-version = "3.12" }
//!
//! [[workflow.setup]]
//! name = "CDK synth"
//! run = "pip install -r cdk/requirements.txt && npx --yes aws-cdk@2 synth"
//! working_directory = "cdk"
//! ```
//!
//! Each setup step is one GitHub Actions step: `run` (with optional `shell`,
//! `working_directory`) or `uses` (with optional `with`), never both, plus optional `name`
//! and `env`. Every rule here points at the value it refuses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_spanned::Spanned;

use crate::ConfigError;

type S<T> = Spanned<T>;

/// The `[workflow]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkflow {
    #[serde(default)]
    pub setup: Vec<S<RawSetupStep>>,
    #[serde(default)]
    pub paths: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSetupStep {
    pub name: Option<S<String>>,
    pub run: Option<S<String>>,
    pub shell: Option<S<String>>,
    pub working_directory: Option<S<String>>,
    pub uses: Option<S<String>>,
    #[serde(default)]
    pub with: BTreeMap<S<String>, S<String>>,
    #[serde(default)]
    pub env: BTreeMap<S<String>, S<String>>,
}

/// What the generated workflow adds: setup steps before hoist runs and extra `paths`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WorkflowSettings {
    pub setup: Vec<SetupStep>,
    /// Paths (GitHub's glob syntax) whose change also starts a deploy on push.
    pub paths: Vec<String>,
}

/// One setup step of the generated workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupStep {
    pub name: Option<String>,
    pub action: StepAction,
    pub env: BTreeMap<String, String>,
}

/// What a setup step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum StepAction {
    /// A shell command.
    Run {
        run: String,
        shell: Option<String>,
        working_directory: Option<String>,
    },
    /// An action, `owner/repo[/path]@ref`, `./path` or `docker://image`.
    Uses {
        uses: String,
        with: BTreeMap<String, String>,
    },
}

/// Checks the `[workflow]` table. `text` and `file` are for error positions.
pub(crate) fn validate(
    raw: &RawWorkflow,
    text: &str,
    file: &str,
) -> Result<WorkflowSettings, ConfigError> {
    let err = |offset: usize, message: String| ConfigError::at(text, file, offset, message);
    let mut setup = Vec::new();
    for step in &raw.setup {
        let at = step.span().start;
        let s = step.get_ref();
        let name = match &s.name {
            Some(n) => Some(one_line(n, "step name").map_err(|m| err(n.span().start, m))?),
            None => None,
        };
        let action = match (&s.run, &s.uses) {
            (Some(_), Some(uses)) => {
                return Err(err(
                    uses.span().start,
                    "a setup step has `run` or `uses`, not both".to_owned(),
                )
                .expected("two [[workflow.setup]] entries, one with run and one with uses"));
            }
            (None, None) => {
                return Err(err(at, "a setup step needs `run` or `uses`".to_owned()).expected(
                    "run = \"pip install -r cdk/requirements.txt\" or uses = \"actions/setup-python@v6\"",
                ));
            }
            (Some(run), None) => {
                if let Some((key, _)) = s.with.iter().next() {
                    return Err(err(
                        key.span().start,
                        "`with` belongs to a step that `uses` an action".to_owned(),
                    )
                    .expected("env = { … } for a run step's variables"));
                }
                if run.get_ref().trim().is_empty() {
                    return Err(err(run.span().start, "`run` is empty".to_owned())
                        .expected("a shell command"));
                }
                StepAction::Run {
                    run: run.get_ref().clone(),
                    shell: match &s.shell {
                        Some(sh) => Some(shell(sh).map_err(|m| err(sh.span().start, m))?),
                        None => None,
                    },
                    working_directory: match &s.working_directory {
                        Some(d) => Some(
                            one_line(d, "working_directory").map_err(|m| err(d.span().start, m))?,
                        ),
                        None => None,
                    },
                }
            }
            (None, Some(uses)) => {
                if let Some(extra) = s.shell.as_ref().or(s.working_directory.as_ref()) {
                    return Err(err(
                        extra.span().start,
                        "`shell` and `working_directory` belong to a `run` step".to_owned(),
                    )
                    .expected("`with` inputs for the action"));
                }
                if !is_action_ref(uses.get_ref()) {
                    return Err(err(
                        uses.span().start,
                        format!("{:?} is not an action reference", uses.get_ref()),
                    )
                    .expected(
                        "OWNER/REPO@REF (such as actions/setup-node@v5), OWNER/REPO/PATH@REF, ./PATH or docker://IMAGE",
                    ));
                }
                let mut with = BTreeMap::new();
                for (k, v) in &s.with {
                    if !is_identifier(k.get_ref()) {
                        return Err(err(
                            k.span().start,
                            format!("{:?} is not an action input name", k.get_ref()),
                        )
                        .expected("letters, digits, '-' and '_', starting with a letter or '_'"));
                    }
                    with.insert(k.get_ref().clone(), v.get_ref().clone());
                }
                StepAction::Uses {
                    uses: uses.get_ref().clone(),
                    with,
                }
            }
        };
        let mut env = BTreeMap::new();
        for (k, v) in &s.env {
            if !is_identifier(k.get_ref()) || k.get_ref().contains('-') {
                return Err(err(
                    k.span().start,
                    format!("{:?} is not an environment variable name", k.get_ref()),
                )
                .expected("letters, digits and '_', such as PIP_INDEX_URL"));
            }
            env.insert(k.get_ref().clone(), v.get_ref().clone());
        }
        setup.push(SetupStep { name, action, env });
    }
    let mut paths = Vec::new();
    for p in &raw.paths {
        let v = one_line(p, "path").map_err(|m| err(p.span().start, m))?;
        if v.starts_with('!') {
            return Err(err(
                p.span().start,
                format!("{v:?}: a negated path would stop deploys hoist.toml's own files start"),
            )
            .expected("a path or glob to add, such as \"src/**\""));
        }
        paths.push(v);
    }
    Ok(WorkflowSettings { setup, paths })
}

fn one_line(v: &S<String>, what: &str) -> Result<String, String> {
    let s = v.get_ref();
    if s.trim().is_empty() {
        Err(format!("the {what} is empty"))
    } else if s.contains(['\n', '\r']) {
        Err(format!("the {what} spans several lines"))
    } else {
        Ok(s.clone())
    }
}

fn shell(v: &S<String>) -> Result<String, String> {
    let s = one_line(v, "shell")?;
    if matches!(
        s.as_str(),
        "bash" | "sh" | "pwsh" | "python" | "powershell" | "cmd"
    ) || s.contains("{0}")
    {
        Ok(s)
    } else {
        Err(format!(
            "unknown shell {s:?}: use bash, sh, pwsh, python, or a command template with {{0}}"
        ))
    }
}

fn is_identifier(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `OWNER/REPO[/PATH]@REF`, `./PATH` or `docker://IMAGE`, as a `uses:` accepts.
fn is_action_ref(s: &str) -> bool {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if let Some(path) = s.strip_prefix("./") {
        return !path.is_empty() && !s.contains(char::is_whitespace);
    }
    if let Some(image) = s.strip_prefix("docker://") {
        return !image.is_empty() && !image.contains(char::is_whitespace);
    }
    let Some((path, git_ref)) = s.split_once('@') else {
        return false;
    };
    let mut parts = path.split('/');
    let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
        return false;
    };
    word(owner)
        && word(repo)
        && parts.all(word)
        && !git_ref.is_empty()
        && git_ref
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::is_action_ref;

    #[test]
    fn action_references() {
        for ok in [
            "actions/setup-python@v6",
            "actions/aws/ec2@main",
            "octo/x@0123456789abcdef0123456789abcdef01234567",
            "./.github/actions/build",
            "docker://alpine:3.20",
        ] {
            assert!(is_action_ref(ok), "{ok}");
        }
        for bad in [
            "actions/setup-python",
            "setup-python@v6",
            "actions/setup python@v6",
            "actions/setup-python@",
            "./",
            "",
        ] {
            assert!(!is_action_ref(bad), "{bad}");
        }
    }
}
