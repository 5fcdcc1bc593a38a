//! What one image's push must do, decided before any byte is sent: nothing, a retag (a
//! manifest PUT, no blobs) or a push, and which tags move. ECR is asked about the repository
//! only when it may not exist yet or an existing tag is about to move (immutability).

use std::collections::HashMap;

use hoist_registry::{Comparison, Digest, ImageManifest, LocalImage, RemoteManifest};

use super::current::{Current, platform_manifest};
use super::service::{Ctx, Fail, ServiceResult, Tag, registry_fail};
use super::source::EngineImage;

/// The local image as far as the decision needs it.
pub(crate) enum Identity<'a> {
    /// In the engine: digests known from its ID and diff_ids, manifest bytes not yet.
    Engine(&'a EngineImage),
    /// Read from disk: exact manifest bytes.
    Ready(&'a LocalImage),
}

impl Identity<'_> {
    fn manifest(&self) -> ImageManifest {
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

/// What to do for one image.
pub(crate) enum Plan {
    /// Every tag already points at this content: nothing is sent.
    Skip,
    /// Same content as the reference tag: its manifest is PUT under `names`, no blobs.
    Retag {
        remote: Box<RemoteManifest>,
        names: Vec<String>,
    },
    /// New content: missing blobs are sent, then `names` are pointed at it, in order.
    /// `remote` holds the layers the repository's tagged images already store, by diff_id:
    /// those are neither compressed nor sent again.
    Push {
        names: Vec<String>,
        remote: hoist_registry::RemoteLayers,
    },
}

pub(crate) async fn decide(
    ctx: &Ctx,
    repo: &str,
    service: &str,
    identity: &Identity<'_>,
    current: &Current,
    r: &mut ServiceResult,
    explain: &mut Vec<String>,
) -> Result<Plan, Fail> {
    let local = identity.manifest();
    let reference = current.reference.as_ref();
    let comparison = hoist_registry::compare(&local, reference.map(|x| &x.platform));
    if ctx.explain {
        explain.push(explain_line(service, identity, current, &comparison));
    }
    // Every existing tag's content, each manifest resolved once.
    let mut content: HashMap<Digest, ImageManifest> = HashMap::new();
    if let Some(x) = reference {
        content.insert(x.remote.digest.clone(), x.platform.clone());
    }
    for (_, m) in &current.tags {
        if let Some(m) = m
            && !content.contains_key(&m.digest)
        {
            let pm = platform_manifest(&ctx.client, repo, m)
                .await
                .map_err(|e| registry_fail(ctx, e))?;
            content.insert(m.digest.clone(), pm);
        }
    }
    // Same commit, other content: the build is not reproducible.
    for (t, m) in current.tags.iter().filter(|(t, _)| t.is_sha) {
        if let Some(m) = m
            && !hoist_registry::compare(&local, content.get(&m.digest)).unchanged()
        {
            r.not_reproducible = true;
            let config = content
                .get(&m.digest)
                .map_or("?", |pm| pm.config.digest.short());
            explain.push(format!("warning: {service}: build not reproducible: tag {} (same commit) already holds other content (config {config})", t.name));
        }
    }
    r.comparison = Some(comparison.clone());
    r.tags = ctx.tags.iter().map(|t| t.name.clone()).collect();

    let unchanged = comparison.unchanged().then(|| {
        reference
            .expect("unchanged implies a reference")
            .remote
            .clone()
    });
    let moves = |t: &(Tag, Option<RemoteManifest>)| match (&t.1, &unchanged) {
        (None, _) => true,
        (Some(m), Some(remote)) => m.digest != remote.digest,
        (Some(m), None) => !content
            .get(&m.digest)
            .is_some_and(|pm| identity.is(&m.digest, pm)),
    };
    let to_move: Vec<&(Tag, Option<RemoteManifest>)> =
        current.tags.iter().filter(|t| moves(t)).collect();
    r.manifest_digest = match (&unchanged, identity) {
        (Some(remote), _) => Some(remote.digest.clone()),
        (None, Identity::Ready(i)) => Some(i.digest()),
        (None, Identity::Engine(_)) => None,
    };

    // ECR's repository settings matter only for a repository that may not exist yet, or
    // when an existing tag is about to move (IMMUTABLE tags refuse that). Other registries
    // create a repository on its first push and have no such settings.
    let moves_existing = to_move.iter().find(|(_, m)| m.is_some()).map(|(t, _)| t);
    if ctx.ecr_registry && (!current.any_tag() || moves_existing.is_some()) {
        let (repository, created) = ctx
            .control
            .ensure_repository(&ctx.images, repo)
            .await
            .map_err(|f| (f.message, f.hint))?;
        r.repository_created = created;
        if let (true, Some(t)) = (repository.immutable_tags, moves_existing) {
            return Err(immutable(repo, t));
        }
    }
    let names: Vec<String> = to_move.iter().map(|(t, _)| t.name.clone()).collect();
    Ok(match unchanged {
        Some(_) if names.is_empty() => Plan::Skip,
        Some(remote) => Plan::Retag {
            remote: Box::new(remote),
            names,
        },
        None => {
            // The configs of what the tags point at tell which layers the repository holds
            // whatever compression stored them; read once per distinct image.
            let mut remote = hoist_registry::RemoteLayers::default();
            let mut read = std::collections::HashSet::new();
            for pm in content.values() {
                if read.insert(pm.config.digest.clone()) {
                    let layers = hoist_registry::RemoteLayers::read(&ctx.client, repo, pm)
                        .await
                        .map_err(|e| registry_fail(ctx, e))?;
                    remote.extend(layers);
                }
            }
            // A layer stored compressed is the same layer: only diff_ids the repository's
            // images lack are new.
            if let Some(Comparison::Changed { new_layers, .. }) = r.comparison.as_mut() {
                new_layers.retain(|d| remote.get(d).is_none());
            }
            Plan::Push { names, remote }
        }
    })
}

/// ECR refuses to move a tag of an IMMUTABLE repository: say so before sending anything.
fn immutable(repo: &str, t: &Tag) -> Fail {
    (
        format!(
            "repository {repo:?} has IMMUTABLE tags and tag {:?} already points at other content; ECR would refuse the push",
            t.name
        ),
        Some(format!(
            "push only SHA tags (tags = [\"{{sha}}\"] in [images]) from reproducible builds, or make the tags mutable: `aws ecr put-image-tag-mutability --repository-name {repo} --image-tag-mutability MUTABLE`"
        )),
    )
}

fn explain_line(
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
        format!(" (index {}, linux/amd64 manifest)", remote.digest.short())
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
