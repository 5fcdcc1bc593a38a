//! Pushing images that are still in the Docker engine. They are exported in one stream (a
//! layer several images share comes once) and spooled file by file; each layer the
//! repository does not already store (by diff_id, under any compression) is sent the moment
//! its file is complete, while the export goes on. With gzip, a layer guessed to be sent
//! ([`LayerGuess`]) is compressed on every core as it streams in, and its compressed bytes
//! stream into the repository it is guessed to be for as they are produced; that stream is
//! committed only as the exact blob the layer compressed to, else the blob is uploaded from
//! its file. Any other layer found to be needed is compressed from its spool file on a free
//! core. Manifests follow once the export is whole and every blob is present, so no tag
//! points at a partial image.

use std::collections::HashMap;
use std::sync::Arc;

use hoist_registry::{
    BlobOutcome, Descriptor, Digest, LocalBlob, PushStats, RegistryError, SpooledFile, media_type,
};

use crate::error::PushError;
use crate::guess::LayerGuess;
use crate::run::Ctx;
use crate::source::EngineImage;

mod stream;

use stream::{Sink, Streaming, is_streamed};

/// One engine image to push.
pub(crate) struct Wanted {
    pub(crate) repo: String,
    pub(crate) image: EngineImage,
    /// Tags to point at it, in order.
    pub(crate) names: Vec<String>,
    /// The layers the repository already stores, by diff_id.
    pub(crate) remote: hoist_registry::RemoteLayers,
}

