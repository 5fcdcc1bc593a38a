//! Layer compression with a stable result: the engine exports layers as uncompressed tars;
//! hoist compresses each one before it leaves, deterministically, so the same layer gives the
//! same blob on every run, machine and service (they share blobs in the registry).
//!
//! Deterministic means: one compressor (the one hoist is built with), one level, fixed
//! boundaries, and headers with nothing that varies.
//!
//! gzip: the layer is cut into 1 MiB pieces at fixed offsets and each piece is one gzip
//! member (RFC 1952 §2.2: a gzip file is a series of members; Go's `compress/gzip`, which
//! Docker, containerd, ECS and skopeo read layers with, and `gunzip` read them all). Each
//! member is compressed by libdeflate at level 5, with no file name, modification time 0 and
//! OS byte 255 "unknown". The pieces are independent, so one layer is compressed on every
//! core at once while the engine's export still streams in ([`gzip_members`]), and the
//! result does not depend on how many cores did it.
//!
//! Why libdeflate and level 5, measured on 231 MB of this machine's shared libraries (the
//! bench's real data), CPU seconds on one core: zlib-rs (flate2) level 6 as one stream,
//! 70.44 MB in 3.10 s; libdeflate level 4, 70.16 MB in 1.53 s; level 5, 68.75 MB in 1.95 s;
//! level 6, 68.21 MB in 2.40 s. Cutting into 1 MiB members costs 0.1% against 16 MiB ones.
//! Level 5 is 1.6× zlib's speed and 2.4% smaller, which keeps hoist's layers under `docker
//! push`'s (Go's gzip at its default level) with a margin level 4 does not have.
//!
//! zstd (opt-in, `…layer.v1.tar+zstd`; the zstd library, level 3, one thread per layer,
//! which zstd makes independent of the machine): one frame whose header always holds the
//! content size (the layer's length is known before it starts) and no dictionary id, and
//! always ends in the XXH64 content checksum; it is compressed once the layer is on disk.
//!
//! A different hoist version may compress differently; that costs nothing, because a layer's
//! identity stays its uncompressed `diff_id`: a layer the repository already holds (found
//! through the remote image's config) reuses the remote descriptor and is never compressed
//! or sent again.

use std::io::{Read as _, Seek as _, Write};
use std::path::Path;

use crate::digest::Sha256Writer;
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalBlob};
use crate::manifest::{Descriptor, media_type};

/// How layers are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// gzip (libdeflate, level 5, in 1 MiB members): what every registry and runtime reads.
    #[default]
    Gzip,
    /// zstd, level 3: smaller and faster than gzip; read by containerd 1.5+, Docker 23+
    /// and ECS/Fargate (platform 1.4).
    Zstd,
    /// Uncompressed: the blob digest is the `diff_id` (hoist's behaviour before
    /// compression; fastest on a fast link, biggest in storage).
    None,
}

/// The gzip level (libdeflate's scale): see the module's doc for the measurement.
const GZIP_LEVEL: i32 = 5;

/// Bytes of a layer per gzip member: the unit compressed on one core.
pub(crate) const GZIP_MEMBER: usize = 1 << 20;

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
pub(crate) struct Tee<W: Write> {
    pub(crate) inner: W,
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
    let tee = Tee::new(std::io::BufWriter::with_capacity(1 << 20, out));
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
            let mut copied = 0u64;
            let next = || {
                let want = (src.len - copied).min(GZIP_MEMBER as u64);
                let mut chunk = Vec::with_capacity(GZIP_MEMBER);
                (&mut input)
                    .take(want)
                    .read_to_end(&mut chunk)
                    .map_err(read_err)?;
                copied += chunk.len() as u64;
                Ok((!chunk.is_empty()).then_some(chunk))
            };
            let tee = gzip_members(next, tee, cores()).map_err(|e| e.into_error(write_err))?;
            complete(copied)?;
            tee
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
    Ok(tee.into_blob(compression, path))
}

/// The number of cores: the threads one layer is compressed on.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

impl<W: Write> Tee<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            hash: Sha256Writer::new(),
        }
    }

    /// The blob of what was written to `path` through this tee.
    pub(crate) fn into_blob(self, compression: Compression, path: std::path::PathBuf) -> LocalBlob {
        let size = self.hash.len();
        LocalBlob {
            descriptor: Descriptor {
                media_type: compression.layer_media_type().to_owned(),
                digest: self.hash.finish(),
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
        }
    }
}

