//! Where a trust policy comes from: a file, stdin, or a live IAM role.

use std::path::Path;

use anyhow::Context;
use hoist_policy::PolicyDocument;

use crate::exit::BadInput;

/// A trust policy and a label saying where it came from.
pub(super) struct LoadedPolicy {
    pub(super) label: String,
    pub(super) document: PolicyDocument,
    /// The role's ARN when the policy was read from IAM.
    pub(super) role_arn: Option<String>,
}

/// Reads a policy file (`-` for stdin). The text may be JSON or IAM's percent-encoded form.
pub(super) fn from_file(path: &Path) -> anyhow::Result<LoadedPolicy> {
    let label = path.display().to_string();
    let text = if label == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the policy from stdin")?
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| BadInput::new(format!("cannot read {label}: {e}")))?
    };
    let document = PolicyDocument::parse_iam_encoded(&text).map_err(|e| {
        BadInput::new(format!("{label}: {e}"))
            .hint("a trust policy is a JSON document with Version and Statement")
    })?;
    Ok(LoadedPolicy {
        label,
        document,
        role_arn: None,
    })
}

/// Reads a role's live trust policy (IAM returns it percent-encoded).
pub(super) async fn from_role(aws: &hoist_aws::Aws, role: &str) -> anyhow::Result<LoadedPolicy> {
    let iam = hoist_aws::iam::Iam::new(aws);
    let info = iam.get_role(role).await?.ok_or_else(|| {
        BadInput::new(format!("IAM role {role:?} does not exist in this account"))
            .hint("check the name (a role name, not an ARN), the account of your credentials (`aws sts get-caller-identity`), or create it with `hoist bootstrap --apply`")
    })?;
    let document = PolicyDocument::parse_iam_encoded(&info.trust_policy)
        .with_context(|| format!("the trust policy of role {role} cannot be read"))?;
    Ok(LoadedPolicy {
        label: format!("role {role}"),
        document,
        role_arn: Some(info.arn),
    })
}
