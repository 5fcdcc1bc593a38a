//! The decision table: one engine image (config C1, layers L1 L2) against registry states.

use super::*;
use crate::current::{Reference, reference_tag};
use hoist_registry::{Descriptor, Parsed, media_type};

fn d(n: u8) -> Digest {
    Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).expect("a digest")
}

const C0: u8 = 0xc0;
const C1: u8 = 0xc1;
const L1: u8 = 0x11;
const L2: u8 = 0x12;
const GZ1: u8 = 0x21;
const GZ2: u8 = 0x22;

fn desc(mt: &str, n: u8) -> Descriptor {
    Descriptor {
        media_type: mt.to_owned(),
        digest: d(n),
        size: 1,
        platform: None,
        annotations: None,
    }
}

/// A manifest in the registry, under manifest digest `digest`.
fn remote(digest: u8, config: u8, layers: &[(u8, &str)]) -> RemoteManifest {
    RemoteManifest {
        bytes: Vec::new(),
        media_type: media_type::OCI_MANIFEST.to_owned(),
        digest: d(digest),
        parsed: Parsed::Manifest(ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_owned()),
            config: desc(media_type::OCI_CONFIG, config),
            layers: layers.iter().map(|(n, mt)| desc(mt, *n)).collect(),
        }),
    }
}

/// This content pushed by hoist uncompressed: the same blobs as the engine's diff_ids.
fn same_plain() -> RemoteManifest {
    remote(
        0xa1,
        C1,
        &[
            (L1, media_type::OCI_LAYER_TAR),
            (L2, media_type::OCI_LAYER_TAR),
        ],
    )
}
/// This content pushed gzip-compressed (by hoist or `docker push`).
fn same_gzip() -> RemoteManifest {
    remote(
        0xa2,
        C1,
        &[
            (GZ1, media_type::OCI_LAYER_GZIP),
            (GZ2, media_type::OCI_LAYER_GZIP),
        ],
    )
}
/// Other content: an older build with only the first layer.
fn other() -> RemoteManifest {
    remote(0xa3, C0, &[(L1, media_type::OCI_LAYER_TAR)])
}

fn platform(m: &RemoteManifest) -> ImageManifest {
    match &m.parsed {
        Parsed::Manifest(im) => im.clone(),
        Parsed::Index(_) => unreachable!("the table has no index"),
    }
}

/// The registry state as `current::read` and `current::contents` would return it.
fn state(
    tags: &[(&str, bool, Option<RemoteManifest>)],
) -> (Current, HashMap<Digest, ImageManifest>) {
    let tags: Vec<(Tag, Option<RemoteManifest>)> = tags
        .iter()
        .map(|(name, is_sha, m)| {
            (
                Tag {
                    name: (*name).to_owned(),
                    is_sha: *is_sha,
                },
                m.clone(),
            )
        })
        .collect();
    let reference = match reference_tag(&tags) {
        Some((t, Some(m))) => Some(Reference {
            tag: t.name.clone(),
            remote: m.clone(),
            platform: platform(m),
        }),
        _ => None,
    };
    let content = tags
        .iter()
        .filter_map(|(_, m)| m.as_ref())
        .map(|m| (m.digest.clone(), platform(m)))
        .collect();
    (
        Current {
            tags,
            reference,
            platform: hoist_registry::Platform::linux_amd64(),
        },
        content,
    )
}

fn engine_image() -> EngineImage {
    EngineImage {
        name: "web:latest".into(),
        config: d(C1),
        diff_ids: vec![d(L1), d(L2)],
    }
}

/// What a case expects: the action's kind and tags, ECR's check, the warnings.
#[derive(Debug, PartialEq, Eq)]
enum Want {
    Unchanged,
    Retag(&'static [&'static str]),
    Upload(&'static [&'static str]),
}

struct Case {
    name: &'static str,
    tags: Vec<(&'static str, bool, Option<RemoteManifest>)>,
    ecr: bool,
    want: Want,
    check: RepositoryCheck,
    not_reproducible: &'static [&'static str],
    comparison: &'static str,
}

fn kind(c: &Comparison) -> &'static str {
    match c {
        Comparison::Missing => "missing",
        Comparison::Identical => "identical",
        Comparison::SameContent => "same_content",
        Comparison::Changed { .. } => "changed",
    }
}

