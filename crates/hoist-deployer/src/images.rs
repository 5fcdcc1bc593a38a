//! Publishing a deploy plan's Docker image assets as the CDK CLI's asset publisher does, each
//! through the client of its destination's image-publishing role: the tag is looked up in
//! the asset repository first (`ecr:DescribeImages`; asset tags are content hashes, so a tag
//! that exists holds this image) and, only when it is missing, the image is built from the
//! asset's directory by the Docker engine (`hoist-docker`) and pushed with hoist's own push
//! engine (`hoist-registry`) to the registry ECR names, with ECR's authorization token.
//!
//! Without `--apply` nothing is built or pushed; the repository must exist and, when an image
//! would be built, the Docker engine must answer — both knowable before anything changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hoist_aws::Aws;
use hoist_aws::ecr::Ecr;
use hoist_deploy::plan::{DeployPlan, ImagePublish};
use hoist_registry::{BasicAuth, Client, Digest, LocalBlob, NoReporter};

use crate::error::{DeployError, Result};
use crate::events::Events;

/// The name a built asset image gets in the engine (the CDK CLI's `cdkasset-ID`).
fn local_tag(id: &str) -> String {
    format!("cdkasset-{}", id.to_ascii_lowercase())
}

/// `http://` for a registry on this machine, else `https://`.
fn registry_base(host: &str) -> String {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        format!("http://{host}")
    } else {
        format!("https://{host}")
    }
}

/// Publishes (with `apply`) or checks (without) every image asset of `plan`.
pub async fn publish(
    plan: &DeployPlan,
    base: &Aws,
    roles: &BTreeMap<String, Aws>,
    apply: bool,
    events: &dyn Events,
) -> Result<()> {
    let mut engine: Option<hoist_docker::Engine> = None;
    // Asset id → the image ID the engine built (one build per asset, any number of
    // destinations).
    let mut built: HashMap<String, String> = HashMap::new();
    for asset in &plan.images {
        let aws = asset
            .role
            .as_ref()
            .and_then(|r| roles.get(r))
            .unwrap_or(base);
        let ecr = Ecr::new(aws);
        let target = format!("{}:{}", asset.repository, asset.tag);
        match ecr
            .image_tag_exists(&asset.repository, &asset.tag)
            .await
            .map_err(|source| DeployError::AssetLookup {
                target: target.clone(),
                source,
            })? {
            Some(true) => {
                events.info(&format!(
                    "image asset {} → {target}: already there",
                    asset.id
                ));
                continue;
            }
            None => {
                return Err(DeployError::NoAssetRepository {
                    repository: asset.repository.clone(),
                    asset: asset.id.clone(),
                    stack: plan.stack_name.clone(),
                    environment: format!("aws://{}/{}", plan.env.account, plan.env.region),
                });
            }
            Some(false) => {}
        }
        if engine.is_none() {
            engine = Some(hoist_docker::Engine::connect().await.map_err(|source| {
                DeployError::NoDockerEngine {
                    asset: asset.id.clone(),
                    source,
                }
            })?);
        }
        let engine = engine.as_ref().expect("connected above");
        if !apply {
            events.out(&format!(
                "would build image asset {} from {} and push it to {target}",
                asset.id,
                asset.directory.display()
            ));
            continue;
        }
        let (client, path) = registry_client(&ecr, &asset.repository).await?;
        if client
            .get_manifest(&path, &asset.tag)
            .await
            .map_err(|source| DeployError::Registry {
                what: format!("cannot read {target} from the registry"),
                source,
            })?
            .is_some()
        {
            events.info(&format!(
                "image asset {} → {target}: already in the registry",
                asset.id
            ));
            continue;
        }
        let image_id = match built.get(&asset.id) {
            Some(id) => id.clone(),
            None => {
                events.info(&format!(
                    "building image asset {} from {}",
                    asset.id,
                    asset.directory.display()
                ));
                let id = engine
                    .build_directory(&spec(asset))
                    .await
                    .map_err(|e| build_failure(asset, e))?;
                built.insert(asset.id.clone(), id.clone());
                id
            }
        };
        let stats = push(engine, &client, &path, asset, &image_id).await?;
        events.info(&format!(
            "image asset {} → {target}: pushed ({} blob(s), {} bytes)",
            asset.id, stats.blobs_uploaded, stats.bytes_sent
        ));
    }
    Ok(())
}

fn spec(asset: &ImagePublish) -> hoist_docker::BuildSpec {
    hoist_docker::BuildSpec {
        context: asset.directory.clone(),
        dockerfile: asset.dockerfile.clone(),
        build_args: asset.build_args.clone(),
        target: asset.target.clone(),
        platform: asset.platform.clone(),
        tag: local_tag(&asset.id),
    }
}

