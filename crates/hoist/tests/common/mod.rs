//! Shared by the CLI's integration tests: run the real `hoist` binary with a clean
//! environment and capture every byte it prints.

#![allow(dead_code, unreachable_pub)]

pub mod ec2;
pub mod raw_aws;
pub mod sdk;
pub mod stack;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The result of one `hoist` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Every byte printed, stdout then stderr, for "no secret anywhere" assertions.
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Asserts `secret` appears nowhere in the output except in `::add-mask::` lines, which
    /// the Actions runner consumes.
    pub fn assert_no_secret(&self, secret: &str) {
        assert!(!secret.is_empty());
        for line in self.all_output().lines() {
            if line.starts_with("::add-mask::") {
                continue;
            }
            assert!(
                !line.contains(secret),
                "secret leaked in output line: {line}"
            );
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A `hoist` invocation with an environment holding nothing from the developer's machine
/// (no AWS profile, no GitHub variables) besides PATH and HOME.
pub struct Hoist {
    cmd: Command,
    stdin: Option<String>,
}

pub fn hoist(dir: &Path) -> Hoist {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.current_dir(dir).env_clear();
    for keep in ["PATH", "HOME", "DOCKER_HOST"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    // No profile, config or instance metadata from the machine: only what the test gives.
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    Hoist { cmd, stdin: None }
}

impl Hoist {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn arg_path(mut self, path: &Path) -> Self {
        self.cmd.arg(path);
        self
    }

    pub fn env(mut self, k: impl AsRef<std::ffi::OsStr>, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn envs(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.cmd.envs(vars);
        self
    }

    pub fn stdin(mut self, text: impl Into<String>) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// Starts hoist without waiting (stdout and stderr piped), for tests that signal it.
    pub fn spawn(mut self) -> std::process::Child {
        self.cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.cmd.spawn().expect("spawn hoist")
    }

    pub fn run(mut self) -> Run {
        use std::io::Write;
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn hoist");
        if let Some(text) = self.stdin.take() {
            // hoist may stop reading early (a value over a limit is refused after limit + 1
            // bytes) and exit: a broken pipe is its answer, not the test's failure.
            let written = child.stdin.take().unwrap().write_all(text.as_bytes());
            if let Err(e) = written {
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe,
                    "writing stdin: {e}"
                );
            }
        }
        let out = child.wait_with_output().expect("wait for hoist");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        audit_error(&run);
        run
    }
}

/// With `HOIST_ERROR_AUDIT=FILE`, every failed run's stderr is appended to FILE, so one run
/// of the suite lists every error path the tests provoke and whether each printed a hint
/// (`grep -c` over the file; see the code-health notes).
fn audit_error(run: &Run) {
    use std::io::Write;
    let Ok(path) = std::env::var("HOIST_ERROR_AUDIT") else {
        return;
    };
    if run.code == 0 {
        return;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = write!(file, "=== {test} exit {}\n{}\n", run.code, run.stderr);
    }
}

/// A temporary project directory with `files` written into it.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path: PathBuf = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The guide's configuration: dev from main, prod from tags.
pub const GUIDE_CONFIG: &str = r#"repository = "arshargithub/HindsightRoboMemSetup"

[aws]
region = "ca-central-1"

[environments.dev]
branch = "main"
role = "GitHubActionsHindsightDev"

[environments.prod]
tag = "*"
role = "GitHubActionsHindsightProd"
"#;

/// An access key id in AWS's shape that no account has: made at test time, not committed.
pub fn unknown_access_key_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = (0..16)
        .map(|i| alphabet[((nanos >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("AKIA{tail}")
}

/// `rel` under this crate's directory, as the running test sees it: `cargo test` sets
/// `CARGO_MANIFEST_DIR` for the test process, so a test binary built in another checkout (a
/// shared target directory) reads this checkout's fixtures, not the paths compiled into it.
pub fn manifest_path(rel: &str) -> PathBuf {
    let dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set by cargo test");
    PathBuf::from(dir).join(rel)
}

/// The text of `rel` under this crate's directory ([`manifest_path`]).
pub fn read_manifest_file(rel: &str) -> String {
    let path = manifest_path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether a Docker engine answers. With HOIST_REQUIRE_DOCKER=1 (CI) a missing engine fails
/// the test; elsewhere the test is skipped with the reason printed.
#[allow(
    clippy::print_stderr,
    reason = "a skipped test says why on the test runner's stderr"
)]
pub fn docker_engine() -> bool {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    let reason = match out {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => return true,
        Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
        Err(e) => format!("docker CLI not runnable: {e}"),
    };
    assert!(
        std::env::var("HOIST_REQUIRE_DOCKER").as_deref() != Ok("1"),
        "HOIST_REQUIRE_DOCKER=1 but no Docker engine answers: {reason}"
    );
    eprintln!(
        "skipping: no Docker engine answers ({reason}); set HOIST_REQUIRE_DOCKER=1 to fail instead"
    );
    false
}
