//! The push plan: what each image's push must do, decided before any byte is sent — nothing,
//! a retag (a manifest PUT, no blobs) or an upload of the layers the repository lacks — and
//! which tags move. Pure: the registry's state comes in as values `current` read, and the two
//! answers only ECR can give (the repository's tag mutability, the layers the repository's
//! images store) are applied by [`Decision::check_repository`] and [`Decision::stored`].

use std::collections::HashMap;

use hoist_registry::{Comparison, Digest, ImageManifest, LocalImage, RemoteLayers, RemoteManifest};

use crate::current::Current;
use crate::error::PushError;
use crate::source::EngineImage;
use crate::tags::Tag;

/// The local image as far as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// In the engine: digests known from its ID and diff_ids, manifest bytes not yet.
    Engine(&'a EngineImage),
    /// Read from disk: exact manifest bytes.
    Ready(&'a LocalImage),
}

impl Identity<'_> {
    /// The manifest compared with the registry's (an engine image's layers by diff_id).
    #[must_use]
    pub fn manifest(&self) -> ImageManifest {
        match self {
            Self::Engine(e) => e.manifest(),
            Self::Ready(i) => i.manifest.clone(),
        }
    }

    /// Whether `tag_content` (a tag's platform manifest, under the manifest digest `at`)
    /// already is this image, so the tag need not move.
    fn is(&self, at: &Digest, tag_content: &ImageManifest) -> bool {
        match self {
            // The same config digest is the same content; the manifest is the one to keep.
            Self::Engine(e) => tag_content.config.digest == e.config,
            Self::Ready(i) => *at == i.digest(),
        }
    }
}

/// What one image's push does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Every tag already points at this content: nothing is sent.
    Unchanged,
    /// Same content as the reference tag: its manifest is PUT under `names`, no blobs.
    Retag {
        remote: Box<RemoteManifest>,
        names: Vec<String>,
    },
    /// New content: the layers the repository lacks are uploaded, then `names` are pointed at
    /// it, in order. `stored` holds the layers the repository's tagged images already store,
    /// by diff_id: those are neither compressed nor sent again.
    Upload {
        names: Vec<String>,
        stored: RemoteLayers,
    },
}

/// What ECR must be asked about the repository before anything is sent. Other registries
/// create a repository on its first push and have no such settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryCheck {
    /// Nothing: not ECR, or the repository holds tags of this push and none moves.
    None,
    /// No tag of this push exists: the repository may not exist, ECR creates it.
    Ensure,
    /// An existing tag moves to other content: an IMMUTABLE repository refuses that.
    TagMoves { tag: String },
}

/// A SHA tag (one commit's build) that already holds other content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReproducible {
    pub tag: String,
    /// The config the tag holds (unknown if its manifest was not read).
    pub config: Option<Digest>,
}

/// One image's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The local image against the reference tag (`latest`); after [`Decision::stored`], a
    /// `Changed`'s new layers are only those no image of the repository stores.
    pub comparison: Comparison,
    /// SHA tags of this commit that hold other content: the build is not reproducible.
    pub not_reproducible: Vec<NotReproducible>,
    /// Every tag of this push.
    pub tags: Vec<String>,
    /// The manifest the tags will point at, when known before the push (an engine image's
    /// manifest exists only once its layers are exported).
    pub manifest_digest: Option<Digest>,
    pub repository_check: RepositoryCheck,
    pub action: Action,
}

/// Decides one image's push from what its tags point at (`current`) and each existing tag's
/// image manifest by manifest digest (`content`, see [`crate::current::contents`]).
/// `ecr_registry`: the images go to ECR, whose repositories are checked through its API.
#[must_use]
pub fn decide(
    identity: &Identity<'_>,
    current: &Current,
    content: &HashMap<Digest, ImageManifest>,
    ecr_registry: bool,
) -> Decision {
    let local = identity.manifest();
    let reference = current.reference.as_ref();
    let comparison = hoist_registry::compare(&local, reference.map(|x| &x.platform));
    // Same commit, other content: the build is not reproducible.
    let not_reproducible = current
        .tags
        .iter()
        .filter(|(t, _)| t.is_sha)
        .filter_map(|(t, m)| {
            let m = m.as_ref()?;
            let held = content.get(&m.digest);
            (!hoist_registry::compare(&local, held).unchanged()).then(|| NotReproducible {
                tag: t.name.clone(),
                config: held.map(|pm| pm.config.digest.clone()),
            })
        })
        .collect();
    let unchanged = comparison
        .unchanged()
        .then(|| reference.map(|x| x.remote.clone()))
        .flatten();
    let moves = |t: &(Tag, Option<RemoteManifest>)| match (&t.1, &unchanged) {
        (None, _) => true,
        (Some(m), Some(remote)) => m.digest != remote.digest,
        (Some(m), None) => !content
            .get(&m.digest)
            .is_some_and(|pm| identity.is(&m.digest, pm)),
    };
    let to_move: Vec<&(Tag, Option<RemoteManifest>)> =
        current.tags.iter().filter(|t| moves(t)).collect();
    let manifest_digest = match (&unchanged, identity) {
        (Some(remote), _) => Some(remote.digest.clone()),
        (None, Identity::Ready(i)) => Some(i.digest()),
        (None, Identity::Engine(_)) => None,
    };
    let moves_existing = to_move.iter().find(|(_, m)| m.is_some()).map(|(t, _)| t);
    let repository_check = match (ecr_registry, moves_existing) {
        (false, _) => RepositoryCheck::None,
        (true, Some(t)) => RepositoryCheck::TagMoves {
            tag: t.name.clone(),
        },
        (true, None) if !current.any_tag() => RepositoryCheck::Ensure,
        (true, None) => RepositoryCheck::None,
    };
    let names: Vec<String> = to_move.iter().map(|(t, _)| t.name.clone()).collect();
    let action = match unchanged {
        Some(_) if names.is_empty() => Action::Unchanged,
        Some(remote) => Action::Retag {
            remote: Box::new(remote),
            names,
        },
        None => Action::Upload {
            names,
            stored: RemoteLayers::default(),
        },
    };
    Decision {
        comparison,
        not_reproducible,
        tags: current.tags.iter().map(|(t, _)| t.name.clone()).collect(),
        manifest_digest,
        repository_check,
        action,
    }
}

