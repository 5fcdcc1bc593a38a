//! A CDK cloud assembly (`cdk.out`): the stack's template from `manifest.json`, and its
//! file assets (single files, or directories zipped) uploaded where the asset manifest says (by default the bootstrap bucket
//! `cdk-hnb659fds-assets-ACCOUNT-REGION`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::exit::{BadInput, Failed};
use crate::printer::Printer;

/// One file asset to upload.
#[derive(Debug, Clone)]
pub(crate) struct FileAsset {
    pub(crate) source: PathBuf,
    pub(crate) packaging: String,
    /// Bucket and key, still holding `${AWS::AccountId}` / `${AWS::Region}` / `${AWS::Partition}`.
    pub(crate) destinations: Vec<(String, String)>,
}

/// What a deploy needs from the assembly.
#[derive(Debug, Clone)]
pub(crate) struct Assembly {
    pub(crate) template: String,
    pub(crate) parameters: BTreeMap<String, String>,
    pub(crate) files: Vec<FileAsset>,
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        BadInput::new(format!("cannot read {}: {e}", path.display())).hint("run `cdk synth` first")
    })?;
    serde_json::from_str(&text)
        .map_err(|e| BadInput::new(format!("{} is not JSON: {e}", path.display())).into())
}

/// Reads the artifact of stack `stack` (by artifact id or `properties.stackName`).
pub(crate) fn load(dir: &Path, stack: &str) -> anyhow::Result<Assembly> {
    let manifest = read_json(&dir.join("manifest.json"))?;
    let artifacts = manifest
        .get("artifacts")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let (id, artifact) = artifacts
        .iter()
        .find(|(id, a)| {
            a.get("type").and_then(Value::as_str) == Some("aws:cloudformation:stack")
                && (id.as_str() == stack
                    || a.pointer("/properties/stackName").and_then(Value::as_str) == Some(stack))
        })
        .ok_or_else(|| {
            BadInput::new(format!(
                "{}/manifest.json has no stack {stack}",
                dir.display()
            ))
            .hint("check `stack` in hoist.toml matches the CDK stack name, and run `cdk synth`")
        })?;
    let template_file = artifact
        .pointer("/properties/templateFile")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let template = std::fs::read_to_string(dir.join(template_file))
        .map_err(|e| BadInput::new(format!("cannot read the template of {id}: {e}")))?;
    let mut files = Vec::new();
    let deps: Vec<&str> = artifact
        .get("dependencies")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for dep in deps {
        let Some(a) = artifacts.get(dep) else {
            continue;
        };
        if a.get("type").and_then(Value::as_str) != Some("cdk:asset-manifest") {
            continue;
        }
        let file = a
            .pointer("/properties/file")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let assets = read_json(&dir.join(file))?;
        for asset in assets
            .get("files")
            .and_then(Value::as_object)
            .map(|m| m.values().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let source = dir.join(
                asset
                    .pointer("/source/path")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            );
            let packaging = asset
                .pointer("/source/packaging")
                .and_then(Value::as_str)
                .unwrap_or("file")
                .to_owned();
            let destinations = asset
                .get("destinations")
                .and_then(Value::as_object)
                .map(|d| {
                    d.values()
                        .filter_map(|x| {
                            Some((
                                x.get("bucketName")?.as_str()?.to_owned(),
                                x.get("objectKey")?.as_str()?.to_owned(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            files.push(FileAsset {
                source,
                packaging,
                destinations,
            });
        }
    }
    Ok(Assembly {
        template,
        parameters: BTreeMap::new(),
        files,
    })
}

/// The partition of `region` (`${AWS::Partition}` in an asset manifest).
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Uploads the file assets (a `"zip"` asset is a directory, zipped first) the stack's template refers to.
pub(crate) async fn publish_assets(
    aws: &hoist_aws::Aws,
    assembly: &Assembly,
    config: &hoist_config::Config,
    printer: &Printer,
) -> anyhow::Result<()> {
    if assembly.files.is_empty() {
        return Ok(());
    }
    let account = super::target::account_id(config)?;
    let region = aws.region().unwrap_or_else(|| config.aws.region.clone());
    let s3 = hoist_aws::s3::S3::new(aws);
    let partition = partition(&region);
    for asset in &assembly.files {
        let body = match asset.packaging.as_str() {
            "file" => std::fs::read(&asset.source).map_err(|e| {
                BadInput::new(format!("cannot read asset {}: {e}", asset.source.display()))
            })?,
            "zip" => super::asset_zip::zip_directory(&asset.source)?,
            other => {
                return Err(Failed::new(format!(
                    "asset {} is packaged as {other:?}; hoist uploads \"file\" and \"zip\" assets only",
                    asset.source.display()
                ))
                .hint("deploy this assembly with `command = \"npx aws-cdk deploy --app cdk.out STACK\"` in hoist.toml")
                .into());
            }
        };
        for (bucket, key) in &asset.destinations {
            let resolve = |s: &str| {
                s.replace("${AWS::AccountId}", &account)
                    .replace("${AWS::Region}", &region)
                    .replace("${AWS::Partition}", partition)
            };
            let (bucket, key) = (resolve(bucket), resolve(key));
            let uploaded = s3.put_if_absent(&bucket, &key, body.clone()).await?;
            printer.info(&format!(
                "asset s3://{bucket}/{key}: {}",
                if uploaded {
                    "uploaded"
                } else {
                    "already there"
                }
            ));
        }
    }
    Ok(())
}
