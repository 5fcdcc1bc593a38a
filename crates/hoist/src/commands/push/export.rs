//! Pushing images that are still in the Docker engine. They are exported in one stream (a
//! layer several images share comes once) and spooled file by file; each blob a repository
//! lacks is sent the moment its file is complete, while the export goes on. Manifests follow
//! once the export is whole and every blob is present, so no tag points at a partial image.

use std::collections::HashMap;
use std::sync::Arc;

use hoist_registry::{
    BlobOutcome, Descriptor, Digest, LocalBlob, PushStats, RegistryError, SpooledFile, media_type,
};

use super::service::{Ctx, Fail, registry_fail};
use super::source::EngineImage;

/// One engine image to push.
pub(crate) struct Wanted {
    pub(crate) repo: String,
    pub(crate) image: EngineImage,
    /// Tags to point at it, in order.
    pub(crate) names: Vec<String>,
}

/// Exports every wanted image at once and pushes each; one result per `wanted`, in order.
pub(crate) async fn export_and_push(
    ctx: &Arc<Ctx>,
    engine: &hoist_docker::Engine,
    wanted: &[Wanted],
) -> Vec<Result<PushStats, Fail>> {
    if wanted.is_empty() {
        return Vec::new();
    }
    // Spool files live as long as this push: the directory goes when `work` drops.
    let work = match super::source::work_dir() {
        Ok(w) => w,
        Err(e) => {
            return wanted
                .iter()
                .map(|_| Err((format!("{e:#}"), None)))
                .collect();
        }
    };
    let dir = work.path();
    let mut names: Vec<&str> = wanted.iter().map(|w| w.image.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    ctx.progress.line(&format!(
        "exporting {} from the Docker engine",
        names.join(", ")
    ));
    let reader = engine.export_reader(&names);
    let (tx, mut spooled) = tokio::sync::mpsc::unbounded_channel::<SpooledFile>();
    let spool_dir = dir.to_owned();
    let spooler = tokio::task::spawn_blocking(move || {
        hoist_registry::spool(reader, &spool_dir, |f| {
            let _ = tx.send(f.clone());
        })
    });

    // Which image wants which blob, and as what.
    let mut wants: HashMap<Digest, Vec<(usize, &'static str)>> = HashMap::new();
    for (i, w) in wanted.iter().enumerate() {
        wants
            .entry(w.image.config.clone())
            .or_default()
            .push((i, media_type::OCI_CONFIG));
        for d in &w.image.diff_ids {
            let entry = wants.entry(d.clone()).or_default();
            if !entry.iter().any(|(j, _)| *j == i) {
                entry.push((i, media_type::OCI_LAYER_TAR));
            }
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(ctx.parallel_uploads));
    let mut sending = tokio::task::JoinSet::new();
    while let Some(file) = spooled.recv().await {
        tracing::debug!(
            name = file.name,
            bytes = file.size,
            digest = file.digest.short(),
            "spooled"
        );
        for (i, mt) in wants.remove(&file.digest).unwrap_or_default() {
            let blob = LocalBlob {
                descriptor: Descriptor {
                    media_type: mt.to_owned(),
                    digest: file.digest.clone(),
                    size: file.size,
                    platform: None,
                    annotations: None,
                },
                source: file.source(),
            };
            let (ctx, limit, repo) = (ctx.clone(), limit.clone(), wanted[i].repo.clone());
            sending.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("never closed");
                let outcome = hoist_registry::make_present(
                    &ctx.client,
                    &repo,
                    &blob,
                    &ctx.shared,
                    &ctx.push_options(),
                )
                .await;
                (i, blob.descriptor.digest, outcome)
            });
        }
    }
    let archive = match spooler.await {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(e)) => Err(registry_fail(ctx, e)),
        Err(e) => Err((format!("the export task failed: {e}"), None)),
    };
    let mut done: Vec<Result<HashMap<Digest, BlobOutcome>, Fail>> =
        wanted.iter().map(|_| Ok(HashMap::new())).collect();
    while let Some(joined) = sending.join_next().await {
        let Ok((i, digest, outcome)) = joined else {
            continue;
        };
        if let Ok(map) = &mut done[i] {
            match outcome {
                Ok(o) => {
                    map.insert(digest, o);
                }
                Err(e) => done[i] = Err(registry_fail(ctx, e)),
            }
        }
    }
    let archive = match archive {
        Ok(a) => a,
        Err(f) => return wanted.iter().map(|_| Err(f.clone())).collect(),
    };
    let finish = wanted.iter().zip(done).map(|(w, done)| {
        let image = archive.image(&w.image.config);
        async move {
            let done = done?;
            let image = image.map_err(|e| registry_fail(ctx, e))?;
            hoist_registry::push_image(
                &ctx.client,
                &w.repo,
                &image,
                &w.names,
                &ctx.shared,
                &ctx.push_options(),
                &done,
            )
            .await
            .map_err(|e: RegistryError| registry_fail(ctx, e))
        }
    });
    futures::future::join_all(finish).await
}
