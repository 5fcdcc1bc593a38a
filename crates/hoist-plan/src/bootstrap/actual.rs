//! What exists, as the caller read it from AWS and GitHub.

use std::collections::{BTreeMap, BTreeSet};

/// The current state of everything bootstrap manages. Policies are decoded JSON text (IAM
/// returns them percent-encoded; the caller decodes) and parsed here, so a document hoist
/// cannot parse still shows in the diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actual {
    pub provider: Option<ActualProvider>,
    /// Customer managed policies that exist, by ARN.
    pub policies: BTreeMap<String, ActualManagedPolicy>,
    /// Roles that exist, by name. A desired role missing here is created.
    pub roles: BTreeMap<String, ActualRole>,
    pub user: Option<ActualUser>,
    pub github: Option<ActualGithub>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualProvider {
    pub arn: String,
    pub client_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualRole {
    pub name: String,
    /// The decoded trust policy JSON.
    pub trust_json: String,
    pub max_session_duration: u32,
    pub tags: BTreeMap<String, String>,
    /// Inline policy name → decoded JSON.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub managed: BTreeSet<String>,
    /// The permissions boundary's ARN.
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualManagedPolicy {
    pub arn: String,
    /// The default version's decoded JSON.
    pub document: String,
    /// Versions that are not the default, oldest first.
    pub non_default_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualUser {
    pub name: String,
    /// Inline policy name → decoded JSON.
    pub inline: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActualGithub {
    /// Names of the repository's Actions secrets (upper case, as GitHub stores them).
    pub secret_names: BTreeSet<String>,
    pub variables: BTreeMap<String, String>,
    /// What protects each desired tag pattern, by pattern.
    pub tag_protection: BTreeMap<String, ActualTagProtection>,
}

/// The repository's rulesets as they bear on one tag pattern (computed by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActualTagProtection {
    /// The name of an active ruleset that already restricts the pattern to admins.
    pub protected_by: Option<String>,
    /// The id of the ruleset named like the desired one, and why it falls short.
    pub same_name: Option<(u64, String)>,
}