impl Decision {
    /// The repository ECR found (or created): an IMMUTABLE one refuses a moving tag, so the
    /// push stops before anything is sent.
    ///
    /// # Errors
    /// [`PushError::ImmutableTag`] when an existing tag would move in an IMMUTABLE repository.
    pub fn check_repository(
        &self,
        repository: &str,
        immutable_tags: bool,
    ) -> Result<(), PushError> {
        match &self.repository_check {
            RepositoryCheck::TagMoves { tag } if immutable_tags => Err(PushError::ImmutableTag {
                repository: repository.to_owned(),
                tag: tag.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Whether an upload needs the layers the repository's images store (read from the
    /// configs of what its tags point at).
    #[must_use]
    pub fn needs_stored_layers(&self) -> bool {
        matches!(self.action, Action::Upload { .. })
    }

    /// Records the layers the repository stores, by diff_id, whatever compression stored them:
    /// they are reused, and only diff_ids the repository lacks count as new.
    pub fn stored(&mut self, layers: RemoteLayers) {
        if let Comparison::Changed { new_layers, .. } = &mut self.comparison {
            new_layers.retain(|d| layers.get(d).is_none());
        }
        if let Action::Upload { stored, .. } = &mut self.action {
            *stored = layers;
        }
    }
}

/// The plan of one `hoist push`: each service's decision (or why it could not be decided),
/// in the order the services were given.
#[derive(Debug, Default)]
pub struct PushPlan {
    pub services: Vec<ServicePlan>,
}

/// One service's place in the plan.
#[derive(Debug)]
pub struct ServicePlan {
    pub service: String,
    pub repository: String,
    pub decision: Result<Decision, PushError>,
}

impl PushPlan {
    /// Services whose push sends blobs.
    pub fn uploads(&self) -> impl Iterator<Item = &ServicePlan> {
        self.services
            .iter()
            .filter(|s| matches!(&s.decision, Ok(d) if matches!(d.action, Action::Upload { .. })))
    }
}

/// `--explain`'s line for one image: what the reference tag holds, how it compares.
#[must_use]
pub fn explain_line(
    service: &str,
    identity: &Identity<'_>,
    current: &Current,
    cmp: &Comparison,
) -> String {
    let Some(reference) = &current.reference else {
        let tag = current
            .tags
            .iter()
            .find(|(t, _)| !t.is_sha)
            .or_else(|| current.tags.first())
            .map_or("latest", |(t, _)| t.name.as_str());
        return format!("{service}: no `{tag}` in the repository: push");
    };
    let remote = &reference.remote;
    let via = if remote.media_type.contains("index") || remote.media_type.contains("list") {
        format!(
            " (index {}, {} manifest)",
            remote.digest.short(),
            current.platform
        )
    } else {
        String::new()
    };
    let local = identity.manifest();
    let source = match identity {
        Identity::Engine(_) => " (the engine's image ID: nothing exported to compare)",
        Identity::Ready(_) => "",
    };
    let same_layers = local
        .layers
        .iter()
        .filter(|l| {
            reference
                .platform
                .layers
                .iter()
                .any(|p| p.digest == l.digest)
        })
        .count();
    let verdict = match cmp {
        Comparison::Identical => "identical: skip the push".to_owned(),
        Comparison::SameContent => {
            "same config (same diff_ids), layers stored differently: same content, skip the push"
                .to_owned()
        }
        Comparison::Changed { new_layers, .. } => {
            format!("changed: push ({} new layer(s))", new_layers.len())
        }
        Comparison::Missing => "missing: push".to_owned(),
    };
    format!(
        "{service}: `{}` → manifest {}{via}; config local {}{source} remote {}; layers {}/{} shared; {verdict}",
        reference.tag,
        remote.digest.short(),
        local.config.digest.short(),
        reference.platform.config.digest.short(),
        same_layers,
        local.layers.len(),
    )
}

#[cfg(test)]
mod tests;
