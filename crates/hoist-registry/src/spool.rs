//! Spooling a `docker save` stream (the engine's image export) as it arrives: each file of
//! the archive goes to its own file in a private directory, hashed on the way, and is
//! announced the moment it is complete, so its upload can start while the rest of the
//! export is still streaming. Nothing is read twice and no archive file is written.
//!
//! A layer the caller expects to send ([`SpoolSink::compress_on_the_way`]) is gzipped as it
//! streams in, on every core, and only its compressed form is written: by the time the
//! export has passed it, its blob is ready to upload.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::archive::SaveManifest;
use crate::compress::{Compression, GZIP_MEMBER, Tee, gzip_members};
use crate::digest::{Digest, Sha256Writer};
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalBlob, LocalImage, media_type_of};
use crate::tar_files::{Files, Kind, describe};

/// One file of the archive, hashed, and written to disk as it is or compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledFile {
    /// Its name in the archive (`<id>/layer.tar`, `<id>.json`, `manifest.json`, …).
    pub name: String,
    pub digest: Digest,
    pub size: u64,
    /// Where its bytes are, when [`SpooledFile::written`].
    pub path: PathBuf,
    /// Whether its bytes were written to `path` (not when it was compressed on the way, or
    /// only hashed as certainly not needed).
    pub written: bool,
    /// The layer media type its first bytes call for (gzip, zstd, else an uncompressed tar).
    pub media_type: &'static str,
    /// Its gzip blob, when it was compressed on the way instead of written as it is.
    pub compressed: Option<LocalBlob>,
}

/// What becomes of a file of the export as it streams in (always hashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnTheWay {
    /// Written to its spool file as it is.
    Keep,
    /// Gzipped on every core, only the compressed form written (a tar only; anything else
    /// is kept): a layer expected to be sent.
    Compress,
    /// Only hashed, nothing written: a layer certainly not needed (the repository has it).
    Skip,
}

/// What [`spool`] asks and tells its caller as the export streams in.
pub trait SpoolSink {
    /// What to do with `name`, its bytes not yet read. A wrong guess costs time, never
    /// correctness, except [`OnTheWay::Skip`]: a file skipped but then needed is an error
    /// for the caller (its bytes are gone).
    fn on_the_way(&mut self, _name: &str) -> OnTheWay {
        OnTheWay::Keep
    }

    /// Where else the compressed bytes of `name` go as they are produced, besides its file
    /// (an upload streaming them), asked only when it is compressed on the way. A writer
    /// that fails is dropped; the file is always complete. It is dropped, ending that
    /// stream, before [`SpoolSink::complete`] is told of the file.
    fn mirror_compressed(&mut self, _name: &str) -> Option<Box<dyn Write + Send>> {
        None
    }

    /// `file` is complete.
    fn complete(&mut self, file: &SpooledFile);
}

/// Compresses every layer on the way in (an image to send whole).
#[derive(Debug, Clone, Copy, Default)]
pub struct EveryLayer;

impl SpoolSink for EveryLayer {
    fn on_the_way(&mut self, _name: &str) -> OnTheWay {
        OnTheWay::Compress
    }

    fn complete(&mut self, _file: &SpooledFile) {}
}

impl<F: FnMut(&SpooledFile)> SpoolSink for F {
    fn complete(&mut self, file: &SpooledFile) {
        self(file);
    }
}

impl SpooledFile {
    /// Where its bytes are, as they are. For a file compressed on the way this names no
    /// file: read [`SpooledFile::compressed`] instead.
    #[must_use]
    pub fn source(&self) -> BlobSource {
        BlobSource {
            path: self.path.clone(),
            offset: 0,
            len: self.size,
            hashed_here: true,
        }
    }
}

/// A whole export, spooled: its `manifest.json` and every file.
#[derive(Debug)]
pub struct SpooledArchive {
    manifest: SaveManifest,
    files: Vec<SpooledFile>,
    dir: PathBuf,
}

