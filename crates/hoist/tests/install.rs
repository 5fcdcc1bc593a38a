//! Releases and the action's install step, end to end on this machine: `scripts/release` packs
//! the freshly built `hoist` for the host target, and `scripts/install.sh` (what action.yml
//! runs) installs it from a loopback HTTP server that serves GitHub's two shapes the script
//! reads: release assets at `/{owner}/{repo}/releases/download/{tag}/{file}` and the REST
//! releases list at `/repos/{owner}/{repo}/releases` (paginated, newest first, with `draft`
//! and `prerelease` flags as GitHub documents them).
//!
//! Covered: the archive layout and SHA256SUMS, reproducible packing, an exact version, `v1`
//! resolving to the newest stable 1.x across two API pages (numerically: 1.10.0 > 1.9.0;
//! drafts and prereleases skipped), the tool cache, and the refusals: a tampered archive, a
//! wrong pinned sha256, an unknown version, a major without releases, a ref that names no
//! release, and a required attestation without `gh`. `gh attestation verify` itself needs
//! GitHub's attestation API, which has no emulator: only its absence is tested.

// Skips are said on stderr, where the test harness shows them.
#![allow(clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const REPO: &str = "hoist-dev/hoist";
const TOKEN: &str = "ghs_test-token-never-printed";

fn workspace() -> PathBuf {
    common::manifest_path("../..")
}

fn host_target() -> String {
    let out = Command::new(workspace().join("scripts/release"))
        .arg("host-target")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `scripts/release pack` of the test's hoist binary as `version`, into `out`.
fn pack(version: &str, out: &Path) -> PathBuf {
    let run = Command::new(workspace().join("scripts/release"))
        .args([
            "pack",
            "--bin",
            env!("CARGO_BIN_EXE_hoist"),
            "--version",
            version,
            "--out",
        ])
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "pack: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    PathBuf::from(String::from_utf8(run.stdout).unwrap().trim())
}

fn sums(dir: &Path) -> String {
    let run = Command::new(workspace().join("scripts/release"))
        .arg("sums")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap()
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// One release as the REST API lists it.
#[derive(Clone)]
struct Release {
    tag: String,
    draft: bool,
    prerelease: bool,
}

fn release(tag: &str) -> Release {
    Release {
        tag: tag.to_owned(),
        draft: false,
        prerelease: false,
    }
}

#[derive(Clone)]
struct Fixture {
    /// `tag/file` → bytes.
    assets: Arc<BTreeMap<String, Vec<u8>>>,
    /// Newest first.
    releases: Arc<Vec<Release>>,
    /// Every request: path?query and whether it carried the bearer token.
    log: Arc<Mutex<Vec<(String, bool)>>>,
}

async fn asset(
    State(f): State<Fixture>,
    UrlPath((owner, repo, tag, file)): UrlPath<(String, String, String, String)>,
) -> Response {
    f.log.lock().unwrap().push((
        format!("/{owner}/{repo}/releases/download/{tag}/{file}"),
        false,
    ));
    match f.assets.get(&format!("{tag}/{file}")) {
        Some(bytes) if format!("{owner}/{repo}") == REPO => bytes.clone().into_response(),
        _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

async fn list_releases(
    State(f): State<Fixture>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.to_str().unwrap_or("") == format!("Bearer {TOKEN}"));
    f.log.lock().unwrap().push((
        format!(
            "/repos/{owner}/{repo}/releases?page={}",
            q.get("page").map_or("1", String::as_str)
        ),
        authorized,
    ));
    if format!("{owner}/{repo}") != REPO {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"message": "Not Found"})),
        )
            .into_response();
    }
    let per_page: usize = q.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(30);
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let items: Vec<serde_json::Value> = f
        .releases
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .enumerate()
        .map(|(i, r)| {
            serde_json::json!({
                "id": page * 1000 + i,
                "tag_name": r.tag,
                "name": format!("hoist {}", r.tag.trim_start_matches('v')),
                "draft": r.draft,
                "prerelease": r.prerelease,
                "author": {"login": "github-actions[bot]", "type": "Bot"},
                "assets": [{"name": "SHA256SUMS", "uploader": {"login": "github-actions[bot]"}}],
            })
        })
        .collect();
    axum::Json(items).into_response()
}

struct Server {
    base: String,
    log: Arc<Mutex<Vec<(String, bool)>>>,
    _runtime: tokio::runtime::Runtime,
}

