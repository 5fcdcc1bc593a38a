//! Runs the plan's pre-flight probes (each role assumed, the bootstrap version read, the
//! template bucket checked) — reads only, before any mutating call, in plan and apply alike —
//! and turns `hoist_deploy::preflight`'s findings into errors.

use std::collections::BTreeMap;

use hoist_aws::Aws;
use hoist_aws::s3::S3;
use hoist_aws::ssm::Ssm;
use hoist_aws::sts::Sts;
use hoist_deploy::plan::DeployPlan;
use hoist_deploy::preflight::{self, BootstrapProbe, BucketProbe, Probes, RoleProbe};

use crate::error::{DeployError, Result};
use crate::events::Events;

/// The configurations of the roles that could be assumed, by role ARN.
pub type Roles = BTreeMap<String, Aws>;

/// Probes what the plan needs; returns the assumed roles, or the first finding as the error
/// (every finding is printed).
pub async fn run(
    plan: &DeployPlan,
    base: &Aws,
    profile: Option<&str>,
    events: &dyn Events,
) -> Result<Roles> {
    let sts = Sts::new(base);
    let mut roles = Roles::new();
    let mut probes = Probes::default();
    // The roles are independent: assumed at once, reported in the plan's order.
    let wanted = plan.roles();
    let assumed = futures::future::join_all(wanted.iter().map(|(role, external_id)| {
        sts.assume_role(base, role, "hoist-deploy", external_id.as_deref())
    }))
    .await;
    for ((role, _), outcome) in wanted.into_iter().zip(assumed) {
        match outcome {
            Ok(aws) => {
                roles.insert(role.clone(), aws);
                probes.roles.push((role, RoleProbe::Assumed));
            }
            Err(e) => probes.roles.push((role, RoleProbe::Refused(e.to_string()))),
        }
    }
    // The CDK CLI reads the version with the deploy role, which bootstrap allows to.
    let reader = plan
        .deploy_role
        .as_ref()
        .and_then(|r| roles.get(r))
        .unwrap_or(base);
    let version = async {
        let check = plan.bootstrap.as_ref()?;
        Some(match Ssm::new(reader).parameter(&check.parameter).await {
            Ok(Some(v)) => BootstrapProbe::Found(v),
            Ok(None) => BootstrapProbe::Missing,
            Err(e) => BootstrapProbe::Refused(e.to_string()),
        })
    };
    let bucket = async {
        let bucket = plan.bucket_required.as_ref()?;
        Some(match S3::new(reader).bucket_exists(bucket).await {
            Ok(true) => BucketProbe::Present,
            Ok(false) => BucketProbe::Missing,
            Err(e) => BucketProbe::Refused(e.to_string()),
        })
    };
    (probes.bootstrap, probes.bucket) = futures::future::join(version, bucket).await;
    let findings = preflight::evaluate(plan, &probes, profile);
    let Some(first) = findings.first() else {
        return Ok(roles);
    };
    for f in findings.iter().skip(1) {
        events.error(&format!("{} (fix: {})", f.what, f.fix));
    }
    Err(DeployError::Preflight {
        finding: first.clone(),
    })
}
