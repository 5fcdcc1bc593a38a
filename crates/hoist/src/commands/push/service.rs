//! Every image of one `hoist push`: what its tags point at and what the engine holds are read
//! at the same time, each image's plan is decided, then retags, pushes of images read from
//! disk and the one export of engine images all run together.

use std::sync::Arc;

use hoist_registry::{Client, Comparison, Digest, PushStats};
use serde::Serialize;

use super::decide::{Identity, Plan};
use super::export::Wanted;
use super::source::{EarlyEngine, EngineImage, Local, Source};

pub(crate) const EXPLAIN_INTRO: &str = "how images are compared: hoist reads the manifest the repository's `latest` tag points at \
(an image index, as BuildKit writes with provenance, is resolved to its linux/amd64 manifest) and compares the config digest \
and the layer digests it references with the local image's. A local image ID is the config's digest and ECR's imageDigest is \
the manifest's: they never match even for identical images, so they are not compared. Equal config (it lists every layer's \
uncompressed diff_id) means equal content: the push is skipped and only the SHA tag is added, by a manifest PUT without blob \
traffic. Build with `--provenance=false` (or BUILDX_NO_DEFAULT_ATTESTATIONS=1) to get a plain manifest.";

/// Shared by every image's push.
pub(crate) struct Ctx {
    pub(crate) client: Client,
    /// Images go to ECR: repositories are looked up and created through ECR's API.
    pub(crate) ecr_registry: bool,
    pub(crate) registry_url: String,
    pub(crate) control: Arc<super::ecr::Control>,
    pub(crate) images: hoist_config::Images,
    /// Tags in push order: SHA tags first, then moving tags such as `latest`.
    pub(crate) tags: Vec<Tag>,
    pub(crate) shared: hoist_registry::BlobRegistry,
    pub(crate) siblings: Vec<String>,
    pub(crate) explain: bool,
    /// Blobs sent at the same time.
    pub(crate) parallel_uploads: usize,
    /// How layers exported from the engine are sent (images read from disk go as they are).
    pub(crate) compression: hoist_registry::Compression,
    pub(crate) progress: Arc<super::progress::Progress>,
}

impl Ctx {
    pub(crate) fn push_options(&self) -> hoist_registry::PushOptions {
        hoist_registry::PushOptions {
            parallel_blobs: self.parallel_uploads,
            sibling_repositories: self.siblings.clone(),
        }
    }
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
        .map(|t| Tag {
            name: t.replace("{sha}", sha),
            is_sha: t.contains("{sha}"),
        })
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
    Failed {
        error: String,
        hint: Option<String>,
    },
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

impl ServiceResult {
    fn new(l: &Local) -> Self {
        Self {
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
        }
    }

    fn pushed(&mut self, stats: PushStats) {
        self.layers_sent = stats.layers_uploaded;
        self.blobs_uploaded = stats.blobs_uploaded;
        self.blobs_mounted = stats.blobs_mounted;
        self.blobs_present = stats.blobs_present;
        self.bytes_sent = stats.bytes_sent;
        self.manifest_digest = stats.manifest_digest;
        self.outcome = Outcome::Pushed;
    }

