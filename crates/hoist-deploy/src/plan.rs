//! The deploy plan: everything a deploy will do, computed before any call that changes
//! something. The executor in the CLI crate applies it exactly; the same value is shown
//! without `--apply`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::assembly::StackAssembly;
use crate::limits::{TEMPLATE_BODY_MAX, TEMPLATE_URL_MAX};
use crate::placeholders::{Env, split_s3_url};

/// The SSM parameter the CDK's default bootstrap stack (qualifier `hnb659fds`) writes its
/// version to; used when an assembly requires a version without naming the parameter.
pub const DEFAULT_BOOTSTRAP_PARAMETER: &str = "/cdk-bootstrap/hnb659fds/version";

/// The CDK bootstrap stack's assets bucket for the default qualifier, where hoist puts plain
/// templates too large for `TemplateBody`.
#[must_use]
pub fn default_assets_bucket(env: &Env) -> String {
    format!("cdk-hnb659fds-assets-{}-{}", env.account, env.region)
}

/// How CloudFormation receives the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateLocation {
    /// `TemplateBody`: a plain template of at most 51,200 bytes.
    Body,
    /// `TemplateURL`. `upload` is whether hoist uploads the template itself (plain
    /// templates, and assemblies that do not list it as a file asset); otherwise it is one
    /// of the plan's file assets.
    Url {
        bucket: String,
        key: String,
        url: String,
        upload: bool,
    },
}

/// How a file asset is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packaging {
    File,
    /// A directory, zipped before upload.
    Zip,
}

/// One upload of a file asset to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePublish {
    pub id: String,
    pub source: PathBuf,
    pub packaging: Packaging,
    pub bucket: String,
    pub key: String,
    /// The publishing role, resolved.
    pub role: Option<String>,
    pub external_id: Option<String>,
}

/// One Docker image asset to build and push to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePublish {
    pub id: String,
    pub directory: PathBuf,
    pub dockerfile: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub repository: String,
    pub tag: String,
    pub role: Option<String>,
    pub external_id: Option<String>,
}

/// The bootstrap version the assembly needs, and where it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapCheck {
    pub parameter: String,
    pub required: u32,
}

/// A deploy, computed before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployPlan {
    pub stack_name: String,
    pub env: Env,
    /// The template text sent or uploaded.
    pub template: String,
    pub location: TemplateLocation,
    /// Assumed for every CloudFormation call (and the bootstrap version read).
    pub deploy_role: Option<String>,
    pub deploy_role_external_id: Option<String>,
    /// The change set's `RoleARN`.
    pub execution_role: Option<String>,
    /// Roles of a plain template given the environment's permissions boundary (logical ids).
    pub bounded_roles: Vec<String>,
    pub bootstrap: Option<BootstrapCheck>,
    /// A bucket that must exist before the deploy (plain templates over 51,200 bytes).
    pub bucket_required: Option<String>,
    pub files: Vec<FilePublish>,
    pub images: Vec<ImagePublish>,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

impl DeployPlan {
    /// Every role the plan assumes (deploy role first), each once.
    #[must_use]
    pub fn roles(&self) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        let candidates = self
            .deploy_role
            .iter()
            .map(|r| (r, &self.deploy_role_external_id))
            .chain(
                self.files
                    .iter()
                    .filter_map(|f| f.role.as_ref().map(|r| (r, &f.external_id))),
            )
            .chain(
                self.images
                    .iter()
                    .filter_map(|i| i.role.as_ref().map(|r| (r, &i.external_id))),
            );
        for (role, ext) in candidates {
            if !out.iter().any(|(r, _)| r == role) {
                out.push((role.clone(), ext.clone()));
            }
        }
        out
    }
}

/// Why no plan can be made: bad input, nothing was called.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "the template of stack {stack} is {bytes} bytes; CloudFormation reads at most {max} bytes from S3 (TemplateURL)"
    )]
    TemplateTooLarge {
        stack: String,
        bytes: usize,
        max: usize,
    },
    #[error(
        "asset {id} is produced by a command ({command}); hoist does not run asset build commands"
    )]
    ExecutableAsset { id: String, command: String },
    #[error(
        "asset {id} has packaging {packaging:?}; hoist publishes \"file\" and \"zip\" file assets"
    )]
    UnknownPackaging { id: String, packaging: String },
    #[error("asset {id} names no source path")]
    NoSource { id: String },
    #[error(
        "stack {stack} was synthesized for account {synthesized}, but the credentials in use are for account {actual}"
    )]
    WrongAccount {
        stack: String,
        synthesized: String,
        actual: String,
    },
    #[error(
        "stack {stack} was synthesized for region {synthesized}, but hoist deploys to {actual}"
    )]
    WrongRegion {
        stack: String,
        synthesized: String,
        actual: String,
    },
    #[error("stackTemplateAssetObjectUrl {url:?} of stack {stack} is not an s3://bucket/key URL")]
    BadTemplateUrl { stack: String, url: String },
}

