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

use crate::commands::shared::stack_secrets::Pending;
use crate::exit::{BadInput, Failed};
use crate::printer::Printer;

/// The CDK CLI's variable for the S3 endpoint CloudFormation itself should fetch templates
/// from (the SDK's `AWS_ENDPOINT_URL_S3` is deliberately not used: CloudFormation could
/// not reach it).
const TEMPLATE_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION";

/// A stack's source, read.
pub(crate) enum Loaded {
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
pub(crate) fn load(source: &DeploySource, base: &Path, name: &str) -> anyhow::Result<Loaded> {
    let loaded = match source {
        DeploySource::Template(path) => {
            let path = base.join(path);
            let body = std::fs::read_to_string(&path).map_err(|e| {
                BadInput::new(format!("cannot read the template {}: {e}", path.display()))
            })?;
            Loaded::Plain {
                name: name.to_owned(),
                body,
            }
        }
        DeploySource::CdkOut(dir) => Loaded::Assembly(Box::new(
            hoist_deploy::assembly::load(&base.join(dir), name)
                .map_err(|e| BadInput::new(error_chain(&e)).hint(e.hint()))?,
        )),
        DeploySource::Command(_) | DeploySource::CdkApp(_) => {
            unreachable!("commands deploy by themselves; apps are synthesized first")
        }
    };
    let bytes = loaded.template().len();
    if bytes > TEMPLATE_URL_MAX {
        let err = plan::PlanError::TemplateTooLarge {
            stack: name.to_owned(),
            bytes,
            max: TEMPLATE_URL_MAX,
        };
        return Err(BadInput::new(err.to_string()).hint(err.hint()).into());
    }
    Ok(loaded)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// Refuses a template, asset manifest or parameter holding the value of a secret hoist syncs.
pub(crate) fn refuse_secrets(
    loaded: &Loaded,
    pending: &[Pending<'_>],
    config_parameters: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
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
pub(crate) fn refuse_secrets_in_context(
    context: &serde_json::Map<String, serde_json::Value>,
    pending: &[Pending<'_>],
) -> anyhow::Result<()> {
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

fn refuse(hits: &[hoist_deploy::scan::Hit], pending: &[Pending<'_>]) -> anyhow::Result<()> {
    let Some(first) = hits.first() else {
        return Ok(());
    };
    let all: Vec<String> = hits.iter().map(ToString::to_string).collect();
    Err(BadInput::new(format!(
        "refusing to deploy: a secret would be stored in plain text: {} (value not shown)",
        all.join("; ")
    ))
    .hint(format!(
        "remove it from the app's context, properties or parameters (e.g. a `--context` value or an environment variable read at synth time); hoist's secret sync fills the secret named by output {} after the stack is deployed",
        pending
            .iter()
            .find(|p| p.spec.env == first.secret)
            .map_or("…", |p| p.spec.output.as_str())
    ))
    .into())
}

/// The environment's account: hoist.toml's, else the one the credentials belong to (STS).
pub(crate) async fn account(environment: &Environment, aws: &Aws) -> anyhow::Result<String> {
    if let Some(a) = &environment.aws.account_id {
        return Ok(a.clone());
    }
    let who = Sts::new(aws).caller_identity().await.map_err(|e| {
        Failed::new(format!("cannot tell which AWS account to deploy to: {e}")).hint(
            "configure credentials (`hoist credentials` in a workflow, or --profile), or set `account_id` under [aws] (or the environment's table) in hoist.toml",
        )
    })?;
    Ok(who.account)
}

/// The deploy plan of the loaded source.
pub(crate) async fn plan(
    loaded: &Loaded,
    environment: &Environment,
    aws: &Aws,
) -> anyhow::Result<DeployPlan> {
    let region = aws
        .region()
        .unwrap_or_else(|| environment.aws.region.clone());
    let env = Env::new(account(environment, aws).await?, region);
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
            let bounded = hoist_deploy::boundary::with_boundary(body, &boundary).map_err(|e| {
                BadInput::new(format!("cannot prepare the template of stack {name}: {e}"))
                    .hint("the template must be JSON or YAML with a Resources section")
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
    planned.map_err(|e| BadInput::new(e.to_string()).hint(e.hint()).into())
}

/// What the plan will do, before it does it.
pub(crate) fn print_plan(plan: &DeployPlan, printer: &Printer) {
    printer.info(&format!(
        "stack {} in aws://{}/{}",
        plan.stack_name, plan.env.account, plan.env.region
    ));
    match &plan.location {
        TemplateLocation::Body => printer.info(&format!(
            "template: {} bytes, sent as TemplateBody",
            plan.template.len()
        )),
        TemplateLocation::Url { url, .. } => printer.info(&format!(
            "template: {} bytes, sent as TemplateURL {url}",
            plan.template.len()
        )),
    }
    if let Some(r) = &plan.deploy_role {
        printer.info(&format!("deploy role: {r}"));
    }
    if let Some(r) = &plan.execution_role {
        printer.info(&format!("execution role (change set RoleARN): {r}"));
    }
    if !plan.bounded_roles.is_empty() {
        printer.info(&format!(
            "permissions boundary and its path set on roles (a role whose path changes is replaced): {}",
            plan.bounded_roles.join(", ")
        ));
    }
    if let Some(b) = &plan.bootstrap {
        printer.info(&format!(
            "needs CDK bootstrap version >= {} ({})",
            b.required, b.parameter
        ));
    }
    for f in &plan.files {
        printer.info(&format!(
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
        printer.info(&format!(
            "image asset {} → {}:{}",
            i.id, i.repository, i.tag
        ));
    }
}
