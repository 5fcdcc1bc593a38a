use super::*;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(dir: &Path, file: &str, env: &[(&str, &str)]) -> Result<ComposeFile, ComposeError> {
    ComposeFile::load(&dir.join(file), &Variables::from_pairs(env.iter().copied()))
}

fn names(services: &[&ComposeService]) -> Vec<String> {
    services.iter().map(|s| s.name.clone()).collect()
}

#[test]
fn reads_buildable_services_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("My App.1");
    std::fs::create_dir(&proj).unwrap();
    std::fs::write(
        proj.join("docker-compose.yml"),
        "version: '3'\nservices:\n  web:\n    build: ./web\n  worker:\n    build:\n      context: ./worker\n    image: acme/worker:dev\n  db:\n    image: postgres:15\n",
    )
    .unwrap();
    let f = load(&proj, "docker-compose.yml", &[]).unwrap();
    assert_eq!(f.project, "myapp1");
    assert_eq!(f.files, [proj.join("docker-compose.yml")]);
    assert_eq!(names(&f.buildable()), ["web", "worker"]);
    assert_eq!(
        f.image_candidates(f.service("web").unwrap()),
        ["myapp1-web", "myapp1_web"]
    );
    assert_eq!(
        f.image_candidates(f.service("worker").unwrap()),
        ["acme/worker:dev"]
    );
    let other = load(
        &proj,
        "docker-compose.yml",
        &[("COMPOSE_PROJECT_NAME", "Other")],
    );
    assert_eq!(other.unwrap().project, "other");
}

#[test]
fn a_file_without_services_is_an_error() {
    let dir = project(&[("c.yml", "version: '3'\n")]);
    let e = load(dir.path(), "c.yml", &[]).unwrap_err();
    assert!(
        e.to_string().ends_with("c.yml: no `services:` mapping"),
        "{e}"
    );
}

#[test]
fn interpolates_from_the_environment_then_dot_env() {
    let dir = project(&[
        (
            "compose.yaml",
            "name: ${APP:-shop}\nservices:\n  web:\n    build: .\n    image: ${REGISTRY}/web:${TAG:-dev}\n    platform: ${PLATFORM-linux/amd64}\n    environment:\n      PRICE: $$5\n",
        ),
        (
            ".env",
            "REGISTRY=acme\nTAG=from-file\nCOMPOSE_PROFILES=ops\n",
        ),
    ]);
    let f = load(dir.path(), "compose.yaml", &[("TAG", "from-env")]).unwrap();
    let web = f.service("web").unwrap();
    assert_eq!(web.image.as_deref(), Some("acme/web:from-env"));
    assert_eq!(web.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(f.project, "shop");
    assert_eq!(f.profiles, ["ops"], "COMPOSE_PROFILES may come from .env");
    let f = load(
        dir.path(),
        "compose.yaml",
        &[("PLATFORM", "linux/arm64"), ("APP", "Other")],
    )
    .unwrap();
    assert_eq!(
        f.service("web").unwrap().platform.as_deref(),
        Some("linux/arm64")
    );
    assert_eq!(f.project, "other");
}

#[test]
fn a_required_variable_names_the_file_and_the_service() {
    let dir = project(&[(
        "docker-compose.yml",
        "services:\n  web:\n    build: .\n    image: acme/web:${TAG:?set TAG to the release}\n",
    )]);
    let e = load(dir.path(), "docker-compose.yml", &[]).unwrap_err();
    let ComposeError::RequiredVariable {
        at,
        variable,
        message,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(at.file, dir.path().join("docker-compose.yml"));
    assert_eq!(at.service.as_deref(), Some("web"));
    assert_eq!(
        (variable.as_str(), message.as_str()),
        ("TAG", "set TAG to the release")
    );
    assert!(
        e.to_string()
            .contains("docker-compose.yml, service \"web\": required variable TAG")
    );
    assert!(load(dir.path(), "docker-compose.yml", &[("TAG", "1")]).is_ok());
    // A bad `$` is an error too.
    let dir = project(&[("docker-compose.yml", "services:\n  web:\n    image: a$\n")]);
    let e = load(dir.path(), "docker-compose.yml", &[]).unwrap_err();
    assert!(matches!(e, ComposeError::Interpolation { .. }), "{e:?}");
}

#[test]
fn the_override_file_merges_on_top_and_may_replace_a_failing_value() {
    let dir = project(&[
        (
            "docker-compose.yml",
            "services:\n  web:\n    build: ./web\n    image: ${WEB_IMAGE:?needed}\n  db:\n    image: postgres\n",
        ),
        (
            "docker-compose.override.yml",
            "services:\n  web:\n    image: acme/web:local\n    platform: linux/arm64\n  tools:\n    build: ./tools\n",
        ),
    ]);
    let f = load(dir.path(), "docker-compose.yml", &[]).unwrap();
    assert_eq!(
        f.files,
        [
            dir.path().join("docker-compose.yml"),
            dir.path().join("docker-compose.override.yml")
        ]
    );
    let web = f.service("web").unwrap();
    assert_eq!(web.image.as_deref(), Some("acme/web:local"));
    assert_eq!(web.platform.as_deref(), Some("linux/arm64"));
    assert_eq!(names(&f.buildable()), ["web", "tools"]);
    // A file with another name is an explicit -f: Docker adds no override.
    std::fs::copy(
        dir.path().join("docker-compose.yml"),
        dir.path().join("prod.yml"),
    )
    .unwrap();
    let f = load(dir.path(), "prod.yml", &[("WEB_IMAGE", "w")]).unwrap();
    assert_eq!(f.files, [dir.path().join("prod.yml")]);
    assert_eq!(names(&f.buildable()), ["web"]);
}

#[test]
fn profiles_enable_services() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web: {build: .}\n  debug: {build: ./debug, profiles: [dev]}\n  seed: {build: ./seed, profiles: [ops, dev]}\n",
    )]);
    let enabled = |profiles: &str| {
        names(
            &load(
                dir.path(),
                "compose.yaml",
                &[("COMPOSE_PROFILES", profiles)],
            )
            .unwrap()
            .buildable(),
        )
    };
    assert_eq!(enabled(""), ["web"]);
    assert_eq!(enabled("ops"), ["web", "seed"]);
    assert_eq!(enabled("dev, x"), ["web", "debug", "seed"]);
    assert_eq!(enabled("*"), ["web", "debug", "seed"]);
    let f = load(dir.path(), "compose.yaml", &[]).unwrap();
    assert_eq!(f.service("debug").unwrap().profiles, ["dev"]);
    assert_eq!(
        build_args(&f, &["web".into(), "seed".into()]),
        [
            "-f",
            &dir.path().join("compose.yaml").display().to_string(),
            "-p",
            &f.project,
            "--profile",
            "dev",
            "--profile",
            "ops",
            "build",
            "web",
            "seed"
        ]
    );
}