fn cases() -> Vec<Case> {
    let moves = |t: &str| RepositoryCheck::TagMoves { tag: t.into() };
    vec![
        Case {
            name: "first push to ECR: every tag, the repository may not exist",
            tags: vec![("abc1234", true, None), ("latest", false, None)],
            ecr: true,
            want: Want::Upload(&["abc1234", "latest"]),
            check: RepositoryCheck::Ensure,
            not_reproducible: &[],
            comparison: "missing",
        },
        Case {
            name: "first push to another registry: no ECR call",
            tags: vec![("abc1234", true, None), ("latest", false, None)],
            ecr: false,
            want: Want::Upload(&["abc1234", "latest"]),
            check: RepositoryCheck::None,
            not_reproducible: &[],
            comparison: "missing",
        },
        Case {
            name: "every tag holds this content already: nothing is sent",
            tags: vec![
                ("abc1234", true, Some(same_plain())),
                ("latest", false, Some(same_plain())),
            ],
            ecr: true,
            want: Want::Unchanged,
            check: RepositoryCheck::None,
            not_reproducible: &[],
            comparison: "identical",
        },
        Case {
            name: "latest holds it compressed, new commit: retag only, no ECR call",
            tags: vec![
                ("def5678", true, None),
                ("latest", false, Some(same_gzip())),
            ],
            ecr: true,
            want: Want::Retag(&["def5678"]),
            check: RepositoryCheck::None,
            not_reproducible: &[],
            comparison: "same_content",
        },
        Case {
            name: "latest holds it but the SHA tag holds another manifest of it: retag the SHA tag",
            tags: vec![
                ("abc1234", true, Some(same_plain())),
                ("latest", false, Some(same_gzip())),
            ],
            ecr: true,
            want: Want::Retag(&["abc1234"]),
            check: moves("abc1234"),
            not_reproducible: &[],
            comparison: "same_content",
        },
        Case {
            name: "new content: upload, latest moves (an IMMUTABLE repository would refuse)",
            tags: vec![("def5678", true, None), ("latest", false, Some(other()))],
            ecr: true,
            want: Want::Upload(&["def5678", "latest"]),
            check: moves("latest"),
            not_reproducible: &[],
            comparison: "changed",
        },
        Case {
            name: "new content on another registry: upload, no ECR call",
            tags: vec![("def5678", true, None), ("latest", false, Some(other()))],
            ecr: false,
            want: Want::Upload(&["def5678", "latest"]),
            check: RepositoryCheck::None,
            not_reproducible: &[],
            comparison: "changed",
        },
        Case {
            name: "the same commit's tag holds other content: not reproducible, both tags move",
            tags: vec![
                ("abc1234", true, Some(other())),
                ("latest", false, Some(other())),
            ],
            ecr: true,
            want: Want::Upload(&["abc1234", "latest"]),
            check: moves("abc1234"),
            not_reproducible: &["abc1234"],
            comparison: "changed",
        },
        Case {
            name: "the SHA tag holds this content (compressed), latest does not: only latest moves",
            tags: vec![
                ("abc1234", true, Some(same_gzip())),
                ("latest", false, Some(other())),
            ],
            ecr: true,
            want: Want::Upload(&["latest"]),
            check: moves("latest"),
            not_reproducible: &[],
            comparison: "changed",
        },
        Case {
            name: "only SHA tags: the SHA tag is the reference",
            tags: vec![("abc1234", true, Some(same_gzip()))],
            ecr: true,
            want: Want::Unchanged,
            check: RepositoryCheck::None,
            not_reproducible: &[],
            comparison: "same_content",
        },
    ]
}

#[test]
fn decision_table() {
    let image = engine_image();
    for case in cases() {
        let (current, content) = state(&case.tags);
        let decision = decide(&Identity::Engine(&image), &current, &content, case.ecr);
        let got = match &decision.action {
            Action::Unchanged => Want::Unchanged,
            Action::Retag { names, .. } => Want::Retag(leak(names)),
            Action::Upload { names, .. } => Want::Upload(leak(names)),
        };
        assert_eq!(got, case.want, "{}", case.name);
        assert_eq!(decision.repository_check, case.check, "{}", case.name);
        let warned: Vec<&str> = decision
            .not_reproducible
            .iter()
            .map(|n| n.tag.as_str())
            .collect();
        assert_eq!(warned, case.not_reproducible, "{}", case.name);
        assert_eq!(kind(&decision.comparison), case.comparison, "{}", case.name);
        let all: Vec<&str> = case.tags.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(decision.tags, all, "{}", case.name);
    }
}

fn leak(names: &[String]) -> &'static [&'static str] {
    let v: Vec<&'static str> = names
        .iter()
        .map(|n| &*Box::leak(n.clone().into_boxed_str()))
        .collect();
    Box::leak(v.into_boxed_slice())
}

