//! What a repository already holds, by layer identity: the uncompressed `diff_id`s its
//! image's config lists, each with the descriptor of the blob the manifest stores for it
//! (compressed by hoist, by another tool, or not at all). A local layer whose `diff_id` is
//! there reuses that descriptor: it is neither compressed nor sent again.

use std::collections::HashMap;

use crate::client::Client;
use crate::digest::Digest;
use crate::error::RegistryError;
use crate::manifest::{Descriptor, ImageManifest, media_type};

/// Remote layers by `diff_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteLayers {
    by_diff_id: HashMap<Digest, Descriptor>,
}

#[derive(serde::Deserialize)]
struct Config {
    rootfs: RootFs,
}

#[derive(serde::Deserialize)]
struct RootFs {
    diff_ids: Vec<Digest>,
}

impl RemoteLayers {
    /// From an image's manifest and its config's bytes: the config's `diff_ids` pair with
    /// the manifest's layers in order. A config whose layer count differs from the
    /// manifest's teaches nothing (empty).
    #[must_use]
    pub fn from_config(manifest: &ImageManifest, config: &[u8]) -> Self {
        let Ok(c) = serde_json::from_slice::<Config>(config) else {
            return Self::default();
        };
        if c.rootfs.diff_ids.len() != manifest.layers.len() {
            return Self::default();
        }
        let by_diff_id = c
            .rootfs
            .diff_ids
            .into_iter()
            .zip(manifest.layers.iter().cloned())
            .filter(|(_, d)| is_plain_layer(&d.media_type))
            .map(|(id, mut d)| {
                d.media_type = oci_equivalent(&d.media_type).to_owned();
                (id, d)
            })
            .collect();
        Self { by_diff_id }
    }

    /// Reads the config of `manifest` from `repo`.
    ///
    /// # Errors
    /// When the registry cannot be asked; a missing config teaches nothing (empty).
    pub async fn read(
        client: &Client,
        repo: &str,
        manifest: &ImageManifest,
    ) -> Result<Self, RegistryError> {
        match client.get_small_blob(repo, &manifest.config.digest).await? {
            Some(bytes) => Ok(Self::from_config(manifest, &bytes)),
            None => Ok(Self::default()),
        }
    }

    /// Adds another image's layers (an image can reuse layers of any image read).
    pub fn extend(&mut self, other: Self) {
        for (k, v) in other.by_diff_id {
            self.by_diff_id.entry(k).or_insert(v);
        }
    }

    /// The stored blob for the layer whose uncompressed digest is `diff_id`.
    #[must_use]
    pub fn get(&self, diff_id: &Digest) -> Option<&Descriptor> {
        self.by_diff_id.get(diff_id)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.by_diff_id.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_diff_id.is_empty()
    }
}

/// Layer types whose blob is the layer itself (possibly compressed): not foreign or
/// non-distributable layers, which a registry may not hold.
fn is_plain_layer(mt: &str) -> bool {
    matches!(
        mt,
        media_type::OCI_LAYER_TAR
            | media_type::OCI_LAYER_GZIP
            | media_type::OCI_LAYER_ZSTD
            | DOCKER_LAYER_GZIP
            | DOCKER_LAYER_TAR
    )
}

const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// The OCI media type of the same bytes (hoist writes OCI manifests).
fn oci_equivalent(mt: &str) -> &str {
    match mt {
        DOCKER_LAYER_GZIP => media_type::OCI_LAYER_GZIP,
        DOCKER_LAYER_TAR => media_type::OCI_LAYER_TAR,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(mt: &str, seed: &[u8]) -> Descriptor {
        Descriptor {
            media_type: mt.into(),
            digest: Digest::of(seed),
            size: 10,
            platform: None,
            annotations: None,
        }
    }

    fn manifest(layers: Vec<Descriptor>) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::DOCKER_MANIFEST.into()),
            config: d(media_type::OCI_CONFIG, b"config"),
            layers,
        }
    }

    fn config(ids: &[&[u8]]) -> Vec<u8> {
        let ids: Vec<String> = ids.iter().map(|i| Digest::of(i).to_string()).collect();
        serde_json::json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":ids}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn pairs_diff_ids_with_stored_blobs_whoever_pushed_them() {
        let m = manifest(vec![
            d(DOCKER_LAYER_GZIP, b"gz by docker"),
            d(media_type::OCI_LAYER_TAR, b"plain by old hoist"),
            d(
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                b"foreign",
            ),
        ]);
        let r = RemoteLayers::from_config(&m, &config(&[b"a", b"b", b"c"]));
        assert_eq!(r.len(), 2, "foreign layers are not reused");
        let a = r.get(&Digest::of(b"a")).unwrap();
        assert_eq!(a.digest, Digest::of(b"gz by docker"));
        assert_eq!(
            a.media_type,
            media_type::OCI_LAYER_GZIP,
            "the OCI name of the same bytes"
        );
        assert_eq!(
            r.get(&Digest::of(b"b")).unwrap().media_type,
            media_type::OCI_LAYER_TAR
        );
        assert!(r.get(&Digest::of(b"c")).is_none());
    }

    #[test]
    fn a_config_that_does_not_match_teaches_nothing() {
        let m = manifest(vec![d(media_type::OCI_LAYER_GZIP, b"x")]);
        assert!(RemoteLayers::from_config(&m, &config(&[b"a", b"b"])).is_empty());
        assert!(RemoteLayers::from_config(&m, b"not json").is_empty());
    }

    #[test]
    fn the_first_image_read_wins() {
        let mut r = RemoteLayers::from_config(
            &manifest(vec![d(media_type::OCI_LAYER_GZIP, b"first")]),
            &config(&[b"a"]),
        );
        r.extend(RemoteLayers::from_config(
            &manifest(vec![d(media_type::OCI_LAYER_GZIP, b"second")]),
            &config(&[b"a"]),
        ));
        assert_eq!(
            r.get(&Digest::of(b"a")).unwrap().digest,
            Digest::of(b"first")
        );
    }
}
