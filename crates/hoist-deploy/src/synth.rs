//! Synthesis without the CDK CLI, the way the CLI runs an app: cdk.json's `app` command,
//! run in the app directory with `CDK_OUTDIR` (where the assembly goes), `CDK_DEFAULT_ACCOUNT`
//! / `CDK_DEFAULT_REGION` (the target environment) and `CDK_CONTEXT_JSON` (the context).
//!
//! The context is cdk.json's `context` over `cdk.context.json` (the cached lookups): the CDK
//! CLI gives the project configuration precedence over the context file. This module holds
//! the pure parts (reading the two files, the merge, the variables); the CLI crate runs the
//! command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Why an app cannot be synthesized.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{0} has no \"app\" command")]
    NoApp(PathBuf),
}

impl SynthError {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Read { .. } => {
                "`cdk_app` in hoist.toml names the directory holding cdk.json (such as \"cdk\")"
            }
            Self::Parse { .. } => "fix the JSON syntax of the file",
            Self::NoApp(_) => {
                "add `\"app\": \"python3 app.py\"` (the command that synthesizes the app) to cdk.json"
            }
        }
    }
}

/// An app directory, read.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub dir: PathBuf,
    /// cdk.json's `app`.
    pub command: String,
    /// Where the assembly goes: cdk.json's `output`, else `cdk.out`, under the app directory.
    pub out_dir: PathBuf,
    /// The merged context.
    pub context: Map<String, Value>,
}

fn read_json(path: &Path) -> Result<Option<Value>, SynthError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| SynthError::Parse {
                path: path.to_path_buf(),
                source,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SynthError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads `dir/cdk.json` and `dir/cdk.context.json`.
///
/// # Errors
/// No cdk.json, invalid JSON, or no `app`.
pub fn read_app(dir: &Path) -> Result<App, SynthError> {
    let cdk_json = dir.join("cdk.json");
    let config = read_json(&cdk_json)?.ok_or_else(|| SynthError::Read {
        path: cdk_json.clone(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })?;
    let command = config
        .get("app")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| SynthError::NoApp(cdk_json.clone()))?
        .to_owned();
    let out_dir = dir.join(
        config
            .get("output")
            .and_then(Value::as_str)
            .unwrap_or("cdk.out"),
    );
    let cached = read_json(&dir.join("cdk.context.json"))?;
    Ok(App {
        dir: dir.to_path_buf(),
        command,
        out_dir,
        context: merge_context(config.get("context"), cached.as_ref()),
    })
}

/// `project` (cdk.json's `context`) over `cached` (cdk.context.json).
#[must_use]
pub fn merge_context(project: Option<&Value>, cached: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for bag in [cached, project].into_iter().flatten() {
        if let Value::Object(m) = bag {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// The variables the app runs with.
#[must_use]
pub fn app_env(app: &App, account: &str, region: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("CDK_OUTDIR", app.out_dir.display().to_string()),
        ("CDK_DEFAULT_ACCOUNT", account.to_owned()),
        ("CDK_DEFAULT_REGION", region.to_owned()),
        (
            "CDK_CONTEXT_JSON",
            Value::Object(app.context.clone()).to_string(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_app_and_merges_context_with_cdk_json_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cdk.json"),
            r#"{"app": "python3 app.py", "context": {"env": "dev", "@aws-cdk/core:newStyleStackSynthesis": true}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("cdk.context.json"),
            r#"{"env": "cached", "availability-zones:account=1:region=r": ["a", "b"]}"#,
        )
        .unwrap();
        let app = read_app(dir.path()).unwrap();
        assert_eq!(app.command, "python3 app.py");
        assert_eq!(app.out_dir, dir.path().join("cdk.out"));
        assert_eq!(app.context["env"], "dev");
        assert_eq!(app.context["availability-zones:account=1:region=r"][1], "b");
        let env = app_env(&app, "123456789012", "eu-west-1");
        assert_eq!(env["CDK_DEFAULT_ACCOUNT"], "123456789012");
        assert_eq!(env["CDK_DEFAULT_REGION"], "eu-west-1");
        let ctx: Value = serde_json::from_str(&env["CDK_CONTEXT_JSON"]).unwrap();
        assert_eq!(ctx["@aws-cdk/core:newStyleStackSynthesis"], true);
    }

    #[test]
    fn output_key_and_missing_pieces() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_app(dir.path()), Err(SynthError::Read { .. })));
        std::fs::write(dir.path().join("cdk.json"), r#"{"output": "build/out"}"#).unwrap();
        assert!(matches!(read_app(dir.path()), Err(SynthError::NoApp(_))));
        std::fs::write(
            dir.path().join("cdk.json"),
            r#"{"app": "node app.js", "output": "build/out"}"#,
        )
        .unwrap();
        let app = read_app(dir.path()).unwrap();
        assert_eq!(app.out_dir, dir.path().join("build/out"));
        assert!(app.context.is_empty());
        std::fs::write(dir.path().join("cdk.context.json"), "{").unwrap();
        assert!(matches!(
            read_app(dir.path()),
            Err(SynthError::Parse { .. })
        ));
    }
}
