//! `hoist push` against the real parts: the Docker engine (compose builds FROM scratch),
//! Distribution's registry with ECR-style Basic auth (`AWS` / moto's token password), and
//! moto_server for the ECR control plane (the registry stands for ECR's: `HOIST_ECR_REGISTRY_URL`
//! names it). Request counts come from the registry's own
//! access log.

mod common;

#[path = "push_support/oci.rs"]
mod oci;
#[path = "push_support/proxy.rs"]
mod proxy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{Run, docker_engine, hoist};
use hoist_testkit::sandbox::{AccessLogEntry, Moto, Registry, require};
use proxy::{Fault, FaultProxy};

const TOKEN_PASSWORD: &str = "123456789012-auth-token";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/push/compose");

struct Sandbox {
    moto: Moto,
    registry: Registry,
}

fn sandbox() -> Option<Sandbox> {
    let moto = require("moto_server", Moto::start())?;
    let registry = require(
        "docker-registry",
        Registry::start_with_basic_auth("AWS", TOKEN_PASSWORD),
    )?;
    Some(Sandbox { moto, registry })
}

fn push(dir: &Path, sb: &Sandbox, registry_url: &str, sha: &str, args: &[&str]) -> Run {
    push_with(dir, sb, registry_url, sha, args, &[])
}

fn push_with(
    dir: &Path,
    sb: &Sandbox,
    registry_url: &str,
    sha: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut h = hoist(dir)
        .args(["--json", "push"])
        .args(args)
        .envs(sb.moto.env())
        .env("HOIST_ECR_REGISTRY_URL", registry_url)
        .env("GITHUB_SHA", format!("{sha}{}", "0".repeat(33)));
    for (k, v) in env {
        h = h.env(k, v);
    }
    h.run()
}

fn images(run: &Run) -> Vec<serde_json::Value> {
    assert_eq!(
        run.code, 0,
        "hoist push failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.json()["images"].as_array().unwrap().clone()
}

fn by_service<'a>(images: &'a [serde_json::Value], service: &str) -> &'a serde_json::Value {
    images
        .iter()
        .find(|i| i["service"] == service)
        .unwrap_or_else(|| panic!("no {service} in {images:?}"))
}

/// Access-log entries after `from` that touched blob uploads (POST/PATCH/PUT under `/blobs/uploads/`).
fn uploads_since(reg: &Registry, from: usize) -> Vec<AccessLogEntry> {
    reg.access_log()
        .into_iter()
        .skip(from)
        .filter(|e| e.path.contains("/blobs/uploads/"))
        .collect()
}

use common::sdk::rt;

fn registry_client(reg: &Registry) -> hoist_registry::Client {
    let auth = hoist_registry::BasicAuth::new("AWS", TOKEN_PASSWORD);
    hoist_registry::Client::new(&reg.url(), Some(auth), Arc::new(hoist_registry::NoReporter))
        .unwrap()
}

/// GETs the manifest `repo:tag` from the registry itself and HEADs every blob it references.
/// Returns its digest, or `None` when the tag does not exist. Panics on a missing blob.
fn verify_tag(reg: &Registry, repo: &str, tag: &str) -> Option<String> {
    let client = registry_client(reg);
    rt().block_on(async {
        let m = client.get_manifest(repo, tag).await.unwrap()?;
        let hoist_registry::Parsed::Manifest(im) = &m.parsed else {
            panic!("{repo}:{tag} is not an image manifest")
        };
        for d in std::iter::once(&im.config).chain(&im.layers) {
            assert!(
                client.blob_exists(repo, &d.digest).await.unwrap(),
                "{repo}:{tag} references {} which the registry does not have",
                d.digest
            );
        }
        Some(m.digest.to_string())
    })
}

/// The layer descriptors of `repo:tag`'s manifest.
fn layers_of(reg: &Registry, repo: &str, tag: &str) -> Vec<hoist_registry::Descriptor> {
    let client = registry_client(reg);
    rt().block_on(async {
        let m = client.get_manifest(repo, tag).await.unwrap().unwrap();
        let hoist_registry::Parsed::Manifest(im) = m.parsed else {
            panic!("{repo}:{tag} is not an image manifest")
        };
        im.layers
    })
}

/// A compose project copied from the fixture, with generated file contents, whose images are
/// removed from the engine when it drops.
struct ComposeProject {
    dir: tempfile::TempDir,
    label: String,
}

impl ComposeProject {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let label = format!(
            "push-test-{}-{}",
            std::process::id(),
            dir.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_lowercase()
        );
        for entry in std::fs::read_dir(FIXTURE).unwrap() {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path())
                .unwrap()
                .replace("HOIST_TEST_LABEL", &label);
            std::fs::write(dir.path().join(entry.file_name()), text).unwrap();
        }
        std::fs::write(
            dir.path().join("shared.bin"),
            oci::random_bytes(256 * 1024, 1),
        )
        .unwrap();
        for (i, s) in ["web", "worker", "api"].iter().enumerate() {
            std::fs::write(
                dir.path().join(format!("{s}.bin")),
                oci::random_bytes(64 * 1024, 10 + i as u64),
            )
            .unwrap();
        }
        Self { dir, label }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ComposeProject {
    fn drop(&mut self) {
        let out = Command::new("docker")
            .args([
                "images",
                "-q",
                "--filter",
                &format!("label=hoist-test={}", self.label),
            ])
            .output();
        if let Ok(out) = out {
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .arg("rmi")
                    .arg("-f")
                    .args(&ids)
                    .output();
            }
        }
    }
}