impl SpooledArchive {
    /// The image whose config has `config_digest` (its image ID). Matching on content
    /// rather than on `RepoTags` finds it whatever name it was exported under.
    ///
    /// # Errors
    /// When no image of the archive has that config, or a file it names is missing.
    pub fn image(&self, config_digest: &Digest) -> Result<LocalImage, RegistryError> {
        let find = |name: &str| {
            self.files
                .iter()
                .find(|f| f.name == crate::tar_files::normalize(name))
        };
        let entry = self
            .manifest
            .entries
            .iter()
            .find(|e| find(&e.config).is_some_and(|f| &f.digest == config_digest))
            .ok_or_else(|| {
                RegistryError::bad_image(
                    &self.dir,
                    format!("the export holds no image with config {config_digest}"),
                )
            })?;
        SaveManifest::image(entry, &self.dir, |name| {
            find(name).map(|f| (f.digest.clone(), f.size, f.source(), f.media_type))
        })
    }

    /// The gzip blob of the layer `diff_id`, when it was compressed on the way in.
    #[must_use]
    pub fn compressed(&self, diff_id: &Digest) -> Option<&LocalBlob> {
        self.files
            .iter()
            .find(|f| &f.digest == diff_id)
            .and_then(|f| f.compressed.as_ref())
    }

    /// Every file, links resolved (a repeated layer appears under each name).
    #[must_use]
    pub fn files(&self) -> &[SpooledFile] {
        &self.files
    }
}

/// Reads a `docker save` archive from `reader` to its end, writing each regular file to
/// `dir` (which must exist and be private to this run), or its gzip blob when `sink` asks
/// for it, and telling `sink` as soon as a file is complete. Blocking: run it on a thread of
/// its own.
///
/// # Errors
/// When the stream breaks off, is not a tar, has no `manifest.json`, or `dir` cannot be written.
pub fn spool(
    reader: impl Read,
    dir: &Path,
    sink: &mut impl SpoolSink,
) -> Result<SpooledArchive, RegistryError> {
    let bad = |e: std::io::Error| {
        RegistryError::bad_image(dir, format!("the image export is not a usable tar: {e}"))
    };
    let mut archive = tar::Archive::new(reader);
    let mut files: Files<SpooledFile> = Files::default();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0usize;
    // Entries come in stream order; whatever of an entry is not read (a directory's data,
    // padding) the iterator skips before the next header.
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let (name, kind) = describe(&entry).map_err(bad)?;
        let spooled = if kind == Kind::File {
            n += 1;
            let path = dir.join(format!("{n:05}"));
            let size = entry.size();
            // The first piece tells what the file is before anything is written.
            let first = read_piece(&mut entry, size, &path)?;
            let media_type = media_type_of(&first);
            let what = match sink.on_the_way(&name) {
                OnTheWay::Compress if !is_tar(&first) => OnTheWay::Keep,
                what => what,
            };
            let (digest, compressed) = if what == OnTheWay::Compress {
                let mirror = sink.mirror_compressed(&name);
                let (digest, blob) = compress_hashed(&mut entry, size, first, &path, mirror)?;
                (digest, Some(blob))
            } else {
                let keep = what == OnTheWay::Keep;
                (
                    copy_hashed(&mut entry, size, first, &path, keep, &mut buf)?,
                    None,
                )
            };
            Some(SpooledFile {
                name: name.clone(),
                digest,
                size,
                written: what == OnTheWay::Keep,
                path,
                media_type,
                compressed,
            })
        } else {
            None
        };
        if let Some(f) = &spooled {
            sink.complete(f);
        }
        files.add(name, kind, |_| spooled.expect("a file entry was spooled"));
    }
    let files = files.finish(|f| &f.name, |f, name| SpooledFile { name, ..f.clone() });
    let Some(manifest) = files.iter().find(|f| f.name == "manifest.json") else {
        return Err(RegistryError::bad_image(
            dir,
            "the image export has no manifest.json",
        ));
    };
    let bytes = std::fs::read(&manifest.path).map_err(|e| RegistryError::io(&manifest.path, e))?;
    let manifest = SaveManifest::parse(&bytes, dir)?;
    Ok(SpooledArchive {
        manifest,
        files,
        dir: dir.to_owned(),
    })
}

