//! One image: compare its content with the repository's `latest`, then skip, retag or push.

use std::sync::Arc;

use hoist_registry::{Client, Comparison, Digest, ImageManifest, LocalImage, RemoteManifest};
use serde::Serialize;

use super::source::{Local, Source};
use crate::printer::Printer;

pub(crate) const EXPLAIN_INTRO: &str = "how images are compared: hoist reads the manifest the repository's `latest` tag points at \
(an image index, as BuildKit writes with provenance, is resolved to its linux/amd64 manifest) and compares the config digest \
and the layer digests it references with the local image's. A local image ID is the config's digest and ECR's imageDigest is \
the manifest's: they never match even for identical images, so they are not compared. Equal config (it lists every layer's \
uncompressed diff_id) means equal content: the push is skipped and only the SHA tag is added, by a manifest PUT without blob \
traffic. Build with `--provenance=false` (or BUILDX_NO_DEFAULT_ATTESTATIONS=1) to get a plain manifest.";

/// Shared by every service's push.
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) ecr: hoist_aws::ecr::Ecr,
    pub(crate) images: hoist_config::Images,
    pub(crate) region: String,
    /// Tags in push order: SHA tags first, then moving tags such as `latest`.
    pub(crate) tags: Vec<Tag>,
    pub(crate) shared: hoist_registry::BlobRegistry,
    pub(crate) siblings: Vec<String>,
    pub(crate) explain: bool,
}

/// A tag with `{sha}` expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub(crate) name: String,
    /// Came from a `{sha}` template: names one commit's build.
    pub(crate) is_sha: bool,
}

pub(crate) fn expand_tags(templates: &[String], sha: &str) -> Vec<Tag> {
    let mut tags: Vec<Tag> = templates
        .iter()
        .map(|t| Tag { name: t.replace("{sha}", sha), is_sha: t.contains("{sha}") })
        .collect();
    tags.sort_by_key(|t| !t.is_sha);
    tags.dedup_by(|a, b| a.name == b.name);
    tags
}

/// What happened to one image.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// Blobs and manifest pushed.
    Pushed,
    /// Same content as `latest`: only tags were added (manifest PUT, no blobs).
    Retagged,
    /// Same content and every tag already points at it: nothing sent.
    Skipped,
    Failed { error: String, hint: Option<String> },
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceResult {
    pub(crate) service: String,
    pub(crate) repository: String,
    #[serde(flatten)]
    pub(crate) outcome: Outcome,
    pub(crate) comparison: Option<Comparison>,
    pub(crate) repository_created: bool,
    /// The SHA tag already pointed at other content: the same commit built differently.
    pub(crate) not_reproducible: bool,
    pub(crate) layers_sent: usize,
    /// Layers and config uploaded.
    pub(crate) blobs_uploaded: usize,
    pub(crate) blobs_mounted: usize,
    pub(crate) blobs_present: usize,
    pub(crate) bytes_sent: u64,
    pub(crate) manifest_digest: Option<Digest>,
    pub(crate) tags: Vec<String>,
}

/// Pushes every image, four at a time.
pub(crate) async fn push_all(ctx: &Arc<Ctx>, local: Vec<Local>, printer: &Printer) -> Vec<ServiceResult> {
    let limit = Arc::new(tokio::sync::Semaphore::new(4));
    let mut set = tokio::task::JoinSet::new();
    let order: Vec<String> = local.iter().map(|l| l.service.clone()).collect();
    for l in local {
        let ctx = ctx.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            one(&ctx, l).await
        });
    }
    let mut results = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok((r, explain)) => {
                for line in explain {
                    printer.info(&line);
                }
                results.push(r);
            }
            Err(e) => printer.warn(&format!("a push task failed: {e}")),
        }
    }
    results.sort_by_key(|r| order.iter().position(|s| *s == r.service));
    results
}

async fn one(ctx: &Ctx, l: Local) -> (ServiceResult, Vec<String>) {
    let mut result = ServiceResult {
        service: l.service.clone(),
        repository: l.repository.clone(),
        outcome: Outcome::Skipped,
        comparison: None,
        repository_created: false,
        not_reproducible: false,
        layers_sent: 0,
        blobs_uploaded: 0,
        blobs_mounted: 0,
        blobs_present: 0,
        bytes_sent: 0,
        manifest_digest: None,
        tags: Vec::new(),
    };
    let mut explain = Vec::new();
    if let Err((error, hint)) = decide_and_push(ctx, &l, &mut result, &mut explain).await {
        result.outcome = Outcome::Failed { error, hint };
    }
    (result, explain)
}

type Fail = (String, Option<String>);

fn fail(e: impl std::fmt::Display) -> Fail {
    (e.to_string(), None)
}