#[test]
fn compose_first_push_repush_changed_layer_and_removed_service() {
    if !docker_engine() {
        return;
    }
    let Some(sb) = sandbox() else { return };
    let project = ComposeProject::new();
    let reg = &sb.registry;

    // 1. First push: three services with a shared layer and an own layer each, exported from
    // the engine in one stream (hoist's debug log names each export once), spooled in a
    // private scratch directory that is gone afterwards.
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().to_str().unwrap();
    let run = push_with(
        project.path(),
        &sb,
        &reg.url(),
        "1111111",
        &[],
        &[("HOIST_LOG", "debug"), ("TMPDIR", tmpdir)],
    );
    let imgs = images(&run);
    assert_eq!(
        run.stderr.matches("engine export: complete").count(),
        1,
        "one export for three images:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("spooled"), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("from the Docker engine").count(),
        1,
        "the export is announced once:\n{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "the spool directory is removed"
    );
    // The debug log, like everything else, never shows the registry password or the token.
    run.assert_no_secret(TOKEN_PASSWORD);
    run.assert_no_secret("QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu");
    assert_eq!(
        imgs.len(),
        3,
        "only services with build: are pushed: {imgs:?}"
    );
    for s in ["web", "worker", "api"] {
        let i = by_service(&imgs, s);
        assert_eq!(i["status"], "pushed", "{i}");
        assert_eq!(i["repository_created"], true);
        assert_eq!(i["comparison"]["result"], "missing");
        let latest = verify_tag(reg, s, "latest").expect("latest exists");
        assert_eq!(
            verify_tag(reg, s, "1111111").as_deref(),
            Some(latest.as_str())
        );
        assert_eq!(i["manifest_digest"], latest);
    }
    // The shared layer went over the wire once; the other two repositories mounted it.
    let total_layers: u64 = imgs
        .iter()
        .map(|i| i["layers_sent"].as_u64().unwrap())
        .sum();
    let mounted: u64 = imgs
        .iter()
        .map(|i| i["blobs_mounted"].as_u64().unwrap())
        .sum();
    assert_eq!((total_layers, mounted), (4, 2), "{imgs:?}");
    // Each layer was compressed once (the shared one too), on hoist's own events, and every
    // manifest names gzip layers.
    assert_eq!(
        run.stderr.matches("layer compressed").count(),
        4,
        "{}",
        run.stderr
    );
    for s in ["web", "worker", "api"] {
        for l in layers_of(reg, s, "latest") {
            assert_eq!(l.media_type, hoist_registry::media_type::OCI_LAYER_GZIP);
        }
    }
    // Deterministic compression: another run, into another registry, gives the very same
    // blobs and manifests (and the shared layer is the same blob in every repository).
    let other = require(
        "docker-registry",
        Registry::start_with_basic_auth("AWS", TOKEN_PASSWORD),
    )
    .unwrap();
    let again = images(&push(project.path(), &sb, &other.url(), "1111111", &[]));
    for s in ["web", "worker", "api"] {
        assert_eq!(
            by_service(&again, s)["manifest_digest"],
            by_service(&imgs, s)["manifest_digest"],
            "{s}: the same layers compress to the same blobs on every run"
        );
    }
    let shared_blob = |s: &str| layers_of(reg, s, "latest")[0].digest.clone();
    assert_eq!(shared_blob("web"), shared_blob("worker"));
    assert_eq!(shared_blob("web"), shared_blob("api"));
    drop(other);
    let log = reg.access_log();
    assert_eq!(
        log.iter()
            .filter(|e| e.method == "POST" && e.path.contains("mount=") && e.status == 201)
            .count(),
        2
    );
    // Mount requests for blobs the source repository does not have get 202 and an upload
    // session (what ECR answers when mounting is off): hoist uploads into that session.
    assert!(
        log.iter()
            .any(|e| e.method == "POST" && e.path.contains("mount=") && e.status == 202),
        "{log:?}"
    );

    // 2. Same images, next commit: content compared with latest, nothing uploaded, only the SHA tag added.
    let mark = reg.access_log().len();
    let run = push(project.path(), &sb, &reg.url(), "2222222", &[]);
    let imgs = images(&run);
    for s in ["web", "worker", "api"] {
        let i = by_service(&imgs, s);
        assert_eq!(i["status"], "retagged", "{i}");
        assert_eq!(
            i["comparison"]["result"], "same_content",
            "the same config; the registry stores the layers gzipped: {i}"
        );
        assert_eq!(i["bytes_sent"], 0);
        assert_eq!(verify_tag(reg, s, "2222222"), verify_tag(reg, s, "latest"));
    }
    let uploads = uploads_since(reg, mark);
    assert!(
        uploads.is_empty(),
        "a re-push of unchanged images sent blobs: {uploads:?}"
    );
    let new = &reg.access_log()[mark..];
    let puts: Vec<_> = new.iter().filter(|e| e.method == "PUT").collect();
    assert_eq!(
        puts.len(),
        3,
        "one manifest PUT per service (the new SHA tag): {puts:?}"
    );
    assert!(puts.iter().all(|e| e.path.ends_with("/manifests/2222222")));

    // 3. The same commit again: every tag already points there, nothing is sent at all.
    let mark = reg.access_log().len();
    let imgs = images(&push(project.path(), &sb, &reg.url(), "2222222", &[]));
    assert!(imgs.iter().all(|i| i["status"] == "skipped"), "{imgs:?}");
    assert!(
        reg.access_log()[mark..]
            .iter()
            .all(|e| e.method == "GET" || e.method == "HEAD"),
        "{:?}",
        &reg.access_log()[mark..]
    );

    // 4. One changed layer: only that layer (and the new config) are sent, only for web.
    let before_worker = verify_tag(reg, "worker", "latest");
    std::fs::write(
        project.path().join("web.bin"),
        oci::random_bytes(64 * 1024, 99),
    )
    .unwrap();
    let mark = reg.access_log().len();
    let run = push_with(
        project.path(),
        &sb,
        &reg.url(),
        "3333333",
        &[],
        &[("HOIST_LOG", "debug")],
    );
    let imgs = images(&run);
    // Only the changed layer is compressed; the unchanged one is recognised by its diff_id
    // in latest's config and keeps its stored blob.
    assert_eq!(
        run.stderr.matches("layer compressed").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("layer reused"), "{}", run.stderr);
    let web = by_service(&imgs, "web");
    assert_eq!(web["status"], "pushed");
    assert_eq!(web["layers_sent"], 1, "{web}");
    assert_eq!(web["blobs_uploaded"], 2, "the layer and the config: {web}");
    assert_eq!(web["comparison"]["new_layers"].as_array().unwrap().len(), 1);
    assert_eq!(by_service(&imgs, "worker")["status"], "retagged");
    let completed: Vec<_> = uploads_since(reg, mark)
        .into_iter()
        .filter(|e| e.method == "PUT")
        .collect();
    assert_eq!(completed.len(), 2, "{completed:?}");
    assert!(
        completed.iter().all(|e| e.path.starts_with("/v2/web/")),
        "{completed:?}"
    );
    assert_eq!(
        verify_tag(reg, "web", "latest"),
        verify_tag(reg, "web", "3333333")
    );
    assert_eq!(verify_tag(reg, "worker", "latest"), before_worker);

    // 5. api removed from the compose file: left alone (not a single request to its repository).
    let api_latest = verify_tag(reg, "api", "latest");
    let compose = std::fs::read_to_string(project.path().join("docker-compose.yml")).unwrap();
    let without_api = compose.replace(
        "  api:\n    build:\n      context: .\n      dockerfile: api.Dockerfile\n",
        "",
    );
    assert_ne!(compose, without_api);
    std::fs::write(project.path().join("docker-compose.yml"), without_api).unwrap();
    let mark = reg.access_log().len();
    let imgs = images(&push(project.path(), &sb, &reg.url(), "4444444", &[]));
    assert_eq!(imgs.len(), 2);
    assert!(
        reg.access_log()[mark..]
            .iter()
            .all(|e| !e.path.starts_with("/v2/api/"))
    );
    assert_eq!(verify_tag(reg, "api", "latest"), api_latest);
    assert_eq!(verify_tag(reg, "api", "4444444"), None);

    // 6. The same web image as a `docker save` archive, pushed with --image.
    let save = project.path().join("web.tar");
    let image_name = format!(
        "{}_web",
        project
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_lowercase()
            .replace('.', "")
    );
    let out = Command::new("docker")
        .args(["save", "-o"])
        .arg(&save)
        .arg(&image_name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker save {image_name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let imgs = images(&push(
        project.path(),
        &sb,
        &reg.url(),
        "4444444",
        &["--image", &format!("saved={}", save.display())],
    ));
    let saved = by_service(&imgs, "saved");
    assert_eq!(saved["status"], "pushed");
    // An archive is pushed as it is (uncompressed tars): the same config, other blobs.
    verify_tag(reg, "saved", "latest").expect("saved:latest exists");
    let config = |repo: &str| {
        let client = registry_client(reg);
        rt().block_on(async {
            let m = client.get_manifest(repo, "latest").await.unwrap().unwrap();
            let hoist_registry::Parsed::Manifest(im) = m.parsed else {
                panic!("not an image manifest")
            };
            im.config.digest
        })
    };
    assert_eq!(config("saved"), config("web"), "same image, same config");
}

fn layout_project() -> tempfile::TempDir {
    common::project(&[(
        "hoist.toml",
        &format!(
            "{}\n[images]\ncompose_file = \"docker-compose.yml\"\n",
            common::GUIDE_CONFIG
        ),
    )])
}

#[test]
fn oci_layout_push_then_unchanged_then_changed() {
    let Some(sb) = sandbox() else { return };
    let reg = &sb.registry;
    let dir = layout_project();
    let layout = dir.path().join("layout");
    let (m1, layers) = oci::write_layout(&layout, "v1", &[(300_000, 1), (200_000, 2), (1024, 3)]);
    let spec = format!("app={}:v1", layout.display());

    let (output, summary) = (dir.path().join("gh-output"), dir.path().join("gh-summary"));
    let run = hoist(dir.path())
        .args(["push", "--image", &spec])
        .envs(sb.moto.env())
        .env("HOIST_ECR_REGISTRY_URL", reg.url())
        .env("GITHUB_SHA", "aaaaaaa0000000000000000000000000000000000")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("pushed") && run.stdout.contains("aaaaaaa, latest"),
        "the closing table:\n{}",
        run.stdout
    );
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.contains(&format!("app-digest={m1}\n")), "{outputs}");
    assert!(
        outputs.contains(&format!("app-image={}/app@{m1}\n", reg.host())),
        "{outputs}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| service | result | layers sent |") && md.contains("| app | pushed | 3 |"),
        "{md}"
    );
    run.assert_no_secret(TOKEN_PASSWORD);
    run.assert_no_secret("QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu");

    let imgs = images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "aaaaaaa",
        &["--image", &spec],
    ));
    let app = by_service(&imgs, "app");
    assert_eq!(
        app["status"], "skipped",
        "the first run already pushed and tagged it"
    );
    assert_eq!(
        app["manifest_digest"], m1,
        "an OCI layout is pushed byte for byte"
    );
    assert_eq!(
        verify_tag(reg, "app", "latest").as_deref(),
        Some(m1.as_str())
    );

    let mark = reg.access_log().len();
    let imgs = images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "bbbbbbb",
        &["--image", &spec],
    ));
    assert_eq!(by_service(&imgs, "app")["status"], "retagged");
    assert!(uploads_since(reg, mark).is_empty());

    let (m2, layers2) = oci::write_layout(&layout, "v2", &[(300_000, 1), (200_000, 2), (1024, 4)]);
    assert_eq!(layers[..2], layers2[..2]);
    let mark = reg.access_log().len();
    let run = push(
        dir.path(),
        &sb,
        &reg.url(),
        "ccccccc",
        &[
            "--image",
            &format!("app={}:v2", layout.display()),
            "--explain",
        ],
    );
    assert!(
        run.stderr.contains("not compared"),
        "--explain says why image IDs are not compared:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("layers 2/3 shared; changed: push (1 new layer(s))"),
        "{}",
        run.stderr
    );
    let imgs = images(&run);
    let app = by_service(&imgs, "app");
    assert_eq!(app["status"], "pushed");
    assert_eq!(app["layers_sent"], 1);
    assert_eq!(app["manifest_digest"], m2);
    let puts: Vec<_> = uploads_since(reg, mark)
        .into_iter()
        .filter(|e| e.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2, "changed layer + config: {puts:?}");
}

