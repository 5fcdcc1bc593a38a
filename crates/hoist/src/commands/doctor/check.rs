//! A check's typed result: status, evidence, and the fix `--fix` pattern-matches on.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Ok,
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Skip => "skip",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// What would repair a failed check. `--fix` applies the variants hoist can make; the others
/// carry the exact command for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fix {
    /// Add `audience` to the provider's client ids (`AddClientIDToOpenIDConnectProvider`).
    AddProviderAudience {
        provider_arn: String,
        audience: String,
    },
    /// Replace the role's trust policy with the one hoist.toml implies.
    UpdateTrust { role: String, document: String },
    /// Write the value of local environment variable `env` into the secret, then force a new
    /// deployment of each `(cluster, service)` so its tasks read it.
    PutSecret {
        secret_id: String,
        env: String,
        redeploy: Vec<(String, String)>,
    },
    /// Allow TCP `port` into `group_id` from `source_group_id`.
    AuthorizeIngress {
        group_id: String,
        port: i32,
        source_group_id: String,
    },
    /// `CREATE EXTENSION IF NOT EXISTS vector` on the database.
    CreateVectorExtension {
        database_url: Box<hoist_db::DatabaseUrl>,
    },
    /// Only a person can do this: the command(s) to run.
    Manual(String),
}

impl Fix {
    /// Whether `--fix` can apply it.
    pub(crate) fn automatic(&self) -> bool {
        !matches!(self, Self::Manual(_))
    }

    /// The fix in words, with the equivalent command.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::AddProviderAudience {
                provider_arn,
                audience,
            } => format!(
                "add audience {audience}: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {provider_arn} --client-id {audience}`"
            ),
            Self::UpdateTrust { role, .. } => {
                format!(
                    "write the trust policy hoist.toml implies: `hoist bootstrap --apply` (or `aws iam update-assume-role-policy --role-name {role} --policy-document file://trust.json`)"
                )
            }
            Self::PutSecret {
                secret_id,
                env,
                redeploy,
            } => {
                let mut text = format!(
                    "store ${env} in it: `aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string \"${env}\"` (or `hoist deploy --skip-stack` with {env} set)"
                );
                for (cluster, service) in redeploy {
                    text.push_str(&format!(", then `aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment`"));
                }
                text
            }
            Self::AuthorizeIngress {
                group_id,
                port,
                source_group_id,
            } => format!(
                "`aws ec2 authorize-security-group-ingress --group-id {group_id} --protocol tcp --port {port} --source-group {source_group_id}`"
            ),
            Self::CreateVectorExtension { .. } => {
                "connect to the database and run `CREATE EXTENSION IF NOT EXISTS vector;`"
                    .to_owned()
            }
            Self::Manual(cmd) => cmd.clone(),
        }
    }
}

/// One named check's result.
#[derive(Debug, Clone)]
pub(crate) struct CheckResult {
    /// `oidc-provider`, `dev/role-trust`, …
    pub(crate) name: String,
    pub(crate) status: Status,
    /// One line: what was found.
    pub(crate) summary: String,
    /// What was looked at, exactly (ids, counts, a diff).
    pub(crate) evidence: Vec<String>,
    pub(crate) fix: Option<Fix>,
}

impl CheckResult {
    pub(crate) fn new(name: impl Into<String>, status: Status, summary: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            fix: None,
        }
    }
    pub(crate) fn ok(name: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, summary)
    }
    pub(crate) fn fail(name: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, summary)
    }
    pub(crate) fn warn(name: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(name, Status::Warn, summary)
    }
    pub(crate) fn skip(name: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(name, Status::Skip, summary)
    }
    pub(crate) fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }
    pub(crate) fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "status": self.status.label(),
            "summary": self.summary,
            "evidence": self.evidence,
            "fix": self.fix.as_ref().map(|f| json!({"description": f.describe(), "automatic": f.automatic()})),
        })
    }
}