fn serve(assets: BTreeMap<String, Vec<u8>>, releases: Vec<Release>) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let fixture = Fixture {
        assets: Arc::new(assets),
        releases: Arc::new(releases),
        log: log.clone(),
    };
    let app = axum::Router::new()
        .route("/{owner}/{repo}/releases/download/{tag}/{file}", get(asset))
        .route("/repos/{owner}/{repo}/releases", get(list_releases))
        .with_state(fixture);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        base,
        log,
        _runtime: runtime,
    }
}

/// `(version, file name, archive bytes, SHA256SUMS text)`.
type Packed = (String, String, Vec<u8>, String);

/// The archives every test serves, packed once per test binary from the test's hoist
/// (packing an unoptimized binary takes seconds): `(version, file name, bytes, SHA256SUMS)`.
fn packed() -> &'static Vec<Packed> {
    static PACKED: std::sync::OnceLock<Vec<Packed>> = std::sync::OnceLock::new();
    PACKED.get_or_init(|| {
        let dist = tempfile::tempdir().unwrap();
        ["1.2.0", "1.10.0"]
            .into_iter()
            .map(|version| {
                let dir = dist.path().join(version);
                let archive = pack(version, &dir);
                let sums = sums(&dir);
                let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
                (
                    version.to_owned(),
                    name,
                    std::fs::read(&archive).unwrap(),
                    sums,
                )
            })
            .collect()
    })
}

/// The releases: the archives of [`packed`] as 1.2.0 and 1.10.0, a 1.3.0 whose archive was
/// altered after SHA256SUMS was written, and a listing of two pages.
struct World {
    server: Server,
    target: String,
}

fn world() -> World {
    let target = host_target();
    let mut assets = BTreeMap::new();
    for (version, name, bytes, sums) in packed() {
        assets.insert(format!("v{version}/{name}"), bytes.clone());
        assets.insert(format!("v{version}/SHA256SUMS"), sums.clone().into_bytes());
    }
    // 1.3.0: SHA256SUMS names the genuine archive's digest; the server hands out other bytes.
    let genuine = assets[&format!("v1.2.0/hoist-1.2.0-{target}.tar.gz")].clone();
    let digest = {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("genuine");
        std::fs::write(&p, &genuine).unwrap();
        sha256_hex(&p)
    };
    let mut tampered = genuine;
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    assets.insert(format!("v1.3.0/hoist-1.3.0-{target}.tar.gz"), tampered);
    assets.insert(
        "v1.3.0/SHA256SUMS".to_owned(),
        format!("{digest}  hoist-1.3.0-{target}.tar.gz\n").into_bytes(),
    );

    // Newest first, as GitHub lists them: 1.10.0 sits on the second page of 100, behind
    // a 2.0.0, a 1.12.0 draft, a 1.11.0-rc.1 prerelease and 1.1.0…1.1.119.
    let mut releases = vec![
        release("v2.0.0"),
        Release {
            draft: true,
            ..release("v1.12.0")
        },
        Release {
            prerelease: true,
            ..release("v1.11.0-rc.1")
        },
    ];
    releases.extend((0..120).rev().map(|n| release(&format!("v1.1.{n}"))));
    releases.extend(
        ["v1.10.0", "v1.9.0", "v1.3.0", "v1.2.0", "v1.0.0", "v0.9.0"]
            .into_iter()
            .map(release),
    );
    World {
        server: serve(assets, releases),
        target,
    }
}

/// One run of scripts/install.sh as action.yml runs it, in a fresh runner-like environment.
struct Install {
    code: i32,
    stdout: String,
    stderr: String,
    github_path: String,
    github_output: String,
}

