//! Layer compression with a stable result: the engine exports layers as uncompressed tars;
//! hoist compresses each one before it leaves, deterministically, so the same layer gives the
//! same blob on every run, machine and service (they share blobs in the registry).
//!
//! Deterministic means: one compressor (flate2, the one hoist is built with), one level, and a
//! gzip header with nothing that varies (no file name, modification time 0, OS byte 255
//! "unknown", no extra field). A different hoist version may compress differently; that costs
//! nothing, because a layer's identity stays its uncompressed `diff_id`: a layer the
//! repository already holds (found through the remote image's config) reuses the remote
//! descriptor and is never compressed or sent again.

use std::io::{Read as _, Seek as _, Write};
use std::path::Path;

use crate::digest::{Digest, Sha256Writer};
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalBlob};
use crate::manifest::{Descriptor, media_type};

/// How layers are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// gzip, level 6: what every registry and runtime reads.
    #[default]
    Gzip,
    /// Uncompressed: the blob digest is the `diff_id` (hoist's behaviour before
    /// compression; fastest on a fast link, biggest in storage).
    None,
}

/// The gzip level: zlib's default, the usual balance of speed and size.
const GZIP_LEVEL: u32 = 6;

impl Compression {
    /// The OCI media type of a layer sent this way.
    #[must_use]
    pub fn layer_media_type(self) -> &'static str {
        match self {
            Self::Gzip => media_type::OCI_LAYER_GZIP,
            Self::None => media_type::OCI_LAYER_TAR,
        }
    }

    /// The name `[images] compression` uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::None => "none",
        }
    }
}

/// Whether a layer of this media type is an uncompressed tar (what hoist compresses).
#[must_use]
pub fn is_uncompressed_layer(mt: &str) -> bool {
    mt == media_type::OCI_LAYER_TAR || mt == "application/vnd.docker.image.rootfs.diff.tar"
}

/// Counts and hashes what the compressor writes, on its way to the file.
struct Tee<W: Write> {
    inner: W,
    hash: Sha256Writer,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Compresses the uncompressed layer `layer` (its digest is its diff_id) into a file in
/// `dir`, and returns the blob to send instead: same content, compressed bytes, the
/// compressed digest and size, the media type of `compression`. Blocking: CPU-bound, run it
/// on a blocking thread. With [`Compression::None`] the layer is returned as it is.
///
/// # Errors
/// When the layer cannot be read or the file written.
pub fn compress_layer(
    layer: &LocalBlob,
    dir: &Path,
    compression: Compression,
) -> Result<LocalBlob, RegistryError> {
    if compression == Compression::None {
        return Ok(layer.clone());
    }
    let src = &layer.source;
    let path = dir.join(format!("{}.gz", layer.descriptor.digest.hex()));
    let mut input = std::fs::File::open(&src.path).map_err(|e| RegistryError::io(&src.path, e))?;
    input
        .seek(std::io::SeekFrom::Start(src.offset))
        .map_err(|e| RegistryError::io(&src.path, e))?;
    let mut input = std::io::BufReader::with_capacity(1 << 20, input.take(src.len));
    let out = std::fs::File::create(&path).map_err(|e| RegistryError::io(&path, e))?;
    let tee = Tee {
        inner: std::io::BufWriter::with_capacity(1 << 20, out),
        hash: Sha256Writer::new(),
    };
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(tee, flate2::Compression::new(GZIP_LEVEL));
    let copied = std::io::copy(&mut input, &mut gz).map_err(|e| RegistryError::io(&src.path, e))?;
    if copied != src.len {
        return Err(RegistryError::bad_image(
            &src.path,
            format!("the layer ended after {copied} of {} bytes", src.len),
        ));
    }
    let mut tee = gz.finish().map_err(|e| RegistryError::io(&path, e))?;
    tee.inner.flush().map_err(|e| RegistryError::io(&path, e))?;
    let size = tee.hash.len();
    let digest: Digest = tee.hash.finish();
    Ok(LocalBlob {
        descriptor: Descriptor {
            media_type: compression.layer_media_type().to_owned(),
            digest,
            size,
            platform: None,
            annotations: None,
        },
        source: BlobSource {
            path,
            offset: 0,
            len: size,
            hashed_here: true,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(dir: &Path, bytes: &[u8]) -> LocalBlob {
        let path = dir.join("layer.tar");
        std::fs::write(&path, bytes).unwrap();
        LocalBlob {
            descriptor: Descriptor {
                media_type: media_type::OCI_LAYER_TAR.into(),
                digest: Digest::of(bytes),
                size: bytes.len() as u64,
                platform: None,
                annotations: None,
            },
            source: BlobSource {
                path,
                offset: 0,
                len: bytes.len() as u64,
                hashed_here: false,
            },
        }
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("line {i}: the quick brown fox\n").into_bytes())
            .collect()
    }

    #[test]
    fn the_same_layer_gives_the_same_blob_every_time() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let bytes = text(50_000);
        let one = compress_layer(&layer(a.path(), &bytes), a.path(), Compression::Gzip).unwrap();
        // Another directory, another file name, a moment later: the same bytes.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let two = compress_layer(&layer(b.path(), &bytes), b.path(), Compression::Gzip).unwrap();
        assert_eq!(one.descriptor, two.descriptor);
        assert!(
            one.descriptor.size < bytes.len() as u64 / 5,
            "text compresses"
        );
        let written = std::fs::read(&one.source.path).unwrap();
        assert_eq!(Digest::of(&written), one.descriptor.digest);
        assert_eq!(written.len() as u64, one.descriptor.size);
        // RFC 1952 header: magic, deflate, no flags (no name), mtime 0, OS 255.
        assert_eq!(&written[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    }

    #[test]
    fn decompresses_to_the_layer() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = text(10_000);
        let l = layer(dir.path(), &bytes);
        let c = compress_layer(&l, dir.path(), Compression::Gzip).unwrap();
        assert_eq!(c.descriptor.media_type, media_type::OCI_LAYER_GZIP);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&c.source.path).unwrap())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(Digest::of(&back), l.descriptor.digest, "the diff_id");
    }

    #[test]
    fn a_byte_range_of_an_archive_is_compressed_alone() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = text(1000);
        let mut archive = b"HEADER--".to_vec();
        archive.extend_from_slice(&bytes);
        archive.extend_from_slice(b"--TRAILER");
        let path = dir.path().join("save.tar");
        std::fs::write(&path, &archive).unwrap();
        let mut l = layer(dir.path(), &bytes);
        l.source = BlobSource {
            path,
            offset: 8,
            len: bytes.len() as u64,
            hashed_here: false,
        };
        let out = tempfile::tempdir().unwrap();
        let c = compress_layer(&l, out.path(), Compression::Gzip).unwrap();
        let alone =
            compress_layer(&layer(dir.path(), &bytes), dir.path(), Compression::Gzip).unwrap();
        assert_eq!(c.descriptor.digest, alone.descriptor.digest);
    }

    #[test]
    fn none_sends_the_layer_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let l = layer(dir.path(), b"tar bytes");
        assert_eq!(
            compress_layer(&l, dir.path(), Compression::None).unwrap(),
            l
        );
    }
}
