//! The CDK cloud assembly (`cdk.out`) as typed values: `manifest.json` and its
//! `aws:cloudformation:stack` and `cdk:asset-manifest` artifacts, and the `*.assets.json`
//! asset manifests with their `files` and `dockerImages`. Field names follow the
//! cloud-assembly-schema (`AwsCloudFormationStackProperties`, `AssetManifest`,
//! `FileAsset`, `DockerImageAsset` and their destinations); unknown fields are ignored, as
//! newer schema versions add some.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub version: String,
    #[serde(default)]
    pub artifacts: BTreeMap<String, Artifact>,
}

/// One artifact of `manifest.json`. `properties` stay JSON until the type is known.
#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    #[serde(rename = "type")]
    pub kind: String,
    /// `aws://ACCOUNT/REGION`, with `unknown-account` / `unknown-region` for
    /// environment-agnostic stacks.
    pub environment: Option<String>,
    #[serde(default)]
    pub properties: serde_json::Value,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
}

/// `properties` of an `aws:cloudformation:stack` artifact.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StackProperties {
    pub template_file: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub stack_name: Option<String>,
    /// The role assumed for the CloudFormation calls (the bootstrap "deploy role").
    pub assume_role_arn: Option<String>,
    pub assume_role_external_id: Option<String>,
    /// The role passed to CloudFormation as the change set's `RoleARN`.
    pub cloud_formation_execution_role_arn: Option<String>,
    /// `s3://bucket/key` of the template's own file asset.
    pub stack_template_asset_object_url: Option<String>,
    pub requires_bootstrap_stack_version: Option<u32>,
    pub bootstrap_stack_version_ssm_parameter: Option<String>,
    #[serde(default)]
    pub termination_protection: bool,
}

/// `properties` of a `cdk:asset-manifest` artifact.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetManifestProperties {
    pub file: String,
    pub requires_bootstrap_stack_version: Option<u32>,
    pub bootstrap_stack_version_ssm_parameter: Option<String>,
}

/// A `*.assets.json` file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetManifest {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub files: BTreeMap<String, FileAsset>,
    #[serde(default)]
    pub docker_images: BTreeMap<String, DockerImageAsset>,
}

/// A file asset: a file or a directory (zipped) copied to S3.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileAsset {
    pub display_name: Option<String>,
    pub source: FileSource,
    #[serde(default)]
    pub destinations: BTreeMap<String, FileDestination>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileSource {
    /// Relative to the assembly directory.
    pub path: Option<String>,
    /// `file` (the default) or `zip` (a directory zipped before upload).
    pub packaging: Option<String>,
    /// A command whose stdout names the file to upload; hoist does not run these.
    pub executable: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileDestination {
    pub bucket_name: String,
    pub object_key: String,
    pub region: Option<String>,
    pub assume_role_arn: Option<String>,
    pub assume_role_external_id: Option<String>,
}

/// A Docker image asset: built from a directory and pushed to ECR.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DockerImageAsset {
    pub display_name: Option<String>,
    pub source: DockerImageSource,
    #[serde(default)]
    pub destinations: BTreeMap<String, DockerImageDestination>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DockerImageSource {
    /// The build context, relative to the assembly directory.
    pub directory: Option<String>,
    pub docker_file: Option<String>,
    #[serde(default)]
    pub docker_build_args: BTreeMap<String, String>,
    pub docker_build_target: Option<String>,
    pub platform: Option<String>,
    pub network_mode: Option<String>,
    pub executable: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DockerImageDestination {
    pub repository_name: String,
    pub image_tag: String,
    pub region: Option<String>,
    pub assume_role_arn: Option<String>,
    pub assume_role_external_id: Option<String>,
}

/// Why an assembly cannot be deployed as it is.
#[derive(Debug, thiserror::Error)]
pub enum AssemblyError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a cloud assembly file")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{manifest} has no stack {stack} (its stacks: {have})")]
    NoSuchStack {
        manifest: PathBuf,
        stack: String,
        have: String,
    },
}

