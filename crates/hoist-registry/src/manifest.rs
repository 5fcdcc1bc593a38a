//! Image manifests and indexes (OCI and Docker v2 schema 2). Choosing an index's manifest
//! for a platform is `platform`'s.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::RegistryError;

/// The media types hoist reads and writes.
pub mod media_type {
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

    /// The `Accept` header for manifest GETs: every form hoist can compare.
    pub const ACCEPT_ALL: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

    #[must_use]
    pub fn is_index(mt: &str) -> bool {
        mt == OCI_INDEX || mt == DOCKER_LIST
    }

    #[must_use]
    pub fn is_manifest(mt: &str) -> bool {
        mt == OCI_MANIFEST || mt == DOCKER_MANIFEST
    }
}

/// A content descriptor: what a manifest says about one blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An index entry's platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An image manifest: one config and its layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// An image index (or Docker manifest list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
}

/// What a manifest endpoint returned, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Manifest(ImageManifest),
    Index(Index),
}

/// Parses manifest bytes. The media type comes from the `Content-Type` header when the
/// registry sent a useful one, else from the document's own `mediaType`, else from its shape.
///
/// # Errors
/// [`RegistryError::Json`] or [`RegistryError::UnsupportedMediaType`].
pub(crate) fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
) -> Result<(String, Parsed), RegistryError> {
    let json = |source| RegistryError::Json {
        what: format!("the manifest at {url}"),
        source,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(json)?;
    let declared = value
        .get("mediaType")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or_default().trim().to_owned())
        .filter(|c| media_type::is_index(c) || media_type::is_manifest(c));
    let mt = header.or(declared).unwrap_or_else(|| {
        if value.get("manifests").is_some() {
            media_type::OCI_INDEX.to_owned()
        } else {
            media_type::OCI_MANIFEST.to_owned()
        }
    });
    if media_type::is_index(&mt) {
        Ok((
            mt,
            Parsed::Index(serde_json::from_value(value).map_err(json)?),
        ))
    } else if media_type::is_manifest(&mt) {
        Ok((
            mt,
            Parsed::Manifest(serde_json::from_value(value).map_err(json)?),
        ))
    } else {
        Err(RegistryError::UnsupportedMediaType {
            url: url.to_owned(),
            media_type: mt,
        })
    }
}

impl Index {
    /// The linux/amd64 image manifest's descriptor (see [`Index::for_platform`]).
    #[must_use]
    pub fn linux_amd64(&self) -> Option<&Descriptor> {
        self.for_platform(&Platform::linux_amd64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    #[test]
    fn parses_a_docker_v2_manifest_by_content_type() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":"{D1}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":9,"digest":"{D2}"}}]}}"#
        );
        let (mt, parsed) = parse(
            body.as_bytes(),
            Some("application/vnd.docker.distribution.manifest.v2+json"),
            "u",
        )
        .unwrap();
        assert_eq!(mt, media_type::DOCKER_MANIFEST);
        let Parsed::Manifest(m) = parsed else {
            panic!("not a manifest")
        };
        assert_eq!(m.config.digest.as_str(), D1);
        assert_eq!(m.layers[0].size, 9);
    }

    #[test]
    fn resolves_linux_amd64_in_a_buildkit_index_with_provenance() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D1}","size":1,"platform":{{"architecture":"arm64","os":"linux"}}}},
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D2}","size":2,"platform":{{"architecture":"amd64","os":"linux"}}}},
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D3}","size":3,"platform":{{"architecture":"unknown","os":"unknown"}},"annotations":{{"vnd.docker.reference.type":"attestation-manifest"}}}}]}}"#
        );
        // Content-Type missing or generic: the document's mediaType decides.
        let (mt, parsed) = parse(body.as_bytes(), Some("application/json"), "u").unwrap();
        assert_eq!(mt, media_type::OCI_INDEX);
        let Parsed::Index(i) = parsed else {
            panic!("not an index")
        };
        assert_eq!(i.linux_amd64().unwrap().digest.as_str(), D2);
    }

    #[test]
    fn an_index_without_amd64_has_no_choice() {
        let body = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D3}","size":3,"platform":{{"architecture":"unknown","os":"unknown"}}}}]}}"#
        );
        let (_, parsed) = parse(body.as_bytes(), None, "u").unwrap();
        let Parsed::Index(i) = parsed else {
            panic!("shape should say index")
        };
        assert!(i.linux_amd64().is_none());
    }

    #[test]
    fn refuses_schema1_and_garbage() {
        let v1 = r#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws","fsLayers":[]}"#;
        assert!(matches!(
            parse(v1.as_bytes(), None, "u"),
            Err(RegistryError::UnsupportedMediaType { .. })
        ));
        assert!(matches!(
            parse(b"not json", None, "u"),
            Err(RegistryError::Json { .. })
        ));
        let bad_digest = r#"{"schemaVersion":2,"config":{"mediaType":"x","size":1,"digest":"sha256:nope"},"layers":[]}"#;
        assert!(matches!(
            parse(bad_digest.as_bytes(), None, "u"),
            Err(RegistryError::Json { .. })
        ));
    }
}
