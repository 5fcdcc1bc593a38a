//! The plan model: resources with an action, the diffs that justify it, and the operations
//! that carry it out.

use serde::Serialize;

use crate::diff::Diff;

/// What applying the plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The resource does not exist and will be created.
    Create,
    /// The resource exists and differs from what it should be.
    Update,
    /// The resource exists as it should; nothing is sent.
    Unchanged,
    /// The resource exists and will be removed.
    Delete,
}

impl Action {
    /// `create`, `update`, `unchanged` or `delete`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Unchanged => "unchanged",
            Self::Delete => "delete",
        }
    }

    /// The one-character marker of the human rendering.
    #[must_use]
    pub fn marker(self) -> char {
        match self {
            Self::Create => '+',
            Self::Update => '~',
            Self::Unchanged => '=',
            Self::Delete => '-',
        }
    }
}

/// One resource of a plan. `ops` are the calls that make it as desired, in order; they are
/// empty exactly when the action is [`Action::Unchanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource<Op> {
    /// Such as `oidc-provider`, `iam-role`, `role-policy`, `github-secret`.
    pub kind: &'static str,
    /// The resource's name (role name, `role/policy`, secret name, …).
    pub name: String,
    pub action: Action,
    /// Why the action: the fields that differ (or, for a create, the content).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<Diff>,
    /// Facts worth reading next to the action (such as rules for secrets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip)]
    pub ops: Vec<Op>,
}

impl<Op> Resource<Op> {
    /// An unchanged resource.
    #[must_use]
    pub fn unchanged(kind: &'static str, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            action: Action::Unchanged,
            diffs: Vec::new(),
            notes: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// A resource with `action`, diffs and operations.
    #[must_use]
    pub fn changed(
        kind: &'static str,
        name: impl Into<String>,
        action: Action,
        diffs: Vec<Diff>,
        ops: Vec<Op>,
    ) -> Self {
        Self {
            kind,
            name: name.into(),
            action,
            diffs,
            notes: Vec::new(),
            ops,
        }
    }

    /// Adds a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub delete: usize,
}

impl Summary {
    /// Resources that will change.
    #[must_use]
    pub fn changes(&self) -> usize {
        self.create + self.update + self.delete
    }
}

/// A whole plan: the resources in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan<Op> {
    pub resources: Vec<Resource<Op>>,
}

impl<Op> Default for Plan<Op> {
    fn default() -> Self {
        Self {
            resources: Vec::new(),
        }
    }
}

impl<Op> Plan<Op> {
    /// How many resources get each action.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.resources {
            match r.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Unchanged => s.unchanged += 1,
                Action::Delete => s.delete += 1,
            }
        }
        s
    }

    /// Whether applying would change nothing.
    #[must_use]
    pub fn is_converged(&self) -> bool {
        self.resources.iter().all(|r| r.action == Action::Unchanged)
    }

    /// Every operation, in order.
    pub fn operations(&self) -> impl Iterator<Item = &Op> {
        self.resources.iter().flat_map(|r| r.ops.iter())
    }

    /// `{"resources": [...], "summary": {...}}` for `--json` (operations are not included).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value
    where
        Op: Serialize,
    {
        serde_json::json!({
            "resources": self.resources,
            "summary": self.summary(),
        })
    }
}