/// ECR is asked only when the push needs it. A registry that answers without credentials,
/// holding every tag but the new SHA tag, makes the re-push a retag with no AWS call at all:
/// with AWS's endpoint closed it still succeeds. Moving `latest` needs the repository's tag
/// mutability, so a changed image does ask, and says ECR could not be reached.
#[test]
fn a_no_op_push_to_an_open_registry_makes_no_aws_call() {
    let Some(moto) = require("moto_server", Moto::start()) else {
        return;
    };
    let Some(reg) = require("docker-registry", Registry::start()) else {
        return;
    };
    let dir = layout_project();
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(20_000, 1), (1024, 2)]);
    oci::write_layout(&layout, "v2", &[(20_000, 1), (1024, 3)]);
    let closed = format!("http://127.0.0.1:{}", hoist_testkit::sandbox::free_port());
    let push_with = |aws: &str, sha: &str, tag: &str| {
        hoist(dir.path())
            .args([
                "--json",
                "push",
                "--image",
                &format!("app={}:{tag}", layout.display()),
            ])
            .envs(moto.env())
            .env("AWS_ENDPOINT_URL", aws)
            .env("HOIST_ECR_REGISTRY_URL", reg.url())
            .env("GITHUB_SHA", format!("{sha}{}", "0".repeat(33)))
            .run()
    };
    let first = images(&push_with(&moto.endpoint(), "1111111", "v1"));
    assert_eq!(
        by_service(&first, "app")["repository_created"],
        true,
        "the first push creates the repository in ECR"
    );

    let run = push_with(&closed, "2222222", "v1");
    let again = images(&run);
    assert_eq!(
        by_service(&again, "app")["status"],
        "retagged",
        "{}",
        run.stderr
    );
    assert_eq!(
        verify_tag(&reg, "app", "2222222"),
        verify_tag(&reg, "app", "latest")
    );

    let run = push_with(&closed, "3333333", "v2");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("ecr:DescribeRepositories") && run.stderr.contains("cannot reach ECR"),
        "{}",
        run.stderr
    );
    assert_eq!(
        verify_tag(&reg, "app", "3333333"),
        None,
        "nothing was tagged"
    );
}

