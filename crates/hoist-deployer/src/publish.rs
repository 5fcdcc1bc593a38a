//! Publishing a deploy plan's file assets (and the template, when it goes through S3),
//! each with its destination's publishing role, skipping objects already there (keys are
//! content hashes, so an existing key holds the same bytes).

use std::collections::BTreeMap;

use hoist_aws::Aws;
use hoist_aws::s3::S3;
use hoist_deploy::plan::{DeployPlan, FilePublish, Packaging, TemplateLocation};

use crate::error::{DeployError, Result};
use crate::events::Events;

/// Which assets to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only the template, which a change set needs (first, and alone in a plan).
    TemplateOnly,
    /// Everything but the template (while CloudFormation computes the change set).
    AllButTemplate,
}

fn body(asset: &FilePublish) -> Result<Vec<u8>> {
    match asset.packaging {
        Packaging::File => {
            std::fs::read(&asset.source).map_err(|source| DeployError::AssetUnreadable {
                path: asset.source.clone(),
                source,
            })
        }
        Packaging::Zip => Ok(hoist_deploy::zip_asset::zip_directory(&asset.source)?),
    }
}

/// Uploads the plan's file assets in `scope`, each through the client of its publishing
/// role (`roles`: role ARN → assumed configuration; `base` when the asset names none).
pub async fn files(
    plan: &DeployPlan,
    base: &Aws,
    roles: &BTreeMap<String, Aws>,
    scope: Scope,
    events: &dyn Events,
) -> Result<()> {
    let template_object = match &plan.location {
        TemplateLocation::Url { bucket, key, .. } => Some((bucket.as_str(), key.as_str())),
        TemplateLocation::Body => None,
    };
    let wanted = plan.files.iter().filter(|asset| {
        let is_template = template_object == Some((asset.bucket.as_str(), asset.key.as_str()));
        match scope {
            Scope::TemplateOnly => is_template,
            Scope::AllButTemplate => !is_template,
        }
    });
    // Independent objects: uploaded at once, each reported when done.
    let uploads = wanted.map(|asset| async move {
        let aws = asset
            .role
            .as_ref()
            .and_then(|r| roles.get(r))
            .unwrap_or(base);
        let uploaded = S3::new(aws)
            .put_if_absent(&asset.bucket, &asset.key, body(asset)?)
            .await?;
        events.info(&format!(
            "asset s3://{}/{}: {}",
            asset.bucket,
            asset.key,
            if uploaded {
                "uploaded"
            } else {
                "already there"
            }
        ));
        Ok::<_, DeployError>(())
    });
    futures::future::try_join_all(uploads).await?;
    if scope == Scope::AllButTemplate {
        return Ok(());
    }
    if let TemplateLocation::Url {
        bucket,
        key,
        upload: true,
        ..
    } = &plan.location
    {
        // Plain templates and legacy assemblies: hoist uploads the template with the
        // credentials the stack is deployed with.
        let aws = plan
            .deploy_role
            .as_ref()
            .and_then(|r| roles.get(r))
            .unwrap_or(base);
        let uploaded = S3::new(aws)
            .put_if_absent(bucket, key, plan.template.as_bytes().to_vec())
            .await?;
        events.info(&format!(
            "template s3://{bucket}/{key}: {}",
            if uploaded {
                "uploaded"
            } else {
                "already there"
            }
        ));
    }
    Ok(())
}