/// Exports every wanted image at once and pushes each; one result per `wanted`, in order.
pub(crate) async fn export_and_push(
    ctx: &Arc<Ctx>,
    engine: &hoist_docker::Engine,
    wanted: &[Wanted],
) -> Vec<Result<PushStats, PushError>> {
    if wanted.is_empty() {
        return Vec::new();
    }
    // Spool files live as long as this push: the directory goes when `work` drops.
    let work = match crate::source::work_dir() {
        Ok(w) => w,
        Err(e) => return wanted.iter().map(|_| Err(e.clone())).collect(),
    };
    let dir = work.path();
    let mut names: Vec<&str> = wanted.iter().map(|w| w.image.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    ctx.events.step(&format!(
        "exporting {} from the Docker engine",
        names.join(", ")
    ));
    let reader = engine.export_reader(&names);
    let (tx, mut spooled) =
        tokio::sync::mpsc::unbounded_channel::<(SpooledFile, Option<Streaming>)>();
    let spool_dir = dir.to_owned();
    let guess = if ctx.compression == hoist_registry::Compression::Gzip {
        LayerGuess::new(wanted.iter().map(|w| {
            w.image
                .diff_ids
                .iter()
                .map(|d| (d.clone(), w.remote.get(d).is_none()))
                .collect()
        }))
    } else {
        LayerGuess::default()
    };
    let repos = wanted.iter().map(|w| w.repo.clone()).collect();
    let mut sink = Sink::new(guess, tx, ctx.clone(), repos);
    let spooler =
        tokio::task::spawn_blocking(move || hoist_registry::spool(reader, &spool_dir, &mut sink));

    // Which image wants which blob: its config, or a layer (by diff_id).
    let mut wants: HashMap<Digest, Vec<(usize, bool)>> = HashMap::new();
    for (i, w) in wanted.iter().enumerate() {
        wants
            .entry(w.image.config.clone())
            .or_default()
            .push((i, true));
        for d in &w.image.diff_ids {
            let entry = wants.entry(d.clone()).or_default();
            if !entry.iter().any(|(j, _)| *j == i) {
                entry.push((i, false));
            }
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(ctx.parallel_uploads));
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let cpu = Arc::new(tokio::sync::Semaphore::new(cores));
    // Per image: the blob sent for each layer (by diff_id), and each blob's outcome.
    let mut layers: Vec<HashMap<Digest, LocalBlob>> =
        wanted.iter().map(|_| HashMap::new()).collect();
    let mut done: Vec<Result<HashMap<Digest, BlobOutcome>, PushError>> =
        wanted.iter().map(|_| Ok(HashMap::new())).collect();
    let mut sending = tokio::task::JoinSet::new();
    while let Some((file, streaming)) = spooled.recv().await {
        tracing::debug!(
            name = file.name,
            bytes = file.size,
            digest = file.digest.short(),
            "spooled"
        );
        let mut send_to: Vec<(usize, bool)> = Vec::new();
        for (i, is_config) in wants.remove(&file.digest).unwrap_or_default() {
            // A layer the repository holds already (under any compression) is neither
            // compressed nor sent: its stored descriptor goes into the manifest.
            if !is_config && let Some(stored) = wanted[i].remote.get(&file.digest) {
                tracing::debug!(
                    repo = wanted[i].repo,
                    diff_id = file.digest.short(),
                    blob = stored.digest.short(),
                    "layer reused"
                );
                layers[i].insert(
                    file.digest.clone(),
                    LocalBlob {
                        descriptor: stored.clone(),
                        // Never read: the blob is in the repository (a manifest there
                        // references it), and an upload of these bytes would fail its digest.
                        source: file.source(),
                    },
                );
                if let Ok(map) = &mut done[i] {
                    map.insert(stored.digest.clone(), BlobOutcome::Present);
                }
                continue;
            }
            send_to.push((i, is_config));
        }
        if send_to.is_empty() {
            if let Some(s) = streaming {
                s.task.abort(); // guessed wrong: the stream is never committed
            }
            continue;
        }
        if !file.written && file.compressed.is_none() {
            // Skipped as a layer every repository has, yet needed: the image in the engine is
            // not the one inspected before the export (rebuilt meanwhile). Nothing is tagged.
            let e = PushError::Task {
                what: "the export",
                detail: format!(
                    "it held layer {} that no image was to send, then one needed it (was the image rebuilt during the push?); run the push again",
                    file.digest.short()
                ),
            };
            for (i, _) in send_to {
                done[i] = Err(e.clone());
            }
            continue;
        }
        let is_config = send_to.iter().all(|(_, c)| *c);
        let blob = LocalBlob {
            descriptor: Descriptor {
                media_type: if is_config {
                    media_type::OCI_CONFIG
                } else {
                    media_type::OCI_LAYER_TAR
                }
                .to_owned(),
                digest: file.digest.clone(),
                size: file.size,
                platform: None,
                annotations: None,
            },
            source: file.source(),
        };
        let (ctx, limit, cpu) = (ctx.clone(), limit.clone(), cpu.clone());
        let mut repos: Vec<(usize, String)> = send_to
            .iter()
            .map(|(i, _)| (*i, wanted[*i].repo.clone()))
            .collect();
        let dir = dir.to_owned();
        let on_the_way = file.compressed.clone().filter(|_| !is_config);
        sending.spawn(async move {
            let diff_id = blob.descriptor.digest.clone();
            let blob = match on_the_way {
                _ if is_config => Ok(blob),
                Some(compressed) => Ok(compressed),
                None => compress(&cpu, blob, dir, ctx.compression).await,
            };
            let blob = match blob {
                Ok(b) => b,
                Err(e) => {
                    let f = ctx.fail(e);
                    return repos
                        .into_iter()
                        .map(|(i, _)| (i, diff_id.clone(), Err(f.clone())))
                        .collect::<Vec<_>>();
                }
            };
            // The repository the layer streamed into while it was compressed has it once that
            // stream is committed; the others then mount it from there.
            let mut streamed = Vec::new();
            if let Some(s) = streaming {
                match repos.iter().position(|(_, r)| *r == s.repo) {
                    Some(at) => {
                        if is_streamed(s.task, &blob).await {
                            let (i, repo) = repos.remove(at);
                            let outcome = hoist_registry::streamed_into(
                                &ctx.client,
                                &repo,
                                &blob,
                                &ctx.shared,
                            );
                            streamed.push((i, diff_id.clone(), Ok((blob.clone(), outcome))));
                        }
                    }
                    None => s.task.abort(),
                }
            }
            let sends = repos.into_iter().map(|(i, repo)| {
                let (ctx, limit, blob, diff_id) = (&ctx, &limit, &blob, &diff_id);
                async move {
                    let _permit = limit.acquire().await.expect("never closed");
                    let outcome = hoist_registry::make_present(
                        &ctx.client,
                        &repo,
                        blob,
                        &ctx.shared,
                        &ctx.push_options(),
                    )
                    .await
                    .map(|o| (blob.clone(), o))
                    .map_err(|e| ctx.fail(e));
                    (i, diff_id.clone(), outcome)
                }
            });
            streamed.extend(futures::future::join_all(sends).await);
            streamed
        });
    }
    let archive = match spooler.await {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(e)) => Err(ctx.fail(e)),
        Err(e) => Err(PushError::Task {
            what: "the export task",
            detail: e.to_string(),
        }),
    };
    while let Some(joined) = sending.join_next().await {
        let Ok(results) = joined else {
            continue;
        };
        for (i, diff_id, outcome) in results {
            if let Ok(map) = &mut done[i] {
                match outcome {
                    Ok((blob, o)) => {
                        map.insert(blob.descriptor.digest.clone(), o);
                        layers[i].insert(diff_id, blob);
                    }
                    Err(f) => done[i] = Err(f),
                }
            }
        }
    }
    let archive = match archive {
        Ok(a) => a,
        Err(f) => return wanted.iter().map(|_| Err(f.clone())).collect(),
    };
    let finish = wanted
        .iter()
        .zip(done)
        .zip(layers)
        .map(|((w, done), sent)| {
            let image = archive.image(&w.image.config);
            async move {
                let done = done?;
                let image = image.map_err(|e| ctx.fail(e))?;
                // The manifest names the blobs sent (compressed) or reused, layer by layer.
                let replaced: Vec<LocalBlob> = image
                    .layers
                    .iter()
                    .map(|l| {
                        sent.get(&l.descriptor.digest)
                            .cloned()
                            .unwrap_or_else(|| l.clone())
                    })
                    .collect();
                let image = if replaced == image.layers {
                    image
                } else {
                    image.with_layers(replaced)
                };
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
                .map_err(|e: RegistryError| ctx.fail(e))
            }
        });
    futures::future::join_all(finish).await
}

/// Compresses one exported layer on a blocking thread, at most one per core at a time.
async fn compress(
    cpu: &tokio::sync::Semaphore,
    layer: LocalBlob,
    dir: std::path::PathBuf,
    compression: hoist_registry::Compression,
) -> Result<LocalBlob, RegistryError> {
    if compression == hoist_registry::Compression::None {
        return Ok(layer);
    }
    let _permit = cpu.acquire().await.expect("never closed");
    let started = std::time::Instant::now();
    let diff_id = layer.descriptor.digest.clone();
    let bytes_in = layer.source.len;
    let out = tokio::task::spawn_blocking(move || {
        hoist_registry::compress_layer(&layer, &dir, compression)
    })
    .await
    .expect("compression does not panic")?;
    tracing::debug!(
        diff_id = diff_id.short(),
        blob = out.descriptor.digest.short(),
        bytes_in,
        bytes_out = out.descriptor.size,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "layer compressed"
    );
    Ok(out)
}
