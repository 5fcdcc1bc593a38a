//! Every environment variable hoist reads, declared once with what it means.
//! (The AWS SDK reads its own: `AWS_ENDPOINT_URL`, `AWS_PROFILE`, `AWS_REGION`, credentials.)

/// Path of hoist.toml when `--config` is not given.
pub(crate) const HOIST_CONFIG: &str = "HOIST_CONFIG";
/// A log level (`debug`, `trace`, …): hoist's own diagnostic events on stderr.
pub(crate) const HOIST_LOG: &str = "HOIST_LOG";
/// Registry URL that replaces ECR's (tests, or registries other than ECR).
pub(crate) const HOIST_REGISTRY: &str = "HOIST_REGISTRY";
/// Where ECR's registry is reached instead of the endpoint `ecr:GetAuthorizationToken` names
/// (a proxy in front of ECR; tests: a local registry). The registry stays ECR: its token is
/// sent there and repositories are managed through ECR's API.
pub(crate) const HOIST_ECR_REGISTRY_URL: &str = "HOIST_ECR_REGISTRY_URL";
/// What `hoist push` pushed in this run (its step outputs as JSON), read by `hoist deploy`
/// for `{image:SERVICE}` (the `--pushed` flag's variable).
pub(crate) const HOIST_PUSH_OUTPUTS: &str = "HOIST_PUSH_OUTPUTS";
/// The GitHub user running the workflow (the user of ghcr.io's credentials).
pub(crate) const GITHUB_ACTOR: &str = "GITHUB_ACTOR";
/// The AWS account of the deploy roles when hoist.toml has no `account_id` (a repository
/// variable; STS cannot tell it before credentials exist).
pub(crate) const AWS_ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";
/// Token for the GitHub REST API (secrets, variables, repository ids).
pub(crate) const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// The GitHub REST API base URL (`https://api.github.com`, or GHES, or a test fixture).
pub(crate) const GITHUB_API_URL: &str = "GITHUB_API_URL";
/// `true` inside GitHub Actions.
pub(crate) const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// The repository checkout's path on the runner (annotations name files relative to it).
pub(crate) const GITHUB_WORKSPACE: &str = "GITHUB_WORKSPACE";
/// File that step outputs are appended to.
pub(crate) const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
/// File that environment variables for later steps are appended to.
pub(crate) const GITHUB_ENV: &str = "GITHUB_ENV";
/// File that the job summary (markdown) is appended to.
pub(crate) const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
/// push, release, workflow_dispatch, pull_request, …
pub(crate) const GITHUB_EVENT_NAME: &str = "GITHUB_EVENT_NAME";
/// Path of the event payload JSON.
pub(crate) const GITHUB_EVENT_PATH: &str = "GITHUB_EVENT_PATH";
/// `refs/heads/main`, `refs/tags/v1`, …
pub(crate) const GITHUB_REF: &str = "GITHUB_REF";
/// The commit being built.
pub(crate) const GITHUB_SHA: &str = "GITHUB_SHA";
/// `owner/name` of the repository running the workflow.
pub(crate) const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// `https://github.com` (or the GHES host): with the repository and run id, the run's page.
pub(crate) const GITHUB_SERVER_URL: &str = "GITHUB_SERVER_URL";
/// The workflow run's id, used in session names.
pub(crate) const GITHUB_RUN_ID: &str = "GITHUB_RUN_ID";
/// The Actions runtime's ID-token endpoint (needs `permissions: id-token: write`).
pub(crate) const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// Bearer token for `ACTIONS_ID_TOKEN_REQUEST_URL`.
pub(crate) const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// The platform Docker builds services without `platform:` for (compose reads it; hoist
/// compares an index's manifest for it when `[images] platform` is not set).
pub(crate) const DOCKER_DEFAULT_PLATFORM: &str = hoist_docker::DOCKER_DEFAULT_PLATFORM;

/// The AWS SDK's profile (read by the SDK itself; hoist names it in sign-in hints).
pub(crate) const AWS_PROFILE: &str = "AWS_PROFILE";
/// The AWS SDK's endpoint override (read by the SDK itself; hoist names it in hints).
pub(crate) const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";

/// The value of `name`, if set and not empty.
pub(crate) fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where `hoist push` sends images, as the environment and `[images]` say: `HOIST_REGISTRY`
/// (else `[images] registry`), `HOIST_ECR_REGISTRY_URL`, and `GITHUB_TOKEN` for ghcr.io.
pub(crate) fn push_target(images: &hoist_config::Images) -> hoist_push::Target {
    hoist_push::Target {
        registry: get(HOIST_REGISTRY).or_else(|| images.registry.clone()),
        ecr_registry_url: get(HOIST_ECR_REGISTRY_URL),
        github: get(GITHUB_TOKEN).map(|token| hoist_push::GithubToken {
            token,
            actor: get(GITHUB_ACTOR),
        }),
    }
}
