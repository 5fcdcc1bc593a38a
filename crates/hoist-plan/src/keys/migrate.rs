//! `hoist keys migrate`: the images workflow onto the OIDC push role, then the key secrets
//! and the keys deleted.

use std::collections::BTreeSet;

use super::{AccessKey, KEY_ID_SECRET, KEY_SECRET_SECRET, KeysPlan, Op, retire};
use crate::{Action, Diff, Resource};

/// The images workflow: what is on disk and what hoist generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowFile {
    pub path: String,
    /// `None` when the file does not exist.
    pub current: Option<String>,
    pub desired: String,
}

/// What migrate reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateInput {
    pub user: String,
    pub repository: String,
    pub push_role: String,
    pub workflow: WorkflowFile,
    /// The repository's secret names; `None` when they could not be read (no GitHub token):
    /// both key secrets are then planned for deletion, and deleting one that is absent is a
    /// no-op.
    pub secrets: Option<BTreeSet<String>>,
    pub keys: Vec<AccessKey>,
    /// Seconds since the epoch (for ages in notes).
    pub now: i64,
}

/// The migration plan, in the order it is safe to apply: the workflow first (commit it before
/// the keys go), then the secrets, then the keys.
#[must_use]
pub fn migrate(input: &MigrateInput) -> KeysPlan {
    let wf = &input.workflow;
    let write = || Op::WriteWorkflow {
        path: wf.path.clone(),
        text: wf.desired.clone(),
    };
    let note = format!("assumes {} through OIDC", input.push_role);
    let workflow = match &wf.current {
        Some(current) if *current == wf.desired => {
            Resource::unchanged("workflow-file", wf.path.clone()).note(note)
        }
        Some(current) => Resource::changed(
            "workflow-file",
            wf.path.clone(),
            Action::Update,
            vec![Diff::new(
                "content",
                Some(current.clone()),
                Some(wf.desired.clone()),
            )],
            vec![write()],
        )
        .note(note),
        None => Resource::changed(
            "workflow-file",
            wf.path.clone(),
            Action::Create,
            Vec::new(),
            vec![write()],
        )
        .note(note),
    };
    let mut resources = vec![workflow];
    for name in [KEY_ID_SECRET, KEY_SECRET_SECRET] {
        let present = input.secrets.as_ref().map(|s| s.contains(name));
        let delete = || {
            Resource::changed(
                "github-secret",
                name,
                Action::Delete,
                Vec::new(),
                vec![Op::DeleteGithubSecret {
                    repository: input.repository.clone(),
                    name: name.to_owned(),
                }],
            )
        };
        resources.push(match present {
            Some(true) => delete(),
            Some(false) => Resource::unchanged("github-secret", name).note("absent"),
            None => delete().note("not checked (GITHUB_TOKEN is not set): deleted if present"),
        });
    }
    resources.extend(input.keys.iter().map(|k| retire(&input.user, k, input.now)));
    KeysPlan { resources }
}
