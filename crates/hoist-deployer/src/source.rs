//! The stack's source (a plain template or a cloud assembly) read from disk, checked before
//! any AWS call (size, secrets), and planned with `hoist-deploy`.

use std::collections::BTreeMap;
use std::path::Path;

use hoist_aws::Aws;
use hoist_aws::sts::Sts;
use hoist_config::{DeploySource, Environment};
use hoist_deploy::limits::TEMPLATE_URL_MAX;
use hoist_deploy::plan::{self, DeployPlan, TemplateLocation};
use hoist_deploy::{Env, StackAssembly};

use crate::error::{DeployError, Result};
use crate::events::Events;
use crate::secrets::Pending;

/// The CDK CLI's variable for the S3 endpoint CloudFormation itself should fetch templates
/// from (the SDK's `AWS_ENDPOINT_URL_S3` is deliberately not used: CloudFormation could
/// not reach it).
const TEMPLATE_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION";

/// A stack's source, read.
pub enum Loaded {
    Plain { name: String, body: String },
    Assembly(Box<StackAssembly>),
}

impl Loaded {
    fn template(&self) -> &str {
        match self {
            Self::Plain { body, .. } => body,
            Self::Assembly(a) => &a.template,
        }
    }
}

/// Reads the template or the assembly's stack, and refuses one over CloudFormation's 1 MB.
pub fn load(source: &DeploySource, base: &Path, name: &str) -> Result<Loaded> {
    let loaded = match source {
        DeploySource::Template(path) => {
            let path = base.join(path);
            let body = std::fs::read_to_string(&path)
                .map_err(|source| DeployError::TemplateUnreadable { path, source })?;
            Loaded::Plain {
                name: name.to_owned(),
                body,
            }
        }
        DeploySource::CdkOut(dir) => Loaded::Assembly(Box::new(hoist_deploy::assembly::load(
            &base.join(dir),
            name,
        )?)),
        DeploySource::Command(_) | DeploySource::CdkApp(_) => {
            unreachable!("commands deploy by themselves; apps are synthesized first")
        }
    };
    let bytes = loaded.template().len();
    if bytes > TEMPLATE_URL_MAX {
        return Err(plan::PlanError::TemplateTooLarge {
            stack: name.to_owned(),
            bytes,
            max: TEMPLATE_URL_MAX,
        }
        .into());
    }
    Ok(loaded)
}

