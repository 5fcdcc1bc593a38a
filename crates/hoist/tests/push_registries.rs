//! `hoist push` to registries other than ECR, the way users push to them: Distribution's
//! registry with token auth (a Bearer challenge answered by the testkit's token server, whose
//! JWTs the registry verifies) and with Basic auth (htpasswd), credentials taken from the
//! Docker configuration (`auths`, a credential helper). Every image is read back with
//! `skopeo inspect` and pulled by the machine's Docker engine (`docker pull`, which fetches
//! and unpacks every layer), each layer checked against the local image's diff_ids. No AWS
//! endpoint answers in these tests: a push to another registry makes no AWS call, and ECR's
//! token (or `GITHUB_TOKEN`) never reaches such a registry, asserted on the wire.

mod common;

#[path = "push_support/oci.rs"]
mod oci;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{Run, hoist};
use hoist_testkit::registry_auth::TokenServer;
use hoist_testkit::sandbox::{Registry, free_port, require};

fn project() -> tempfile::TempDir {
    common::project(&[(
        "hoist.toml",
        &format!(
            "{}\n[images]\ncompose_file = \"docker-compose.yml\"\n",
            common::GUIDE_CONFIG
        ),
    )])
}

/// Pushes `app` from the layout `layout:tag` to `registry_url` with the Docker configuration
/// in `docker_config`; AWS's endpoint is a closed port.
fn push(
    dir: &Path,
    layout: &Path,
    tag: &str,
    registry_url: &str,
    docker_config: &Path,
    env: &[(&str, &str)],
) -> Run {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut h = hoist(dir)
        .args([
            "--json",
            "push",
            "--image",
            &format!("app={}:{tag}", layout.display()),
        ])
        .env("AWS_ENDPOINT_URL", closed)
        // Credentials in AWS's shape that no account has, made at test time.
        .env("AWS_ACCESS_KEY_ID", common::unknown_access_key_id())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            format!("test-{}", common::unknown_access_key_id()),
        )
        .env("AWS_REGION", "us-east-1")
        .env("HOIST_REGISTRY", registry_url)
        .env("DOCKER_CONFIG", docker_config)
        .env("GITHUB_SHA", "abcdef0000000000000000000000000000000000");
    for (k, v) in env {
        h = h.env(k, v);
    }
    h.run()
}

fn docker_config(dir: &Path, json: &serde_json::Value) -> std::path::PathBuf {
    let d = dir.join("docker-config");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("config.json"), json.to_string()).unwrap();
    d
}

/// An `auths` entry in the form with the user and password apart (the base64 `auth` form is
/// covered by hoist-registry's own tests).
fn auth(user: &str, password: &str) -> serde_json::Value {
    serde_json::json!({"username": user, "password": password})
}

/// `skopeo inspect` of `host/app:tag` (`--config` for the image config): what a client other
/// than hoist reads back.
fn skopeo(host: &str, tag: &str, creds: &str, config: bool) -> serde_json::Value {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false", "--creds", creds]);
    if config {
        cmd.arg("--config");
    }
    let out = cmd
        .arg(format!("docker://{host}/app:{tag}"))
        .output()
        .expect("skopeo runs");
    assert!(
        out.status.success(),
        "skopeo inspect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The registry serves the image skopeo reads back: every layer's diff_id is the local one.
#[allow(
    clippy::print_stderr,
    reason = "a skipped check says why on the test runner's stderr"
)]
fn check_pulled_back(host: &str, creds: &str, local_diff_ids: &[String]) {
    if !on_path("skopeo") {
        assert!(
            !hoist_testkit::sandbox::required(),
            "HOIST_REQUIRE_SANDBOX=1 but skopeo is not installed"
        );
        eprintln!("skopeo not installed: the image is not read back");
        return;
    }
    let config = skopeo(host, "latest", creds, true);
    let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(diff_ids, local_diff_ids);
    let inspect = skopeo(host, "abcdef0", creds, false);
    assert_eq!(
        inspect["Layers"].as_array().unwrap().len(),
        local_diff_ids.len()
    );
    docker_pull_back(host, creds, local_diff_ids);
}

/// Removes the pulled image from the engine, whatever the test's outcome.
struct Pulled(String);

