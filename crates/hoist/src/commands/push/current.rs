//! What a repository's tags point at now, read with one concurrent GET per tag.

use hoist_registry::{Client, ImageManifest, Parsed, RegistryError, RemoteManifest};

use super::service::Tag;

/// The tags of one repository as the registry has them.
pub(crate) struct Current {
    /// Every tag of this push, with the manifest it points at (`None`: not there yet).
    pub(crate) tags: Vec<(Tag, Option<RemoteManifest>)>,
    /// The tag the content is compared with: the first moving tag (`latest`), else the first.
    pub(crate) reference: Option<Reference>,
}

/// The reference tag's manifest and the image manifest it stands for.
pub(crate) struct Reference {
    pub(crate) tag: String,
    pub(crate) remote: RemoteManifest,
    pub(crate) platform: ImageManifest,
}

impl Current {
    /// Whether any tag of this push exists in the repository (else it may not exist at all).
    pub(crate) fn any_tag(&self) -> bool {
        self.tags.iter().any(|(_, m)| m.is_some())
    }
}

/// Reads every tag's manifest at once, then resolves the reference tag to its platform manifest.
pub(crate) async fn read(
    client: &Client,
    repo: &str,
    tags: &[Tag],
) -> Result<Current, RegistryError> {
    let gets = tags.iter().map(|t| client.get_manifest(repo, &t.name));
    let manifests = futures::future::try_join_all(gets).await?;
    let tags: Vec<(Tag, Option<RemoteManifest>)> = tags.iter().cloned().zip(manifests).collect();
    let chosen = tags
        .iter()
        .find(|(t, _)| !t.is_sha)
        .or_else(|| tags.first());
    let reference = match chosen {
        Some((t, Some(m))) => Some(Reference {
            tag: t.name.clone(),
            remote: m.clone(),
            platform: platform_manifest(client, repo, m).await?,
        }),
        _ => None,
    };
    Ok(Current { tags, reference })
}

/// The image manifest a tag stands for: itself, or an index's linux/amd64 entry (BuildKit
/// writes an index when provenance attestations are on).
pub(crate) async fn platform_manifest(
    client: &Client,
    repo: &str,
    m: &RemoteManifest,
) -> Result<ImageManifest, RegistryError> {
    match &m.parsed {
        Parsed::Manifest(im) => Ok(im.clone()),
        Parsed::Index(index) => {
            let d = index
                .linux_amd64()
                .ok_or_else(|| RegistryError::NoPlatform {
                    url: format!("{repo}@{}", m.digest),
                })?;
            let pm = client
                .get_manifest(repo, d.digest.as_str())
                .await?
                .ok_or_else(|| RegistryError::Protocol {
                    url: format!("{repo}@{}", d.digest),
                    detail: "the index names a manifest the repository does not have".into(),
                })?;
            match pm.parsed {
                Parsed::Manifest(im) => Ok(im),
                Parsed::Index(_) => Err(RegistryError::Protocol {
                    url: format!("{repo}@{}", d.digest),
                    detail: "an index inside an index".into(),
                }),
            }
        }
    }
}
