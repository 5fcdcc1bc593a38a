//! `docker save` archives: `manifest.json` names the config file and the layer tars, all
//! stored uncompressed. Each blob is hashed in place and later streamed from its byte range.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use crate::digest::{Digest, Sha256Writer};
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalImage};
use crate::tar;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Reads a `docker save` archive. `reference` (`name:tag` or `tag`) picks one image when the
/// archive holds several.
pub(crate) fn open(path: &Path, reference: Option<&str>) -> Result<LocalImage, RegistryError> {
    let entries = tar::index(path)?;
    let find = |name: &str| entries.iter().find(|e| e.name == name).cloned();
    let Some(manifest) = find("manifest.json") else {
        let detail = if find("index.json").is_some() {
            "it is an OCI archive without a docker manifest.json; extract it and pass the directory (an OCI image layout)"
        } else {
            "no manifest.json (expected the output of `docker save`)"
        };
        return Err(RegistryError::bad_image(path, detail));
    };
    let text = read_range(path, manifest.offset, manifest.size)?;
    let list: Vec<SaveEntry> = serde_json::from_slice(&text)
        .map_err(|source| RegistryError::Json { what: format!("manifest.json in {}", path.display()), source })?;
    let chosen = match reference {
        _ if list.len() == 1 => &list[0],
        Some(r) => list
            .iter()
            .find(|e| e.repo_tags.iter().flatten().any(|t| t == r || t.rsplit_once(':').is_some_and(|(_, tag)| tag == r)))
            .ok_or_else(|| RegistryError::bad_image(path, format!("no image tagged {r:?} in the archive")))?,
        None => return Err(RegistryError::bad_image(path, "the archive holds several images; name one with NAME=PATH:TAG")),
    };
    let locate = |name: &str| {
        find(&normalize(name)).ok_or_else(|| RegistryError::bad_image(path, format!("{name} is listed in manifest.json but missing")))
    };
    let config = locate(&chosen.config)?;
    let layers = chosen.layers.iter().map(|l| locate(l)).collect::<Result<Vec<_>, _>>()?;
    let mut all = vec![config];
    all.extend(layers);
    let hashed = std::thread::scope(|s| {
        let handles: Vec<_> = all.iter().map(|e| s.spawn(move || hash_range(path, e.offset, e.size))).collect();
        handles.into_iter().map(|h| h.join().expect("hashing thread panicked")).collect::<Result<Vec<_>, _>>()
    })?;
    let mut blobs = all.iter().zip(hashed).map(|(e, digest)| {
        (digest, e.size, BlobSource { path: path.to_owned(), offset: e.offset, len: e.size })
    });
    let config = blobs.next().expect("config is first");
    Ok(LocalImage::from_uncompressed(config, blobs.collect()))
}

fn normalize(name: &str) -> String {
    name.trim_start_matches("./").to_owned()
}

fn read_range(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, RegistryError> {
    let mut f = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    f.seek(SeekFrom::Start(offset)).map_err(|e| RegistryError::io(path, e))?;
    let mut out = Vec::new();
    f.take(len).read_to_end(&mut out).map_err(|e| RegistryError::io(path, e))?;
    Ok(out)
}

/// sha256 of `len` bytes at `offset`.
pub(crate) fn hash_range(path: &Path, offset: u64, len: u64) -> Result<Digest, RegistryError> {
    let mut f = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    f.seek(SeekFrom::Start(offset)).map_err(|e| RegistryError::io(path, e))?;
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
        return Err(RegistryError::bad_image(path, format!("truncated: expected {len} bytes at offset {offset}, read {}", w.len())));
    }
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tar::tests::write_tar;

    #[test]
    fn reads_a_docker_save_archive_with_a_repeated_layer() {
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let layer_a = vec![1u8; 3000];
        let layer_b = vec![2u8; 10];
        let cfg_name = format!("{}.json", Digest::of(config).hex());
        let manifest = format!(
            r#"[{{"Config":"{cfg_name}","RepoTags":["app_web:latest"],"Layers":["aaa/layer.tar","bbb/layer.tar","ccc/layer.tar"]}}]"#
        );
        let tar = write_tar(
            &[("manifest.json", manifest.as_bytes()), (&cfg_name, config), ("aaa/layer.tar", &layer_a), ("bbb/layer.tar", &layer_b)],
            &[("ccc/layer.tar", "../aaa/layer.tar")],
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img.tar");
        std::fs::write(&path, &tar).unwrap();
        let image = LocalImage::open(&path, None).unwrap();
        assert_eq!(image.config.descriptor.digest, Digest::of(config));
        let digests: Vec<_> = image.layers.iter().map(|l| l.descriptor.digest.clone()).collect();
        assert_eq!(digests, vec![Digest::of(&layer_a), Digest::of(&layer_b), Digest::of(&layer_a)]);
        assert_eq!(image.blobs().len(), 3, "config + two distinct layers");
        let src = &image.layers[1].source;
        assert_eq!(&tar[src.offset as usize..(src.offset + src.len) as usize], &layer_b[..]);
        // The manifest is deterministic: opening again gives the same digest.
        assert_eq!(LocalImage::open(&path, None).unwrap().digest(), image.digest());
        assert_eq!(image.manifest.layers[0].media_type, crate::media_type::OCI_LAYER_TAR);
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