fn install(world: &World, cache: &Path, vars: &[(&str, &str)]) -> Install {
    let runner = tempfile::tempdir().unwrap();
    let github_path = runner.path().join("path");
    let github_output = runner.path().join("output");
    let mut cmd = Command::new("bash");
    cmd.arg(workspace().join("scripts/install.sh"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", runner.path())
        .env("RUNNER_TOOL_CACHE", cache)
        .env("RUNNER_TEMP", runner.path())
        .env("GITHUB_PATH", &github_path)
        .env("GITHUB_OUTPUT", &github_output)
        .env("HOIST_DOWNLOAD_URL", &world.server.base)
        .env("HOIST_API_URL", &world.server.base)
        .env("HOIST_REPOSITORY", REPO)
        .env("HOIST_TARGET", &world.target)
        .env("GITHUB_TOKEN", TOKEN);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let run = Install {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        github_path: read(&github_path),
        github_output: read(&github_output),
    };
    assert!(
        !format!("{}{}{}", run.stdout, run.stderr, run.github_output).contains(TOKEN),
        "the token was printed"
    );
    run
}

impl Install {
    fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "install failed:\n{}{}",
            self.stdout, self.stderr
        );
        self
    }

    fn refused(&self, code: i32, words: &str) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}:\n{}{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(words),
            "expected {words:?} in:\n{}",
            self.stderr
        );
        assert!(self.github_path.is_empty(), "PATH changed on a refusal");
        assert!(self.github_output.is_empty(), "outputs set on a refusal");
        self
    }

    fn output(&self, name: &str) -> String {
        self.github_output
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no output {name} in {}", self.github_output))
            .to_owned()
    }
}

fn downloads(server: &Server) -> Vec<String> {
    server
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.contains("/releases/download/"))
        .map(|(p, _)| p.clone())
        .collect()
}

#[test]
fn the_archive_holds_one_top_directory_and_packing_is_reproducible() {
    let target = host_target();
    let a = tempfile::tempdir().unwrap();
    let first = pack("1.2.0", a.path());
    assert_eq!(
        first.file_name().unwrap().to_str().unwrap(),
        format!("hoist-1.2.0-{target}.tar.gz")
    );
    // Packed again (by the shared fixture, in another directory and process): the same bytes.
    let (_, _, again, _) = packed().iter().find(|(v, ..)| v == "1.2.0").unwrap();
    assert!(
        std::fs::read(&first).unwrap() == *again,
        "two packs of one binary differ"
    );
    let list = Command::new("tar")
        .arg("-tzvf")
        .arg(&first)
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let top = format!("hoist-1.2.0-{target}/");
    for line in list.lines() {
        let name = line.split_whitespace().last().unwrap();
        assert!(name.starts_with(&top), "{name} is outside {top}");
    }
    for wanted in [
        "hoist",
        "README.md",
        "LICENSE",
        "hoist.1",
        "completions/hoist.bash",
        "completions/_hoist",
        "completions/hoist.fish",
    ] {
        assert!(
            list.lines().any(|l| l.ends_with(&format!("{top}{wanted}"))),
            "{wanted} missing:\n{list}"
        );
    }
    let binary = list.lines().find(|l| l.ends_with("/hoist")).unwrap();
    assert!(
        binary.starts_with("-rwxr-xr-x root/root") || binary.starts_with("-rwxr-xr-x 0/0"),
        "{binary}"
    );

    let sums = sums(a.path());
    assert_eq!(
        sums,
        format!("{}  hoist-1.2.0-{target}.tar.gz\n", sha256_hex(&first))
    );
    // `sha256sum -c` accepts the file as written.
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(a.path())
        .output()
        .unwrap();
    assert!(check.status.success());

    // A tag must name the workspace version.
    let tag = |t: &str| {
        Command::new(workspace().join("scripts/release"))
            .args(["check-tag", t])
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(tag(concat!("v", env!("CARGO_PKG_VERSION"))), Some(0));
    assert_eq!(tag("v99.0.0"), Some(1));
}

#[test]
fn installs_exact_and_major_versions_from_the_tool_cache_once() {
    let world = world();
    let cache = tempfile::tempdir().unwrap();

    // An exact version.
    let exact = install(&world, cache.path(), &[("HOIST_VERSION", "1.2.0")]);
    exact.ok();
    assert_eq!(exact.output("version"), "1.2.0");
    assert_eq!(exact.output("cache-hit"), "false");
    let dir = PathBuf::from(exact.output("path"));
    assert_eq!(exact.github_path.trim(), dir.to_str().unwrap());
    assert!(dir.starts_with(cache.path().join("hoist/1.2.0")), "{dir:?}");
    // The tool cache's marker: `<tool>/<version>/<arch>.complete`.
    assert!(
        dir.with_extension("complete").exists(),
        "no .complete marker beside {dir:?}"
    );
    assert!(dir.join("LICENSE").exists() && dir.join("README.md").exists());
    assert!(
        exact
            .stdout
            .contains(concat!("hoist ", env!("CARGO_PKG_VERSION"))),
        "the installed binary did not run: {}",
        exact.stdout
    );
    assert!(
        exact.stderr.contains("sha256 of hoist-1.2.0-"),
        "{}",
        exact.stderr
    );
    // No releases API call for an exact version.
    assert!(
        !world
            .server
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|(p, _)| p.starts_with("/repos/"))
    );

    // The action used at `v1`: the newest stable 1.x, read across both pages with the token.
    let major = install(&world, cache.path(), &[("HOIST_ACTION_REF", "v1")]);
    major.ok();
    assert_eq!(major.output("version"), "1.10.0", "{}", major.stderr);
    assert!(
        major.stderr.contains("v1 resolves to 1.10.0"),
        "{}",
        major.stderr
    );
    let api: Vec<(String, bool)> = world
        .server
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/repos/"))
        .cloned()
        .collect();
    assert_eq!(
        api,
        vec![
            ("/repos/hoist-dev/hoist/releases?page=1".to_owned(), true),
            ("/repos/hoist-dev/hoist/releases?page=2".to_owned(), true),
        ]
    );
    // `v1.2` means the newest 1.2.x.
    let minor = install(&world, cache.path(), &[("HOIST_VERSION", "v1.2")]);
    minor.ok();
    assert_eq!(minor.output("version"), "1.2.0");

    // Installed again: from the tool cache, nothing downloaded.
    let before = downloads(&world.server).len();
    let again = install(&world, cache.path(), &[("HOIST_ACTION_REF", "v1")]);
    again.ok();
    assert_eq!(again.output("cache-hit"), "true");
    assert_eq!(again.output("version"), "1.10.0");
    assert_eq!(
        downloads(&world.server).len(),
        before,
        "downloaded despite the cache"
    );
}

