//! Pushing one image: every blob HEADed first, missing ones mounted from another repository
//! of the registry or uploaded (bounded parallelism, streamed from disk), and the manifest PUT
//! only after every blob is present, so no tag ever points at a manifest with missing blobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use serde::Serialize;

use crate::client::{Client, Mount, RemoteManifest};
use crate::digest::Digest;
use crate::error::RegistryError;
use crate::image::{LocalBlob, LocalImage};
use crate::retry::Retryable;

/// How a blob came to be in the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum BlobOutcome {
    /// HEAD said it was already there.
    Present,
    /// Mounted from another repository of the same registry (no bytes sent).
    Mounted { from: String },
    /// Uploaded.
    Uploaded { bytes: u64 },
}

/// Push tuning.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Blobs of one image uploaded at the same time.
    pub parallel_blobs: usize,
    /// Other repositories of this push, tried as mount sources for blobs not seen yet.
    pub sibling_repositories: Vec<String>,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            parallel_blobs: 4,
            sibling_repositories: Vec::new(),
        }
    }
}

/// What one image push did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushStats {
    pub blobs_present: usize,
    pub blobs_mounted: usize,
    pub blobs_uploaded: usize,
    /// Uploaded blobs that are layers (the config is the other one).
    pub layers_uploaded: usize,
    pub bytes_sent: u64,
    pub manifest_digest: Option<Digest>,
}

/// Where blobs are in the registry, shared by the pushes of one run so that a blob
/// several services share is uploaded once and mounted into the other repositories.
#[derive(Debug, Default)]
pub struct BlobRegistry {
    cells: Mutex<HashMap<Digest, Arc<tokio::sync::OnceCell<String>>>>,
}

impl BlobRegistry {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `repo` holds the blob `d` now (streamed there): the other repositories of the run
    /// mount it from there.
    pub fn record(&self, d: &Digest, repo: &str) {
        let _ = self.cell(d).set(repo.to_owned());
    }

    fn cell(&self, d: &Digest) -> Arc<tokio::sync::OnceCell<String>> {
        self.cells
            .lock()
            .expect("not poisoned")
            .entry(d.clone())
            .or_default()
            .clone()
    }
}

/// Pushes `image` to `repo` and points every tag in `tags` at it, in order (put the SHA tag
/// before moving tags such as `latest`). Blobs already made present in `repo` (uploaded
/// while an export was still streaming) are in `done` with their outcomes and not asked
/// about again.
///
/// # Errors
/// The first blob that could not be made present after retries, or a refused manifest. No
/// tag is touched unless every blob is present.
pub async fn push_image(
    client: &Client,
    repo: &str,
    image: &LocalImage,
    tags: &[String],
    shared: &BlobRegistry,
    opts: &PushOptions,
    done: &HashMap<Digest, BlobOutcome>,
) -> Result<PushStats, RegistryError> {
    let blobs: Vec<&LocalBlob> = image
        .blobs()
        .into_iter()
        .filter(|b| !done.contains_key(&b.descriptor.digest))
        .collect();
    // Boxed futures collected first: a stream of closures over borrowed blobs trips the
    // compiler's higher-ranked `Send` check when the caller spawns this future.
    let futs: Vec<futures::future::BoxFuture<'_, (bool, Result<BlobOutcome, RegistryError>)>> =
        blobs
            .into_iter()
            .map(|b| {
                let is_config = b.descriptor.digest == image.config.descriptor.digest;
                let fut: futures::future::BoxFuture<'_, _> = Box::pin(async move {
                    (is_config, make_present(client, repo, b, shared, opts).await)
                });
                fut
            })
            .collect();
    let mut outcomes: Vec<(bool, Result<BlobOutcome, RegistryError>)> = futures::stream::iter(futs)
        .buffer_unordered(opts.parallel_blobs.max(1))
        .collect()
        .await;
    for b in image.blobs() {
        if let Some(o) = done.get(&b.descriptor.digest) {
            outcomes.push((
                b.descriptor.digest == image.config.descriptor.digest,
                Ok(o.clone()),
            ));
        }
    }
    let mut stats = PushStats::default();
    for (is_config, o) in outcomes {
        match o? {
            BlobOutcome::Present => stats.blobs_present += 1,
            BlobOutcome::Mounted { .. } => stats.blobs_mounted += 1,
            BlobOutcome::Uploaded { bytes } => {
                stats.blobs_uploaded += 1;
                stats.layers_uploaded += usize::from(!is_config);
                stats.bytes_sent += bytes;
            }
        }
    }
    for tag in tags {
        let digest = client
            .put_manifest(repo, tag, &image.manifest_bytes, &image.manifest_media_type)
            .await?;
        stats.manifest_digest = Some(digest);
    }
    Ok(stats)
}

