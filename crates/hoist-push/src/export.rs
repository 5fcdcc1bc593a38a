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
use crate::guess::{Guess, LayerGuess};
use crate::run::Ctx;
use crate::source::EngineImage;

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
    let mut sink = Sink {
        guess,
        tx,
        ctx: ctx.clone(),
        repos: wanted.iter().map(|w| w.repo.clone()).collect(),
        runtime: tokio::runtime::Handle::current(),
        streaming: HashMap::new(),
        next_repo: None,
    };
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

/// A layer's compressed bytes streaming into `repo` while it is compressed.
struct Streaming {
    repo: String,
    /// The stream, committed once the spool says which blob the layer compressed to.
    task: tokio::task::JoinHandle<Result<bool, RegistryError>>,
}

/// Tells the push of each spooled file, and the guess of each file's digest; streams each
/// layer compressed on the way into the repository it is guessed to be for.
struct Sink {
    guess: LayerGuess,
    tx: tokio::sync::mpsc::UnboundedSender<(SpooledFile, Option<Streaming>)>,
    ctx: Arc<Ctx>,
    /// Each image's repository.
    repos: Vec<String>,
    runtime: tokio::runtime::Handle,
    /// By file name: the stream, and where to say which blob it must be to be committed.
    streaming: HashMap<String, (Streaming, tokio::sync::oneshot::Sender<Digest>)>,
    /// The repository the next `mirror_compressed` streams to.
    next_repo: Option<String>,
}

/// At most this many compressed pieces wait for the link; the compression waits beyond.
const STREAM_QUEUE: usize = 32;

impl hoist_registry::SpoolSink for Sink {
    fn on_the_way(&mut self, name: &str) -> hoist_registry::OnTheWay {
        use hoist_registry::OnTheWay;
        let guess = self.guess.guess(name);
        self.next_repo = match guess {
            Guess::Send(i) => Some(self.repos[i].clone()),
            Guess::Unchanged | Guess::Unsure => None,
        };
        match guess {
            Guess::Send(_) => OnTheWay::Compress,
            Guess::Unchanged => OnTheWay::Skip,
            Guess::Unsure => OnTheWay::Keep,
        }
    }

    fn mirror_compressed(&mut self, name: &str) -> Option<Box<dyn std::io::Write + Send>> {
        let repo = self.next_repo.take()?;
        let (bytes_tx, mut bytes_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(STREAM_QUEUE);
        let (expect_tx, expect_rx) = tokio::sync::oneshot::channel::<Digest>();
        let ctx = self.ctx.clone();
        let to = repo.clone();
        let task = self.runtime.spawn(async move {
            let chunks = futures::stream::poll_fn(move |cx| bytes_rx.poll_recv(cx));
            let streamed = ctx.client.stream_blob(&to, chunks).await?;
            // Committed only as the very blob the layer compressed to, and whole.
            match expect_rx.await {
                Ok(expected) if expected == streamed.digest => {
                    ctx.client.commit_streamed(&to, &streamed).await?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        });
        self.streaming
            .insert(name.to_owned(), (Streaming { repo, task }, expect_tx));
        Some(Box::new(ToUpload {
            tx: bytes_tx,
            runtime: self.runtime.clone(),
        }))
    }

    fn complete(&mut self, file: &SpooledFile) {
        self.guess.seen(&file.digest);
        let streaming = self.streaming.remove(&file.name).map(|(s, expect)| {
            if let Some(blob) = &file.compressed {
                let _ = expect.send(blob.descriptor.digest.clone());
            }
            s
        });
        if let Some(blob) = &file.compressed {
            // Logged whether or not the push then sends it: a wrong guess shows here.
            tracing::debug!(
                diff_id = file.digest.short(),
                blob = blob.descriptor.digest.short(),
                bytes_in = file.size,
                bytes_out = blob.descriptor.size,
                "layer compressed on the way in"
            );
        }
        let _ = self.tx.send((file.clone(), streaming));
    }
}

/// Hands compressed bytes to a streaming upload, waiting while its queue is full (the link
/// paces the compression); fails once the upload has stopped or made no progress for
/// [`STREAM_STALL`], and the spool then only writes the file.
struct ToUpload {
    tx: tokio::sync::mpsc::Sender<bytes::Bytes>,
    runtime: tokio::runtime::Handle,
}

/// How long a streaming upload may take no bytes before the layer is sent from its file.
const STREAM_STALL: std::time::Duration = std::time::Duration::from_secs(30);

impl std::io::Write for ToUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let chunk = bytes::Bytes::copy_from_slice(buf);
        // The timer is made inside the runtime's context (this is a compression thread).
        let tx = &self.tx;
        let sent = self
            .runtime
            .block_on(async { tokio::time::timeout(STREAM_STALL, tx.send(chunk)).await });
        match sent {
            Ok(Ok(())) => Ok(buf.len()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether the layer's stream ended committed as `blob`; when not (the upload failed), the
/// push uploads the blob's file instead.
async fn is_streamed(
    task: tokio::task::JoinHandle<Result<bool, RegistryError>>,
    blob: &LocalBlob,
) -> bool {
    match task.await {
        Ok(Ok(committed)) => committed,
        Ok(Err(e)) => {
            tracing::debug!(blob = blob.descriptor.digest.short(), error = %e, "stream failed; uploading the file");
            false
        }
        Err(_) => false,
    }
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