/// Compresses the pieces `next` yields (each at most [`GZIP_MEMBER`] bytes; `None` at the
/// end) into gzip members on `threads` threads, and writes them to `out` in order as they
/// complete, so reading, compressing and writing overlap. At most a few pieces per thread
/// are held in memory. No piece at all gives one empty member (a valid, empty gzip file).
///
/// # Errors
/// The first error of `next` or of writing to `out`; what was written is then incomplete.
pub(crate) fn gzip_members<W: Write + Send, E>(
    mut next: impl FnMut() -> Result<Option<Vec<u8>>, E>,
    out: W,
    threads: usize,
) -> Result<W, Failed<E>> {
    use std::sync::mpsc::sync_channel;
    let threads = threads.max(1);
    std::thread::scope(|s| {
        let (job_tx, job_rx) = sync_channel::<(usize, Vec<u8>)>(threads);
        let (done_tx, done_rx) = sync_channel::<(usize, Vec<u8>)>(threads * 2);
        // The workers alone hold the job queue: when they stop (the writer failed), sending
        // a job fails instead of waiting forever.
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        for _ in 0..threads {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            s.spawn(move || {
                let level = libdeflater::CompressionLvl::new(GZIP_LEVEL).expect("a valid level");
                let mut compressor = libdeflater::Compressor::new(level);
                loop {
                    let job = job_rx.lock().expect("not poisoned").recv();
                    let Ok((i, piece)) = job else { return };
                    let mut member = vec![0; compressor.gzip_compress_bound(piece.len())];
                    let n = compressor
                        .gzip_compress(&piece, &mut member)
                        .expect("the bound is always enough");
                    member.truncate(n);
                    if done_tx.send((i, member)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((job_rx, done_tx));
        let writer = s.spawn(move || {
            let mut out = out;
            let mut waiting = std::collections::BTreeMap::new();
            let mut due = 0usize;
            for (i, member) in done_rx {
                waiting.insert(i, member);
                while let Some(member) = waiting.remove(&due) {
                    out.write_all(&member)?;
                    due += 1;
                }
            }
            Ok::<_, std::io::Error>(out)
        });
        let mut sent = 0usize;
        let read = loop {
            let piece = match next() {
                Ok(Some(piece)) => piece,
                Ok(None) if sent == 0 => Vec::new(),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            if job_tx.send((sent, piece)).is_err() {
                break Ok(()); // the writer failed: its error is the one to report
            }
            sent += 1;
        };
        drop(job_tx);
        let out = writer
            .join()
            .expect("the writer does not panic")
            .map_err(Failed::Write)?;
        read.map(|()| out).map_err(Failed::Read)
    })
}

/// Why [`gzip_members`] stopped: reading the pieces, or writing the members.
#[derive(Debug)]
pub(crate) enum Failed<E> {
    Read(E),
    Write(std::io::Error),
}

impl<E> Failed<E> {
    /// One error for both, the write error made by `write`.
    pub(crate) fn into_error(self, write: impl FnOnce(std::io::Error) -> E) -> E {
        match self {
            Self::Read(e) => e,
            Self::Write(e) => write(e),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::digest::Digest;

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

    pub(crate) fn text(n: usize) -> Vec<u8> {
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
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&c.source.path).unwrap())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(Digest::of(&back), l.descriptor.digest, "the diff_id");
    }

    /// Layers of several members: every member starts at a fixed offset of the layer, so
    /// the blob is the same on one thread or many, and decompresses to the layer.
    #[test]
    fn a_layer_of_many_members_is_the_same_on_any_number_of_threads() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = text(200_000); // about 6 MiB
        assert!(bytes.len() > 5 * GZIP_MEMBER);
        let l = layer(dir.path(), &bytes);
        let pieces = |bytes: &[u8]| -> Vec<Vec<u8>> {
            bytes.chunks(GZIP_MEMBER).map(<[u8]>::to_vec).collect()
        };
        let with = |threads: usize| {
            let mut pieces = pieces(&bytes).into_iter();
            let tee = gzip_members(
                || Ok::<_, std::io::Error>(pieces.next()),
                Tee::new(Vec::new()),
                threads,
            )
            .unwrap();
            (Digest::of(&tee.inner), tee.inner)
        };
        let (one, blob) = with(1);
        assert_eq!(with(3).0, one);
        assert_eq!(with(8).0, one);
        let from_file = compress_layer(&l, dir.path(), Compression::Gzip).unwrap();
        assert_eq!(from_file.descriptor.digest, one);
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(&blob[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, bytes);
        // One member per MiB, each with its own header.
        let members = blob
            .windows(10)
            .filter(|w| w == &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
            .count();
        assert_eq!(members, bytes.len().div_ceil(GZIP_MEMBER));
    }

    #[test]
    fn an_empty_layer_is_a_valid_empty_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let c = compress_layer(&layer(dir.path(), b""), dir.path(), Compression::Gzip).unwrap();
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&c.source.path).unwrap())
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
        assert!(c.descriptor.size >= 18, "a header and a trailer");
    }

    #[test]
    fn a_failed_write_stops_the_workers_and_is_reported() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // Many more pieces than the queues hold: the reader must not wait forever.
        let mut left = 100;
        let err = gzip_members(
            || {
                left -= 1;
                Ok::<_, std::io::Error>((left > 0).then(|| vec![7u8; 1000]))
            },
            Full,
            2,
        )
        .unwrap_err();
        assert!(matches!(err, Failed::Write(e) if e.to_string() == "disk full"));
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