impl PlanError {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> String {
        match self {
            Self::TemplateTooLarge { .. } => "split the stack (nested stacks or several stacks), or move large inline content (Lambda code, policies) into assets".into(),
            Self::ExecutableAsset { .. } => "build the asset during synthesis instead (a directory or file asset), or deploy with `command = \"npx aws-cdk deploy …\"`".into(),
            Self::UnknownPackaging { .. } | Self::NoSource { .. } | Self::BadTemplateUrl { .. } => "synthesize again with a current aws-cdk-lib".into(),
            Self::WrongAccount { synthesized, .. } => format!("deploy with credentials for account {synthesized}, or synthesize the stack for this account (`env=` in the app)"),
            Self::WrongRegion { synthesized, .. } => format!("set [aws] region = \"{synthesized}\" in hoist.toml, or synthesize the stack for this region"),
        }
    }
}

fn check_size(stack: &str, template: &str) -> Result<(), PlanError> {
    if template.len() > TEMPLATE_URL_MAX {
        return Err(PlanError::TemplateTooLarge {
            stack: stack.to_owned(),
            bytes: template.len(),
            max: TEMPLATE_URL_MAX,
        });
    }
    Ok(())
}

/// The key hoist uploads a template to: its content hash, so an unchanged template is
/// uploaded once.
#[must_use]
pub fn template_key(template: &str) -> String {
    let ext = if template.trim_start().starts_with('{') {
        "json"
    } else {
        "yaml"
    };
    format!(
        "hoist-templates/{}.{ext}",
        hex::encode(Sha256::digest(template.as_bytes()))
    )
}

/// The plan for a plain template: `TemplateBody` up to 51,200 bytes, else uploaded to the
/// CDK assets bucket and passed as `TemplateURL`.
///
/// # Errors
/// [`PlanError::TemplateTooLarge`] over 1 MB.
pub fn for_template(
    stack: &str,
    template: String,
    parameters: BTreeMap<String, String>,
    env: Env,
    url_endpoint: Option<&str>,
) -> Result<DeployPlan, PlanError> {
    check_size(stack, &template)?;
    let (location, bucket_required) = if template.len() > TEMPLATE_BODY_MAX {
        let bucket = default_assets_bucket(&env);
        let key = template_key(&template);
        let url = env.template_url(&bucket, &key, url_endpoint);
        (
            TemplateLocation::Url {
                bucket: bucket.clone(),
                key,
                url,
                upload: true,
            },
            Some(bucket),
        )
    } else {
        (TemplateLocation::Body, None)
    };
    Ok(DeployPlan {
        stack_name: stack.to_owned(),
        env,
        template,
        location,
        deploy_role: None,
        deploy_role_external_id: None,
        execution_role: None,
        bounded_roles: Vec::new(),
        bootstrap: None,
        bucket_required,
        files: vec![],
        images: vec![],
        parameters,
        tags: BTreeMap::new(),
    })
}