#[test]
fn faults_in_the_middle_of_uploads_are_retried_and_no_tag_points_at_missing_blobs() {
    let Some(sb) = sandbox() else { return };
    let reg = &sb.registry;
    let dir = layout_project();
    let layout = dir.path().join("layout");
    let (m1, _) = oci::write_layout(&layout, "v1", &[(2_000_000, 7), (500_000, 8), (4096, 9)]);
    // Faults on the first upload PUTs (a 500, then a drop half-way through a body), on a
    // HEAD, on an upload session POST and on the first manifest PUT.
    let seen = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        usize,
    >::new()));
    let plan = {
        let seen = seen.clone();
        move |_: usize, method: &str, path: &str| {
            let kind = if path.contains("/blobs/uploads/") && method == "PUT" {
                "upload"
            } else if path.contains("/blobs/uploads/") {
                "post"
            } else if path.contains("/manifests/") && method == "PUT" {
                "manifest"
            } else if path.contains("/blobs/") {
                "head"
            } else {
                "other"
            };
            let mut seen = seen.lock().unwrap();
            let n = seen.entry(kind.to_owned()).or_default();
            *n += 1;
            match (kind, *n) {
                ("upload", 1) => Fault::Status500,
                ("upload", 2 | 3) => Fault::DropMidBody,
                ("head", 2) | ("post", 2) | ("manifest", 1) => Fault::Status500,
                ("post", 4) => Fault::DropMidBody,
                _ => Fault::Pass,
            }
        }
    };
    let proxy = FaultProxy::start(reg.port(), Box::new(plan));
    let run = push(
        dir.path(),
        &sb,
        &proxy.url(),
        "ddddddd",
        &["--image", &format!("app={}:v1", layout.display())],
    );
    let imgs = images(&run);
    assert_eq!(by_service(&imgs, "app")["status"], "pushed");
    assert!(
        proxy.faults.load(std::sync::atomic::Ordering::SeqCst) >= 6,
        "the faults were injected"
    );
    assert!(
        run.stderr.contains("retrying"),
        "retries are reported:\n{}",
        run.stderr
    );
    assert_eq!(
        verify_tag(reg, "app", "latest").as_deref(),
        Some(m1.as_str())
    );
    assert_eq!(
        verify_tag(reg, "app", "ddddddd").as_deref(),
        Some(m1.as_str())
    );
}