async fn decide_and_push(ctx: &Ctx, l: &Local, r: &mut ServiceResult, explain: &mut Vec<String>) -> Result<(), Fail> {
    let repo = &l.repository;
    let (repository, created) = super::ecr::ensure_repository(&ctx.ecr, &ctx.images, repo, &ctx.region)
        .await
        .map_err(|f| (f.message, f.hint))?;
    r.repository_created = created;

    // What each tag points at now.
    let mut current: Vec<(Tag, Option<RemoteManifest>)> = Vec::new();
    for t in &ctx.tags {
        let m = ctx.client.get_manifest(repo, &t.name).await.map_err(fail)?;
        current.push((t.clone(), m));
    }
    let reference = current.iter().find(|(t, _)| !t.is_sha).or_else(|| current.first());
    let reference_platform = match reference.and_then(|(_, m)| m.as_ref()) {
        Some(m) => Some(platform_manifest(&ctx.client, repo, m).await.map_err(fail)?),
        None => None,
    };
    let exported;
    let local = match &l.image {
        Source::Ready(image) => image,
        Source::Engine(e) => {
            // The engine's image ID is the config digest: equal to the remote config digest
            // means the same content, so nothing needs exporting or hashing.
            if let Some(platform) = reference_platform.as_ref().filter(|p| p.config.digest.as_str() == e.id) {
                // hoist pushes layers uncompressed, so their digests are the config's diff_ids:
                // uncompressed remote layers are byte for byte what this push would send.
                r.comparison = Some(if platform.layers.iter().all(|d| d.media_type.ends_with(".tar")) {
                    Comparison::Identical
                } else {
                    Comparison::SameContent
                });
                let remote = reference.and_then(|(_, m)| m.clone()).expect("a platform manifest implies a reference");
                return retag_same_content(ctx, l, &current, remote, e, repository.immutable_tags, r, explain).await;
            }
            exported = e.export().await.map_err(|e| (format!("{e:#}"), None))?;
            &exported
        }
    };
    let comparison = hoist_registry::compare(&local.manifest, reference_platform.as_ref());
    if ctx.explain {
        explain.push(explain_line(&l.service, reference.map(|(t, _)| t.name.as_str()).unwrap_or("latest"), local, reference.and_then(|(_, m)| m.as_ref()), reference_platform.as_ref(), &comparison));
    }
    // Same commit, other content: the build is not reproducible.
    for (t, m) in current.iter().filter(|(t, _)| t.is_sha) {
        if let Some(m) = m {
            let pm = platform_manifest(&ctx.client, repo, m).await.map_err(fail)?;
            if !hoist_registry::compare(&local.manifest, Some(&pm)).unchanged() {
                r.not_reproducible = true;
                explain.push(format!("warning: {}: build not reproducible: tag {} (same commit) already holds other content (config {})", l.service, t.name, pm.config.digest.short()));
            }
        }
    }
    r.comparison = Some(comparison.clone());

    // The manifest each tag should point at, and which tags must change.
    let (target_digest, target_bytes_from_remote) = if comparison.unchanged() {
        let m = reference.and_then(|(_, m)| m.clone()).expect("unchanged implies a reference manifest");
        (m.digest.clone(), Some(m))
    } else {
        (local.digest(), None)
    };
    let to_move: Vec<&Tag> = current
        .iter()
        .filter(|(_, m)| m.as_ref().is_none_or(|m| m.digest != target_digest))
        .map(|(t, _)| t)
        .collect();
    r.tags = ctx.tags.iter().map(|t| t.name.clone()).collect();
    r.manifest_digest = Some(target_digest);
    if repository.immutable_tags {
        check_immutable(repo, &current, &to_move)?;
    }
    let names: Vec<String> = to_move.iter().map(|t| t.name.clone()).collect();
    match target_bytes_from_remote {
        Some(_) if names.is_empty() => r.outcome = Outcome::Skipped,
        Some(remote) => {
            hoist_registry::retag(&ctx.client, repo, &remote, &names).await.map_err(fail)?;
            r.outcome = Outcome::Retagged;
        }
        None => {
            let opts = hoist_registry::PushOptions { parallel_blobs: 4, sibling_repositories: ctx.siblings.clone() };
            let all: Vec<String> = ctx.tags.iter().map(|t| t.name.clone()).collect();
            let stats = hoist_registry::push_image(&ctx.client, repo, local, &all, &ctx.shared, &opts).await.map_err(fail)?;
            r.layers_sent = stats.layers_uploaded;
            r.blobs_uploaded = stats.blobs_uploaded;
            r.blobs_mounted = stats.blobs_mounted;
            r.blobs_present = stats.blobs_present;
            r.bytes_sent = stats.bytes_sent;
            r.manifest_digest = stats.manifest_digest;
            r.outcome = Outcome::Pushed;
        }
    }
    Ok(())
}

/// ECR refuses to move a tag of an IMMUTABLE repository: say so before sending anything.
fn check_immutable(repo: &str, current: &[(Tag, Option<RemoteManifest>)], to_move: &[&Tag]) -> Result<(), Fail> {
    match current.iter().find(|(t, m)| m.is_some() && to_move.contains(&t)) {
        None => Ok(()),
        Some((t, _)) => Err((
            format!("repository {repo:?} has IMMUTABLE tags and tag {:?} already points at other content; ECR would refuse the push", t.name),
            Some(format!(
                "push only SHA tags (tags = [\"{{sha}}\"] in [images]), or make the tags mutable: `aws ecr put-image-tag-mutability --repository-name {repo} --image-tag-mutability MUTABLE`"
            )),
        )),
    }
}