#[test]
fn an_unchanged_image_keeps_the_manifest_its_tags_point_at() {
    let (current, content) = state(&[
        ("def5678", true, None),
        ("latest", false, Some(same_gzip())),
    ]);
    let decision = decide(
        &Identity::Engine(&engine_image()),
        &current,
        &content,
        false,
    );
    assert_eq!(decision.manifest_digest, Some(same_gzip().digest));
    match decision.action {
        Action::Retag { remote, .. } => assert_eq!(remote.digest, same_gzip().digest),
        other => panic!("expected a retag, got {other:?}"),
    }
}

#[test]
fn an_engine_image_to_upload_has_no_manifest_digest_yet() {
    let (current, content) = state(&[("latest", false, Some(other()))]);
    let decision = decide(
        &Identity::Engine(&engine_image()),
        &current,
        &content,
        false,
    );
    assert_eq!(decision.manifest_digest, None);
    assert_eq!(
        decision.comparison,
        Comparison::Changed {
            config_changed: true,
            new_layers: vec![d(L2)],
            dropped_layers: 0,
        }
    );
}

#[test]
fn an_immutable_repository_refuses_a_moving_tag_before_anything_is_sent() {
    let (current, content) = state(&[("def5678", true, None), ("latest", false, Some(other()))]);
    let decision = decide(&Identity::Engine(&engine_image()), &current, &content, true);
    let e = decision.check_repository("web", true).unwrap_err();
    assert!(
        matches!(&e, PushError::ImmutableTag { repository, tag } if repository == "web" && tag == "latest"),
        "{e:?}"
    );
    assert!(decision.check_repository("web", false).is_ok());
    // A repository ECR had to create holds no tag to move: immutability cannot refuse.
    let (current, content) = state(&[("def5678", true, None), ("latest", false, None)]);
    let first = decide(&Identity::Engine(&engine_image()), &current, &content, true);
    assert!(first.check_repository("web", true).is_ok());
}

#[test]
fn layers_the_repository_stores_are_not_new() {
    let (current, content) = state(&[("latest", false, Some(other()))]);
    let mut decision = decide(
        &Identity::Engine(&engine_image()),
        &current,
        &content,
        false,
    );
    assert!(decision.needs_stored_layers());
    // Another image of the repository stores L2 gzip-compressed as GZ2.
    let stored_image = platform(&remote(0xa4, C1, &[(GZ2, media_type::OCI_LAYER_GZIP)]));
    let config = format!(
        r#"{{"rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
        d(L2)
    );
    let layers = RemoteLayers::from_config(&stored_image, config.as_bytes());
    assert_eq!(layers.get(&d(L2)).map(|x| x.digest.clone()), Some(d(GZ2)));
    decision.stored(layers.clone());
    assert_eq!(
        decision.comparison,
        Comparison::Changed {
            config_changed: true,
            new_layers: vec![],
            dropped_layers: 0,
        }
    );
    assert_eq!(
        decision.action,
        Action::Upload {
            names: vec!["latest".into()],
            stored: layers,
        }
    );
}

#[test]
fn a_plan_lists_the_uploads() {
    let (current, content) = state(&[("latest", false, Some(same_plain()))]);
    let unchanged = decide(
        &Identity::Engine(&engine_image()),
        &current,
        &content,
        false,
    );
    let (current, content) = state(&[("latest", false, None)]);
    let upload = decide(
        &Identity::Engine(&engine_image()),
        &current,
        &content,
        false,
    );
    let plan = PushPlan {
        services: vec![
            ServicePlan {
                service: "api".into(),
                repository: "app/api".into(),
                decision: Ok(unchanged),
            },
            ServicePlan {
                service: "web".into(),
                repository: "app/web".into(),
                decision: Ok(upload),
            },
            ServicePlan {
                service: "worker".into(),
                repository: "app/worker".into(),
                decision: Err(PushError::NoRegion),
            },
        ],
    };
    let uploads: Vec<&str> = plan.uploads().map(|s| s.service.as_str()).collect();
    assert_eq!(uploads, ["web"]);
}

#[test]
fn explain_says_what_latest_holds() {
    let (current, _) = state(&[("latest", false, Some(same_gzip()))]);
    let image = engine_image();
    let identity = Identity::Engine(&image);
    let line = explain_line("web", &identity, &current, &Comparison::SameContent);
    assert!(line.starts_with("web: `latest` → manifest "), "{line}");
    assert!(line.contains("layers 0/2 shared"), "{line}");
    assert!(line.ends_with("same content, skip the push"), "{line}");
    let (current, _) = state(&[("abc1234", true, None), ("latest", false, None)]);
    assert_eq!(
        explain_line("web", &identity, &current, &Comparison::Missing),
        "web: no `latest` in the repository: push"
    );
}