/// Layers exported from the engine stream into the registry while they are compressed
/// (one PATCH of unknown length each, committed once the blob's digest is known); a stream
/// cut half-way is never committed, and that layer is uploaded from its file instead.
#[test]
fn layers_stream_while_compressed_and_a_cut_stream_is_sent_from_its_file() {
    if !docker_engine() {
        return;
    }
    let Some(sb) = sandbox() else { return };
    let project = ComposeProject::new();
    let reg = &sb.registry;
    let patches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let plan = {
        let patches = patches.clone();
        move |_: usize, method: &str, _: &str| {
            if method != "PATCH" {
                return Fault::Pass;
            }
            match patches.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => Fault::DropMidBody,
                _ => Fault::Pass,
            }
        }
    };
    let proxy = FaultProxy::start(reg.port(), Box::new(plan));
    let mark = reg.access_log().len();
    let run = push_with(
        project.path(),
        &sb,
        &proxy.url(),
        "5555555",
        &["--service", "web"],
        &[("HOIST_LOG", "debug")],
    );
    let imgs = images(&run);
    assert_eq!(
        by_service(&imgs, "web")["status"],
        "pushed",
        "{}",
        run.stderr
    );
    // web has two layers: both streamed; the first stream was cut and its layer sent again
    // from the file, the other committed as streamed.
    assert_eq!(patches.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(
        run.stderr
            .matches("stream failed; uploading the file")
            .count(),
        1,
        "{}",
        run.stderr
    );
    let log = uploads_since(reg, mark);
    let committed_streams = log
        .iter()
        .filter(|e| e.method == "PATCH" && e.status == 202)
        .count();
    assert_eq!(committed_streams, 1, "{log:?}");
    let latest = verify_tag(reg, "web", "latest").expect("latest exists");
    assert_eq!(verify_tag(reg, "web", "5555555"), Some(latest));
    assert_eq!(by_service(&imgs, "web")["layers_sent"], 2, "{imgs:?}");
    for l in layers_of(reg, "web", "latest") {
        assert_eq!(l.media_type, hoist_registry::media_type::OCI_LAYER_GZIP);
    }
}

#[test]
fn uploads_that_keep_failing_fail_cleanly_and_leave_tags_on_complete_images() {
    let Some(sb) = sandbox() else { return };
    let reg = &sb.registry;
    let dir = layout_project();
    let layout = dir.path().join("layout");
    let (m1, _) = oci::write_layout(&layout, "v1", &[(100_000, 1), (1024, 2)]);
    oci::write_layout(&layout, "v2", &[(100_000, 1), (50_000, 3)]);
    images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "eeeeeee",
        &["--image", &format!("app={}:v1", layout.display())],
    ));

    // Every upload body is cut half-way: the push must give up, and latest must stay on v1.
    let proxy = FaultProxy::start(
        reg.port(),
        Box::new(|_, method: &str, path: &str| {
            if method == "PUT" && path.contains("/blobs/uploads/") {
                Fault::DropMidBody
            } else {
                Fault::Pass
            }
        }),
    );
    let run = push(
        dir.path(),
        &sb,
        &proxy.url(),
        "fffffff",
        &["--image", &format!("app={}:v2", layout.display())],
    );
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let doc = run.json();
    assert!(doc["error"].as_str().unwrap().contains("app"), "{doc}");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        verify_tag(reg, "app", "latest").as_deref(),
        Some(m1.as_str())
    );
    assert_eq!(verify_tag(reg, "app", "fffffff"), None);
    // Nothing of the secret token in any output.
    run.assert_no_secret(TOKEN_PASSWORD);
}

