//! `docker save` archives: `manifest.json` names the config file and the layer tars, all
//! stored uncompressed. A file on disk is indexed and each blob hashed in place (later
//! streamed from its byte range); the engine's export stream is spooled by `spool`. Both
//! build the image the same way, from [`SaveManifest`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use crate::digest::{Digest, Sha256Writer};
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalImage, layer_media_type};
use crate::manifest::media_type;
use crate::tar_files;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SaveEntry {
    pub(crate) config: String,
    #[serde(default)]
    pub(crate) repo_tags: Option<Vec<String>>,
    pub(crate) layers: Vec<String>,
}

/// A blob found in an archive: its digest, size, where its bytes are, and the layer media
/// type its first bytes call for.
pub(crate) type Located = (Digest, u64, BlobSource, &'static str);

/// The parsed `manifest.json` of a `docker save` archive: one entry per image.
#[derive(Debug, Clone)]
pub(crate) struct SaveManifest {
    pub(crate) entries: Vec<SaveEntry>,
}

impl SaveManifest {
    pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Self, RegistryError> {
        let entries = serde_json::from_slice(bytes).map_err(|source| RegistryError::Json {
            what: format!("manifest.json in {}", path.display()),
            source,
        })?;
        Ok(Self { entries })
    }

    /// The image `reference` (`name:tag` or `tag`) names; with one image, that one.
    pub(crate) fn choose(
        &self,
        reference: Option<&str>,
        path: &Path,
    ) -> Result<&SaveEntry, RegistryError> {
        match reference {
            _ if self.entries.len() == 1 => Ok(&self.entries[0]),
            Some(r) => self
                .entries
                .iter()
                .find(|e| {
                    e.repo_tags
                        .iter()
                        .flatten()
                        .any(|t| t == r || t.rsplit_once(':').is_some_and(|(_, tag)| tag == r))
                })
                .ok_or_else(|| {
                    RegistryError::bad_image(path, format!("no image tagged {r:?} in the archive"))
                }),
            None => Err(RegistryError::bad_image(
                path,
                "the archive holds several images; name one with NAME=PATH:TAG",
            )),
        }
    }

    /// Builds the image of `entry`, asking `locate` for each file it names.
    pub(crate) fn image(
        entry: &SaveEntry,
        path: &Path,
        locate: impl Fn(&str) -> Option<Located>,
    ) -> Result<LocalImage, RegistryError> {
        let find = |name: &str| {
            locate(&tar_files::normalize(name)).ok_or_else(|| {
                RegistryError::bad_image(
                    path,
                    format!("{name} is listed in manifest.json but missing"),
                )
            })
        };
        let (digest, size, source, _) = find(&entry.config)?;
        let layers = entry
            .layers
            .iter()
            .map(|l| find(l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LocalImage::from_saved_layers(
            (digest, size, source),
            layers,
        ))
    }
}

/// Reads a `docker save` archive. `reference` (`name:tag` or `tag`) picks one image when the
/// archive holds several.
pub(crate) fn open(path: &Path, reference: Option<&str>) -> Result<LocalImage, RegistryError> {
    let entries = tar_files::index(path)?;
    let find = |name: &str| entries.iter().find(|e| e.name == name).cloned();
    let Some(manifest) = find("manifest.json") else {
        let detail = if find("index.json").is_some() {
            "it is an OCI archive without a docker manifest.json; extract it and pass the directory (an OCI image layout)"
        } else {
            "no manifest.json (expected the output of `docker save`)"
        };
        return Err(RegistryError::bad_image(path, detail));
    };
    let manifest = SaveManifest::parse(&read_range(path, manifest.offset, manifest.size)?, path)?;
    let chosen = manifest.choose(reference, path)?;
    let locate = |name: &str| {
        find(&tar_files::normalize(name)).ok_or_else(|| {
            RegistryError::bad_image(
                path,
                format!("{name} is listed in manifest.json but missing"),
            )
        })
    };
    let config_entry = locate(&chosen.config)?;
    let config = read_range(path, config_entry.offset, config_entry.size)?;
    let layers: Vec<tar_files::Entry> = chosen
        .layers
        .iter()
        .map(|l| locate(l))
        .collect::<Result<_, _>>()?;
    // The config lists each layer's diff_id: the digest of the uncompressed tar `docker
    // save` stores up to Docker 24 (and with the classic image store). Those digests need no
    // hashing here; each upload verifies its bytes on the way, so a layer that does not match
    // fails its upload instead. Compressed layers (Docker 25+ with the containerd store) and
    // configs without usable diff_ids are hashed.
    let source = |e: &tar_files::Entry| BlobSource {
        path: path.to_owned(),
        offset: e.offset,
        len: e.size,
        hashed_here: false,
    };
    let media_types = layers
        .iter()
        .map(|e| layer_media_type(&source(e)))
        .collect::<Result<Vec<&'static str>, RegistryError>>()?;
    let diff_ids = diff_ids(&config).filter(|d| {
        d.len() == layers.len() && media_types.iter().all(|m| *m == media_type::OCI_LAYER_TAR)
    });
    let digests: Vec<Digest> = match diff_ids {
        Some(d) => d,
        None => std::thread::scope(|s| {
            let handles: Vec<_> = layers
                .iter()
                .map(|e| s.spawn(move || hash_range(path, e.offset, e.size)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("hashing thread panicked"))
                .collect::<Result<Vec<_>, _>>()
        })?,
    };
    let config = (
        Digest::of(&config),
        config_entry.size,
        source(&config_entry),
    );
    let layers = layers
        .iter()
        .zip(digests)
        .zip(media_types)
        .map(|((e, d), m)| (d, e.size, source(e), m))
        .collect();
    Ok(LocalImage::from_saved_layers(config, layers))
}

/// The config's `rootfs.diff_ids`, when it has them all in the expected form.
fn diff_ids(config: &[u8]) -> Option<Vec<Digest>> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    v.get("rootfs")?
        .get("diff_ids")?
        .as_array()?
        .iter()
        .map(|d| d.as_str().and_then(|s| Digest::parse(s).ok()))
        .collect()
}

fn read_range(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, RegistryError> {
    let mut f = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| RegistryError::io(path, e))?;
    let mut out = Vec::new();
    f.take(len)
        .read_to_end(&mut out)
        .map_err(|e| RegistryError::io(path, e))?;
    Ok(out)
}

/// sha256 of `len` bytes at `offset`.
pub(crate) fn hash_range(path: &Path, offset: u64, len: u64) -> Result<Digest, RegistryError> {
    let mut f = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| RegistryError::io(path, e))?;
    let mut r = f.take(len);
    let mut w = Sha256Writer::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).map_err(|e| RegistryError::io(path, e))?;
        if n == 0 {
            break;
        }
        w.update(&buf[..n]);
    }
    if w.len() != len {
        return Err(RegistryError::bad_image(
            path,
            format!(
                "truncated: expected {len} bytes at offset {offset}, read {}",
                w.len()
            ),
        ));
    }
    Ok(w.finish())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tar_files::tests::write_tar;

    /// A `docker save` archive of one image whose third layer repeats the first (as a
    /// symbolic link, the way `docker save` writes it). Returns the tar, the config and the
    /// two distinct layers.
    pub(crate) fn saved_archive() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
                .to_vec();
        let layer_a = vec![1u8; 3000];
        let layer_b = vec![2u8; 10];
        let cfg_name = format!("{}.json", Digest::of(&config).hex());
        let manifest = format!(
            r#"[{{"Config":"{cfg_name}","RepoTags":["app_web:latest"],"Layers":["aaa/layer.tar","bbb/layer.tar","ccc/layer.tar"]}}]"#
        );
        let tar = write_tar(
            &[
                ("aaa/layer.tar", &layer_a),
                ("bbb/layer.tar", &layer_b),
                (&cfg_name, &config),
                ("manifest.json", manifest.as_bytes()),
            ],
            &[("ccc/layer.tar", "../aaa/layer.tar")],
        );
        (tar, config, layer_a, layer_b)
    }

    #[test]
    fn reads_a_docker_save_archive_with_a_repeated_layer() {
        let (tar, config, layer_a, layer_b) = saved_archive();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img.tar");
        std::fs::write(&path, &tar).unwrap();
        let image = LocalImage::open(&path, None).unwrap();
        assert_eq!(image.config.descriptor.digest, Digest::of(&config));
        let digests: Vec<_> = image
            .layers
            .iter()
            .map(|l| l.descriptor.digest.clone())
            .collect();
        assert_eq!(
            digests,
            vec![
                Digest::of(&layer_a),
                Digest::of(&layer_b),
                Digest::of(&layer_a)
            ]
        );
        assert_eq!(image.blobs().len(), 3, "config + two distinct layers");
        let src = &image.layers[1].source;
        assert_eq!(
            &tar[src.offset as usize..(src.offset + src.len) as usize],
            &layer_b[..]
        );
        // The manifest is deterministic: opening again gives the same digest.
        assert_eq!(
            LocalImage::open(&path, None).unwrap().digest(),
            image.digest()
        );
        assert_eq!(
            image.manifest.layers[0].media_type,
            crate::media_type::OCI_LAYER_TAR
        );
    }

    #[test]
    fn layer_digests_come_from_the_configs_diff_ids_without_hashing() {
        let layer = vec![5u8; 2048];
        let claimed = Digest::of(b"what the config says the layer is");
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{claimed}"]}}}}"#
        );
        let cfg_name = format!("{}.json", Digest::of(config.as_bytes()).hex());
        let manifest =
            format!(r#"[{{"Config":"{cfg_name}","RepoTags":null,"Layers":["aaa/layer.tar"]}}]"#);
        let tar = write_tar(
            &[
                ("aaa/layer.tar", &layer),
                (&cfg_name, config.as_bytes()),
                ("manifest.json", manifest.as_bytes()),
            ],
            &[],
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img.tar");
        std::fs::write(&path, &tar).unwrap();
        let image = LocalImage::open(&path, None).unwrap();
        // Taken from the config, not computed: the upload's own verification is what catches
        // a layer that does not match (client::tests).
        assert_eq!(image.layers[0].descriptor.digest, claimed);
        assert_eq!(
            image.config.descriptor.digest,
            Digest::of(config.as_bytes())
        );
        assert_eq!(image.layers[0].source.len, 2048);
    }

    #[test]
    fn compressed_layers_keep_their_compression_in_the_media_type_and_are_hashed() {
        // Docker 25+ with the containerd image store saves layers as stored: gzip here.
        let gzip_layer = [&[0x1f_u8, 0x8b, 0x08, 0x00][..], &[9u8; 300]].concat();
        let tar_layer = vec![0u8; 1024];
        let config = format!(
            r#"{{"rootfs":{{"type":"layers","diff_ids":["{}","{}"]}}}}"#,
            Digest::of(b"the uncompressed tar of layer one"),
            Digest::of(&tar_layer)
        );
        let manifest =
            r#"[{"Config":"blobs/sha256/cfg","Layers":["blobs/sha256/one","blobs/sha256/two"]}]"#;
        let tar = write_tar(
            &[
                ("blobs/sha256/one", &gzip_layer),
                ("blobs/sha256/two", &tar_layer),
                ("blobs/sha256/cfg", config.as_bytes()),
                ("manifest.json", manifest.as_bytes()),
            ],
            &[],
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img.tar");
        std::fs::write(&path, &tar).unwrap();
        let image = LocalImage::open(&path, None).unwrap();
        let types: Vec<_> = image
            .layers
            .iter()
            .map(|l| l.descriptor.media_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                crate::media_type::OCI_LAYER_GZIP,
                crate::media_type::OCI_LAYER_TAR
            ]
        );
        // A compressed blob's digest is its own, not the config's diff_id.
        assert_eq!(image.layers[0].descriptor.digest, Digest::of(&gzip_layer));
        assert_eq!(image.layers[1].descriptor.digest, Digest::of(&tar_layer));
    }

    #[test]
    fn refuses_a_tar_without_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        std::fs::write(&path, write_tar(&[("hello.txt", b"hi")], &[])).unwrap();
        let err = LocalImage::open(&path, None).unwrap_err();
        assert!(err.to_string().contains("not a usable image"), "{err}");
    }
}