/// The plan for a stack of a cloud assembly, the way the CDK CLI deploys it: its roles,
/// assets and bootstrap requirement, the template always by `TemplateURL`. `extra` are
/// hoist.toml's parameters, which win over the assembly's.
///
/// # Errors
/// A [`PlanError`] for what cannot be deployed as it is.
pub fn for_assembly(
    asm: &StackAssembly,
    extra: &BTreeMap<String, String>,
    env: Env,
    url_endpoint: Option<&str>,
) -> Result<DeployPlan, PlanError> {
    let props = &asm.properties;
    check_size(&asm.stack_name, &asm.template)?;
    let (fixed_account, fixed_region) = asm.fixed_environment();
    if let Some(a) = fixed_account.filter(|a| *a != env.account) {
        return Err(PlanError::WrongAccount {
            stack: asm.stack_name.clone(),
            synthesized: a.to_owned(),
            actual: env.account.clone(),
        });
    }
    if let Some(r) = fixed_region.filter(|r| *r != env.region) {
        return Err(PlanError::WrongRegion {
            stack: asm.stack_name.clone(),
            synthesized: r.to_owned(),
            actual: env.region.clone(),
        });
    }
    let resolve = |s: &Option<String>| s.as_deref().map(|s| env.resolve(s));

    let mut files = Vec::new();
    let mut images = Vec::new();
    let mut required = props.requires_bootstrap_stack_version;
    let mut parameter = props.bootstrap_stack_version_ssm_parameter.clone();
    for loaded in &asm.asset_manifests {
        if let Some(p) = &loaded.properties {
            if p.requires_bootstrap_stack_version > required {
                required = p.requires_bootstrap_stack_version;
            }
            if parameter.is_none() {
                parameter.clone_from(&p.bootstrap_stack_version_ssm_parameter);
            }
        }
        for (id, asset) in &loaded.manifest.files {
            if let Some(cmd) = &asset.source.executable {
                return Err(PlanError::ExecutableAsset {
                    id: id.clone(),
                    command: cmd.join(" "),
                });
            }
            let packaging = match asset.source.packaging.as_deref() {
                None | Some("file") => Packaging::File,
                Some("zip") => Packaging::Zip,
                Some(other) => {
                    return Err(PlanError::UnknownPackaging {
                        id: id.clone(),
                        packaging: other.to_owned(),
                    });
                }
            };
            let path = asset
                .source
                .path
                .as_deref()
                .ok_or_else(|| PlanError::NoSource { id: id.clone() })?;
            for dest in asset.destinations.values() {
                files.push(FilePublish {
                    id: id.clone(),
                    source: asm.dir.join(path),
                    packaging,
                    bucket: env.resolve(&dest.bucket_name),
                    key: env.resolve(&dest.object_key),
                    role: resolve(&dest.assume_role_arn),
                    external_id: dest.assume_role_external_id.clone(),
                });
            }
        }
        for (id, asset) in &loaded.manifest.docker_images {
            if let Some(cmd) = &asset.source.executable {
                return Err(PlanError::ExecutableAsset {
                    id: id.clone(),
                    command: cmd.join(" "),
                });
            }
            let dir = asset
                .source
                .directory
                .as_deref()
                .ok_or_else(|| PlanError::NoSource { id: id.clone() })?;
            for dest in asset.destinations.values() {
                images.push(ImagePublish {
                    id: id.clone(),
                    directory: asm.dir.join(dir),
                    dockerfile: asset.source.docker_file.clone(),
                    build_args: asset.source.docker_build_args.clone(),
                    target: asset.source.docker_build_target.clone(),
                    platform: asset.source.platform.clone(),
                    repository: env.resolve(&dest.repository_name),
                    tag: env.resolve(&dest.image_tag),
                    role: resolve(&dest.assume_role_arn),
                    external_id: dest.assume_role_external_id.clone(),
                });
            }
        }
    }

    let location = match &props.stack_template_asset_object_url {
        Some(url) => {
            let resolved = env.resolve(url);
            let (bucket, key) =
                split_s3_url(&resolved).ok_or_else(|| PlanError::BadTemplateUrl {
                    stack: asm.stack_name.clone(),
                    url: url.clone(),
                })?;
            let listed = files.iter().any(|f| f.bucket == bucket && f.key == key);
            TemplateLocation::Url {
                url: env.template_url(bucket, key, url_endpoint),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                upload: !listed,
            }
        }
        None => {
            // An assembly from the legacy synthesizer names no template object: the template
            // goes next to its file assets (or the default assets bucket).
            let bucket = files
                .first()
                .map_or_else(|| default_assets_bucket(&env), |f| f.bucket.clone());
            let key = template_key(&asm.template);
            TemplateLocation::Url {
                url: env.template_url(&bucket, &key, url_endpoint),
                bucket,
                key,
                upload: true,
            }
        }
    };
    let bucket_required = match &location {
        TemplateLocation::Url {
            bucket,
            upload: true,
            ..
        } => Some(bucket.clone()),
        _ => None,
    };
    let mut parameters = props.parameters.clone();
    parameters.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(DeployPlan {
        stack_name: asm.stack_name.clone(),
        template: asm.template.clone(),
        location,
        deploy_role: resolve(&props.assume_role_arn),
        deploy_role_external_id: props.assume_role_external_id.clone(),
        execution_role: resolve(&props.cloud_formation_execution_role_arn),
        bounded_roles: Vec::new(),
        bootstrap: required.map(|required| BootstrapCheck {
            parameter: parameter.unwrap_or_else(|| DEFAULT_BOOTSTRAP_PARAMETER.to_owned()),
            required,
        }),
        bucket_required,
        files,
        images,
        parameters,
        tags: props.tags.clone(),
        env,
    })
}
