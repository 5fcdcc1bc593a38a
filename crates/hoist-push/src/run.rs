//! Every image of one push: what its tags point at and what the engine holds are read at the
//! same time, the [`PushPlan`] is decided (ECR asked only where the plan says), then retags,
//! pushes of images read from disk and the one export of engine images all run together.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hoist_registry::{Client, Comparison, Digest, PushStats, RemoteLayers};
use serde::Serialize;

use crate::ecr::Control;
use crate::error::PushError;
use crate::export::Wanted;
use crate::plan::{Action, Decision, Identity, PushPlan, RepositoryCheck, ServicePlan};
use crate::registry::Target;
use crate::source::{EarlyEngine, EngineImage, Local, Source};
use crate::tags::Tag;

/// How images are compared, for `--explain`.
pub const EXPLAIN_INTRO: &str = "how images are compared: hoist reads the manifest the repository's `latest` tag points at \
(an image index, as BuildKit writes with provenance, is resolved to its manifest for the image's platform: the service's `platform:`, \
else `[images] platform`, else linux/amd64) and compares the config digest \
and the layer digests it references with the local image's. A local image ID is the config's digest and ECR's imageDigest is \
the manifest's: they never match even for identical images, so they are not compared. Equal config (it lists every layer's \
uncompressed diff_id) means equal content: the push is skipped and only the SHA tag is added, by a manifest PUT without blob \
traffic. Build with `--provenance=false` (or BUILDX_NO_DEFAULT_ATTESTATIONS=1) to get a plain manifest.";

/// Progress of a push beyond the registry client's blob events: steps without a bar of
/// their own, such as the engine's export starting.
pub trait Events: hoist_registry::Reporter {
    fn step(&self, _line: &str) {}
}

impl Events for hoist_registry::NoReporter {}

/// Shared by every image's push.
pub struct Ctx {
    pub client: Client,
    pub registry_url: String,
    pub target: Target,
    pub control: Arc<Control>,
    pub images: hoist_config::Images,
    /// Tags in push order: SHA tags first, then moving tags such as `latest`.
    pub tags: Vec<Tag>,
    pub shared: hoist_registry::BlobRegistry,
    pub siblings: Vec<String>,
    pub explain: bool,
    /// Decide only: read the registry (and ECR), compute the plan, send and create nothing.
    pub dry_run: bool,
    /// Blobs sent at the same time.
    pub parallel_uploads: usize,
    /// How layers exported from the engine are sent (images read from disk go as they are).
    pub compression: hoist_registry::Compression,
    pub events: Arc<dyn Events>,
}

impl Ctx {
    pub(crate) fn push_options(&self) -> hoist_registry::PushOptions {
        hoist_registry::PushOptions {
            parallel_blobs: self.parallel_uploads,
            sibling_repositories: self.siblings.clone(),
        }
    }

    /// A registry error as the guide's troubleshooting would name it.
    pub(crate) fn fail(&self, e: hoist_registry::RegistryError) -> PushError {
        self.target.failure(e, &self.registry_url)
    }
}

/// What happened to one image.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Blobs and manifest pushed.
    Pushed,
    /// `--dry-run`: what the push would do; nothing was sent.
    Planned {
        /// `upload`, `retag` or `skip`.
        would: &'static str,
        /// The tags it would point at the image.
        names: Vec<String>,
    },
    /// Same content as `latest`: only tags were added (manifest PUT, no blobs).
    Retagged,
    /// Same content and every tag already points at it: nothing sent.
    Skipped,
    Failed {
        error: String,
        hint: Option<String>,
    },
}

/// One image's result, as printed and as `--json` gives it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceResult {
    pub service: String,
    pub repository: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub comparison: Option<Comparison>,
    pub repository_created: bool,
    /// `--dry-run`: the ECR repository does not exist and the push would create it.
    pub repository_missing: bool,
    /// The SHA tag already pointed at other content: the same commit built differently.
    pub not_reproducible: bool,
    pub layers_sent: usize,
    /// Layers and config uploaded.
    pub blobs_uploaded: usize,
    pub blobs_mounted: usize,
    pub blobs_present: usize,
    pub bytes_sent: u64,
    pub manifest_digest: Option<Digest>,
    pub tags: Vec<String>,
}

