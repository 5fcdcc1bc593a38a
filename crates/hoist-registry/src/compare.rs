//! Whether a local image differs from what a tag in the registry points at.
//!
//! The comparison is by content, not by IDs: a local image ID (`docker images`) is the
//! digest of the image *config*, while ECR's `imageDigest` is the digest of the *manifest*,
//! which also depends on layer compression and on how the manifest was serialized. They
//! never match, even for identical images. So hoist compares what the remote manifest
//! references — its config digest and its layer digests — with the local image's. The config
//! lists every layer's uncompressed `diff_id`, so an equal config digest means equal content
//! even when the registry holds the layers with another compression. An index (BuildKit with
//! provenance attestations) is first resolved to its linux/amd64 manifest.

use serde::Serialize;

use crate::digest::Digest;
use crate::manifest::ImageManifest;

/// The result of comparing a local image with a remote manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Comparison {
    /// The tag does not exist in the repository.
    Missing,
    /// Same config digest and the same layer digests, in order.
    Identical,
    /// Same config digest (same content, `diff_id` by `diff_id`), but the layer blobs differ:
    /// the registry stores them compressed (by hoist or `docker push`) while the engine holds
    /// uncompressed tars.
    SameContent,
    /// The content differs.
    Changed {
        config_changed: bool,
        /// Local layers the remote manifest does not reference.
        new_layers: Vec<Digest>,
        /// How many remote layers the local image no longer has.
        dropped_layers: usize,
    },
}

impl Comparison {
    /// Nothing needs pushing: the remote already has this content.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        matches!(self, Self::Identical | Self::SameContent)
    }
}

/// Compares a local image manifest with the remote one (already resolved to a platform
/// manifest), or with nothing.
#[must_use]
pub fn compare(local: &ImageManifest, remote: Option<&ImageManifest>) -> Comparison {
    let Some(remote) = remote else {
        return Comparison::Missing;
    };
    let layers = |m: &ImageManifest| {
        m.layers
            .iter()
            .map(|l| l.digest.clone())
            .collect::<Vec<_>>()
    };
    let (ours, theirs) = (layers(local), layers(remote));
    let same_config = local.config.digest == remote.config.digest;
    if same_config && ours == theirs {
        return Comparison::Identical;
    }
    if same_config {
        return Comparison::SameContent;
    }
    Comparison::Changed {
        config_changed: true,
        new_layers: ours
            .iter()
            .filter(|d| !theirs.contains(d))
            .cloned()
            .collect(),
        dropped_layers: theirs.iter().filter(|d| !ours.contains(d)).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Descriptor;

    fn d(n: u8) -> Digest {
        Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).unwrap()
    }

    fn manifest(config: u8, layers: &[u8], layer_type: &str) -> ImageManifest {
        let desc = |n: u8, mt: &str| Descriptor {
            media_type: mt.into(),
            digest: d(n),
            size: 1,
            platform: None,
            annotations: None,
        };
        ImageManifest {
            schema_version: 2,
            media_type: None,
            config: desc(config, "application/vnd.oci.image.config.v1+json"),
            layers: layers.iter().map(|n| desc(*n, layer_type)).collect(),
        }
    }

    #[test]
    fn no_remote_means_missing() {
        assert_eq!(compare(&manifest(1, &[2], "t"), None), Comparison::Missing);
        assert!(!Comparison::Missing.unchanged());
    }

    #[test]
    fn identical_ignores_media_type_spelling_and_manifest_bytes() {
        let local = manifest(1, &[2, 3], "application/vnd.oci.image.layer.v1.tar");
        let remote = manifest(1, &[2, 3], "application/vnd.docker.image.rootfs.diff.tar");
        assert_eq!(compare(&local, Some(&remote)), Comparison::Identical);
    }

    #[test]
    fn same_config_with_other_layer_blobs_is_the_same_content() {
        // docker push gzips layers: other blob digests, same config (same diff_ids).
        let r = compare(
            &manifest(1, &[2, 3], "t"),
            Some(&manifest(1, &[8, 9], "t+gzip")),
        );
        assert_eq!(r, Comparison::SameContent);
        assert!(r.unchanged());
    }

    #[test]
    fn one_changed_layer_is_named() {
        let r = compare(
            &manifest(1, &[2, 3, 4], "t"),
            Some(&manifest(5, &[2, 3, 6], "t")),
        );
        assert_eq!(
            r,
            Comparison::Changed {
                config_changed: true,
                new_layers: vec![d(4)],
                dropped_layers: 1
            }
        );
        assert!(!r.unchanged());
    }

    #[test]
    fn reordered_layers_are_a_change() {
        let r = compare(&manifest(1, &[2, 3], "t"), Some(&manifest(7, &[3, 2], "t")));
        assert!(
            matches!(r, Comparison::Changed { ref new_layers, dropped_layers: 0, .. } if new_layers.is_empty())
        );
    }
}
