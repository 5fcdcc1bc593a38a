//! OCI distribution push: the registry data plane `hoist push` talks to (ECR's, or any
//! Distribution-compatible registry), the local image forms it reads, and the comparison that
//! decides whether an image changed.
//!
//! Owns: reading images from an OCI image layout or a `docker save` archive ([`LocalImage`]),
//! spooling the engine's export stream file by file as it arrives ([`spool`]), manifest and
//! index parsing, digest verification, the content comparison against the registry's
//! `latest` ([`compare`]), and the push itself (HEAD every blob, cross-repository mount,
//! bounded parallel uploads streamed from disk, retries, manifest PUT last), with Basic
//! credentials fetched only when the registry challenges ([`CredentialSource`]).
//! Must not touch: AWS APIs (the ECR control plane and the authorization token live in
//! `hoist-aws`), the Docker engine (`hoist-docker`), or printing (progress goes through the
//! [`Reporter`] trait).
//!
//! Why the distribution HTTP API is implemented here on `reqwest` instead of `oci-client`:
//! hoist needs the cross-repository mount with a clean fallback when the registry answers
//! `202 Accepted` (ECR does unless blob mounting is enabled and the blob is referenced by a
//! manifest), uploads streamed from a byte range of a `docker save` tar while the digest is
//! verified, its own retry classification (5xx, 429 with `Retry-After`, dropped connections)
//! around every request, and the exact manifest bytes and `Content-Type` for retagging. The
//! client here is small (HEAD/GET/PUT manifest, HEAD blob, POST/PUT upload) and each of those
//! is visible in one place.
//!
//! Layer compression: `docker save` writes layers as uncompressed tars. hoist pushes them
//! as they are, with the OCI media type `application/vnd.oci.image.layer.v1.tar`, so a layer's
//! digest is its `diff_id` and is the same on every run, on every machine and with every hoist
//! version. A gzip made by hoist would be deterministic only for one compressor version and
//! level; a change there would make every layer look changed. The cost is bytes on the wire
//! (see `bench/push`). OCI layouts are pushed exactly as they are (their manifest bytes are kept).

mod archive;
mod auth;
mod client;
mod compare;
mod digest;
mod error;
mod image;
mod layout;
mod manifest;
mod push;
mod reporter;
mod retry;
mod spool;
mod tar;

pub use auth::{BasicAuth, CredentialError, CredentialSource};
pub use client::{Client, RemoteManifest};
pub use compare::{Comparison, compare};
pub use digest::{Digest, Sha256Writer};
pub use error::RegistryError;
pub use image::{BlobSource, LocalBlob, LocalImage};
pub use manifest::{Descriptor, ImageManifest, Index, Parsed, Platform, media_type};
pub use push::{
    BlobOutcome, BlobRegistry, PushOptions, PushStats, make_present, push_image, retag,
};
pub use reporter::{NoReporter, Reporter};
pub use retry::{RetryPolicy, Retryable};
pub use spool::{SpooledArchive, SpooledFile, spool};
