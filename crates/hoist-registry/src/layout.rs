//! OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/…`): pushed exactly as they
//! are, manifest bytes included, so the registry's digest equals the layout's.

use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::RegistryError;
use crate::image::{BlobSource, LocalBlob, LocalImage};
use crate::manifest::{self, Descriptor, Parsed, Platform};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

pub(crate) fn open(
    dir: &Path,
    tag: Option<&str>,
    platform: &Platform,
) -> Result<LocalImage, RegistryError> {
    if !dir.join("oci-layout").is_file() {
        return Err(RegistryError::bad_image(
            dir,
            "no oci-layout file (expected an OCI image layout directory)",
        ));
    }
    let index_path = dir.join("index.json");
    let bytes = std::fs::read(&index_path).map_err(|e| RegistryError::io(&index_path, e))?;
    let (_, parsed) = manifest::parse(
        &bytes,
        Some(manifest::media_type::OCI_INDEX),
        &index_path.display().to_string(),
    )?;
    let Parsed::Index(index) = parsed else {
        return Err(RegistryError::bad_image(
            dir,
            "index.json is not an image index",
        ));
    };
    let name_of = |d: &Descriptor| {
        d.annotations
            .as_ref()
            .and_then(|a| a.get(REF_NAME))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let chosen = match tag {
        Some(t) => index
            .manifests
            .iter()
            .rev()
            .find(|d| name_of(d).as_deref() == Some(t))
            .ok_or_else(|| {
                let names: Vec<String> = index.manifests.iter().filter_map(name_of).collect();
                RegistryError::bad_image(
                    dir,
                    format!(
                        "no manifest named {t:?} in index.json (names: {})",
                        names.join(", ")
                    ),
                )
            })?,
        None if index.manifests.len() == 1 => &index.manifests[0],
        None => {
            return Err(RegistryError::bad_image(
                dir,
                "index.json lists several manifests; name one with NAME=PATH:TAG",
            ));
        }
    };
    let mut descriptor = chosen.clone();
    loop {
        let path = blob_path(dir, &descriptor.digest);
        let bytes = std::fs::read(&path).map_err(|e| RegistryError::io(&path, e))?;
        let actual = Digest::of(&bytes);
        if actual != descriptor.digest {
            return Err(RegistryError::DigestMismatch {
                what: path.display().to_string(),
                expected: descriptor.digest.to_string(),
                actual: actual.to_string(),
            });
        }
        let (mt, parsed) = manifest::parse(
            &bytes,
            Some(&descriptor.media_type),
            &path.display().to_string(),
        )?;
        match parsed {
            Parsed::Index(i) => {
                descriptor =
                    i.for_platform(platform)
                        .cloned()
                        .ok_or_else(|| RegistryError::NoPlatform {
                            url: path.display().to_string(),
                            platform: platform.to_string(),
                        })?;
            }
            Parsed::Manifest(m) => {
                let blob = |d: &Descriptor| -> Result<LocalBlob, RegistryError> {
                    let path = blob_path(dir, &d.digest);
                    let len = std::fs::metadata(&path)
                        .map_err(|e| RegistryError::io(&path, e))?
                        .len();
                    if len != d.size {
                        return Err(RegistryError::bad_image(
                            dir,
                            format!("{} is {len} bytes, the manifest says {}", d.digest, d.size),
                        ));
                    }
                    Ok(LocalBlob {
                        descriptor: d.clone(),
                        source: BlobSource {
                            path,
                            offset: 0,
                            len,
                            hashed_here: false,
                        },
                    })
                };
                let config = blob(&m.config)?;
                let layers = m.layers.iter().map(blob).collect::<Result<Vec<_>, _>>()?;
                return Ok(LocalImage {
                    manifest_bytes: bytes,
                    manifest_media_type: mt,
                    manifest: m,
                    config,
                    layers,
                });
            }
        }
    }
}

fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join("sha256").join(digest.hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, bytes: &[u8]) -> Digest {
        let d = Digest::of(bytes);
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        std::fs::write(blob_path(dir, &d), bytes).unwrap();
        d
    }

    #[test]
    fn opens_a_layout_by_ref_name_and_keeps_manifest_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        let cfg = put(dir.path(), b"{}");
        let layer = put(dir.path(), b"layer-bytes");
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cfg}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":11}}]}}"#
        );
        let m = put(dir.path(), manifest.as_bytes());
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#,
            manifest.len()
        );
        std::fs::write(dir.path().join("index.json"), index).unwrap();
        let image = LocalImage::open(dir.path(), Some("v1")).unwrap();
        assert_eq!(image.digest(), m);
        assert_eq!(image.manifest_bytes, manifest.as_bytes());
        assert_eq!(image.layers[0].descriptor.digest, layer);
        assert!(
            LocalImage::open(dir.path(), Some("v2"))
                .unwrap_err()
                .to_string()
                .contains("no manifest named \"v2\"")
        );
        // A blob that changed on disk is caught at the manifest and by size.
        std::fs::write(blob_path(dir.path(), &layer), b"other").unwrap();
        assert!(
            LocalImage::open(dir.path(), None)
                .unwrap_err()
                .to_string()
                .contains("the manifest says 11")
        );
    }
}
