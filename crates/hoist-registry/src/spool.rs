//! Spooling a `docker save` stream (the engine's image export) as it arrives: each file of
//! the archive goes to its own file in a private directory, hashed on the way, and is
//! announced the moment it is complete, so its upload can start while the rest of the
//! export is still streaming. Nothing is read twice and no archive file is written.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::archive::SaveManifest;
use crate::digest::{Digest, Sha256Writer};
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalImage};
use crate::tar_files::{Files, Kind, describe};

/// One file of the archive, written to disk and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledFile {
    /// Its name in the archive (`<id>/layer.tar`, `<id>.json`, `manifest.json`, …).
    pub name: String,
    pub digest: Digest,
    pub size: u64,
    pub path: PathBuf,
}

impl SpooledFile {
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
            find(name).map(|f| (f.digest.clone(), f.size, f.source()))
        })
    }

    /// Every file, links resolved (a repeated layer appears under each name).
    #[must_use]
    pub fn files(&self) -> &[SpooledFile] {
        &self.files
    }
}

/// Reads a `docker save` archive from `reader` to its end, writing each regular file to
/// `dir` (which must exist and be private to this run) and calling `on_file` as soon as a
/// file is complete. Blocking: run it on a thread of its own.
///
/// # Errors
/// When the stream breaks off, is not a tar, has no `manifest.json`, or `dir` cannot be written.
pub fn spool(
    reader: impl Read,
    dir: &Path,
    mut on_file: impl FnMut(&SpooledFile),
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
            let digest = copy_hashed(&mut entry, size, &path, &mut buf)?;
            Some(SpooledFile {
                name: name.clone(),
                digest,
                size,
                path,
            })
        } else {
            None
        };
        if let Some(f) = &spooled {
            on_file(f);
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

/// Copies `len` bytes from `r` to a new file at `path`, hashing them.
fn copy_hashed(
    r: &mut impl Read,
    len: u64,
    path: &Path,
    buf: &mut [u8],
) -> Result<Digest, RegistryError> {
    let mut out = std::fs::File::create(path).map_err(|e| RegistryError::io(path, e))?;
    let mut hasher = Sha256Writer::new();
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        r.read_exact(&mut buf[..want])
            .map_err(|e| broken(path, e))?;
        hasher.update(&buf[..want]);
        out.write_all(&buf[..want])
            .map_err(|e| RegistryError::io(path, e))?;
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
        let archive = spool(Trickle(&tar, 0), dir.path(), |f| {
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

    #[test]
    fn a_stream_cut_short_is_an_error() {
        let (tar, ..) = saved_archive();
        let dir = tempfile::tempdir().unwrap();
        let err = spool(&tar[..1500], dir.path(), |_| {}).unwrap_err();
        assert!(
            err.to_string().contains("ended in the middle of a file"),
            "{err}"
        );
        let err = spool(&b"not a tar at all"[..], dir.path(), |_| {}).unwrap_err();
        assert!(err.to_string().contains("not a usable tar"), "{err}");
        let err = spool(&[0u8; 1024][..], dir.path(), |_| {}).unwrap_err();
        assert!(err.to_string().contains("no manifest.json"), "{err}");
    }
}