impl AssemblyError {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Read { .. } | Self::Parse { .. } => {
                "synthesize the app first (`cdk synth`, or `cdk_app` in hoist.toml to let hoist do it)"
            }
            Self::NoSuchStack { .. } => {
                "check `stack` in hoist.toml matches the CDK stack name (its stackName or artifact id), then synthesize again"
            }
        }
    }
}

/// One stack of an assembly with everything a deploy reads from the directory.
#[derive(Debug, Clone)]
pub struct StackAssembly {
    pub dir: PathBuf,
    pub artifact_id: String,
    /// `properties.stackName`, else the artifact id.
    pub stack_name: String,
    pub environment: Option<String>,
    pub properties: StackProperties,
    pub template: String,
    /// The asset manifests the stack depends on, with their paths and properties.
    pub asset_manifests: Vec<LoadedAssetManifest>,
}

#[derive(Debug, Clone)]
pub struct LoadedAssetManifest {
    pub path: PathBuf,
    /// The raw text, for the secret scan.
    pub text: String,
    pub properties: Option<AssetManifestProperties>,
    pub manifest: AssetManifest,
}

impl StackAssembly {
    /// The account and region the stack was synthesized for, when not environment-agnostic.
    #[must_use]
    pub fn fixed_environment(&self) -> (Option<&str>, Option<&str>) {
        let Some(rest) = self
            .environment
            .as_deref()
            .and_then(|e| e.strip_prefix("aws://"))
        else {
            return (None, None);
        };
        let (account, region) = rest.split_once('/').unwrap_or((rest, ""));
        let known = |s: &'_ str| !s.is_empty() && !s.starts_with("unknown-");
        (
            Some(account).filter(|a| known(a)),
            Some(region).filter(|r| known(r)),
        )
    }
}

fn read(path: &Path) -> Result<String, AssemblyError> {
    std::fs::read_to_string(path).map_err(|source| AssemblyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path, text: &str) -> Result<T, AssemblyError> {
    serde_json::from_str(text).map_err(|source| AssemblyError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the stack `stack` (artifact id or `properties.stackName`) of the assembly in `dir`.
///
/// # Errors
/// A missing or malformed file, or no such stack.
pub fn load(dir: &Path, stack: &str) -> Result<StackAssembly, AssemblyError> {
    let manifest_path = dir.join("manifest.json");
    let manifest: Manifest = parse(&manifest_path, &read(&manifest_path)?)?;
    let mut stacks = Vec::new();
    let mut found = None;
    for (id, artifact) in &manifest.artifacts {
        if artifact.kind != "aws:cloudformation:stack" {
            continue;
        }
        let props: StackProperties =
            serde_json::from_value(artifact.properties.clone()).map_err(|source| {
                AssemblyError::Parse {
                    path: manifest_path.clone(),
                    source,
                }
            })?;
        let name = props.stack_name.clone().unwrap_or_else(|| id.clone());
        if id == stack || name == stack {
            found = Some((id.clone(), name, artifact, props));
            break;
        }
        stacks.push(name);
    }
    let Some((artifact_id, stack_name, artifact, properties)) = found else {
        return Err(AssemblyError::NoSuchStack {
            manifest: manifest_path,
            stack: stack.to_owned(),
            have: if stacks.is_empty() {
                "none".into()
            } else {
                stacks.join(", ")
            },
        });
    };
    let template = read(&dir.join(&properties.template_file))?;
    let mut asset_manifests = Vec::new();
    for dep in &artifact.dependencies {
        let Some(a) = manifest.artifacts.get(dep) else {
            continue;
        };
        if a.kind != "cdk:asset-manifest" {
            continue;
        }
        let props: AssetManifestProperties =
            serde_json::from_value(a.properties.clone()).map_err(|source| {
                AssemblyError::Parse {
                    path: manifest_path.clone(),
                    source,
                }
            })?;
        let path = dir.join(&props.file);
        let text = read(&path)?;
        let parsed = parse(&path, &text)?;
        asset_manifests.push(LoadedAssetManifest {
            path,
            text,
            properties: Some(props),
            manifest: parsed,
        });
    }
    Ok(StackAssembly {
        dir: dir.to_path_buf(),
        artifact_id,
        stack_name,
        environment: artifact.environment.clone(),
        properties,
        template,
        asset_manifests,
    })
}
