//! Progress reporting: the library says what happens, the binary decides how to show it.

use std::time::Duration;

use crate::digest::Digest;
use crate::push::BlobOutcome;

/// Receives progress events from a push. Every method has an empty default.
pub trait Reporter: Send + Sync {
    /// A blob is about to be uploaded (it was missing from the repository).
    fn upload_started(&self, _image: &str, _digest: &Digest, _size: u64) {}
    /// `bytes` more bytes of the blob were sent.
    fn upload_progress(&self, _image: &str, _digest: &Digest, _bytes: u64) {}
    /// The blob is in the repository, and how it got there.
    fn blob_done(&self, _image: &str, _digest: &Digest, _outcome: BlobOutcome) {}
    /// A request failed in a way worth retrying; hoist waits `delay` and tries again.
    fn retrying(&self, _what: &str, _attempt: u32, _reason: &str, _delay: Duration) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

impl Reporter for NoReporter {}
