//! Pre-flight: what the plan needs from the account, judged from what the CLI probed
//! (bootstrap version parameter, roles assumed, bucket present) before any mutating call.
//! Plan and apply run the same checks, so a plan never passes where the apply would fail
//! for a knowable reason. Each finding names what is missing and the exact fix.

use crate::plan::DeployPlan;

/// What reading the bootstrap version parameter gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapProbe {
    Found(String),
    /// `ParameterNotFound`: the environment was never bootstrapped.
    Missing,
    /// Any other refusal, with AWS's message.
    Refused(String),
}

/// What assuming a role gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleProbe {
    Assumed,
    Refused(String),
}

/// What checking a bucket gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketProbe {
    Present,
    Missing,
    Refused(String),
}

/// The probes' results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probes {
    pub bootstrap: Option<BootstrapProbe>,
    pub roles: Vec<(String, RoleProbe)>,
    pub bucket: Option<BucketProbe>,
}

/// How a finding ends the run: bad input is exit 2, a failed check exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    BadInput,
    Failed,
}

/// One reason the deploy would fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub what: String,
    pub fix: String,
}

/// The exact `cdk bootstrap` line for the plan's environment.
#[must_use]
pub fn bootstrap_command(plan: &DeployPlan, profile: Option<&str>) -> String {
    let mut line = format!(
        "cdk bootstrap aws://{}/{}",
        plan.env.account, plan.env.region
    );
    if let Some(p) = profile {
        line.push_str(" --profile ");
        line.push_str(p);
    }
    line
}

/// The findings, in the order they should be fixed (bootstrap first: it creates the roles
/// and the bucket).
#[must_use]
pub fn evaluate(plan: &DeployPlan, probes: &Probes, profile: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    let bootstrap = bootstrap_command(plan, profile);
    let env = format!("aws://{}/{}", plan.env.account, plan.env.region);
    if let (Some(check), Some(probe)) = (&plan.bootstrap, &probes.bootstrap) {
        match probe {
            BootstrapProbe::Missing => out.push(Finding {
                severity: Severity::Failed,
                what: format!(
                    "{env} is not bootstrapped for the CDK: SSM parameter {} does not exist (stack {} needs bootstrap version {} or later)",
                    check.parameter, plan.stack_name, check.required
                ),
                fix: format!("run `{bootstrap}` once, then deploy again"),
            }),
            BootstrapProbe::Refused(msg) => out.push(Finding {
                severity: Severity::Failed,
                what: format!("cannot read the CDK bootstrap version from SSM parameter {}: {msg}", check.parameter),
                fix: "allow ssm:GetParameter on that parameter to the deploy role (the bootstrap stack's deploy role has it), or run `"
                    .to_owned()
                    + &bootstrap
                    + "` again to repair the bootstrap stack",
            }),
            BootstrapProbe::Found(value) => match value.trim().parse::<u32>() {
                Ok(v) if v >= check.required => {}
                Ok(v) => out.push(Finding {
                    severity: Severity::Failed,
                    what: format!(
                        "{env} has CDK bootstrap version {v}, but stack {} needs {} or later",
                        plan.stack_name, check.required
                    ),
                    fix: format!("run `{bootstrap}` to upgrade the bootstrap stack, then deploy again"),
                }),
                Err(_) => out.push(Finding {
                    severity: Severity::Failed,
                    what: format!("SSM parameter {} holds {value:?}, not a bootstrap version number", check.parameter),
                    fix: format!("run `{bootstrap}` to rewrite it"),
                }),
            },
        }
    }
    for (role, probe) in &probes.roles {
        if let RoleProbe::Refused(msg) = probe {
            let what = if plan.deploy_role.as_deref() == Some(role.as_str()) {
                "the deploy role"
            } else {
                "the asset publishing role"
            };
            out.push(Finding {
                severity: Severity::Failed,
                what: format!("cannot assume {what} {role}: {msg}"),
                fix: format!(
                    "if the role is missing, run `{bootstrap}`; otherwise its trust policy must allow this identity (`cdk bootstrap --trust ACCOUNT` trusts an account; hoist's role needs sts:AssumeRole on {role})"
                ),
            });
        }
    }
    if let (Some(bucket), Some(probe)) = (&plan.bucket_required, &probes.bucket) {
        match probe {
            BucketProbe::Present => {}
            BucketProbe::Missing => out.push(Finding {
                severity: Severity::Failed,
                what: format!("the template of stack {} must go through S3 (TemplateURL), but bucket {bucket} does not exist", plan.stack_name),
                fix: format!("run `{bootstrap}` once (it creates the bucket), then deploy again"),
            }),
            BucketProbe::Refused(msg) => out.push(Finding {
                severity: Severity::Failed,
                what: format!("cannot reach bucket {bucket} for the template of stack {}: {msg}", plan.stack_name),
                fix: format!("allow s3:GetObject and s3:PutObject on {bucket} to hoist's role"),
            }),
        }
    }
    out
}
