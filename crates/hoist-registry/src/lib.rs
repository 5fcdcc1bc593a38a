//! OCI distribution push: the registry data plane `hoist push` talks to (ECR's, or any
//! Distribution-compatible registry), the local image forms it reads, and the comparison that
//! decides whether an image changed.
//!
//! Owns: reading images from an OCI image layout or a `docker save` archive ([`LocalImage`]),
//! spooling the engine's export stream file by file as it arrives ([`spool`]), manifest and
//! index parsing, digest verification, the content comparison against the registry's
//! `latest` ([`compare`]), and the push itself (HEAD every blob, cross-repository mount,
//! bounded parallel uploads streamed from disk, retries, manifest PUT last), with credentials
//! fetched only when the registry challenges ([`CredentialSource`]): Basic, or Bearer tokens
//! per scope from the challenge's realm ([`Challenge`]); credentials from the Docker
//! configuration ([`DockerCredentials`]); layer compression ([`compress_layer`]) and the
//! remote layers a push reuses by diff_id ([`RemoteLayers`]).
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
//! client here is small (HEAD/GET/PUT manifest, HEAD blob, POST/PUT upload, and a PATCH of
//! unknown length for a layer streamed as it is compressed, [`Client::stream_blob`]) and each
//! of those is visible in one place.
//!
//! Layer compression: `docker save` writes layers as uncompressed tars. hoist gzips the layers
//! it exports from the engine (`application/vnd.oci.image.layer.v1.tar+gzip`),
//! deterministically (see [`compress_layer`]), so the same layer is the same blob on every run
//! and machine of one hoist version. A layer's identity stays its uncompressed `diff_id`: a
//! layer the repository's images already store (read from their configs, [`RemoteLayers`])
//! keeps its stored blob whatever compressed it, so a compressor change, or images pushed
//! uncompressed or by other tools, never makes an unchanged layer look changed. OCI layouts
//! and archives given with `--image` are pushed exactly as they are (their manifest bytes are
//! kept).

mod archive;
mod auth;
mod challenge;
mod client;
mod compare;
mod compress;
mod digest;
mod docker_config;
mod error;
mod image;
mod layout;
mod manifest;
mod platform;
mod push;
mod reporter;
mod retry;
mod reuse;
mod spool;
mod tar_files;
mod token;

pub use auth::{BasicAuth, CredentialError, CredentialSource};
pub use challenge::{Challenge, is_ecr_host, is_loopback, same_origin, transport_is_safe};
pub use client::{Client, RemoteManifest, Streamed};
pub use compare::{Comparison, compare};
pub use compress::{Compression, compress_layer, is_uncompressed_layer};
pub use digest::{Digest, Sha256Writer};
pub use docker_config::{DockerConfigError, DockerCredentials};
pub use error::RegistryError;
pub use image::{BlobSource, LocalBlob, LocalImage};
pub use manifest::{Descriptor, ImageManifest, Index, Parsed, Platform, media_type};
pub use platform::PlatformError;
pub use push::{
    BlobOutcome, BlobRegistry, PushOptions, PushStats, make_present, push_image, retag,
    streamed_into,
};
pub use reporter::{NoReporter, Reporter};
pub use retry::{RetryPolicy, Retryable};
pub use reuse::RemoteLayers;
pub use spool::{EveryLayer, OnTheWay, SpoolSink, SpooledArchive, SpooledFile, spool};
pub use url::Url;
