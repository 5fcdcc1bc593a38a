//! The customer managed policies a CDK bootstrap should use instead of AdministratorAccess:
//! `hoist-cdk-exec-QUALIFIER` (the execution policy generated from the resource types of the
//! synthesized stacks of every CDK environment) and `hoist-cdk-boundary-QUALIFIER` (the
//! boundary every role those stacks create must carry). `hoist doctor` prints the
//! `cdk bootstrap --cloudformation-execution-policies … --custom-permissions-boundary …` line
//! that puts them to use.

use std::path::{Path, PathBuf};

use hoist_config::{Config, DeploySource};
use hoist_plan::bootstrap::DesiredManagedPolicy;
use hoist_policy::DeployScope;
use serde_json::Value;

/// IAM's limit on a managed policy document, in characters without whitespace.
const MANAGED_POLICY_LIMIT: usize = 6_144;

/// `(cloud assembly directory, stack)` of each CDK environment with a stack: `cdk_out`
/// itself, or for `cdk_app` the assembly its last synthesis left (cdk.json's `output`, else
/// `cdk.out`, under the app directory — where `hoist deploy` and `cdk synth` put it).
fn cdk_stacks<'c>(config: &'c Config, base: &Path) -> Result<Vec<(PathBuf, &'c str)>, String> {
    let mut out = Vec::new();
    for e in &config.environments {
        let (Some(source), Some(stack)) = (&e.deploy, e.stack.as_deref()) else {
            continue;
        };
        match source {
            DeploySource::CdkOut(dir) => out.push((base.join(dir), stack)),
            DeploySource::CdkApp(dir) => {
                let app = hoist_deploy::synth::read_app(&base.join(dir))
                    .map_err(|e| format!("no CDK execution policy in the plan ({e})"))?;
                out.push((app.out_dir, stack));
            }
            DeploySource::Template(_) | DeploySource::Command(_) => {}
        }
    }
    Ok(out)
}

/// The resource types of stack `stack` in the cloud assembly `dir` (`manifest.json` names
/// each stack's template file).
fn stack_types(dir: &Path, stack: &str) -> Result<Vec<String>, String> {
    let read = |p: &Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let manifest = read(&dir.join("manifest.json"))?;
    let file = manifest
        .get("artifacts")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .find(|(id, a)| {
            a.get("type").and_then(Value::as_str) == Some("aws:cloudformation:stack")
                && (id.as_str() == stack
                    || a.pointer("/properties/stackName").and_then(Value::as_str) == Some(stack))
        })
        .and_then(|(_, a)| {
            a.pointer("/properties/templateFile")
                .and_then(Value::as_str)
        })
        .ok_or_else(|| format!("{}/manifest.json has no stack {stack}", dir.display()))?;
    let template = read(&dir.join(file))?;
    hoist_policy::generate::execution::resource_types(&template.to_string())
        .map_err(|e| e.to_string())
}

/// The two policies, or a warning saying why they are not part of the plan.
pub(super) fn policies(
    config: &Config,
    base: &Path,
    account_id: &str,
    protected: &[String],
) -> Result<Vec<DesiredManagedPolicy>, String> {
    let stacks = cdk_stacks(config, base)?;
    if stacks.is_empty() {
        return Ok(Vec::new());
    }
    let mut types = Vec::new();
    for (dir, stack) in &stacks {
        types.extend(stack_types(dir, stack).map_err(|e| {
            format!("no CDK execution policy in the plan ({e}): run `cdk synth` (or `hoist deploy` without --apply), then `hoist bootstrap` again")
        })?);
    }
    let names: Vec<&str> = stacks.iter().map(|(_, s)| *s).collect();
    let mut scope = DeployScope::new(&config.aws.region, &names);
    scope.account_id = Some(account_id.to_owned());
    scope.cdk_qualifier = config.aws.cdk_qualifier.clone();
    let q = &scope.cdk_qualifier;
    let boundary_name = format!("hoist-cdk-boundary-{q}");
    let exec_name = format!("hoist-cdk-exec-{q}");
    let boundary_arn = scope.iam_arn(&format!("policy/{boundary_name}"));
    let exec = hoist_policy::execution_policy_for_types(&types, &scope, &boundary_arn)
        .map_err(|e| format!("no CDK execution policy in the plan: {e}"))?;
    let size = exec
        .document
        .to_json()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    if size > MANAGED_POLICY_LIMIT {
        return Err(format!(
            "no CDK execution policy in the plan: it would be {size} characters, over IAM's {MANAGED_POLICY_LIMIT} for a managed policy"
        ));
    }
    Ok(vec![
        DesiredManagedPolicy {
            name: boundary_name.clone(),
            arn: boundary_arn.clone(),
            description: format!("hoist: permissions boundary for roles of CDK qualifier {q}"),
            purpose: format!(
                "for `cdk bootstrap --custom-permissions-boundary {boundary_name}` and the app's @aws-cdk/core:permissionsBoundary (its roles under the path /{boundary_name}/)"
            ),
            document: hoist_policy::permissions_boundary_policy(&scope, &boundary_arn, protected),
        },
        DesiredManagedPolicy {
            name: exec_name.clone(),
            arn: scope.iam_arn(&format!("policy/{exec_name}")),
            description: format!("hoist: CloudFormation execution policy for CDK qualifier {q}"),
            purpose: format!(
                "for `cdk bootstrap --cloudformation-execution-policies` ({} resource types of {})",
                exec.resource_types.len(),
                names.join(", ")
            ),
            document: exec.document,
        },
    ])
}
