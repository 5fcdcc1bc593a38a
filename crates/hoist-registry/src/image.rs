//! A local image ready to push: its manifest bytes and where each blob's bytes are on disk.

use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::RegistryError;
use crate::manifest::{Descriptor, ImageManifest, Platform, media_type};

/// Where a blob's bytes are: a byte range of a file (a whole blob file of an OCI layout, or
/// an entry inside a `docker save` tar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobSource {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
    /// This run hashed exactly these bytes into the blob's digest as it wrote them (a spool
    /// file in its private directory): the upload does not hash them a second time. The
    /// registry checks the digest in any case; bytes from the user's files are always hashed.
    pub hashed_here: bool,
}

/// One blob of a local image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBlob {
    pub descriptor: Descriptor,
    pub source: BlobSource,
}

/// An image read from disk: exactly the manifest bytes that will be pushed, and its blobs.
#[derive(Debug, Clone)]
pub struct LocalImage {
    pub manifest_bytes: Vec<u8>,
    pub manifest_media_type: String,
    pub manifest: ImageManifest,
    pub config: LocalBlob,
    pub layers: Vec<LocalBlob>,
}

impl LocalImage {
    /// Opens an OCI image layout directory (`tag` picks the manifest by its
    /// `org.opencontainers.image.ref.name`; with one manifest it may be `None`) or a
    /// `docker save` archive file.
    ///
    /// # Errors
    /// When the path cannot be read or is neither form.
    pub fn open(path: &Path, tag: Option<&str>) -> Result<Self, RegistryError> {
        Self::open_for(path, tag, &Platform::linux_amd64())
    }

    /// [`LocalImage::open`], choosing `platform`'s manifest when the layout's entry is an
    /// image index (a `docker save` archive holds one platform).
    ///
    /// # Errors
    /// When the path cannot be read or is neither form, or an index has no manifest for
    /// `platform`.
    pub fn open_for(
        path: &Path,
        tag: Option<&str>,
        platform: &Platform,
    ) -> Result<Self, RegistryError> {
        let meta = std::fs::metadata(path).map_err(|e| RegistryError::io(path, e))?;
        if meta.is_dir() {
            crate::layout::open(path, tag, platform)
        } else {
            crate::archive::open(path, tag)
        }
    }

    /// Builds an OCI image manifest around a config blob and `docker save`'s layer files.
    /// Each layer's media type follows its first bytes: engines up to Docker 24 (and the
    /// classic image store) save uncompressed tars, Docker 25+ with the containerd image store
    /// saves layers as stored, gzip or zstd compressed; a wrong type would make the image
    /// unpullable.
    pub(crate) fn from_saved_layers(
        config: (Digest, u64, BlobSource),
        layers: Vec<(Digest, u64, BlobSource, &'static str)>,
    ) -> Self {
        let config = LocalBlob {
            descriptor: Descriptor {
                media_type: media_type::OCI_CONFIG.to_owned(),
                digest: config.0,
                size: config.1,
                platform: None,
                annotations: None,
            },
            source: config.2,
        };
        let layers: Vec<LocalBlob> = layers
            .into_iter()
            .map(|(digest, size, source, media_type)| LocalBlob {
                descriptor: Descriptor {
                    media_type: media_type.to_owned(),
                    digest,
                    size,
                    platform: None,
                    annotations: None,
                },
                source,
            })
            .collect();
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_owned()),
            config: config.descriptor.clone(),
            layers: layers.iter().map(|l| l.descriptor.clone()).collect(),
        };
        let manifest_bytes = serde_json::to_vec(&manifest).expect("a manifest always serializes");
        Self {
            manifest_bytes,
            manifest_media_type: media_type::OCI_MANIFEST.to_owned(),
            manifest,
            config,
            layers,
        }
    }

    /// The same image with other layer blobs (compressed ones, or descriptors the registry
    /// holds already), in the same order: a new OCI manifest is written for them. The
    /// config, and so every `diff_id`, is unchanged.
    #[must_use]
    pub fn with_layers(&self, layers: Vec<LocalBlob>) -> Self {
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_owned()),
            config: Descriptor {
                media_type: media_type::OCI_CONFIG.to_owned(),
                ..self.config.descriptor.clone()
            },
            layers: layers.iter().map(|l| l.descriptor.clone()).collect(),
        };
        let manifest_bytes = serde_json::to_vec(&manifest).expect("a manifest always serializes");
        let mut config = self.config.clone();
        config.descriptor.media_type = media_type::OCI_CONFIG.to_owned();
        Self {
            manifest_bytes,
            manifest_media_type: media_type::OCI_MANIFEST.to_owned(),
            manifest,
            config,
            layers,
        }
    }

    /// sha256 of the manifest bytes: the digest the registry will report.
    #[must_use]
    pub fn digest(&self) -> Digest {
        Digest::of(&self.manifest_bytes)
    }

    /// Config then layers, each blob once (a layer may repeat in a manifest).
    #[must_use]
    pub fn blobs(&self) -> Vec<&LocalBlob> {
        let mut out: Vec<&LocalBlob> = vec![&self.config];
        for l in &self.layers {
            if !out
                .iter()
                .any(|b| b.descriptor.digest == l.descriptor.digest)
            {
                out.push(l);
            }
        }
        out
    }

    /// Total size of the unique blobs.
    #[must_use]
    pub fn total_bytes(&self) -> u64 {
        self.blobs().iter().map(|b| b.descriptor.size).sum()
    }
}

/// The media type a layer file's first bytes call for: gzip, zstd, else an uncompressed tar.
pub(crate) fn layer_media_type(src: &BlobSource) -> Result<&'static str, RegistryError> {
    use std::io::{Read as _, Seek as _};
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(&src.path).map_err(|e| RegistryError::io(&src.path, e))?;
    f.seek(std::io::SeekFrom::Start(src.offset))
        .map_err(|e| RegistryError::io(&src.path, e))?;
    let n = f
        .take(src.len.min(4))
        .read(&mut magic)
        .map_err(|e| RegistryError::io(&src.path, e))?;
    Ok(media_type_of(&magic[..n]))
}

/// The media type a layer starting with `first` bytes calls for.
pub(crate) fn media_type_of(first: &[u8]) -> &'static str {
    match first {
        [0x1f, 0x8b, ..] => media_type::OCI_LAYER_GZIP,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => media_type::OCI_LAYER_ZSTD,
        _ => media_type::OCI_LAYER_TAR,
    }
}