#[test]
fn refuses_tampered_unknown_and_unresolvable_versions() {
    let world = world();
    let cache = tempfile::tempdir().unwrap();

    let tampered = install(&world, cache.path(), &[("HOIST_VERSION", "1.3.0")]);
    tampered.refused(1, "sha256 mismatch for hoist-1.3.0-");
    assert!(tampered.stderr.contains("refusing to install it"));
    assert!(
        !cache.path().join("hoist/1.3.0").exists(),
        "a refused archive reached the tool cache"
    );

    // In Actions the refusal is an error annotation.
    let annotated = install(
        &world,
        cache.path(),
        &[("HOIST_VERSION", "1.3.0"), ("GITHUB_ACTIONS", "true")],
    );
    annotated.refused(1, "::error title=hoist install::sha256 mismatch");

    // A pinned sha256 overrides SHA256SUMS, and a wrong pin is refused.
    let pinned = install(
        &world,
        cache.path(),
        &[
            ("HOIST_VERSION", "1.2.0"),
            ("HOIST_SHA256", &"0".repeat(64)),
        ],
    );
    pinned.refused(1, "sha256 mismatch for hoist-1.2.0-");
    assert!(
        pinned.stderr.contains("the sha256 input"),
        "{}",
        pinned.stderr
    );

    install(&world, cache.path(), &[("HOIST_VERSION", "9.9.9")])
        .refused(1, "hoist 9.9.9 is not released in hoist-dev/hoist");
    install(&world, cache.path(), &[("HOIST_ACTION_REF", "v3")])
        .refused(1, "no stable hoist release matches v3");
    install(&world, cache.path(), &[("HOIST_ACTION_REF", "main")])
        .refused(2, "'main' (from the action's ref) names no hoist release");
    install(&world, cache.path(), &[("HOIST_ACTION_REF", "")])
        .refused(2, "set 'with: version: 1.2.3'");
    install(
        &world,
        cache.path(),
        &[(
            "HOIST_ACTION_REF",
            "0123456789abcdef0123456789abcdef01234567",
        )],
    )
    .refused(2, "names no release; add 'with: version: X.Y.Z'");
    install(
        &world,
        cache.path(),
        &[
            ("HOIST_VERSION", "1.2.0"),
            ("HOIST_REPOSITORY", "someone/else"),
        ],
    )
    .refused(1, "hoist 1.2.0 is not released in someone/else");
    install(
        &world,
        cache.path(),
        &[
            ("HOIST_VERSION", "v1"),
            ("HOIST_REPOSITORY", "someone/else"),
        ],
    )
    .refused(1, "GitHub has no repository someone/else");

    // An attestation that must be verified cannot be without gh.
    let gh = Command::new("sh")
        .args(["-c", "command -v gh"])
        .output()
        .unwrap();
    if gh.status.success() {
        eprintln!("gh is installed here: the missing-gh refusal is not exercised");
    } else {
        install(
            &world,
            cache.path(),
            &[("HOIST_VERSION", "1.2.0"), ("HOIST_ATTESTATION", "require")],
        )
        .refused(1, "HOIST_ATTESTATION=require, but gh");
    }
    assert!(
        !cache.path().join("hoist").exists(),
        "something reached the tool cache"
    );
}