impl ServiceResult {
    fn new(l: &Local) -> Self {
        Self {
            service: l.service.clone(),
            repository: l.repository.clone(),
            outcome: Outcome::Skipped,
            comparison: None,
            repository_created: false,
            repository_missing: false,
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

    fn decided(&mut self, d: &Decision) {
        self.comparison = Some(d.comparison.clone());
        self.tags.clone_from(&d.tags);
        self.manifest_digest.clone_from(&d.manifest_digest);
        self.not_reproducible = !d.not_reproducible.is_empty();
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

    fn failed(&mut self, e: &PushError) {
        self.outcome = Outcome::Failed {
            error: e.to_string(),
            hint: e.hint(),
        };
    }
}

/// Decides one image's push: the pure decision, then what only the registry and ECR can
/// answer (the repository's settings, the layers its images store).
async fn plan_one(
    ctx: &Ctx,
    l: &Local,
    identity: &Identity<'_>,
    current: &crate::current::Current,
    r: &mut ServiceResult,
    explain: &mut Vec<String>,
) -> Result<Decision, PushError> {
    let repo = &l.repository;
    let content = crate::current::contents(&ctx.client, repo, current)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut decision = crate::plan::decide(identity, current, &content, ctx.target.is_ecr());
    if ctx.explain {
        explain.push(crate::plan::explain_line(
            &l.service,
            identity,
            current,
            &decision.comparison,
        ));
    }
    for n in &decision.not_reproducible {
        let config = n.config.as_ref().map_or("?", Digest::short);
        explain.push(format!(
            "warning: {}: build not reproducible: tag {} (same commit) already holds other content (config {config})",
            l.service, n.tag
        ));
    }
    r.decided(&decision);
    if decision.repository_check != RepositoryCheck::None {
        let immutable_tags = if ctx.dry_run {
            // Read only: a missing repository is what the push would create from hoist.toml.
            match ctx.control.find_repository(repo).await? {
                Some(repository) => repository.immutable_tags,
                None => {
                    r.repository_missing = true;
                    ctx.images.tag_mutability == hoist_config::TagMutability::Immutable
                }
            }
        } else {
            let (repository, created) = ctx.control.ensure_repository(&ctx.images, repo).await?;
            r.repository_created = created;
            repository.immutable_tags
        };
        decision.check_repository(repo, immutable_tags)?;
    }
    if decision.needs_stored_layers() {
        // The configs of what the tags point at tell which layers the repository holds
        // whatever compression stored them; read once per distinct image.
        let mut stored = RemoteLayers::default();
        let mut read = HashSet::new();
        for pm in content.values() {
            if read.insert(pm.config.digest.clone()) {
                let layers = RemoteLayers::read(&ctx.client, repo, pm)
                    .await
                    .map_err(|e| ctx.fail(e))?;
                stored.extend(layers);
            }
        }
        decision.stored(stored);
        r.comparison = Some(decision.comparison.clone());
    }
    Ok(decision)
}

/// Pushes every image; the results in `local`'s order and the `--explain` lines.
/// `early_engine` is a connection to the engine already under way, if any.
///
/// # Errors
/// When the engine is needed and cannot be asked, or lacks an image; a failure of one
/// image's push is in its result instead.
pub async fn push_all(
    ctx: &Arc<Ctx>,
    local: &[Local],
    early_engine: Option<EarlyEngine>,
) -> Result<(Vec<ServiceResult>, Vec<String>), PushError> {
    // The engine and the registry are asked at the same time.
    let engine_side = async {
        let engine = crate::source::engine_for(local, early_engine).await?;
        let found = crate::source::find_in_engine(engine.as_ref(), local).await?;
        Ok::<_, PushError>((engine, found))
    };
    let registry_side = futures::future::join_all(
        local
            .iter()
            .map(|l| crate::current::read(&ctx.client, &l.repository, &ctx.tags, &l.platform)),
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
                let decision = match current {
                    Ok(current) => {
                        plan_one(ctx, l, &identity, &current, &mut r, &mut explain).await
                    }
                    Err(e) => Err(ctx.fail(e)),
                };
                (r, explain, decision)
            });
    let decided = futures::future::join_all(decisions).await;
    tracing::debug!("push: decided");
    let mut results = Vec::new();
    let mut explain_all = Vec::new();
    let mut plan = PushPlan::default();
    for (l, (r, explain, decision)) in local.iter().zip(decided) {
        results.push(r);
        explain_all.extend(explain);
        plan.services.push(ServicePlan {
            service: l.service.clone(),
            repository: l.repository.clone(),
            decision,
        });
    }
    if ctx.dry_run {
        for (r, planned) in results.iter_mut().zip(plan.services) {
            match planned.decision {
                Err(e) => r.failed(&e),
                Ok(decision) => r.outcome = planned_outcome(decision.action),
            }
        }
        return Ok((results, explain_all));
    }
    execute(ctx, local, &found, engine.as_ref(), plan, &mut results).await;
    Ok((results, explain_all))
}

/// What `--dry-run` reports for a decided action.
fn planned_outcome(action: Action) -> Outcome {
    match action {
        Action::Unchanged => Outcome::Planned {
            would: "skip",
            names: Vec::new(),
        },
        Action::Retag { names, .. } => Outcome::Planned {
            would: "retag",
            names,
        },
        Action::Upload { names, .. } => Outcome::Planned {
            would: "upload",
            names,
        },
    }
}

/// Applies the plan: retags and pushes of images on disk four images at a time, beside the
/// one export of every engine image to upload.
async fn execute(
    ctx: &Arc<Ctx>,
    local: &[Local],
    found: &[Option<EngineImage>],
    engine: Option<&hoist_docker::Engine>,
    plan: PushPlan,
    results: &mut [ServiceResult],
) {
    let mut direct = Vec::new();
    let mut exported_idx: Vec<usize> = Vec::new();
    let mut batch: Vec<Wanted> = Vec::new();
    for (i, planned) in plan.services.into_iter().enumerate() {
        match planned.decision {
            Err(e) => results[i].failed(&e),
            Ok(Decision {
                action: Action::Unchanged,
                ..
            }) => results[i].outcome = Outcome::Skipped,
            Ok(Decision {
                action: Action::Upload { names, stored },
                ..
            }) if matches!(local[i].image, Source::Engine { .. }) => {
                let image: EngineImage = found[i].clone().expect("an engine image");
                exported_idx.push(i);
                batch.push(Wanted {
                    repo: local[i].repository.clone(),
                    image,
                    names,
                    remote: stored,
                });
            }
            Ok(d) => direct.push((i, d.action)),
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(4));
    let direct_runs = direct.into_iter().map(|(i, action)| {
        let limit = limit.clone();
        async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            (i, run_direct(ctx, &local[i], action).await)
        }
    });
    let exports = async {
        match engine {
            Some(engine) => crate::export::export_and_push(ctx, engine, &batch).await,
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
            Err(e) => results[i].failed(&e),
        }
    }
    for (i, done) in exported_idx.into_iter().zip(exported) {
        match done {
            Ok(stats) => results[i].pushed(stats),
            Err(e) => results[i].failed(&e),
        }
    }
}

enum Done {
    Retagged(Digest),
    Pushed(PushStats),
}

/// A retag, or the push of an image read from disk.
async fn run_direct(ctx: &Ctx, l: &Local, action: Action) -> Result<Done, PushError> {
    match (action, &l.image) {
        (Action::Retag { remote, names }, _) => {
            hoist_registry::retag(&ctx.client, &l.repository, &remote, &names)
                .await
                .map(Done::Retagged)
                .map_err(|e| ctx.fail(e))
        }
        (Action::Upload { names, .. }, Source::Ready(image)) => hoist_registry::push_image(
            &ctx.client,
            &l.repository,
            image,
            &names,
            &ctx.shared,
            &ctx.push_options(),
            &HashMap::new(),
        )
        .await
        .map(Done::Pushed)
        .map_err(|e| ctx.fail(e)),
        (Action::Upload { .. }, Source::Engine { .. }) => {
            unreachable!("engine images are pushed by the export")
        }
        (Action::Unchanged, _) => unreachable!("unchanged images are not run"),
    }
}
