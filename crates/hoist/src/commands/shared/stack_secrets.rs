//! The stack's Secrets Manager secrets that hoist fills: a deploy copies them from the job's
//! environment, `hoist secret rotate` from stdin. Values never come from argv, templates or
//! parameters, are checked against their pattern before any AWS call, and are never printed.

use std::collections::BTreeMap;

use hoist_aws::cfn::Cfn;
use hoist_aws::secrets::{PutOutcome, SecretValue, Secrets, SecretsError};
use hoist_config::{Environment, SecretSync};

use crate::exit::{BadInput, Failed};

/// A value read and checked, waiting for the stack's outputs.
pub(crate) struct Pending<'e> {
    pub(crate) spec: &'e SecretSync,
    pub(crate) value: SecretValue,
}

/// What happened to one secret.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Synced {
    pub(crate) env: String,
    pub(crate) output: String,
    pub(crate) secret_arn: String,
    /// `updated`, `unchanged`, or `would update` (plan).
    pub(crate) result: &'static str,
    pub(crate) changed: bool,
}

/// Reads each secret's variable and checks it against its pattern. Runs before any AWS call.
///
/// # Errors
/// `BadInput` (exit 2) naming the variable, never showing the value.
pub(crate) fn read_and_check(env: &Environment) -> anyhow::Result<Vec<Pending<'_>>> {
    let mut out = Vec::new();
    for spec in &env.secrets {
        let value = std::env::var(&spec.env).unwrap_or_default();
        if value.is_empty() {
            return Err(BadInput::new(format!("{} is empty or not set, so secret {} cannot be filled", spec.env, spec.output))
                .hint(format!(
                    "pass it from a GitHub secret: `env: {{ {}: ${{{{ secrets.{} }}}} }}` (an empty key is what makes the tasks fail with 401 \"Incorrect API key\")",
                    spec.env, spec.env
                ))
                .into());
        }
        check_pattern(spec, &value, &format!("the {} GitHub secret", spec.env))?;
        out.push(Pending {
            spec,
            value: SecretValue::new(value),
        });
    }
    Ok(out)
}

/// Checks `value` against the secret's pattern (the whole value must match); `source` says
/// where the value came from, for the hint.
///
/// # Errors
/// `BadInput` (exit 2) naming the variable and the pattern, never showing the value.
pub(crate) fn check_pattern(spec: &SecretSync, value: &str, source: &str) -> anyhow::Result<()> {
    let Some(pattern) = &spec.pattern else {
        return Ok(());
    };
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        BadInput::new(format!(
            "the pattern of secret {} is not a regular expression: {e}",
            spec.env
        ))
    })?;
    if re.is_match(value) {
        return Ok(());
    }
    Err(BadInput::new(format!(
        "the value of {} does not match its pattern {pattern} (value not shown); nothing was changed",
        spec.env
    ))
    .hint(format!(
        "check {source} holds the provider's key, without quotes or whitespace"
    ))
    .into())
}

/// The stack's outputs; the stack must exist and be settled.
pub(crate) async fn read_outputs(
    cfn: &Cfn,
    stack: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let Some(found) = cfn.describe_stack(stack).await? else {
        return Err(Failed::new(format!("stack {stack} does not exist, so it has no outputs"))
            .hint("deploy it first (`hoist deploy --apply` without --skip-stack, or the guide's first manual deploy)")
            .into());
    };
    if !hoist_aws::cfn::is_terminal(&found.status) {
        return Err(Failed::new(format!(
            "stack {stack} is {}: outputs are only final once it has finished",
            found.status
        ))
        .hint(
            "wait for the stack operation to finish, then run `hoist deploy --skip-stack --apply`",
        )
        .into());
    }
    Ok(found.outputs)
}

/// Puts each value into the secret named by its output, unless it already holds it.
/// With `apply` false, only compares.
pub(crate) async fn sync(
    client: &Secrets,
    outputs: &BTreeMap<String, String>,
    stack: &str,
    pending: &[Pending<'_>],
    apply: bool,
) -> anyhow::Result<Vec<Synced>> {
    let mut results = Vec::new();
    for p in pending {
        let arn = outputs
            .get(&p.spec.output)
            .ok_or_else(|| missing_output(stack, &p.spec.output, outputs))?;
        let not_found = |e: SecretsError| {
            match e {
            SecretsError::NotFound { secret_id } => anyhow::Error::from(
                Failed::new(format!("Secret not found: {secret_id} (from output {} of stack {stack})", p.spec.output))
                    .hint("the output names a secret that does not exist: the stack did not finish creating it, or the output points at another secret; check `aws cloudformation describe-stacks`"),
            ),
            other => anyhow::Error::from(other),
        }
        };
        let (result, changed) = if apply {
            match client
                .put_if_changed(arn, &p.value)
                .await
                .map_err(not_found)?
            {
                PutOutcome::Unchanged => ("unchanged", false),
                PutOutcome::Updated { .. } => ("updated", true),
            }
        } else {
            let current = client.current(arn).await.map_err(not_found)?;
            if current.as_ref() == Some(&p.value) {
                ("unchanged", false)
            } else {
                ("would update", true)
            }
        };
        results.push(Synced {
            env: p.spec.env.clone(),
            output: p.spec.output.clone(),
            secret_arn: arn.clone(),
            result,
            changed,
        });
    }
    Ok(results)
}

/// The guide's "Secret not found": the output that should name the secret is not there.
pub(crate) fn missing_output(
    stack: &str,
    output: &str,
    outputs: &BTreeMap<String, String>,
) -> anyhow::Error {
    let have = if outputs.is_empty() {
        "none".to_owned()
    } else {
        outputs.keys().cloned().collect::<Vec<_>>().join(", ")
    };
    Failed::new(format!("Secret not found: stack {stack} has no output {output} (its outputs: {have})"))
        .hint(format!(
            "outputs exist only once the stack has finished: check the stack deployed successfully, and that the template declares an output named {output} (hoist.toml names it)"
        ))
        .into()
}
