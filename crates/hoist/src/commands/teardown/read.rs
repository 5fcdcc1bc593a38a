//! The read calls teardown's plans are computed from: the stack, its resources and template,
//! and the ingress rules whose source is one of its groups; for `--cleanup`, each retained
//! group's network interfaces and rules.

use hoist_aws::cfn::Cfn;
use hoist_aws::ec2::GroupIngress;
use hoist_aws::{Aws, AwsError};
use hoist_plan::teardown::{
    ActualStack, IngressRule, Interface, Leftover, LeftoverState, Relations, SECURITY_GROUP,
    StackResource,
};

use crate::exit::Failed;

pub(super) fn rule(r: GroupIngress) -> IngressRule {
    IngressRule {
        group_id: r.group_id,
        protocol: r.protocol,
        from_port: r.from_port,
        to_port: r.to_port,
        source_group_id: r.source_group_id,
    }
}

pub(super) fn ingress(r: &IngressRule) -> GroupIngress {
    GroupIngress {
        group_id: r.group_id.clone(),
        protocol: r.protocol.clone(),
        from_port: r.from_port,
        to_port: r.to_port,
        source_group_id: r.source_group_id.clone(),
    }
}

async fn rules_from(aws: &Aws, group: &str) -> Result<Vec<IngressRule>, AwsError> {
    Ok(hoist_aws::ec2::rules_referencing(aws, group)
        .await?
        .into_iter()
        .map(rule)
        .collect())
}

/// The stack as the plan needs it; `None` when it does not exist.
pub(super) async fn stack(aws: &Aws, cfn: &Cfn, name: &str) -> anyhow::Result<Option<ActualStack>> {
    let Some(found) = cfn.describe_stack(name).await? else {
        return Ok(None);
    };
    let resources: Vec<StackResource> = cfn
        .stack_resources(name)
        .await?
        .into_iter()
        .map(|r| StackResource {
            logical_id: r.logical_id,
            physical_id: r.physical_id,
            resource_type: r.resource_type,
        })
        .collect();
    let body = hoist_aws::cfn_template::template_body(aws, name).await?;
    let relations = Relations::from_template(&body).map_err(|e| {
        Failed::new(format!("stack {name}: {e}"))
            .hint("teardown reads which security groups VPC Lambda functions use from the template: check it with `aws cloudformation get-template`")
    })?;
    let mut actual = ActualStack {
        name: found.name,
        stack_id: found.stack_id,
        status: found.status.to_string(),
        resources,
        relations,
        rules_from: Default::default(),
    };
    let groups: Vec<String> = actual.groups().keys().map(|g| (*g).to_owned()).collect();
    for group in groups {
        let rules = rules_from(aws, &group).await?;
        actual.rules_from.insert(group, rules);
    }
    Ok(Some(actual))
}

/// Each leftover with its interfaces and rules (security groups only).
pub(super) async fn leftovers(
    aws: &Aws,
    items: Vec<Leftover>,
) -> anyhow::Result<Vec<LeftoverState>> {
    let mut out = Vec::new();
    for item in items {
        let mut state = LeftoverState {
            item,
            interfaces: Vec::new(),
            rules_from: Vec::new(),
        };
        if let (SECURITY_GROUP, Some(id)) = (
            state.item.resource_type.as_str(),
            state.item.physical_id.clone(),
        ) {
            state.interfaces = hoist_aws::ec2::network_interfaces_in_group(aws, &id)
                .await?
                .into_iter()
                .map(|n| Interface {
                    lambda: n.is_lambda(),
                    id: n.id,
                    status: n.status,
                })
                .collect();
            if state.interfaces.is_empty() {
                state.rules_from = rules_from(aws, &id).await?;
            }
        }
        out.push(state);
    }
    Ok(out)
}
