//! The stack and what it runs: CDK bootstrap, the secrets hoist.toml syncs (the guide's
//! "Secret not found" and 401 entries), and the ECS service's tasks. Which secrets the tasks
//! need comes from hoist.toml (`[[environments.E.secrets]]`), never from the app's names.

use hoist_config::{DeploySource, Environment};

use super::super::check::{CheckResult, Fix};
use super::super::context::{Ctx, StackState};

pub(crate) async fn cdk_bootstrap(ctx: &Ctx<'_>, envs: &[&Environment]) -> Option<CheckResult> {
    const NAME: &str = "cdk-bootstrap";
    if !envs.iter().any(|e| {
        matches!(
            e.deploy,
            Some(DeploySource::CdkOut(_) | DeploySource::CdkApp(_))
        )
    }) {
        return None;
    }
    let account = ctx.account_id.clone().unwrap_or_else(|| "ACCOUNT".into());
    let region = &ctx.place.region;
    let profile = ctx
        .place
        .profile
        .clone()
        .unwrap_or_else(|| "PROFILE".into());
    let fix = Fix::Manual(format!(
        "`aws sso login --profile {profile}`, then `npx aws-cdk bootstrap aws://{account}/{region} --profile {profile}` (the permission set must allow CloudFormation, S3, IAM)"
    ));
    Some(
        match hoist_aws::cfn::Cfn::new(&ctx.aws)
            .describe_stack("CDKToolkit")
            .await
        {
            Ok(Some(s)) if s.status.is_healthy() => {
                CheckResult::ok(NAME, format!("CDKToolkit is {} in {region}", s.status))
            }
            Ok(Some(s)) => {
                CheckResult::fail(NAME, format!("CDKToolkit is {} in {region}", s.status)).fix(fix)
            }
            Ok(None) => CheckResult::fail(
                NAME,
                format!("{region} is not CDK-bootstrapped: no CDKToolkit stack"),
            )
            .fix(fix),
            Err(e) => CheckResult::fail(
                NAME,
                format!("cannot read CDKToolkit: {}", crate::hints::chain(&e)),
            )
            .fix(fix),
        },
    )
}

/// A stack-dependent check's result when the stack is not there.
pub(crate) fn without_stack(name: &str, stack: &StackState) -> Option<CheckResult> {
    match stack {
        StackState::NoStack => Some(CheckResult::skip(name, "the environment names no stack")),
        StackState::Missing { name: s } => Some(
            CheckResult::fail(name, format!("stack {s} does not exist")).fix(Fix::Manual(
                "deploy it first: `hoist deploy --env ENV --apply`".into(),
            )),
        ),
        StackState::Error { name: s, error } => Some(CheckResult::fail(
            name,
            format!("cannot read stack {s}: {error}"),
        )),
        StackState::Found { .. } => None,
    }
}

pub(crate) async fn synced_secrets(
    ctx: &Ctx<'_>,
    env: &Environment,
    stack: &StackState,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for s in &env.secrets {
        let name = format!("{}/secret-{}", env.name, s.output);
        if let Some(r) = without_stack(&name, stack) {
            out.push(r);
            continue;
        }
        let Some(arn) = stack.output(&s.output) else {
            out.push(
                CheckResult::fail(name, format!("the stack has no output {} (\"Secret not found\": the stack has not finished, or the output name is wrong)", s.output))
                    .fix(Fix::Manual("wait for the stack to finish (`hoist deploy`), and check `output` in hoist.toml against `aws cloudformation describe-stacks`".into())),
            );
            continue;
        };
        let redeploy = env
            .services
            .iter()
            .filter_map(|svc| {
                Some((
                    stack.output(&svc.cluster_output)?.to_owned(),
                    stack.output(&svc.service_output)?.to_owned(),
                ))
            })
            .collect();
        let put = Fix::PutSecret {
            secret_id: arn.to_owned(),
            env: s.env.clone(),
            redeploy,
        };
        let secrets = hoist_aws::secrets::Secrets::new(&ctx.aws);
        let r = match secrets.current(arn).await {
            Err(hoist_aws::secrets::SecretsError::NotFound { .. }) => CheckResult::fail(&name, format!("Secret not found: {arn} (output {}) names no secret", s.output))
                .fix(Fix::Manual("redeploy the stack: `hoist deploy --apply`".into())),
            Err(e) => CheckResult::fail(&name, format!("cannot read {arn}: {}", crate::hints::chain(&e))),
            Ok(None) => CheckResult::fail(&name, format!("{arn} has no value: the tasks reading it get none, and the API it unlocks answers 401 (the guide's \"Incorrect API key\")")).fix(put),
            Ok(Some(v)) if v.expose().trim().is_empty() => {
                CheckResult::fail(&name, format!("{arn} is empty: the tasks reading it get an empty value, and the API it unlocks answers 401 (the guide's \"Incorrect API key\")")).fix(put)
            }
            Ok(Some(v)) => match &s.pattern {
                Some(p) => match regex::Regex::new(&format!("^(?:{p})$")) {
                    Ok(re) if re.is_match(v.expose()) => {
                        CheckResult::ok(&name, format!("{arn} is set ({} characters) and matches {p}", v.expose().chars().count()))
                    }
                    Ok(_) => CheckResult::fail(
                        &name,
                        format!("{arn} holds {} characters that do not match {p}: likely the wrong key (401 errors)", v.expose().chars().count()),
                    )
                    .fix(put),
                    Err(e) => CheckResult::fail(&name, format!("pattern {p} in hoist.toml does not compile: {e}")),
                },
                None => CheckResult::ok(&name, format!("{arn} is set ({} characters)", v.expose().chars().count())),
            },
        };
        out.push(r.evidence(format!(
            "read with secretsmanager:GetSecretValue; the value is never printed (set from ${})",
            s.env
        )));
    }
    out
}

