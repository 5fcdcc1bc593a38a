//! Layer compression with a stable result: the engine exports layers as uncompressed tars;
//! hoist compresses each one before it leaves, deterministically, so the same layer gives the
//! same blob on every run, machine and service (they share blobs in the registry).
//!
//! Deterministic means: one compressor (the one hoist is built with), one level, and headers
//! with nothing that varies. gzip (flate2, level 6): no file name, modification time 0, OS
//! byte 255 "unknown", no extra field. zstd (opt-in, `…layer.v1.tar+zstd`; the zstd library,
//! level 3, one thread per layer, which zstd makes independent of the machine): one frame
//! whose header always holds the content size (the layer's length is known before it starts)
//! and no dictionary id, and always ends in the XXH64 content checksum. Layers are compressed
//! in parallel, each on its own thread. A different hoist version may compress differently;
//! that costs nothing, because a layer's identity stays its uncompressed `diff_id`: a layer
//! the repository already holds (found through the remote image's config) reuses the remote
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
    /// zstd, level 3: smaller and faster than gzip; read by containerd 1.5+, Docker 23+
    /// and ECS/Fargate (platform 1.4).
    Zstd,
    /// Uncompressed: the blob digest is the `diff_id` (hoist's behaviour before
    /// compression; fastest on a fast link, biggest in storage).
    None,
}

/// The gzip level: zlib's default, the usual balance of speed and size.
const GZIP_LEVEL: u32 = 6;

/// The zstd level: the library's default.
const ZSTD_LEVEL: i32 = 3;

impl Compression {
    /// The OCI media type of a layer sent this way.
    #[must_use]
    pub fn layer_media_type(self) -> &'static str {
        match self {
            Self::Gzip => media_type::OCI_LAYER_GZIP,
            Self::Zstd => media_type::OCI_LAYER_ZSTD,
            Self::None => media_type::OCI_LAYER_TAR,
        }
    }

    /// The name `[images] compression` uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
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
    let extension = match compression {
        Compression::Zstd => "zst",
        Compression::Gzip | Compression::None => "gz",
    };
    let path = dir.join(format!("{}.{extension}", layer.descriptor.digest.hex()));
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
    let complete = |copied: u64| {
        if copied == src.len {
            Ok(())
        } else {
            Err(RegistryError::bad_image(
                &src.path,
                format!("the layer ended after {copied} of {} bytes", src.len),
            ))
        }
    };
    let read_err = |e| RegistryError::io(&src.path, e);
    let write_err = |e| RegistryError::io(&path, e);
    let mut tee = match compression {
        Compression::Gzip => {
            let mut gz = flate2::GzBuilder::new()
                .mtime(0)
                .operating_system(255)
                .write(tee, flate2::Compression::new(GZIP_LEVEL));
            complete(std::io::copy(&mut input, &mut gz).map_err(read_err)?)?;
            gz.finish().map_err(write_err)?
        }
        Compression::Zstd => {
            let mut z = zstd::stream::write::Encoder::new(tee, ZSTD_LEVEL).map_err(write_err)?;
            z.include_checksum(true).map_err(write_err)?;
            z.include_contentsize(true).map_err(write_err)?;
            z.include_dictid(false).map_err(write_err)?;
            z.set_pledged_src_size(Some(src.len)).map_err(write_err)?;
            complete(std::io::copy(&mut input, &mut z).map_err(read_err)?)?;
            z.finish().map_err(write_err)?
        }
        Compression::None => unreachable!("returned above"),
    };
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

    /// The blob `one` names, checked: it is smaller than the text it holds, and its digest
    /// and size are the descriptor's.
    fn compressed_text(one: &LocalBlob, bytes: &[u8]) -> Vec<u8> {
        assert!(
            one.descriptor.size < bytes.len() as u64 / 5,
            "text compresses"
        );
        let written = std::fs::read(&one.source.path).unwrap();
        assert_eq!(Digest::of(&written), one.descriptor.digest);
        assert_eq!(written.len() as u64, one.descriptor.size);
        written
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
        let written = compressed_text(&one, &bytes);
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
    fn zstd_gives_the_same_blob_every_time_and_decompresses_to_the_layer() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let bytes = text(50_000);
        let l = layer(a.path(), &bytes);
        let one = compress_layer(&l, a.path(), Compression::Zstd).unwrap();
        let two = compress_layer(&layer(b.path(), &bytes), b.path(), Compression::Zstd).unwrap();
        assert_eq!(one.descriptor, two.descriptor);
        assert_eq!(one.descriptor.media_type, media_type::OCI_LAYER_ZSTD);
        assert_eq!(
            Compression::Zstd.layer_media_type(),
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
        assert_ne!(
            one.descriptor.digest,
            compress_layer(&l, a.path(), Compression::Gzip)
                .unwrap()
                .descriptor
                .digest
        );
        let written = compressed_text(&one, &bytes);
        // RFC 8878 frame: magic, then the descriptor: content size present (flag bits 7-6
        // non-zero), single segment, checksum (bit 2), no dictionary id (bits 1-0).
        assert_eq!(&written[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        let fhd = written[4];
        assert_ne!(fhd >> 6, 0, "content size");
        assert_eq!(fhd & 0b100, 0b100, "checksum");
        assert_eq!(fhd & 0b11, 0, "no dictionary id");
        let back =
            zstd::stream::decode_all(std::fs::File::open(&one.source.path).unwrap()).unwrap();
        assert_eq!(Digest::of(&back), l.descriptor.digest, "the diff_id");
    }

    #[test]
    fn a_short_layer_is_an_error_not_a_blob() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = layer(dir.path(), b"short");
        l.source.len = 50;
        for c in [Compression::Gzip, Compression::Zstd] {
            let e = compress_layer(&l, dir.path(), c).unwrap_err();
            assert!(e.to_string().contains("5 of 50"), "{c:?}: {e}");
        }
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
