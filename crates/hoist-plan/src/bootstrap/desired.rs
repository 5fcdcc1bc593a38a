//! What bootstrap wants to exist, derived from hoist.toml by the caller.

use std::collections::BTreeMap;

use hoist_policy::PolicyDocument;

/// Everything bootstrap manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub provider: DesiredProvider,
    /// Customer managed policies (permissions boundaries), created before the roles using them.
    pub policies: Vec<DesiredManagedPolicy>,
    /// Deploy roles then the image-push role, in the order they are applied.
    pub roles: Vec<DesiredRole>,
    pub user: Option<DesiredUser>,
    /// `None` when no GitHub token is available (the caller prints `gh` commands instead).
    pub github: Option<DesiredGithub>,
}

/// The IAM OIDC identity provider for GitHub Actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredProvider {
    /// `arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com`.
    pub arn: String,
    /// `https://token.actions.githubusercontent.com`.
    pub url: String,
    /// `sts.amazonaws.com`: must be in the provider's client id list.
    pub audience: String,
}

/// How a role gets its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolePermissions {
    /// An inline policy with this name and document.
    Inline {
        name: String,
        document: PolicyDocument,
    },
    /// A managed policy attached by ARN (`AdministratorAccess`).
    Managed { arn: String },
}

/// One IAM role GitHub Actions assumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRole {
    pub name: String,
    /// What the role is for, shown in the plan (`environment dev (tier dev)`).
    pub purpose: String,
    pub description: String,
    pub trust: PolicyDocument,
    pub max_session_duration: u32,
    /// Tags that must carry these values.
    pub tags: BTreeMap<String, String>,
    pub permissions: RolePermissions,
    /// Inline policy names hoist owns on this role: removed when present but not desired.
    pub owned_inline: Vec<String>,
    /// Managed policy ARNs hoist owns on this role: detached when attached but not desired.
    pub owned_managed: Vec<String>,
    /// The permissions boundary the role must carry, if any.
    pub permissions_boundary: Option<String>,
}

/// A customer managed policy bootstrap owns (such as a permissions boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredManagedPolicy {
    pub name: String,
    /// `arn:PARTITION:iam::ACCOUNT:policy/NAME`.
    pub arn: String,
    pub description: String,
    /// What it is for, shown in the plan.
    pub purpose: String,
    pub document: PolicyDocument,
}

/// The ECR guide's IAM user with its inline policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredUser {
    pub name: String,
    pub policy_name: String,
    pub policy: PolicyDocument,
}

/// GitHub Actions secrets and variables of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredGithub {
    /// `owner/name`, for messages.
    pub repository: String,
    /// Secret name → value. Values are never rendered in the plan, only their description.
    pub secrets: BTreeMap<String, DesiredSecret>,
    pub variables: BTreeMap<String, String>,
    /// Write secrets that already exist (their values cannot be read to compare).
    pub rewrite_secrets: bool,
    /// Tag rulesets that keep tag-triggered prod to releases.
    pub tag_rulesets: Vec<DesiredTagRuleset>,
}

/// A repository ruleset restricting creation, update and deletion of tags `pattern` to
/// administrators (prod trusts `ref:refs/tags/PATTERN`: whoever may push such a tag may
/// deploy prod).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTagRuleset {
    pub name: String,
    /// The trigger's tag pattern (`*`, `v*`).
    pub pattern: String,
    /// The environment it protects, for the plan.
    pub environment: String,
}

impl DesiredTagRuleset {
    /// The ruleset hoist creates for the prod tags `pattern` (doctor looks for the same name).
    #[must_use]
    pub fn name_for(pattern: &str) -> String {
        format!("hoist: prod release tags {pattern}")
    }
}

/// A GitHub secret's value and what the plan says instead of showing it.
#[derive(Clone, PartialEq, Eq)]
pub struct DesiredSecret {
    pub value: String,
    /// Such as `the ARN of role GitHubActionsHindsightDev`.
    pub description: String,
}

impl std::fmt::Debug for DesiredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredSecret")
            .field("value", &"<redacted>")
            .field("description", &self.description)
            .finish()
    }
}