#[test]
fn immutable_repository_refuses_a_different_build_of_the_same_commit() {
    let Some(sb) = sandbox() else { return };
    let reg = &sb.registry;
    let dir = common::project(&[(
        "hoist.toml",
        &format!(
            "{}\n[images]\ncompose_file = \"docker-compose.yml\"\ntags = [\"{{sha}}\"]\ntag_mutability = \"IMMUTABLE\"\n",
            common::GUIDE_CONFIG
        ),
    )]);
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(10_000, 1)]);
    oci::write_layout(&layout, "v2", &[(10_000, 2)]);
    images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "1234567",
        &["--image", &format!("app={}:v1", layout.display())],
    ));
    // The repository was created in ECR (moto) with the configured settings and lifecycle policy.
    let script = "import boto3, json\nc = boto3.client('ecr')\nr = c.describe_repositories(repositoryNames=['app'])['repositories'][0]\np = json.loads(c.get_lifecycle_policy(repositoryName='app')['lifecyclePolicyText'])\nprint(r['imageTagMutability'], r['imageScanningConfiguration']['scanOnPush'], p['rules'][1]['selection']['countNumber'])";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .envs(sb.moto.env())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "IMMUTABLE True 30",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mark = reg.access_log().len();
    let run = push(
        dir.path(),
        &sb,
        &reg.url(),
        "1234567",
        &["--image", &format!("app={}:v2", layout.display())],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("IMMUTABLE"), "{}", run.stderr);
    assert!(
        run.stderr.contains("put-image-tag-mutability"),
        "{}",
        run.stderr
    );
    let app = by_service(run.json()["images"].as_array().unwrap(), "app").clone();
    assert_eq!(app["not_reproducible"], true, "{app}");
    assert!(
        uploads_since(reg, mark).is_empty(),
        "detected before pushing anything"
    );
}

#[test]
fn unreachable_registry_and_bad_image_paths_are_named() {
    let Some(sb) = sandbox() else { return };
    let dir = layout_project();
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(1000, 1)]);
    let closed = format!("http://127.0.0.1:{}", hoist_testkit::sandbox::free_port());
    let run = push(
        dir.path(),
        &sb,
        &closed,
        "1234567",
        &["--image", &format!("app={}", layout.display())],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot reach the registry"),
        "{}",
        run.stderr
    );

    let missing: PathBuf = dir.path().join("nope.tar");
    let run = push(
        dir.path(),
        &sb,
        &sb.registry.url(),
        "1234567",
        &["--image", &format!("app={}", missing.display())],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--image app"), "{}", run.stderr);
}

/// moto's IAM enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`): the first three calls create a
/// user whose policy lacks `ecr:CreateRepository` and its access key; after that moto checks
/// every signature and action, so the AWS error codes hoist names come from a real check.
#[test]
fn denied_calls_and_unknown_keys_fail_naming_the_ecr_action() {
    let Some(moto) = require(
        "moto_server",
        Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]),
    ) else {
        return;
    };
    let Some(registry) = require(
        "docker-registry",
        Registry::start_with_basic_auth("AWS", TOKEN_PASSWORD),
    ) else {
        return;
    };
    let script = r#"
import boto3, json
iam = boto3.client('iam')
iam.create_user(UserName='github-ecr-push')
iam.put_user_policy(UserName='github-ecr-push', PolicyName='ecr-push-policy', PolicyDocument=json.dumps({
  'Version': '2012-10-17',
  'Statement': [{'Effect': 'Allow', 'Resource': '*', 'Action': ['ecr:GetAuthorizationToken', 'ecr:DescribeRepositories']}]}))
k = iam.create_access_key(UserName='github-ecr-push')['AccessKey']
print(k['AccessKeyId'], k['SecretAccessKey'])
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .envs(moto.env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (key_id, secret) = text.trim().split_once(' ').unwrap();
    let dir = layout_project();
    let layout = dir.path().join("layout");
    oci::write_layout(&layout, "v1", &[(1000, 1)]);
    let spec = format!("app={}", layout.display());
    let run_with = |id: &str, secret: &str| {
        hoist(dir.path())
            .args(["push", "--image", &spec])
            .envs(moto.env())
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("HOIST_ECR_REGISTRY_URL", registry.url())
            .env("GITHUB_SHA", "1234567000000000000000000000000000000000")
            .run()
    };

    // moto denies with an XML body the ECR (JSON protocol) SDK cannot decode, so the code
    // arrives as "Unknown" instead of AWS's AccessDeniedException: here only the failed action
    // is checked; the AccessDenied wording is covered by the unit tests of push::ecr.
    let run = run_with(key_id, secret);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("ecr:CreateRepository"),
        "{}",
        run.stderr
    );
    run.assert_no_secret(secret);

    // An access key moto does not know: same XML-body quirk (AWS answers
    // UnrecognizedClientException, which push::ecr's unit tests map to the guide's
    // "The AWS Access Key Id you provided does not exist").
    let unknown_key = common::unknown_access_key_id();
    let run = run_with(&unknown_key, secret);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("ecr:GetAuthorizationToken failed"),
        "{}",
        run.stderr
    );
    run.assert_no_secret(secret);
    assert!(
        registry
            .access_log()
            .iter()
            .all(|e| !e.path.contains("/blobs/")),
        "nothing pushed"
    );
}