#[test]
fn extends_in_the_same_file_and_another() {
    let dir = project(&[
        (
            "compose.yaml",
            "services:\n  base:\n    image: base\n    platform: linux/arm64\n    profiles: [never]\n  web:\n    extends: base\n    build: .\n    image: web\n    profiles: !reset []\n  worker:\n    extends: {file: common/services.yml, service: job}\n    image: worker\n",
        ),
        (
            "common/services.yml",
            "services:\n  job:\n    extends: {service: root}\n    build: ./job\n  root:\n    platform: linux/arm/v7\n",
        ),
    ]);
    let f = load(dir.path(), "compose.yaml", &[]).unwrap();
    let web = f.service("web").unwrap();
    assert_eq!(
        (web.image.as_deref(), web.platform.as_deref(), web.builds),
        (Some("web"), Some("linux/arm64"), true)
    );
    assert!(web.profiles.is_empty());
    let worker = f.service("worker").unwrap();
    assert_eq!(
        (
            worker.image.as_deref(),
            worker.platform.as_deref(),
            worker.builds
        ),
        (Some("worker"), Some("linux/arm/v7"), true)
    );
    assert_eq!(names(&f.buildable()), ["web", "worker"]);
}

#[test]
fn extends_errors_name_the_service() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    extends: nowhere\n    build: .\n",
    )]);
    let e = load(dir.path(), "compose.yaml", &[]).unwrap_err();
    assert!(
        matches!(&e, ComposeError::UnknownExtends { at, target, .. } if at.service.as_deref() == Some("web") && target == "nowhere"),
        "{e:?}"
    );
    let dir = project(&[(
        "compose.yaml",
        "services:\n  a: {extends: b}\n  b: {extends: c}\n  c: {extends: a}\n",
    )]);
    let e = load(dir.path(), "compose.yaml", &[]).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("extends forms a cycle: a → b → c → a"),
        "{e}"
    );
    let dir = project(&[(
        "compose.yaml",
        "services:\n  a: {extends: {file: x.yml, service: b}}\n",
    )]);
    assert!(matches!(
        load(dir.path(), "compose.yaml", &[]).unwrap_err(),
        ComposeError::Read { .. }
    ));
}