#[test]
fn the_action_runs_the_install_script_with_its_inputs() {
    let text = std::fs::read_to_string(workspace().join("action.yml")).unwrap();
    let action: serde_json::Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    for input in ["version", "sha256", "verify-attestation", "token"] {
        assert!(action["inputs"][input].is_object(), "input {input}");
    }
    let step = &action["runs"]["steps"][0];
    assert_eq!(
        step["run"],
        "bash \"$GITHUB_ACTION_PATH/scripts/install.sh\""
    );
    let script = std::fs::read_to_string(workspace().join("scripts/install.sh")).unwrap();
    for (var, value) in step["env"].as_object().unwrap() {
        assert!(
            script.contains(&format!("${{{var}")),
            "install.sh never reads {var}"
        );
        assert!(value.as_str().unwrap().starts_with("${{"), "{var}");
    }
    assert_eq!(step["env"]["HOIST_ACTION_REF"], "${{ github.action_ref }}");
    for output in ["version", "path", "cache-hit"] {
        assert_eq!(
            action["outputs"][output]["value"],
            format!("${{{{ steps.install.outputs.{output} }}}}")
        );
    }
}

#[test]
fn completions_man_page_version_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let version = common::hoist(dir.path()).args(["--version"]).run();
    assert_eq!(version.code, 0);
    // `hoist 0.1.0 (COMMIT DATE)`: a 12-digit commit (or "unknown" outside git) and a date.
    let line = version.stdout.trim();
    let inner = line
        .strip_prefix(concat!("hoist ", env!("CARGO_PKG_VERSION"), " ("))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, date) = inner.split_once(' ').unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{line}"
    );

    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef hoist"),
        ("fish", "complete -c hoist"),
    ] {
        let run = common::hoist(dir.path()).args(["completions", shell]).run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("workflow"), "{shell} lacks subcommands");
    }
    let bad = common::hoist(dir.path())
        .args(["completions", "tcsh"])
        .run();
    assert_eq!(bad.code, 2, "{}", bad.stderr);

    let man = common::hoist(dir.path()).args(["man"]).run();
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH hoist 1"), "{}", man.stdout);
    assert!(man.stdout.contains("credentials"));

    // -q drops status lines (stderr) but not the result or the error.
    let config = "repository = \"o/r\"\n[aws]\nregion = \"us-east-1\"\n[environments.dev]\nbranch = \"main\"\nrole = \"R\"\n";
    let project = common::project(&[("hoist.toml", config)]);
    let loud = common::hoist(project.path())
        .args(["workflow", "--check"])
        .run();
    assert!(
        loud.stderr.contains("hint: run `hoist workflow`"),
        "{}",
        loud.stderr
    );
    let quiet = common::hoist(project.path())
        .args(["-q", "workflow", "--check"])
        .run();
    assert_eq!(quiet.code, 1);
    assert!(
        quiet.stdout.contains("deploy.yml: missing"),
        "{}",
        quiet.stdout
    );
    assert_eq!(quiet.stderr, "", "-q printed status lines");
    // -q and -v contradict each other: bad input.
    let conflict = common::hoist(project.path())
        .args(["-q", "-v", "workflow"])
        .run();
    assert_eq!(conflict.code, 2, "{}", conflict.stderr);
}

#[test]
fn the_release_workflow_passes_actionlint() {
    let found = Command::new("actionlint")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !hoist_testkit::sandbox::required(),
            "actionlint is not installed (scripts/test installs it) and HOIST_REQUIRE_SANDBOX=1"
        );
        eprintln!("skipping actionlint: not installed");
        return;
    }
    let release = workspace().join(".github/workflows/release.yml");
    let out = Command::new("actionlint")
        .arg("-no-color")
        .arg(&release)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // What the action and binstall expect is what the release publishes.
    let text = std::fs::read_to_string(&release).unwrap();
    for needle in [
        "scripts/release check-tag",
        "scripts/release pack --target",
        "scripts/release sums dist",
        "actions/attest-build-provenance@",
        "dist/SHA256SUMS",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
    ] {
        assert!(text.contains(needle), "release.yml lacks {needle}");
    }
}
