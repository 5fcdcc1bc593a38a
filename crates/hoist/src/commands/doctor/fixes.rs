//! `--fix` as a plan: the repairs of every failed or warned check, computed from the results
//! before anything changes ([`plan`]), shown (human, `--json`, step summary), and applied
//! exactly by one executor ([`apply`]). Fixes only a person can make are listed beside the
//! plan, never in it.

use hoist_plan::{Action, Diff, Plan, Resource};

use super::check::{CheckResult, Fix, Status};
use super::checks;
use super::context::Ctx;

/// The plan and the fixes left to a person, as `(check, what to do)`.
#[derive(Debug)]
pub(super) struct FixPlan {
    pub(super) plan: Plan<Fix>,
    pub(super) manual: Vec<(String, String)>,
}

/// What one operation did.
#[derive(Debug, serde::Serialize)]
pub(super) struct Applied {
    pub(super) check: String,
    pub(super) ok: bool,
    pub(super) detail: String,
}

impl serde::Serialize for Fix {
    /// A fix serializes as its description: the operation in words, with the equivalent
    /// command. No value it carries (the database URL, a secret) is part of it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.describe())
    }
}

/// The plan of the results' fixes, in the order the checks ran.
pub(super) fn plan(results: &[CheckResult]) -> FixPlan {
    let mut out = FixPlan {
        plan: Plan::default(),
        manual: Vec::new(),
    };
    for r in results.iter().filter(|r| r.status >= Status::Warn) {
        let Some(fix) = &r.fix else { continue };
        match resource(&r.name, fix) {
            Some(resource) => out.plan.resources.push(resource),
            None => out.manual.push((r.name.clone(), fix.describe())),
        }
    }
    out
}

