//! `Engine::build_directory` against the machine's real Docker engine (nothing can be pulled
//! here, so the images are `FROM scratch`). Skipped when no engine answers, unless
//! `HOIST_REQUIRE_DOCKER=1`.
#![allow(clippy::print_stderr)] // the skip note goes to the test's stderr

use std::collections::BTreeMap;

use hoist_docker::{BuildSpec, DockerError, Engine};

async fn engine() -> Option<Engine> {
    match Engine::connect().await {
        Ok(e) => Some(e),
        Err(e) => {
            assert!(
                std::env::var("HOIST_REQUIRE_DOCKER").as_deref() != Ok("1"),
                "HOIST_REQUIRE_DOCKER=1 but {e}"
            );
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn context(dockerfile_name: &str, dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docker")).unwrap();
    std::fs::write(dir.path().join(dockerfile_name), dockerfile).unwrap();
    std::fs::write(dir.path().join("a.txt"), "stage a").unwrap();
    std::fs::write(dir.path().join("b.txt"), "stage b").unwrap();
    dir
}

/// The Dockerfile at another path, a build arg and a target stage, as a CDK asset names them:
/// the image holds what the chosen stage copied, under the name asked for.
#[tokio::test]
async fn builds_the_named_dockerfile_stage_with_build_args() {
    let Some(engine) = engine().await else { return };
    let dir = context(
        "docker/App.Dockerfile",
        "FROM scratch AS first\nARG PICK\nCOPY ${PICK} /picked\n\nFROM scratch AS second\nCOPY b.txt /b\n",
    );
    let tag = format!("hoist-test-build-{}", std::process::id());
    let spec = BuildSpec {
        context: dir.path().to_path_buf(),
        dockerfile: Some("docker/App.Dockerfile".into()),
        build_args: BTreeMap::from([("PICK".to_owned(), "a.txt".to_owned())]),
        target: Some("first".into()),
        platform: None,
        tag: tag.clone(),
    };
    let id = engine.build_directory(&spec).await.unwrap();
    assert!(id.starts_with("sha256:"), "{id}");
    let info = engine.inspect(&tag).await.unwrap().expect("tagged");
    assert_eq!(info.id, id);
    // Stage `first` has one layer (the COPY); `second` would too, with other content: build
    // it and compare.
    assert_eq!(info.diff_ids.len(), 1);
    let other = engine
        .build_directory(&BuildSpec {
            target: Some("second".into()),
            tag: format!("{tag}-second"),
            ..spec.clone()
        })
        .await
        .unwrap();
    let other = engine.inspect(&other).await.unwrap().unwrap();
    assert_ne!(other.diff_ids, info.diff_ids, "the target picks the stage");
    // Same context again: the engine's cache gives the same image.
    assert_eq!(engine.build_directory(&spec).await.unwrap(), id);
}

/// A failing step is the build's error, with the engine's message.
#[tokio::test]
async fn a_failing_step_is_reported_with_the_engines_message() {
    let Some(engine) = engine().await else { return };
    let dir = context("Dockerfile", "FROM scratch\nCOPY missing.txt /x\n");
    let err = engine
        .build_directory(&BuildSpec {
            context: dir.path().to_path_buf(),
            tag: format!("hoist-test-build-fail-{}", std::process::id()),
            ..BuildSpec::default()
        })
        .await
        .unwrap_err();
    match &err {
        DockerError::ImageBuild { message, .. } => {
            assert!(message.contains("missing.txt"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
