//! The file as written: serde structures that reject unknown keys and wrong types. Values that
//! need checks beyond their type keep their span so the error can point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub repository: S<String>,
    pub aws: S<RawAws>,
    #[serde(default)]
    pub github: RawGithub,
    #[serde(default)]
    pub oidc: RawOidc,
    #[serde(default)]
    pub bootstrap: RawBootstrap,
    pub environments: S<BTreeMap<S<String>, S<RawEnvironment>>>,
    pub images: Option<S<RawImages>>,
    #[serde(default)]
    pub doctor: RawDoctor,
    #[serde(default)]
    pub workflow: crate::workflow::RawWorkflow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAws {
    pub region: S<String>,
    pub account_id: Option<S<String>>,
    pub profile: Option<String>,
    pub cdk_qualifier: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGithub {
    pub subject_format: Option<S<String>>,
    pub owner_id: Option<S<i64>>,
    pub repository_id: Option<S<i64>>,
    #[serde(default)]
    pub variables: BTreeMap<S<String>, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOidc {
    pub provider_url: Option<S<String>>,
    pub audience: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBootstrap {
    pub permissions: Option<S<String>>,
    pub max_session_duration: Option<S<i64>>,
    pub legacy_ecr_user: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnvironment {
    pub tier: Option<S<String>>,
    pub branch: Option<S<String>>,
    pub tag: Option<S<String>>,
    pub github_environment: Option<S<String>>,
    pub role: S<String>,
    pub stack: Option<S<String>>,
    pub template: Option<S<String>>,
    pub cdk_out: Option<S<String>>,
    pub cdk_app: Option<S<String>>,
    pub command: Option<S<String>>,
    #[serde(default)]
    pub parameters: BTreeMap<String, S<String>>,
    #[serde(default)]
    pub secrets: Vec<S<RawSecret>>,
    #[serde(default)]
    pub services: Vec<S<RawService>>,
    pub redeploy: Option<S<String>>,
    pub session_duration: Option<S<i64>>,
    pub wait_timeout: Option<S<i64>>,
    pub database_url_output: Option<String>,
    pub url_output: Option<S<String>>,
    pub account_id: Option<S<String>>,
    pub region: Option<S<String>>,
    pub profile: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSecret {
    pub env: S<String>,
    pub output: S<String>,
    pub pattern: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub cluster_output: String,
    pub service_output: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawImages {
    pub compose_file: Option<String>,
    pub services: Option<Vec<S<String>>>,
    pub repository: Option<S<String>>,
    pub tags: Option<Vec<S<String>>>,
    pub registry: Option<String>,
    pub scan_on_push: Option<bool>,
    pub tag_mutability: Option<S<String>>,
    pub keep_sha_tags: Option<S<i64>>,
    pub push_role: Option<S<String>>,
    pub push_branch: Option<S<String>>,
    pub compression: Option<S<String>>,
    pub platform: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDoctor {
    pub access_key_max_age_days: Option<S<i64>>,
}