/// Refuses a template, asset manifest or parameter holding the value of a secret hoist syncs.
pub fn refuse_secrets(
    loaded: &Loaded,
    pending: &[Pending<'_>],
    config_parameters: &BTreeMap<String, String>,
) -> Result<()> {
    let secrets: Vec<(&str, &str)> = pending
        .iter()
        .map(|p| (p.spec.env.as_str(), p.value.expose()))
        .collect();
    let mut documents = vec![("template".to_owned(), loaded.template())];
    let mut parameters = config_parameters.clone();
    if let Loaded::Assembly(a) = loaded {
        for m in &a.asset_manifests {
            documents.push((
                format!("asset manifest {}", m.path.display()),
                m.text.as_str(),
            ));
        }
        parameters.extend(a.properties.parameters.clone());
    }
    refuse(
        &hoist_deploy::scan::scan(&secrets, &documents, &parameters),
        pending,
    )
}

/// Refuses a CDK context (cdk.json, cdk.context.json) holding a synced secret's value.
pub fn refuse_secrets_in_context(
    context: &serde_json::Map<String, serde_json::Value>,
    pending: &[Pending<'_>],
) -> Result<()> {
    let secrets: Vec<(&str, &str)> = pending
        .iter()
        .map(|p| (p.spec.env.as_str(), p.value.expose()))
        .collect();
    let text = serde_json::Value::Object(context.clone()).to_string();
    let documents = [("CDK context".to_owned(), text.as_str())];
    refuse(
        &hoist_deploy::scan::scan(&secrets, &documents, &BTreeMap::new()),
        pending,
    )
}

fn refuse(hits: &[hoist_deploy::scan::Hit], pending: &[Pending<'_>]) -> Result<()> {
    let Some(first) = hits.first() else {
        return Ok(());
    };
    Err(DeployError::SecretInSource {
        hits: hits.iter().map(ToString::to_string).collect(),
        output: pending
            .iter()
            .find(|p| p.spec.env == first.secret)
            .map_or("…", |p| p.spec.output.as_str())
            .to_owned(),
    })
}

/// The environment's account: hoist.toml's, else the one the credentials belong to (STS).
pub async fn account(environment: &Environment, aws: &Aws) -> Result<String> {
    if let Some(a) = &environment.aws.account_id {
        return Ok(a.clone());
    }
    let who = Sts::new(aws)
        .caller_identity()
        .await
        .map_err(DeployError::Account)?;
    Ok(who.account)
}

/// The deploy plan of the loaded source. `known_account` is the account already found for
/// this run (a CDK app's synthesis needed it); without it, [`account`] finds it.
pub async fn plan(
    loaded: &Loaded,
    environment: &Environment,
    aws: &Aws,
    known_account: Option<String>,
) -> Result<DeployPlan> {
    let region = aws
        .region()
        .unwrap_or_else(|| environment.aws.region.clone());
    let account = match known_account {
        Some(a) => a,
        None => account(environment, aws).await?,
    };
    let env = Env::new(account, region);
    let endpoint = std::env::var(TEMPLATE_ENDPOINT_VAR)
        .ok()
        .filter(|s| !s.is_empty());
    let planned = match loaded {
        Loaded::Plain { name, body } => {
            // The execution role `hoist bootstrap` made for this environment acts for
            // CloudFormation; it may create a role only with the boundary on it.
            let partition = env.partition();
            let account = env.account.clone();
            let boundary = format!(
                "arn:{partition}:iam::{account}:policy/{}",
                environment.boundary_policy_name()
            );
            let bounded =
                hoist_deploy::boundary::with_boundary(body, &boundary).map_err(|source| {
                    DeployError::Boundary {
                        stack: name.clone(),
                        source,
                    }
                })?;
            plan::for_template(
                name,
                bounded.template,
                environment.parameters.clone(),
                env,
                endpoint.as_deref(),
            )
            .map(|mut p| {
                p.execution_role = Some(format!(
                    "arn:{partition}:iam::{account}:role/{}",
                    environment.execution_role_name()
                ));
                p.bounded_roles = bounded.changed_roles;
                p
            })
        }
        Loaded::Assembly(a) => {
            plan::for_assembly(a, &environment.parameters, env, endpoint.as_deref())
        }
    };
    Ok(planned?)
}

/// What the plan will do, before it does it.
pub fn print_plan(plan: &DeployPlan, events: &dyn Events) {
    events.info(&format!(
        "stack {} in aws://{}/{}",
        plan.stack_name, plan.env.account, plan.env.region
    ));
    match &plan.location {
        TemplateLocation::Body => events.info(&format!(
            "template: {} bytes, sent as TemplateBody",
            plan.template.len()
        )),
        TemplateLocation::Url { url, .. } => events.info(&format!(
            "template: {} bytes, sent as TemplateURL {url}",
            plan.template.len()
        )),
    }
    if let Some(r) = &plan.deploy_role {
        events.info(&format!("deploy role: {r}"));
    }
    if let Some(r) = &plan.execution_role {
        events.info(&format!("execution role (change set RoleARN): {r}"));
    }
    if !plan.bounded_roles.is_empty() {
        events.info(&format!(
            "permissions boundary and its path set on roles (a role whose path changes is replaced): {}",
            plan.bounded_roles.join(", ")
        ));
    }
    if let Some(b) = &plan.bootstrap {
        events.info(&format!(
            "needs CDK bootstrap version >= {} ({})",
            b.required, b.parameter
        ));
    }
    for f in &plan.files {
        events.info(&format!(
            "file asset {} → s3://{}/{}{}",
            f.id,
            f.bucket,
            f.key,
            f.role
                .as_deref()
                .map(|r| format!(" as {r}"))
                .unwrap_or_default()
        ));
    }
    for i in &plan.images {
        events.info(&format!(
            "image asset {} → {}:{}",
            i.id, i.repository, i.tag
        ));
    }
}