/// Stopped-task reasons that say an API refused the task's credentials (HTTP 401, an
/// "unauthorized" or "invalid/incorrect API key" answer): a secret the task reads is missing
/// or wrong.
fn names_auth_failure(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("401")
        || t.contains("incorrect api key")
        || t.contains("invalid api key")
        || t.contains("unauthorized")
}

pub(crate) async fn ecs(ctx: &Ctx<'_>, env: &Environment, stack: &StackState) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for svc in &env.services {
        let name = format!("{}/ecs-{}", env.name, svc.service_output);
        if let Some(r) = without_stack(&name, stack) {
            out.push(r);
            continue;
        }
        let (Some(cluster), Some(service)) = (
            stack.output(&svc.cluster_output),
            stack.output(&svc.service_output),
        ) else {
            out.push(CheckResult::fail(
                name,
                format!(
                    "the stack lacks output {} or {}",
                    svc.cluster_output, svc.service_output
                ),
            ));
            continue;
        };
        let ecs = hoist_aws::ecs::Ecs::new(&ctx.aws);
        let state = match ecs.describe(cluster, service).await {
            Ok(s) => s,
            Err(e) => {
                out.push(CheckResult::fail(
                    name,
                    format!(
                        "cannot describe service {service} in {cluster}: {}",
                        crate::hints::chain(&e)
                    ),
                ));
                continue;
            }
        };
        let stopped = ecs
            .stopped_tasks(cluster, service, 5)
            .await
            .unwrap_or_default();
        let mut reasons = Vec::new();
        for t in &stopped {
            let mut line = t
                .stopped_reason
                .clone()
                .unwrap_or_else(|| "no reason".into());
            for (c, code, reason) in &t.containers {
                line.push_str(&format!(
                    "; container {c} exit {} {}",
                    code.map_or("-".into(), |x| x.to_string()),
                    reason.clone().unwrap_or_default()
                ));
            }
            reasons.push(line);
        }
        let key_problem = reasons.iter().any(|r| names_auth_failure(r));
        let read_secrets = if env.secrets.is_empty() {
            "the credentials they read (hoist.toml syncs no secret for this environment)".to_owned()
        } else {
            let names: Vec<&str> = env.secrets.iter().map(|s| s.env.as_str()).collect();
            format!(
                "a secret they read is empty or wrong ({})",
                names.join(", ")
            )
        };
        let counts = format!(
            "service {service} in {cluster}: running {} / desired {} (pending {})",
            state.running, state.desired, state.pending
        );
        let redeploy = format!(
            "`aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment`"
        );
        let mut r = if state.running >= state.desired && !key_problem {
            CheckResult::ok(&name, counts.clone())
        } else if key_problem {
            CheckResult::fail(&name, format!("{counts}; tasks stopped with an authentication failure (401 / unauthorized): {read_secrets}"))
                .fix(Fix::Manual(format!("fill the secret (see the secret check), then {redeploy}")))
        } else if state.running == 0 && state.desired > 0 {
            CheckResult::fail(&name, format!("{counts}: no task is running")).fix(Fix::Manual(
                format!("read the stopped reasons below, fix the cause, then {redeploy}"),
            ))
        } else {
            CheckResult::warn(
                &name,
                format!("{counts}: a deployment is still rolling out"),
            )
        };
        r = r.evidence(counts);
        for reason in reasons {
            r = r.evidence(format!("stopped task: {reason}"));
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn authentication_failures_are_recognised() {
        assert!(super::names_auth_failure(
            "Essential container in task exited; Error code: 401 - Incorrect API key provided"
        ));
        assert!(!super::names_auth_failure(
            "Scaling activity initiated by deployment"
        ));
    }
}
