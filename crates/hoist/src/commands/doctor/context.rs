//! What the checks share: hoist.toml, the AWS configuration, the account, and each
//! environment's stack (outputs and resources), read once.

use std::collections::BTreeMap;

use hoist_aws::Aws;
use hoist_config::{Config, Environment};

use hoist_aws::cfn::StackResource;

/// An environment's stack as the checks see it.
#[derive(Debug, Clone)]
pub(crate) enum StackState {
    /// The environment names no stack.
    NoStack,
    Missing {
        name: String,
    },
    Found {
        outputs: BTreeMap<String, String>,
        resources: Vec<StackResource>,
    },
    /// Could not be read.
    Error {
        name: String,
        error: String,
    },
}

impl StackState {
    pub(crate) fn output(&self, key: &str) -> Option<&str> {
        match self {
            Self::Found { outputs, .. } => outputs.get(key).map(String::as_str),
            _ => None,
        }
    }

    pub(crate) fn resources(&self) -> &[StackResource] {
        match self {
            Self::Found { resources, .. } => resources,
            _ => &[],
        }
    }
}

pub(crate) struct Ctx<'a> {
    pub(crate) config: &'a Config,
    /// Where the checked environments live (`[aws]`, or the `--env`'s own account/region).
    pub(crate) place: &'a hoist_config::AwsSettings,
    pub(crate) aws: Aws,
    pub(crate) account_id: Option<String>,
    /// `--database-url`, already read (from stdin or a file) and parsed.
    pub(crate) database_url: Option<hoist_db::DatabaseUrl>,
    /// `--ca-file`/`PGSSLROOTCERT`.
    pub(crate) ca_file: Option<std::path::PathBuf>,
    pub(crate) users: Vec<String>,
}

impl Ctx<'_> {
    pub(crate) fn provider_arn(&self) -> Option<String> {
        self.account_id.as_ref().map(|a| {
            format!(
                "arn:aws:iam::{a}:oidc-provider/{}",
                self.config.oidc.provider_host()
            )
        })
    }

    pub(crate) async fn stack(&self, env: &Environment) -> StackState {
        let Some(name) = env.stack.clone() else {
            return StackState::NoStack;
        };
        let cfn = hoist_aws::cfn::Cfn::new(&self.aws);
        match cfn.describe_stack(&name).await {
            Ok(None) => StackState::Missing { name },
            Ok(Some(stack)) => match hoist_aws::cfn::Cfn::new(&self.aws)
                .stack_resources(&name)
                .await
            {
                Ok(resources) => StackState::Found {
                    outputs: stack.outputs,
                    resources,
                },
                Err(e) => StackState::Error {
                    name,
                    error: e.to_string(),
                },
            },
            Err(e) => StackState::Error {
                name,
                error: e.to_string(),
            },
        }
    }
}
