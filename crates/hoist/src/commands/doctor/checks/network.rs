//! The ECS → RDS rule on the database port (the guide's "database connection timeout").

use hoist_aws::Aws;
use hoist_config::Environment;

use super::super::check::{CheckResult, Fix};
use super::super::context::{Ctx, StackState};
use super::stack::without_stack;

/// The database's security groups and port, from the stack's `AWS::RDS::DBInstance`.
pub(crate) async fn database_groups(
    aws: &Aws,
    stack: &StackState,
) -> Result<Option<(String, Vec<String>, i32)>, String> {
    let Some(id) = stack
        .resources()
        .iter()
        .find(|r| r.resource_type == "AWS::RDS::DBInstance")
        .and_then(|r| r.physical_id.clone())
    else {
        return Ok(None);
    };
    match hoist_aws::rds::describe_db_instance(aws, &id).await {
        Ok(Some(db)) => Ok(Some((id, db.security_groups, db.port.unwrap_or(5432)))),
        Ok(None) => Err(format!("the stack's DB instance {id} does not exist")),
        Err(e) => Err(e.to_string()),
    }
}

/// The service's security groups, from its awsvpc configuration: the services hoist.toml names
/// (through the stack's outputs), else every `AWS::ECS::Service` of the stack itself; when ECS
/// names none, the groups the stack's template attaches to its services (by reference, as
/// CloudFormation resolves them). Never guessed from resource names.
async fn service_groups(
    ctx: &Ctx<'_>,
    env: &Environment,
    stack: &StackState,
) -> (Vec<String>, String) {
    let ecs = hoist_aws::ecs::Ecs::new(&ctx.aws);
    let named = env.services.iter().filter_map(|svc| {
        Some((
            stack.output(&svc.cluster_output)?.to_owned(),
            stack.output(&svc.service_output)?.to_owned(),
        ))
    });
    let of_stack = stack
        .resources()
        .iter()
        .filter(|r| r.resource_type == "AWS::ECS::Service")
        .filter_map(|r| hoist_deploy::services::service_from_arn(r.physical_id.as_deref()?));
    let mut groups = Vec::new();
    let mut from = Vec::new();
    for (cluster, service) in named.chain(of_stack) {
        if from.contains(&service) {
            continue;
        }
        if let Ok(found) = ecs.service_security_groups(&cluster, &service).await
            && !found.is_empty()
        {
            for g in found {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            from.push(service);
        }
    }
    if !from.is_empty() {
        return (
            groups,
            format!("the awsvpc configuration of {}", from.join(", ")),
        );
    }
    // ECS named no groups (no service readable, or none with an awsvpc configuration): what
    // the stack's template declares for its services, resolved to the stack's groups.
    let declared = match env.stack.as_deref() {
        Some(name) => hoist_aws::cfn::Cfn::new(&ctx.aws)
            .get_template(name)
            .await
            .ok()
            .and_then(|body| hoist_plan::teardown::Relations::from_template(&body).ok()),
        None => None,
    };
    for (service, logical_groups) in declared.map(|r| r.service_groups).unwrap_or_default() {
        for logical in logical_groups {
            if let Some(physical) = stack
                .resources()
                .iter()
                .find(|r| r.logical_id == logical)
                .and_then(|r| r.physical_id.clone())
                && !groups.contains(&physical)
            {
                groups.push(physical);
            }
        }
        from.push(service);
    }
    let source = if from.is_empty() {
        "neither ECS nor the stack's template names a security group of its services".to_owned()
    } else {
        format!(
            "the stack template's awsvpc configuration of {} (ECS named none)",
            from.join(", ")
        )
    };
    (groups, source)
}

pub(crate) async fn ecs_to_rds(
    ctx: &Ctx<'_>,
    env: &Environment,
    stack: &StackState,
) -> Option<CheckResult> {
    let name = format!("{}/ecs-to-rds", env.name);
    if env.services.is_empty() {
        return None;
    }
    if let Some(r) = without_stack(&name, stack) {
        return Some(r);
    }
    let (db_id, db_groups, port) = match database_groups(&ctx.aws, stack).await {
        Ok(Some(x)) => x,
        Ok(None) => return None,
        Err(e) => return Some(CheckResult::fail(name, e)),
    };
    let (svc_groups, source) = service_groups(ctx, env, stack).await;
    let Some(svc_group) = svc_groups.first().cloned() else {
        return Some(
            CheckResult::fail(name, "the service's security group could not be found")
                .evidence(source),
        );
    };
    let mut evidence = vec![
        format!(
            "database {db_id}: groups [{}], port {port}",
            db_groups.join(", ")
        ),
        format!("service groups [{}] from {source}", svc_groups.join(", ")),
    ];
    for g in &db_groups {
        match hoist_aws::ec2::describe_security_group(&ctx.aws, g).await {
            Ok(Some(sg)) => {
                if let Some(rule) = sg
                    .group_ingress
                    .iter()
                    .find(|r| svc_groups.contains(&r.source_group_id) && r.allows_tcp_port(port))
                {
                    let mut r = CheckResult::ok(
                        &name,
                        format!("{g} allows tcp/{port} from {}", rule.source_group_id),
                    );
                    for e in evidence {
                        r = r.evidence(e);
                    }
                    return Some(r);
                }
                let sources: Vec<String> = sg
                    .group_ingress
                    .iter()
                    .map(|r| {
                        format!(
                            "{}:{:?}-{:?} from {}",
                            r.protocol, r.from_port, r.to_port, r.source_group_id
                        )
                    })
                    .collect();
                evidence.push(format!("{g} ingress from groups: [{}]", sources.join(", ")));
            }
            Ok(None) => evidence.push(format!("{g} does not exist")),
            Err(e) => {
                return Some(CheckResult::fail(
                    name,
                    format!("cannot read {g}: {}", crate::hints::chain(&e)),
                ));
            }
        }
    }
    let Some(db_group) = db_groups.first().cloned() else {
        return Some(CheckResult::fail(
            name,
            format!("database {db_id} has no VPC security group"),
        ));
    };
    let mut r = CheckResult::fail(
        name,
        format!(
            "no rule lets the service ({svc_group}) reach the database on tcp/{port}: tasks time out connecting"
        ),
    );
    for e in evidence {
        r = r.evidence(e);
    }
    Some(r.fix(Fix::AuthorizeIngress {
        group_id: db_group,
        port,
        source_group_id: svc_group,
    }))
}