/// Images pushed with uncompressed layers (an older hoist, or `compression = "none"`) keep
/// their blobs once compression is on: the unchanged layer is recognised by its diff_id in
/// latest's config, never compressed nor sent, and the new manifest names the stored tar
/// next to the one changed layer, gzipped.
#[test]
fn layers_pushed_uncompressed_earlier_are_reused_not_sent_again() {
    if !docker_engine() {
        return;
    }
    let Some(sb) = sandbox() else { return };
    let project = ComposeProject::new();
    let reg = &sb.registry;
    let toml = project.path().join("hoist.toml");
    let original = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        original.replace("[images]\n", "[images]\ncompression = \"none\"\n"),
    )
    .unwrap();
    let first = images(&push(
        project.path(),
        &sb,
        &reg.url(),
        "1111111",
        &["--service", "web"],
    ));
    assert_eq!(by_service(&first, "web")["status"], "pushed");
    let plain = layers_of(reg, "web", "latest");
    assert!(
        plain
            .iter()
            .all(|l| l.media_type == hoist_registry::media_type::OCI_LAYER_TAR),
        "{plain:?}"
    );

    std::fs::write(&toml, &original).unwrap();
    std::fs::write(
        project.path().join("web.bin"),
        oci::random_bytes(64 * 1024, 77),
    )
    .unwrap();
    let mark = reg.access_log().len();
    let run = push_with(
        project.path(),
        &sb,
        &reg.url(),
        "2222222",
        &["--service", "web"],
        &[("HOIST_LOG", "debug")],
    );
    let imgs = images(&run);
    let web = by_service(&imgs, "web");
    assert_eq!(web["status"], "pushed");
    assert_eq!(web["layers_sent"], 1, "{web}");
    assert_eq!(
        web["comparison"]["new_layers"].as_array().unwrap().len(),
        1,
        "{web}"
    );
    assert_eq!(
        run.stderr.matches("layer compressed").count(),
        1,
        "{}",
        run.stderr
    );
    let now = layers_of(reg, "web", "latest");
    assert_eq!(now[0], plain[0], "the shared layer keeps its stored tar");
    assert_eq!(
        now[1].media_type,
        hoist_registry::media_type::OCI_LAYER_GZIP
    );
    let puts: Vec<_> = uploads_since(reg, mark)
        .into_iter()
        .filter(|e| e.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2, "the changed layer and the config: {puts:?}");
}

/// `--dry-run` reads the registry and decides, as a push does, and sends nothing: no blob
/// upload, no manifest PUT, no tag. Then the real push does what the dry run said, and a dry
/// run after it would skip.
#[test]
fn a_dry_run_decides_like_a_push_and_sends_nothing() {
    let Some(sb) = sandbox() else { return };
    let reg = &sb.registry;
    let dir = layout_project();
    let layout = dir.path().join("layout");
    let (m1, _) = oci::write_layout(&layout, "v1", &[(200_000, 1), (1024, 2)]);
    let spec = format!("app={}:v1", layout.display());

    let mark = reg.access_log().len();
    let run = push(
        dir.path(),
        &sb,
        &reg.url(),
        "aaaaaaa",
        &["--image", &spec, "--dry-run"],
    );
    let imgs = images(&run);
    let app = by_service(&imgs, "app");
    assert_eq!(app["status"], "planned", "{app}");
    assert_eq!(app["would"], "upload", "{app}");
    // ECR's repository does not exist yet: the push would create it; the dry run did not.
    assert_eq!(app["repository_missing"], true, "{app}");
    assert_eq!(app["repository_created"], false, "{app}");
    assert_eq!(
        app["names"],
        serde_json::json!(["aaaaaaa", "latest"]),
        "{app}"
    );
    let written: Vec<_> = reg.access_log()[mark..]
        .iter()
        .filter(|e| e.method != "GET" && e.method != "HEAD")
        .cloned()
        .collect();
    assert!(written.is_empty(), "a dry run wrote: {written:?}");
    assert_eq!(verify_tag(reg, "app", "latest"), None);

    let human = hoist(dir.path())
        .args(["push", "--image", &spec, "--dry-run"])
        .envs(sb.moto.env())
        .env("HOIST_ECR_REGISTRY_URL", reg.url())
        .env("GITHUB_SHA", "aaaaaaa0000000000000000000000000000000000")
        .run();
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human.stdout.contains("would upload") && human.stdout.contains("aaaaaaa, latest"),
        "{}",
        human.stdout
    );

    let imgs = images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "aaaaaaa",
        &["--image", &spec],
    ));
    assert_eq!(by_service(&imgs, "app")["status"], "pushed");
    assert_eq!(
        by_service(&imgs, "app")["repository_created"],
        true,
        "the real push creates what the dry run said it would"
    );
    assert_eq!(
        verify_tag(reg, "app", "latest").as_deref(),
        Some(m1.as_str())
    );
    let imgs = images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "aaaaaaa",
        &["--image", &spec, "--dry-run"],
    ));
    assert_eq!(by_service(&imgs, "app")["would"], "skip");
    let imgs = images(&push(
        dir.path(),
        &sb,
        &reg.url(),
        "bbbbbbb",
        &["--image", &spec, "--dry-run"],
    ));
    let app = by_service(&imgs, "app");
    assert_eq!(app["would"], "retag", "{app}");
    // `latest` already points at this content: only the new SHA tag would be written.
    assert_eq!(app["names"], serde_json::json!(["bbbbbbb"]), "{app}");
}