    fn finish(&mut self, result: Result<(), Fail>) {
        if let Err((error, hint)) = result {
            self.outcome = Outcome::Failed { error, hint };
        }
    }
}

/// A failure of one image: the message and the fix.
pub(crate) type Fail = (String, Option<String>);

/// A registry error as the guide's troubleshooting would name it.
pub(crate) fn registry_fail(ctx: &Ctx, e: hoist_registry::RegistryError) -> Fail {
    let f = super::ecr::registry_failure(e, &ctx.registry_url);
    (f.message, f.hint)
}

/// Pushes every image; the results in `local`'s order and the `--explain` lines.
/// `early_engine` is a connection to the engine already under way, if any.
pub(crate) async fn push_all(
    ctx: &Arc<Ctx>,
    local: &[Local],
    early_engine: Option<EarlyEngine>,
) -> anyhow::Result<(Vec<ServiceResult>, Vec<String>)> {
    // The engine and the registry are asked at the same time.
    let engine_side = async {
        let engine = super::source::engine_for(local, early_engine).await?;
        let found = super::source::find_in_engine(engine.as_ref(), local).await?;
        Ok::<_, anyhow::Error>((engine, found))
    };
    let registry_side = futures::future::join_all(
        local
            .iter()
            .map(|l| super::current::read(&ctx.client, &l.repository, &ctx.tags)),
    );
    let (engine_side, currents) = tokio::join!(engine_side, registry_side);
    let (engine, found) = engine_side?;
    tracing::debug!("push: local images found and tags read");

    let decisions =
        local
            .iter()
            .zip(&found)
            .zip(currents)
            .map(|((l, engine_image), current)| async move {
                let mut r = ServiceResult::new(l);
                let mut explain = Vec::new();
                let identity = match (&l.image, engine_image) {
                    (Source::Ready(image), _) => Identity::Ready(image),
                    (Source::Engine { .. }, Some(e)) => Identity::Engine(e),
                    (Source::Engine { .. }, None) => {
                        unreachable!("every engine image was found or the push stopped")
                    }
                };
                let plan = match current {
                    Ok(current) => {
                        super::decide::decide(
                            ctx,
                            &l.repository,
                            &l.service,
                            &identity,
                            &current,
                            &mut r,
                            &mut explain,
                        )
                        .await
                    }
                    Err(e) => Err(registry_fail(ctx, e)),
                };
                (r, explain, plan)
            });
    let decided = futures::future::join_all(decisions).await;
    tracing::debug!("push: decided");

    let mut results = Vec::new();
    let mut explain_all = Vec::new();
    let mut direct = Vec::new();
    let mut exported_idx: Vec<usize> = Vec::new();
    let mut batch: Vec<Wanted> = Vec::new();
    for (i, (mut r, explain, plan)) in decided.into_iter().enumerate() {
        explain_all.extend(explain);
        match plan {
            Err(f) => r.finish(Err(f)),
            Ok(Plan::Skip) => r.outcome = Outcome::Skipped,
            Ok(Plan::Push { names, remote }) if matches!(local[i].image, Source::Engine { .. }) => {
                let image: EngineImage = found[i].clone().expect("an engine image");
                exported_idx.push(i);
                batch.push(Wanted {
                    repo: local[i].repository.clone(),
                    image,
                    names,
                    remote,
                });
            }
            Ok(plan) => direct.push((i, plan)),
        }
        results.push(r);
    }

    // Retags and pushes of images on disk, four images at a time, beside the export.
    let limit = Arc::new(tokio::sync::Semaphore::new(4));
    let direct_runs = direct.into_iter().map(|(i, plan)| {
        let limit = limit.clone();
        async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            (i, run_direct(ctx, &local[i], plan).await)
        }
    });
    let exports = async {
        match &engine {
            Some(engine) => super::export::export_and_push(ctx, engine, &batch).await,
            None => Vec::new(),
        }
    };
    let (direct_done, exported) = tokio::join!(futures::future::join_all(direct_runs), exports);
    for (i, done) in direct_done {
        match done {
            Ok(Done::Retagged(digest)) => {
                results[i].manifest_digest = Some(digest);
                results[i].outcome = Outcome::Retagged;
            }
            Ok(Done::Pushed(stats)) => results[i].pushed(stats),
            Err(f) => results[i].finish(Err(f)),
        }
    }
    for (i, done) in exported_idx.into_iter().zip(exported) {
        match done {
            Ok(stats) => results[i].pushed(stats),
            Err(f) => results[i].finish(Err(f)),
        }
    }
    Ok((results, explain_all))
}

enum Done {
    Retagged(Digest),
    Pushed(PushStats),
}

/// A retag, or the push of an image read from disk.
async fn run_direct(ctx: &Ctx, l: &Local, plan: Plan) -> Result<Done, Fail> {
    match (plan, &l.image) {
        (Plan::Retag { remote, names }, _) => {
            hoist_registry::retag(&ctx.client, &l.repository, &remote, &names)
                .await
                .map(Done::Retagged)
                .map_err(|e| registry_fail(ctx, e))
        }
        (Plan::Push { names, .. }, Source::Ready(image)) => hoist_registry::push_image(
            &ctx.client,
            &l.repository,
            image,
            &names,
            &ctx.shared,
            &ctx.push_options(),
            &std::collections::HashMap::new(),
        )
        .await
        .map(Done::Pushed)
        .map_err(|e| registry_fail(ctx, e)),
        (Plan::Push { .. }, Source::Engine { .. }) => {
            unreachable!("engine images are pushed by the export")
        }
        (Plan::Skip, _) => unreachable!("skips are not run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_tags_go_first() {
        let tags = expand_tags(
            &["latest".into(), "{sha}".into(), "build-{sha}".into()],
            "abc1234",
        );
        let names: Vec<_> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["abc1234", "build-abc1234", "latest"]);
        assert!(tags[0].is_sha && !tags[2].is_sha);
    }
}
