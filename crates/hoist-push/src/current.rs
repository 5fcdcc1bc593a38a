//! What a repository's tags point at now, read with one concurrent GET per tag, and the
//! image manifest behind each (an index is resolved to its entry for the image's platform:
//! the service's `platform:`, else `[images] platform`, else linux/amd64).

use std::collections::HashMap;

use hoist_registry::{
    Client, Digest, ImageManifest, Parsed, Platform, RegistryError, RemoteManifest,
};

use crate::tags::Tag;

/// The tags of one repository as the registry has them.
pub struct Current {
    /// Every tag of this push, with the manifest it points at (`None`: not there yet).
    pub tags: Vec<(Tag, Option<RemoteManifest>)>,
    /// The tag the content is compared with: the first moving tag (`latest`), else the first.
    pub reference: Option<Reference>,
    /// The platform whose manifest an index is resolved to.
    pub platform: Platform,
}

/// The reference tag's manifest and the image manifest it stands for.
pub struct Reference {
    pub tag: String,
    pub remote: RemoteManifest,
    pub platform: ImageManifest,
}

impl Current {
    /// Whether any tag of this push exists in the repository (else it may not exist at all).
    #[must_use]
    pub fn any_tag(&self) -> bool {
        self.tags.iter().any(|(_, m)| m.is_some())
    }
}

/// Every existing tag's image manifest, by the manifest digest the tag points at: the
/// reference's is known already, each other distinct manifest is read once.
///
/// # Errors
/// When the registry fails a read, or a tag's index has no manifest for the platform.
pub async fn contents(
    client: &Client,
    repo: &str,
    current: &Current,
) -> Result<HashMap<Digest, ImageManifest>, RegistryError> {
    let mut content: HashMap<Digest, ImageManifest> = HashMap::new();
    if let Some(x) = &current.reference {
        content.insert(x.remote.digest.clone(), x.platform.clone());
    }
    for (_, m) in &current.tags {
        if let Some(m) = m
            && !content.contains_key(&m.digest)
        {
            let pm = platform_manifest(client, repo, m, &current.platform).await?;
            content.insert(m.digest.clone(), pm);
        }
    }
    Ok(content)
}

/// Reads every tag's manifest at once, then resolves the reference tag to its platform manifest.
///
/// # Errors
/// When the registry fails a read.
pub async fn read(
    client: &Client,
    repo: &str,
    tags: &[Tag],
    platform: &Platform,
) -> Result<Current, RegistryError> {
    let gets = tags.iter().map(|t| client.get_manifest(repo, &t.name));
    let manifests = futures::future::try_join_all(gets).await?;
    let tags: Vec<(Tag, Option<RemoteManifest>)> = tags.iter().cloned().zip(manifests).collect();
    let reference = match reference_tag(&tags) {
        Some((t, Some(m))) => Some(Reference {
            tag: t.name.clone(),
            remote: m.clone(),
            platform: platform_manifest(client, repo, m, platform).await?,
        }),
        _ => None,
    };
    Ok(Current {
        tags,
        reference,
        platform: platform.clone(),
    })
}

/// The tag the content is compared with: the first moving tag (`latest`), else the first.
#[must_use]
pub fn reference_tag(
    tags: &[(Tag, Option<RemoteManifest>)],
) -> Option<&(Tag, Option<RemoteManifest>)> {
    tags.iter()
        .find(|(t, _)| !t.is_sha)
        .or_else(|| tags.first())
}

/// The image manifest a tag stands for: itself, or an index's entry for `platform` (BuildKit
/// writes an index when provenance attestations are on, buildx one per platform).
///
/// # Errors
/// When the registry fails a read, or the index has no manifest for `platform`.
pub async fn platform_manifest(
    client: &Client,
    repo: &str,
    m: &RemoteManifest,
    platform: &Platform,
) -> Result<ImageManifest, RegistryError> {
    match &m.parsed {
        Parsed::Manifest(im) => Ok(im.clone()),
        Parsed::Index(index) => {
            let d = index
                .for_platform(platform)
                .ok_or_else(|| RegistryError::NoPlatform {
                    url: format!("{repo}@{}", m.digest),
                    platform: platform.to_string(),
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