/// The resource a fix changes, with the fix as its one operation; `None` for a manual fix.
fn resource(check: &str, fix: &Fix) -> Option<Resource<Fix>> {
    let (kind, name, action, diffs, notes): (&'static str, String, Action, Vec<Diff>, Vec<String>) =
        match fix {
            Fix::Manual(_) => return None,
            Fix::AddProviderAudience {
                provider_arn,
                audience,
            } => (
                "oidc-provider",
                provider_arn.clone(),
                Action::Update,
                vec![Diff::new("audience", None, Some(audience.clone()))],
                vec![],
            ),
            Fix::UpdateTrust { role, document } => (
                "role-trust",
                role.clone(),
                Action::Update,
                vec![Diff::new("trust policy", None, Some(document.clone()))],
                vec![],
            ),
            Fix::PutSecret {
                secret_id,
                env,
                redeploy,
            } => (
                "secret-value",
                secret_id.clone(),
                Action::Update,
                vec![Diff::new("value", None, Some(format!("${env}")))],
                redeploy
                    .iter()
                    .map(|(cluster, service)| {
                        format!("then a new deployment of {service} (cluster {cluster}) so its tasks read it")
                    })
                    .collect(),
            ),
            Fix::AuthorizeIngress {
                group_id,
                port,
                source_group_id,
            } => (
                "ingress-rule",
                format!("{group_id} tcp/{port} from {source_group_id}"),
                Action::Create,
                vec![],
                vec![],
            ),
            Fix::CreateVectorExtension { database_url } => (
                "db-extension",
                format!("vector on {}", database_url.display()),
                Action::Create,
                vec![],
                vec![],
            ),
        };
    let mut resource = Resource::changed(kind, name, action, diffs, vec![fix.clone()])
        .note(format!("fixes check {check}"));
    for n in notes {
        resource = resource.note(n);
    }
    Some(resource)
}

/// Applies every operation of `plan`, in order; one result per operation. A failed operation
/// does not stop the others (each repairs a different check).
pub(super) async fn apply(ctx: &Ctx<'_>, plan: &FixPlan) -> Vec<Applied> {
    let mut out = Vec::new();
    for resource in &plan.plan.resources {
        let check = resource
            .notes
            .first()
            .and_then(|n| n.strip_prefix("fixes check "))
            .unwrap_or(&resource.name)
            .to_owned();
        for op in &resource.ops {
            let outcome = apply_one(ctx, op).await;
            out.push(Applied {
                check: check.clone(),
                ok: outcome.is_ok(),
                detail: outcome.unwrap_or_else(|e| e),
            });
        }
    }
    out
}

/// Applies one fix; `Err` says why it could not be made.
async fn apply_one(ctx: &Ctx<'_>, fix: &Fix) -> Result<String, String> {
    match fix {
        Fix::AddProviderAudience {
            provider_arn,
            audience,
        } => hoist_aws::iam::Iam::new(&ctx.aws)
            .add_client_id_to_oidc_provider(provider_arn, audience)
            .await
            .map(|()| format!("added audience {audience} to {provider_arn}"))
            .map_err(|e| crate::hints::chain(&e)),
        Fix::UpdateTrust { role, document } => hoist_aws::iam::Iam::new(&ctx.aws)
            .update_assume_role_policy(role, document)
            .await
            .map(|()| format!("wrote the trust policy of {role}"))
            .map_err(|e| crate::hints::chain(&e)),
        Fix::PutSecret {
            secret_id,
            env,
            redeploy,
        } => {
            let Some(value) = crate::env_vars::get(env) else {
                return Err(format!(
                    "{env} is not set here: export it (never on the command line) and run --fix again"
                ));
            };
            let value = hoist_aws::secrets::SecretValue::new(value);
            hoist_aws::secrets::Secrets::new(&ctx.aws)
                .put_if_changed(secret_id, &value)
                .await
                .map_err(|e| crate::hints::chain(&e))?;
            let mut done = format!("stored ${env} in {secret_id}");
            let ecs = hoist_aws::ecs::Ecs::new(&ctx.aws);
            for (cluster, service) in redeploy {
                let id = ecs
                    .force_new_deployment(cluster, service)
                    .await
                    .map_err(|e| {
                        format!(
                            "{done}, but redeploying {service} failed: {}",
                            crate::hints::chain(&e)
                        )
                    })?;
                done.push_str(&format!(
                    "; new deployment {id} of {service} so its tasks read it"
                ));
            }
            Ok(done)
        }
        Fix::AuthorizeIngress {
            group_id,
            port,
            source_group_id,
        } => hoist_aws::ec2::authorize_tcp_from_group(&ctx.aws, group_id, *port, source_group_id)
            .await
            .map(|()| format!("{group_id} now allows tcp/{port} from {source_group_id}"))
            .map_err(|e| crate::hints::chain(&e)),
        Fix::CreateVectorExtension { database_url } => {
            checks::pgvector::enable(ctx, database_url).await.map(|()| {
                format!(
                    "CREATE EXTENSION IF NOT EXISTS vector on {}",
                    database_url.display()
                )
            })
        }
        Fix::Manual(_) => Err("only a person can do this".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, status: Status, fix: Option<Fix>) -> CheckResult {
        let mut r = CheckResult::new(name, status, "summary");
        r.fix = fix;
        r
    }

    #[test]
    fn failed_and_warned_checks_with_a_fix_make_the_plan_in_check_order() {
        let results = [
            result(
                "oidc-provider",
                Status::Fail,
                Some(Fix::AddProviderAudience {
                    provider_arn: "arn:aws:iam::1:oidc-provider/x".into(),
                    audience: "sts.amazonaws.com".into(),
                }),
            ),
            // Passing and skipped checks are never fixed, whatever fix they carry.
            result("ok-check", Status::Ok, Some(Fix::Manual("no".into()))),
            result("skipped", Status::Skip, Some(Fix::Manual("no".into()))),
            result(
                "cdk-bootstrap",
                Status::Fail,
                Some(Fix::Manual("cdk bootstrap".into())),
            ),
            result(
                "dev/ecs-to-rds",
                Status::Warn,
                Some(Fix::AuthorizeIngress {
                    group_id: "sg-db".into(),
                    port: 5432,
                    source_group_id: "sg-app".into(),
                }),
            ),
            result(
                "dev/llm-secret",
                Status::Fail,
                Some(Fix::PutSecret {
                    secret_id: "arn:secret".into(),
                    env: "LLM_API_KEY".into(),
                    redeploy: vec![("c".into(), "api".into())],
                }),
            ),
            result("no-fix", Status::Fail, None),
        ];
        let FixPlan { plan, manual } = plan(&results);
        let rows: Vec<(&str, &str, Action)> = plan
            .resources
            .iter()
            .map(|r| (r.kind, r.name.as_str(), r.action))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "oidc-provider",
                    "arn:aws:iam::1:oidc-provider/x",
                    Action::Update
                ),
                ("ingress-rule", "sg-db tcp/5432 from sg-app", Action::Create),
                ("secret-value", "arn:secret", Action::Update),
            ]
        );
        assert!(plan.resources.iter().all(|r| r.ops.len() == 1));
        assert_eq!(plan.operations().count(), 3);
        assert_eq!(
            manual,
            [("cdk-bootstrap".to_owned(), "cdk bootstrap".to_owned())]
        );
        let human = plan.render_human();
        assert!(
            human.contains("note: fixes check dev/llm-secret"),
            "{human}"
        );
        assert!(
            human.contains("then a new deployment of api (cluster c)"),
            "{human}"
        );
        // The secret's value is named by its variable, never shown.
        assert!(human.contains("value: $LLM_API_KEY"), "{human}");
        assert!(
            human.contains("Plan: 1 to create, 2 to update, 0 to delete, 0 unchanged."),
            "{human}"
        );
    }

    #[test]
    fn nothing_failing_is_an_empty_plan() {
        let FixPlan { plan, manual } = plan(&[result("a", Status::Ok, None)]);
        assert!(plan.is_converged() && plan.resources.is_empty() && manual.is_empty());
    }
}