/// Points `tags` at a manifest that is already in the repository, by PUTting its exact bytes
/// again: no blob traffic.
///
/// # Errors
/// When the registry refuses the manifest.
pub async fn retag(
    client: &Client,
    repo: &str,
    remote: &RemoteManifest,
    tags: &[String],
) -> Result<Digest, RegistryError> {
    let mut digest = remote.digest.clone();
    for tag in tags {
        digest = client
            .put_manifest(repo, tag, &remote.bytes, &remote.media_type)
            .await?;
    }
    Ok(digest)
}

/// Records that `blob` was streamed into `repo` and committed there (by
/// [`Client::stream_blob`]): reported as uploaded, and the source the other repositories of
/// the run mount it from.
pub fn streamed_into(
    client: &Client,
    repo: &str,
    blob: &LocalBlob,
    shared: &BlobRegistry,
) -> BlobOutcome {
    let (digest, bytes) = (&blob.descriptor.digest, blob.descriptor.size);
    shared.record(digest, repo);
    client.reporter().upload_started(repo, digest, bytes);
    let outcome = BlobOutcome::Uploaded { bytes };
    client.reporter().blob_done(repo, digest, outcome.clone());
    outcome
}

/// Makes one blob present in `repo`: HEAD, then a mount from another repository of this
/// run that has it, else an upload; starting over after a failure worth retrying. Blobs
/// several repositories share go over the wire once (`shared`).
///
/// # Errors
/// The last failure once retries are used up, or one not worth retrying.
pub async fn make_present(
    client: &Client,
    repo: &str,
    blob: &LocalBlob,
    shared: &BlobRegistry,
    opts: &PushOptions,
) -> Result<BlobOutcome, RegistryError> {
    let policy = client.retry_policy();
    let mut attempt = 0;
    loop {
        match ensure_blob_once(client, repo, blob, shared, opts).await {
            Ok(o) => {
                client
                    .reporter()
                    .blob_done(repo, &blob.descriptor.digest, o.clone());
                return Ok(o);
            }
            Err(e) if attempt + 1 < policy.attempts && retryable(&e) => {
                let delay = policy.delay(attempt, None);
                client.reporter().retrying(
                    &format!("blob {}", blob.descriptor.digest.short()),
                    attempt + 1,
                    &e.to_string(),
                    delay,
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn retryable(e: &RegistryError) -> bool {
    match e {
        RegistryError::Unreachable { source, .. } => Retryable::transport(source) == Retryable::Yes,
        RegistryError::Status { status, .. } => Retryable::status(*status) == Retryable::Yes,
        _ => false,
    }
}

async fn ensure_blob_once(
    client: &Client,
    repo: &str,
    blob: &LocalBlob,
    shared: &BlobRegistry,
    opts: &PushOptions,
) -> Result<BlobOutcome, RegistryError> {
    let digest = &blob.descriptor.digest;
    let cell = shared.cell(digest);
    if client.blob_exists(repo, digest).await? {
        let _ = cell.set(repo.to_owned());
        return Ok(BlobOutcome::Present);
    }
    // Another push of this run has it (or is uploading it): wait for that, then mount.
    let mut uploaded_here = None;
    let holder = cell
        .get_or_try_init(|| async {
            let from = opts
                .sibling_repositories
                .iter()
                .find(|r| r.as_str() != repo);
            let outcome = mount_or_upload(client, repo, blob, from.map(String::as_str)).await?;
            uploaded_here = Some(outcome);
            Ok::<_, RegistryError>(repo.to_owned())
        })
        .await?
        .clone();
    if let Some(o) = uploaded_here {
        return Ok(o);
    }
    if holder == repo {
        // Made present by a concurrent push of the same blob into this same repository.
        return Ok(BlobOutcome::Present);
    }
    mount_or_upload(client, repo, blob, Some(&holder)).await
}

/// Opens the upload session with a mount request when there is a candidate source: a 201
/// means mounted, a 202 gives the session to upload into (ECR answers 202 unless blob
/// mounting is on and a manifest references the blob).
async fn mount_or_upload(
    client: &Client,
    repo: &str,
    blob: &LocalBlob,
    from: Option<&str>,
) -> Result<BlobOutcome, RegistryError> {
    let digest = &blob.descriptor.digest;
    let session = match from {
        Some(from) => match client.mount(repo, digest, from).await? {
            Mount::Mounted => {
                return Ok(BlobOutcome::Mounted {
                    from: from.to_owned(),
                });
            }
            Mount::Session(url) => url,
        },
        None => client.start_upload(repo).await?,
    };
    client
        .reporter()
        .upload_started(repo, digest, blob.source.len);
    client.put_blob(session, repo, blob).await?;
    Ok(BlobOutcome::Uploaded {
        bytes: blob.source.len,
    })
}