impl Drop for Pulled {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// `docker pull` of `host/app:latest` by the machine's engine, logged in with `creds` through
/// a Docker configuration of its own (the engine answers the registry's challenge itself,
/// Bearer or Basic): the engine downloads every layer, checks it against the config's
/// diff_ids as it unpacks it, and lists the diff_ids it stored.
#[allow(
    clippy::print_stderr,
    reason = "a skipped check says why on the test runner's stderr"
)]
fn docker_pull_back(host: &str, creds: &str, local_diff_ids: &[String]) {
    let engine = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    if !engine.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var("HOIST_REQUIRE_DOCKER").as_deref() != Ok("1"),
            "HOIST_REQUIRE_DOCKER=1 but no Docker engine answers"
        );
        eprintln!("no Docker engine: the image is not pulled back");
        return;
    }
    let config = tempfile::tempdir().unwrap();
    let docker = || {
        let mut c = Command::new("docker");
        c.arg("--config").arg(config.path());
        c
    };
    let (user, password) = creds.split_once(':').unwrap();
    let mut login = docker()
        .args(["login", host, "--username", user, "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("docker login runs");
    login
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    let out = login.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker login {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let image = format!("{host}/app:latest");
    let pulled = Pulled(image.clone());
    let out = docker().args(["pull", &image]).output().unwrap();
    assert!(
        out.status.success(),
        "docker pull {image}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = docker()
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .RootFS.Layers}}",
            &image,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        stored, local_diff_ids,
        "the engine's diff_ids of the pulled image"
    );
    drop(pulled);
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

#[test]
fn token_auth_registry_credentials_from_the_docker_config() {
    let tokens = TokenServer::start(&[("ci", "s3cret-pw")], 300);
    let Some(reg) = require("docker-registry", Registry::start_with_token_auth(&tokens)) else {
        return;
    };
    let dir = project();
    let layout = dir.path().join("layout");
    let (_, diff_ids) = oci::write_layout(&layout, "v1", &[(200_000, 1), (1024, 2)]);
    let config = docker_config(
        dir.path(),
        &serde_json::json!({"auths": {reg.host(): auth("ci", "s3cret-pw")}}),
    );
    let run = push(dir.path(), &layout, "v1", &reg.url(), &config, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let image = &run.json()["images"][0];
    assert_eq!(image["status"], "pushed", "{image}");
    assert_eq!(
        image["repository_created"], false,
        "no ECR call for another registry"
    );
    run.assert_no_secret("s3cret-pw");

    let requests = tokens.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.user.as_deref() == Some("ci") && r.status == 200),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.scopes == ["repository:app:pull,push"]),
        "{requests:?}"
    );
    assert!(
        requests.len() <= 3,
        "tokens are cached per scope, not fetched per request: {requests:?}"
    );
    check_pulled_back(&reg.host(), "ci:s3cret-pw", &diff_ids);

    // The same content again: a retag, through the same token flow.
    let run = push(
        dir.path(),
        &layout,
        "v1",
        &reg.url(),
        &config,
        &[("GITHUB_SHA", "1234567000000000000000000000000000000000")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["images"][0]["status"], "retagged");
}

#[test]
fn wrong_credentials_for_a_token_registry_fail_naming_the_realm() {
    let tokens = TokenServer::start(&[("ci", "right")], 300);
    let Some(reg) = require("docker-registry", Registry::start_with_token_auth(&tokens)) else {
        return;
    };
    let dir = project();
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(1024, 1)]);
    let config = docker_config(
        dir.path(),
        &serde_json::json!({"auths": {reg.host(): auth("ci", "wrong-pw")}}),
    );
    let run = push(dir.path(), &layout, "v1", &reg.url(), &config, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("/token"), "{}", run.stderr);
    run.assert_no_secret("wrong-pw");
    assert!(
        reg.access_log().iter().all(|e| e.status == 401),
        "nothing got past the registry's auth"
    );
}

#[test]
fn basic_auth_registry_credentials_from_a_credential_helper() {
    let Some(reg) = require(
        "docker-registry",
        Registry::start_with_basic_auth("ci", "helper-pw"),
    ) else {
        return;
    };
    let dir = project();
    let layout = dir.path().join("layout");
    let (_, diff_ids) = oci::write_layout(&layout, "v1", &[(100_000, 7), (2048, 8)]);
    // A credential helper as Docker runs them: `get`, the server on stdin, JSON on stdout.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-hoisttest");
    let asked = dir.path().join("helper-asked");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread server\necho \"$server\" >> {}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"ci\",\"Secret\":\"helper-pw\"}}' \"$server\"\n",
            asked.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&helper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&helper, perms).unwrap();
    let config = docker_config(
        dir.path(),
        &serde_json::json!({"credHelpers": {reg.host(): "hoisttest"}}),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = push(
        dir.path(),
        &layout,
        "v1",
        &reg.url(),
        &config,
        &[("PATH", &path)],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["images"][0]["status"], "pushed");
    run.assert_no_secret("helper-pw");
    assert_eq!(
        std::fs::read_to_string(&asked).unwrap(),
        format!("{}\n", reg.host()),
        "the helper is asked once, for this registry"
    );
    check_pulled_back(&reg.host(), "ci:helper-pw", &diff_ids);
}

/// A registry that answers every request with a Basic challenge and records each request's
/// Authorization header (or `-` without one).
fn recording_registry() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let record = record.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut writer = conn;
                loop {
                    let mut auth = "-".to_owned();
                    let mut line = String::new();
                    let mut first = true;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" && !first {
                            break;
                        }
                        first = false;
                        if let Some((k, v)) = line.split_once(':')
                            && k.eq_ignore_ascii_case("authorization")
                        {
                            auth = v.trim().to_owned();
                        }
                    }
                    record.lock().unwrap().push(auth);
                    let answer = "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"r\"\r\ncontent-length: 0\r\n\r\n";
                    if writer.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

#[test]
fn neither_ecr_nor_github_tokens_reach_another_registry() {
    let Some(moto) = require("moto_server", hoist_testkit::sandbox::Moto::start()) else {
        return;
    };
    let (url, seen) = recording_registry();
    let dir = project();
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(1024, 1)]);
    let config = docker_config(dir.path(), &serde_json::json!({}));
    // moto answers GetAuthorizationToken here: hoist could have an ECR token, and must not
    // send it to a registry that is not ECR; GITHUB_TOKEN is for ghcr.io only.
    let mut env: Vec<(String, String)> = moto.env().into_iter().collect();
    env.push(("AWS_ENDPOINT_URL".into(), moto.endpoint()));
    env.push(("GITHUB_TOKEN".into(), "ghs_notForThisRegistry".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = push(dir.path(), &layout, "v1", &url, &config, &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("docker login"),
        "the fix is named: {}",
        run.stderr
    );
    run.assert_no_secret("ghs_notForThisRegistry");
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|a| a == "-"),
        "no Authorization at all went to the registry: {seen:?}"
    );
}

#[test]
fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    let dir = project();
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(1024, 1)]);
    let config = docker_config(dir.path(), &serde_json::json!({}));
    let run = push(
        dir.path(),
        &layout,
        "v1",
        "http://registry.example:5000",
        &config,
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("HTTPS"), "{}", run.stderr);
}
