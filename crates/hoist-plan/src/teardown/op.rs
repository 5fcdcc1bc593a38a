//! The calls a teardown plan makes, as data.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ingress permission whose source is a security group, as EC2 describes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IngressRule {
    /// The group the rule is on (the destination).
    pub group_id: String,
    /// `tcp`, `udp`, `-1` (all).
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// The group traffic may come from.
    pub source_group_id: String,
}

impl fmt::Display for IngressRule {
    /// `sg-db allows tcp/5432 from sg-app`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ports = match (self.from_port, self.to_port) {
            (Some(a), Some(b)) if a == b => format!("{}/{a}", self.protocol),
            (Some(a), Some(b)) => format!("{}/{a}-{b}", self.protocol),
            _ => self.protocol.clone(),
        };
        write!(
            f,
            "{} allows {ports} from {}",
            self.group_id, self.source_group_id
        )
    }
}

/// One mutating call of `hoist teardown` (and of `--cleanup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// `ec2:RevokeSecurityGroupIngress` of exactly this rule.
    RevokeIngress { rule: IngressRule },
    /// `cloudformation:DeleteStack`, waited for. If it ends `DELETE_FAILED` on resources
    /// [`super::retain_on_retry`] knows how to get past, the delete is retried retaining them.
    DeleteStack { stack: String, stack_id: String },
    /// `ec2:DeleteSecurityGroup` of a group a retained delete left behind.
    DeleteSecurityGroup { group_id: String },
}

impl Op {
    /// A one-line description, for progress lines.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::RevokeIngress { rule } => format!("revoked {rule}"),
            Self::DeleteStack { stack, .. } => format!("deleted stack {stack}"),
            Self::DeleteSecurityGroup { group_id } => format!("deleted security group {group_id}"),
        }
    }
}