/// Whether `first` starts a tar: the ustar magic of its first header (POSIX and GNU tars,
/// which the engine writes layers as). A config or a compressed layer never has it.
fn is_tar(first: &[u8]) -> bool {
    first.get(257..262) == Some(b"ustar")
}

/// Reads the next piece of a file of `left` bytes: [`GZIP_MEMBER`] bytes, or what is left.
fn read_piece(r: &mut impl Read, left: u64, path: &Path) -> Result<Vec<u8>, RegistryError> {
    let want = usize::try_from(left.min(GZIP_MEMBER as u64)).unwrap_or(GZIP_MEMBER);
    let mut piece = vec![0u8; want];
    r.read_exact(&mut piece).map_err(|e| broken(path, e))?;
    Ok(piece)
}

/// Hashes the `len` bytes of a file (`first` already read from `r`, the rest still in `r`)
/// and writes only their gzip blob, next to `path` (and to `mirror`, while it works).
fn compress_hashed(
    r: &mut impl Read,
    len: u64,
    first: Vec<u8>,
    path: &Path,
    mirror: Option<Box<dyn Write + Send>>,
) -> Result<(Digest, LocalBlob), RegistryError> {
    let gz = path.with_extension("gz");
    let out = std::fs::File::create(&gz).map_err(|e| RegistryError::io(&gz, e))?;
    let mut hasher = Sha256Writer::new();
    let mut left = len;
    let mut first = Some(first);
    let next = || {
        if left == 0 {
            return Ok(None);
        }
        let piece = match first.take() {
            Some(piece) => piece,
            None => read_piece(r, left, path)?,
        };
        hasher.update(&piece);
        left -= piece.len() as u64;
        Ok(Some(piece))
    };
    let out = Mirrored {
        file: std::io::BufWriter::with_capacity(1 << 20, out),
        mirror,
    };
    let mut tee = gzip_members(next, Tee::new(out), crate::compress::cores())
        .map_err(|e| e.into_error(|e| RegistryError::io(&gz, e)))?;
    tee.inner
        .file
        .flush()
        .map_err(|e| RegistryError::io(&gz, e))?;
    Ok((hasher.finish(), tee.into_blob(Compression::Gzip, gz)))
}

/// Writes to a file, and the same bytes to `mirror` for as long as it takes them.
struct Mirrored<W: Write> {
    file: W,
    mirror: Option<Box<dyn Write + Send>>,
}

impl<W: Write> Write for Mirrored<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write_all(buf)?;
        if let Some(m) = &mut self.mirror
            && m.write_all(buf).is_err()
        {
            self.mirror = None;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Hashes the `len` bytes of a file (`first` already read from `r`, the rest still in `r`),
/// copying them to a new file at `path` when `keep`.
fn copy_hashed(
    r: &mut impl Read,
    len: u64,
    first: Vec<u8>,
    path: &Path,
    keep: bool,
    buf: &mut [u8],
) -> Result<Digest, RegistryError> {
    let mut out = if keep {
        Some(std::fs::File::create(path).map_err(|e| RegistryError::io(path, e))?)
    } else {
        None
    };
    let mut hasher = Sha256Writer::new();
    let mut take = |bytes: &[u8]| {
        hasher.update(bytes);
        match &mut out {
            Some(out) => out.write_all(bytes).map_err(|e| RegistryError::io(path, e)),
            None => Ok(()),
        }
    };
    take(&first)?;
    let mut left = len - first.len() as u64;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        r.read_exact(&mut buf[..want])
            .map_err(|e| broken(path, e))?;
        take(&buf[..want])?;
        left -= want as u64;
    }
    Ok(hasher.finish())
}