/// The engine's build output ends the message (its last lines, where the failing step is), so
/// the one error renderer prints it instead of a second path to stderr.
fn build_failure(asset: &ImagePublish, source: hoist_docker::DockerError) -> DeployError {
    let mut log_tail = String::new();
    if let hoist_docker::DockerError::ImageBuild { log, .. } = &source {
        let lines: Vec<&str> = log.lines().collect();
        for line in &lines[lines.len().saturating_sub(20)..] {
            log_tail.push_str("\n  ");
            log_tail.push_str(line);
        }
    }
    DeployError::ImageBuild {
        asset: asset.id.clone(),
        directory: asset.directory.clone(),
        log_tail,
        source: Box::new(source),
    }
}

/// A registry client for the repository ECR names, with ECR's token; and the repository's
/// path in that registry.
async fn registry_client(ecr: &Ecr, repository: &str) -> Result<(Client, String)> {
    let repo = ecr
        .describe_repository(repository)
        .await
        .map_err(|source| DeployError::RepositoryLookup {
            repository: repository.to_owned(),
            source,
        })?
        .ok_or_else(|| DeployError::RepositoryMissing {
            repository: repository.to_owned(),
        })?;
    let (host, path) = repo
        .uri
        .split_once('/')
        .ok_or_else(|| DeployError::RepositoryUri {
            repository: repository.to_owned(),
            uri: repo.uri.clone(),
        })?;
    let token = ecr
        .authorization_token()
        .await
        .map_err(DeployError::EcrToken)?;
    let auth = BasicAuth::from_base64_token(token.token())
        .map_err(|reason| DeployError::EcrTokenUnusable { reason })?;
    let client =
        Client::new(&registry_base(host), Some(auth), Arc::new(NoReporter)).map_err(|source| {
            DeployError::Registry {
                what: format!("cannot reach registry {host}"),
                source,
            }
        })?;
    Ok((client, path.to_owned()))
}

/// Exports the built image from the engine, gzips its layers and pushes it under the tag.
async fn push(
    engine: &hoist_docker::Engine,
    client: &Client,
    path: &str,
    asset: &ImagePublish,
    image_id: &str,
) -> Result<hoist_registry::PushStats> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| DeployError::AssetPush {
        asset: asset.id.clone(),
        target: format!("{path}:{}", asset.tag),
        source: e,
    };
    let work = tempfile::Builder::new()
        .prefix(&format!("hoist-deploy-{}-", std::process::id()))
        .tempdir()
        .map_err(|e| fail(e.into()))?;
    let config = Digest::parse(image_id).map_err(|e| fail(e.into()))?;
    let reader = engine.export_reader(&[image_id]);
    let dir = work.path().to_owned();
    let image = tokio::task::spawn_blocking(move || {
        // Every layer is sent: each is gzipped as it streams in.
        let archive = hoist_registry::spool(reader, &dir, &mut hoist_registry::EveryLayer)?;
        let image = archive.image(&config)?;
        let layers = image
            .layers
            .iter()
            .map(|l| {
                if let Some(compressed) = archive.compressed(&l.descriptor.digest) {
                    Ok(compressed.clone())
                } else if hoist_registry::is_uncompressed_layer(&l.descriptor.media_type) {
                    hoist_registry::compress_layer(l, &dir, hoist_registry::Compression::Gzip)
                } else {
                    Ok(l.clone())
                }
            })
            .collect::<Result<Vec<LocalBlob>, _>>()?;
        Ok::<_, hoist_registry::RegistryError>(image.with_layers(layers))
    })
    .await
    .map_err(|e| fail(e.into()))?
    .map_err(|e| fail(e.into()))?;
    let stats = hoist_registry::push_image(
        client,
        path,
        &image,
        std::slice::from_ref(&asset.tag),
        &hoist_registry::BlobRegistry::new(),
        &hoist_registry::PushOptions::default(),
        &HashMap::new(),
    )
    .await
    .map_err(|e| fail(e.into()))?;
    drop(work);
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_are_plain_http_others_https() {
        assert_eq!(registry_base("127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(registry_base("localhost:5000"), "http://localhost:5000");
        assert_eq!(
            registry_base("123456789012.dkr.ecr.ca-central-1.amazonaws.com"),
            "https://123456789012.dkr.ecr.ca-central-1.amazonaws.com"
        );
        assert_eq!(local_tag("AbC123"), "cdkasset-abc123");
    }
}