/// The architecture and the `flavour` label of an image in the engine.
fn engine_image(name: &str) -> (String, String) {
    let out = Command::new("docker")
        .args([
            "image",
            "inspect",
            name,
            "--format",
            "{{.Architecture}} {{index .Config.Labels \"flavour\"}}",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (arch, flavour) = text.split_once(' ').unwrap_or((text.as_str(), ""));
    (arch.to_owned(), flavour.to_owned())
}

/// Issue 14: the compose project as Docker reads it (`.env` interpolation, the override
/// file, profiles; a required variable without a value is bad input), `platform:` and
/// `[images] platform` used for the build, and zstd layers when `[images] compression` asks.
#[test]
fn compose_as_docker_reads_it_with_platforms_and_zstd_layers() {
    if !docker_engine() {
        return;
    }
    let Some(sb) = sandbox() else { return };
    let project = ComposeProject::new();
    let (dir, label, reg) = (project.path(), project.label.clone(), &sb.registry);
    // An image name's path component takes no `-.`.
    let prefix = label.replace('.', "");
    let toml = std::fs::read_to_string(dir.join("hoist.toml")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        "hoist.toml",
        &toml.replace(
            "[images]\n",
            "[images]\ncompression = \"zstd\"\nplatform = \"linux/arm64\"\n",
        ),
    );
    // Files no earlier run had: the legacy builder's cache ignores the platform, so an arm64
    // build must not meet the cached steps of an amd64 one.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    for (i, f) in ["shared.bin", "web.bin", "worker.bin", "api.bin"]
        .iter()
        .enumerate()
    {
        std::fs::write(dir.join(f), oci::random_bytes(16 * 1024, seed + i as u64)).unwrap();
    }
    // The legacy builder gives a step without files (ARG, LABEL) right after `FROM scratch`
    // the engine's platform, and its cache ignores the platform: this arm64 build starts
    // with a COPY no amd64 build has.
    write(
        "flavour.Dockerfile",
        &format!(
            "FROM scratch\nCOPY web.bin /web.bin\nCOPY shared.bin /shared.bin\nARG FLAVOUR=base\nLABEL hoist-test={label} flavour=$FLAVOUR\n"
        ),
    );
    write(
        "debug.Dockerfile",
        &format!("FROM scratch\nCOPY api.bin /api.bin\nLABEL hoist-test={label}\n"),
    );
    write(
        "docker-compose.yml",
        "services:\n  web:\n    build:\n      context: .\n      dockerfile: ${DOCKERFILE:?name the web Dockerfile}\n    image: ${PREFIX}-web:${TAG:-dev}\n  worker:\n    build:\n      context: .\n      dockerfile: worker.Dockerfile\n    image: ${PREFIX}-worker\n    platform: linux/amd64\n  debug:\n    build:\n      context: .\n      dockerfile: debug.Dockerfile\n    image: ${PREFIX}-debug\n    profiles: [debug]\n  cache:\n    image: redis:7\n",
    );
    write(
        "docker-compose.override.yml",
        "services:\n  web:\n    build:\n      args:\n        FLAVOUR: override\n",
    );

    // A required variable without a value: bad input naming the file and the service,
    // before anything is built.
    write(".env", &format!("PREFIX={prefix}\n"));
    let run = push(dir, &sb, &reg.url(), "1111111", &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("docker-compose.yml, service \"web\": required variable DOCKERFILE is missing a value: name the web Dockerfile"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("DOCKERFILE in the environment or in the project's .env"),
        "{}",
        run.stderr
    );

    // `.env` names the Dockerfile; the override adds a build arg; `debug` is in a profile
    // nobody enabled. web has no platform: `[images] platform`; worker says linux/amd64.
    write(
        ".env",
        &format!("PREFIX={prefix}\nDOCKERFILE=flavour.Dockerfile\n"),
    );
    let imgs = images(&push(dir, &sb, &reg.url(), "1111111", &[]));
    let mut pushed: Vec<&str> = imgs
        .iter()
        .map(|i| i["service"].as_str().unwrap())
        .collect();
    pushed.sort_unstable();
    assert_eq!(pushed, ["web", "worker"], "{imgs:?}");
    assert_eq!(
        engine_image(&format!("{prefix}-web:dev")),
        ("arm64".to_owned(), "override".to_owned())
    );
    assert_eq!(engine_image(&format!("{prefix}-worker")).0, "amd64");
    for s in ["web", "worker"] {
        assert_eq!(by_service(&imgs, s)["status"], "pushed");
        let layers = layers_of(reg, s, "latest");
        assert!(
            layers
                .iter()
                .all(|l| l.media_type == hoist_registry::media_type::OCI_LAYER_ZSTD),
            "{s}: {layers:?}"
        );
    }

    // COMPOSE_PROFILES enables debug; the others are unchanged.
    let run = push_with(
        dir,
        &sb,
        &reg.url(),
        "2222222",
        &[],
        &[("COMPOSE_PROFILES", "debug")],
    );
    let imgs = images(&run);
    assert_eq!(imgs.len(), 3, "{imgs:?}");
    assert_eq!(by_service(&imgs, "debug")["status"], "pushed");
    assert_eq!(engine_image(&format!("{prefix}-debug")).0, "arm64");
    assert_eq!(by_service(&imgs, "web")["status"], "retagged");
    assert_eq!(by_service(&imgs, "worker")["status"], "retagged");

    // worker now asks for arm64, but its image in the engine is the amd64 build and the
    // push does not build: refused before anything is sent, naming both platforms.
    let compose = std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap();
    write(
        "docker-compose.yml",
        &compose.replace("platform: linux/amd64", "platform: linux/arm64"),
    );
    let mark = reg.access_log().len();
    let run = push(dir, &sb, &reg.url(), "3333333", &["--no-build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "service worker: image {prefix}-worker is built for linux/amd64, not linux/arm64"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: rebuild it for linux/arm64"),
        "{}",
        run.stderr
    );
    let writes: Vec<_> = reg.access_log()[mark..]
        .iter()
        .filter(|e| e.method != "GET" && e.method != "HEAD")
        .cloned()
        .collect();
    assert!(writes.is_empty(), "nothing is sent: {writes:?}");
}