/// A read that failed: the stream, not the spool file, is at fault.
fn broken(path: &Path, e: std::io::Error) -> RegistryError {
    let dir = path.parent().unwrap_or(path);
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        RegistryError::bad_image(dir, "the image export ended in the middle of a file")
    } else {
        RegistryError::bad_image(dir, format!("the image export broke off: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tests::saved_archive;

    /// Hands out the stream in small, uneven reads, as a socket does.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = self.1 % 7 + 1;
            let n = buf.len().min(self.0.len()).min(self.1 * 97);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn spools_every_file_announcing_each_when_complete() {
        let (tar, config, layer_a, layer_b) = saved_archive();
        let dir = tempfile::tempdir().unwrap();
        let mut announced = Vec::new();
        let archive = spool(Trickle(&tar, 0), dir.path(), &mut |f: &SpooledFile| {
            announced.push((f.name.clone(), f.digest.clone()))
        })
        .unwrap();
        // Announced in stream order, once each: the link is not a second file.
        let names: Vec<&str> = announced.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(names[0], "aaa/layer.tar");
        assert_eq!(announced[1].1, Digest::of(&layer_b));
        let image = archive.image(&Digest::of(&config)).unwrap();
        let layers: Vec<_> = image
            .layers
            .iter()
            .map(|l| l.descriptor.digest.clone())
            .collect();
        assert_eq!(
            layers,
            [
                Digest::of(&layer_a),
                Digest::of(&layer_b),
                Digest::of(&layer_a)
            ]
        );
        // Blobs are read from their own spool files.
        assert_eq!(
            std::fs::read(&image.layers[1].source.path).unwrap(),
            layer_b
        );
        assert_eq!(
            image.layers[2].source, image.layers[0].source,
            "the repeated layer is the same file"
        );
        // The same image as reading the archive file in place: same manifest, same digest.
        let file = dir.path().join("img.tar");
        std::fs::write(&file, &tar).unwrap();
        assert_eq!(
            LocalImage::open(&file, None).unwrap().manifest_bytes,
            image.manifest_bytes
        );
        assert!(
            archive
                .image(&Digest::of(b"other"))
                .unwrap_err()
                .to_string()
                .contains("no image with config")
        );
    }

    /// Asks for every file to be compressed on the way, and records what it was told.
    #[derive(Default)]
    struct CompressAll(Vec<SpooledFile>);

    impl SpoolSink for CompressAll {
        fn on_the_way(&mut self, _: &str) -> OnTheWay {
            OnTheWay::Compress
        }
        fn complete(&mut self, file: &SpooledFile) {
            self.0.push(file.clone());
        }
    }

    #[test]
    fn a_layer_asked_for_is_compressed_on_the_way_to_the_blob_its_file_would_give() {
        use crate::manifest::media_type::{OCI_LAYER_GZIP, OCI_LAYER_TAR};
        use crate::tar_files::tests::write_tar;
        // A layer tar of several gzip members, a layer already gzipped, a config.
        let layer = write_tar(
            &[("usr/lib/big", &crate::compress::tests::text(120_000))],
            &[],
        );
        assert!(layer.len() > 2 * GZIP_MEMBER);
        let gzipped = [&[0x1f, 0x8b, 8, 0][..], &[5u8; 600]].concat();
        let config = br#"{"rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
        let cfg_name = format!("{}.json", Digest::of(&config).hex());
        let manifest =
            format!(r#"[{{"Config":"{cfg_name}","Layers":["a/layer.tar","b/layer.tar"]}}]"#);
        let tar = write_tar(
            &[
                ("a/layer.tar", &layer),
                ("b/layer.tar", &gzipped),
                (&cfg_name, &config),
                ("manifest.json", manifest.as_bytes()),
            ],
            &[],
        );
        let dir = tempfile::tempdir().unwrap();
        let mut sink = CompressAll::default();
        let archive = spool(Trickle(&tar, 0), dir.path(), &mut sink).unwrap();
        let [a, b, cfg, _] = &sink.0[..] else {
            panic!("{:?}", sink.0)
        };
        assert_eq!(
            a.digest,
            Digest::of(&layer),
            "the diff_id, hashed on the way"
        );
        assert!(!a.path.exists(), "only the compressed form is written");
        let blob = a.compressed.as_ref().expect("compressed on the way");
        // The same blob as compressing the layer from a file: either path gives one digest.
        let file = dir.path().join("layer.tar");
        std::fs::write(&file, &layer).unwrap();
        let uncompressed = LocalBlob {
            descriptor: crate::manifest::Descriptor {
                media_type: OCI_LAYER_TAR.into(),
                digest: a.digest.clone(),
                size: a.size,
                platform: None,
                annotations: None,
            },
            source: BlobSource {
                path: file,
                offset: 0,
                len: a.size,
                hashed_here: false,
            },
        };
        let out = tempfile::tempdir().unwrap();
        let from_file =
            crate::compress::compress_layer(&uncompressed, out.path(), Compression::Gzip).unwrap();
        assert_eq!(blob.descriptor, from_file.descriptor);
        let written = std::fs::read(&blob.source.path).unwrap();
        assert_eq!(Digest::of(&written), blob.descriptor.digest);
        // Not a tar: kept as it is, whatever the sink asked.
        assert!(b.compressed.is_none() && cfg.compressed.is_none());
        assert_eq!(b.media_type, OCI_LAYER_GZIP);
        assert_eq!(std::fs::read(&b.path).unwrap(), gzipped);
        let image = archive.image(&Digest::of(&config)).unwrap();
        let types: Vec<&str> = image
            .layers
            .iter()
            .map(|l| l.descriptor.media_type.as_str())
            .collect();
        assert_eq!(types, [OCI_LAYER_TAR, OCI_LAYER_GZIP]);
    }

    #[test]
    fn a_file_certainly_not_needed_is_hashed_and_not_written() {
        struct SkipLayers(Vec<SpooledFile>);
        impl SpoolSink for SkipLayers {
            fn on_the_way(&mut self, name: &str) -> OnTheWay {
                if name.ends_with("layer.tar") {
                    OnTheWay::Skip
                } else {
                    OnTheWay::Keep
                }
            }
            fn complete(&mut self, file: &SpooledFile) {
                self.0.push(file.clone());
            }
        }
        let (tar, config, layer_a, _) = saved_archive();
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SkipLayers(Vec::new());
        let archive = spool(Trickle(&tar, 0), dir.path(), &mut sink).unwrap();
        let a = &sink.0[0];
        assert_eq!(a.name, "aaa/layer.tar");
        assert_eq!(a.digest, Digest::of(&layer_a), "hashed all the same");
        assert!(!a.written && !a.path.exists() && a.compressed.is_none());
        let cfg = sink
            .0
            .iter()
            .find(|f| f.digest == Digest::of(&config))
            .unwrap();
        assert!(cfg.written && cfg.path.exists());
        // The image still names every layer by its diff_id.
        let image = archive.image(&Digest::of(&config)).unwrap();
        assert_eq!(image.layers[0].descriptor.digest, Digest::of(&layer_a));
    }

    #[test]
    fn a_stream_cut_short_is_an_error() {
        let (tar, ..) = saved_archive();
        let dir = tempfile::tempdir().unwrap();
        let err = spool(&tar[..1500], dir.path(), &mut |_: &SpooledFile| {}).unwrap_err();
        assert!(
            err.to_string().contains("ended in the middle of a file"),
            "{err}"
        );
        let err = spool(
            &b"not a tar at all"[..],
            dir.path(),
            &mut |_: &SpooledFile| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("not a usable tar"), "{err}");
        let err = spool(&[0u8; 1024][..], dir.path(), &mut |_: &SpooledFile| {}).unwrap_err();
        assert!(err.to_string().contains("no manifest.json"), "{err}");
    }
}
