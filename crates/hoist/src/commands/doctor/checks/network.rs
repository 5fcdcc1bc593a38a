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

/// The service's security groups: its awsvpc configuration, else the stack's group whose
/// logical id names the service (as the guide's script looks it up).
async fn service_groups(
    ctx: &Ctx<'_>,
    env: &Environment,
    stack: &StackState,
) -> (Vec<String>, String) {
    for svc in &env.services {
        if let (Some(cluster), Some(service)) = (
            stack.output(&svc.cluster_output),
            stack.output(&svc.service_output),
        ) && let Ok(groups) = hoist_aws::ecs::Ecs::new(&ctx.aws)
            .service_security_groups(cluster, service)
            .await
            && !groups.is_empty()
        {
            return (groups, format!("service {service}'s awsvpc configuration"));
        }
    }
    let groups: Vec<String> = stack
        .resources()
        .iter()
        .filter(|r| {
            r.resource_type == "AWS::EC2::SecurityGroup"
                && r.logical_id.contains("ServiceSecurityGroup")
        })
        .filter_map(|r| r.physical_id.clone())
        .collect();
    (
        groups,
        "the stack's *ServiceSecurityGroup resource".to_owned(),
    )
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
        return Some(CheckResult::fail(
            name,
            "the service's security group could not be found",
        ));
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
            Err(e) => return Some(CheckResult::fail(name, format!("cannot read {g}: {e}"))),
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
