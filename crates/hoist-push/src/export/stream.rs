//! The export's side of a push: what the spool does with each file as it streams in (from
//! [`LayerGuess`]), and the streaming upload of a layer compressed on the way: its bytes go
//! to the registry as they are produced, committed only as the exact blob the layer
//! compressed to.

use std::collections::HashMap;
use std::sync::Arc;

use hoist_registry::{Digest, LocalBlob, RegistryError, SpooledFile};

use crate::guess::{Guess, LayerGuess};
use crate::run::Ctx;

/// A layer's compressed bytes streaming into `repo` while it is compressed.
pub(crate) struct Streaming {
    pub(crate) repo: String,
    /// The stream, committed once the spool says which blob the layer compressed to.
    pub(crate) task: tokio::task::JoinHandle<Result<bool, RegistryError>>,
}

/// Tells the push of each spooled file, and the guess of each file's digest; streams each
/// layer compressed on the way into the repository it is guessed to be for.
pub(crate) struct Sink {
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

impl Sink {
    /// A sink for the export of images whose repositories are `repos`, in order; it tells
    /// the push of each file through `tx`.
    pub(crate) fn new(
        guess: LayerGuess,
        tx: tokio::sync::mpsc::UnboundedSender<(SpooledFile, Option<Streaming>)>,
        ctx: Arc<Ctx>,
        repos: Vec<String>,
    ) -> Self {
        Self {
            guess,
            tx,
            ctx,
            repos,
            runtime: tokio::runtime::Handle::current(),
            streaming: HashMap::new(),
            next_repo: None,
        }
    }
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
pub(crate) async fn is_streamed(
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