/// The engine's image has the config `latest` references: add the missing tags by manifest PUT
/// (or do nothing), without exporting the image.
#[allow(clippy::too_many_arguments)]
async fn retag_same_content(
    ctx: &Ctx,
    l: &Local,
    current: &[(Tag, Option<RemoteManifest>)],
    remote: RemoteManifest,
    engine_image: &super::source::EngineImage,
    immutable_tags: bool,
    r: &mut ServiceResult,
    explain: &mut Vec<String>,
) -> Result<(), Fail> {
    let repo = &l.repository;
    for (t, m) in current.iter().filter(|(t, _)| t.is_sha) {
        if let Some(m) = m {
            let pm = platform_manifest(&ctx.client, repo, m).await.map_err(fail)?;
            if pm.config.digest.as_str() != engine_image.id {
                r.not_reproducible = true;
                explain.push(format!("warning: {}: build not reproducible: tag {} (same commit) already holds other content (config {})", l.service, t.name, pm.config.digest.short()));
            }
        }
    }
    if ctx.explain {
        explain.push(format!(
            "{}: `latest` → manifest {}; its config {} is the engine's image ID: same content (same diff_ids), not exported; only missing tags are added",
            l.service,
            remote.digest.short(),
            engine_image.id.get(7..19).unwrap_or(&engine_image.id),
        ));
    }
    let to_move: Vec<&Tag> = current.iter().filter(|(_, m)| m.as_ref().is_none_or(|m| m.digest != remote.digest)).map(|(t, _)| t).collect();
    if immutable_tags {
        check_immutable(repo, current, &to_move)?;
    }
    r.tags = ctx.tags.iter().map(|t| t.name.clone()).collect();
    r.manifest_digest = Some(remote.digest.clone());
    let names: Vec<String> = to_move.iter().map(|t| t.name.clone()).collect();
    if names.is_empty() {
        r.outcome = Outcome::Skipped;
    } else {
        hoist_registry::retag(&ctx.client, repo, &remote, &names).await.map_err(fail)?;
        r.outcome = Outcome::Retagged;
    }
    Ok(())
}

/// The image manifest a tag stands for: itself, or an index's linux/amd64 entry.
async fn platform_manifest(client: &Client, repo: &str, m: &RemoteManifest) -> Result<ImageManifest, hoist_registry::RegistryError> {
    match &m.parsed {
        hoist_registry::Parsed::Manifest(im) => Ok(im.clone()),
        hoist_registry::Parsed::Index(index) => {
            let d = index.linux_amd64().ok_or_else(|| hoist_registry::RegistryError::NoPlatform { url: format!("{repo}@{}", m.digest) })?;
            let pm = client.get_manifest(repo, d.digest.as_str()).await?.ok_or_else(|| hoist_registry::RegistryError::Protocol {
                url: format!("{repo}@{}", d.digest),
                detail: "the index names a manifest the repository does not have".into(),
            })?;
            match pm.parsed {
                hoist_registry::Parsed::Manifest(im) => Ok(im),
                hoist_registry::Parsed::Index(_) => Err(hoist_registry::RegistryError::Protocol {
                    url: format!("{repo}@{}", d.digest),
                    detail: "an index inside an index".into(),
                }),
            }
        }
    }
}

fn explain_line(
    service: &str,
    tag: &str,
    local: &LocalImage,
    remote: Option<&RemoteManifest>,
    platform: Option<&ImageManifest>,
    cmp: &Comparison,
) -> String {
    let Some(remote) = remote else {
        return format!("{service}: no `{tag}` in the repository: push");
    };
    let platform = platform.expect("resolved with remote");
    let via = if remote.media_type.contains("index") || remote.media_type.contains("list") {
        format!(" (index {}, linux/amd64 manifest)", remote.digest.short())
    } else {
        String::new()
    };
    let same_layers = local.manifest.layers.iter().filter(|l| platform.layers.iter().any(|p| p.digest == l.digest)).count();
    let verdict = match cmp {
        Comparison::Identical => "identical: skip the push".to_owned(),
        Comparison::SameContent => "same config (same diff_ids), layers stored differently: same content, skip the push".to_owned(),
        Comparison::Changed { new_layers, .. } => format!("changed: push ({} new layer(s))", new_layers.len()),
        Comparison::Missing => "missing: push".to_owned(),
    };
    format!(
        "{service}: `{tag}` → manifest {}{via}; config local {} remote {}; layers {}/{} shared; {verdict}",
        remote.digest.short(),
        local.manifest.config.digest.short(),
        platform.config.digest.short(),
        same_layers,
        local.manifest.layers.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_tags_go_first() {
        let tags = expand_tags(&["latest".into(), "{sha}".into(), "build-{sha}".into()], "abc1234");
        let names: Vec<_> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["abc1234", "build-abc1234", "latest"]);
        assert!(tags[0].is_sha && !tags[2].is_sha);
    }
}
