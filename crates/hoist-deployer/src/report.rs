//! What a deploy did, part by part, filled as it goes: the binary renders it (the human
//! table, `--json`, the job summary), also after a failure.

use std::collections::BTreeMap;

use crate::rollout::Redeployed;
use crate::secrets::Synced;
use crate::stack::StackReport;

/// One deploy's result.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub environment: String,
    pub applied: bool,
    pub stack: Option<StackReport>,
    /// `ran` or `planned`, for a deploy another tool does (`command = …`).
    pub command: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub secrets: Vec<Synced>,
    pub services: Vec<Redeployed>,
}

impl Report {
    /// An empty report for `environment`.
    #[must_use]
    pub fn new(environment: &str, applied: bool) -> Self {
        Self {
            environment: environment.to_owned(),
            applied,
            stack: None,
            command: None,
            outputs: BTreeMap::new(),
            secrets: Vec::new(),
            services: Vec::new(),
        }
    }
}
