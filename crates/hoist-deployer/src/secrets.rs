//! The stack's Secrets Manager secrets that hoist fills: a deploy copies them from the job's
//! environment, `hoist secret rotate` from stdin. Values never come from argv, templates or
//! parameters, are checked against their pattern before any AWS call, and are never printed.

use std::collections::BTreeMap;

use hoist_aws::cfn::Cfn;
use hoist_aws::secrets::{PutOutcome, SecretValue, Secrets, SecretsError};
use hoist_config::{Environment, SecretSync};

use crate::error::{DeployError, Result};

/// A value read and checked, waiting for the stack's outputs.
pub struct Pending<'e> {
    pub spec: &'e SecretSync,
    pub value: SecretValue,
}

/// What happened to one secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Synced {
    pub env: String,
    pub output: String,
    pub secret_arn: String,
    /// `updated`, `unchanged`, or `would update` (plan).
    pub result: &'static str,
    pub changed: bool,
}

/// Reads each secret's variable and checks it against its pattern. Runs before any AWS call.
///
/// # Errors
/// `BadInput` (exit 2) naming the variable, never showing the value.
pub fn read_and_check(env: &Environment) -> Result<Vec<Pending<'_>>> {
    let mut out = Vec::new();
    for spec in &env.secrets {
        let value = std::env::var(&spec.env).unwrap_or_default();
        if value.is_empty() {
            return Err(DeployError::SecretEmpty {
                env: spec.env.clone(),
                output: spec.output.clone(),
            });
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
pub fn check_pattern(spec: &SecretSync, value: &str, source: &str) -> Result<()> {
    let Some(pattern) = &spec.pattern else {
        return Ok(());
    };
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|source| {
        DeployError::SecretPatternInvalid {
            env: spec.env.clone(),
            source,
        }
    })?;
    if re.is_match(value) {
        return Ok(());
    }
    Err(DeployError::SecretPattern {
        env: spec.env.clone(),
        pattern: pattern.clone(),
        from: source.to_owned(),
    })
}

/// The stack's outputs; the stack must exist and be settled.
pub async fn read_outputs(cfn: &Cfn, stack: &str) -> Result<BTreeMap<String, String>> {
    let Some(found) = cfn.describe_stack(stack).await? else {
        return Err(DeployError::StackMissing {
            stack: stack.to_owned(),
        });
    };
    if !hoist_aws::cfn::is_terminal(&found.status) {
        return Err(DeployError::StackUnsettled {
            stack: stack.to_owned(),
            status: found.status.to_string(),
        });
    }
    Ok(found.outputs)
}

/// Puts each value into the secret named by its output, unless it already holds it.
/// With `apply` false, only compares.
pub async fn sync(
    client: &Secrets,
    outputs: &BTreeMap<String, String>,
    stack: &str,
    pending: &[Pending<'_>],
    apply: bool,
) -> Result<Vec<Synced>> {
    let mut results = Vec::new();
    for p in pending {
        let arn = outputs
            .get(&p.spec.output)
            .ok_or_else(|| missing_output(stack, &p.spec.output, outputs))?;
        let not_found = |e: SecretsError| match e {
            SecretsError::NotFound { secret_id } => DeployError::SecretNotFound {
                secret_id,
                output: p.spec.output.clone(),
                stack: stack.to_owned(),
            },
            other => other.into(),
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
pub fn missing_output(
    stack: &str,
    output: &str,
    outputs: &BTreeMap<String, String>,
) -> DeployError {
    let have = if outputs.is_empty() {
        "none".to_owned()
    } else {
        outputs.keys().cloned().collect::<Vec<_>>().join(", ")
    };
    DeployError::MissingSecretOutput {
        stack: stack.to_owned(),
        output: output.to_owned(),
        have,
    }
}
