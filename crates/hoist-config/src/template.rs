//! The commented hoist.toml that `hoist init` writes: the guide's two environments.

/// A hoist.toml for `repository` (`owner/name`) in `region`, with dev deploying from `main`
/// and prod from release tags, as the OIDC guide sets them up.
#[must_use]
pub fn init_template(repository: &str, region: &str) -> String {
    let name = repository.split('/').nth(1).unwrap_or(repository);
    let camel: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next()
                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!(
        r#"# hoist.toml — how this repository deploys from GitHub Actions to AWS.
# Docs: `hoist --help`. Every field below is checked by `hoist bootstrap` before any AWS call.

# The GitHub repository whose workflows may deploy (OWNER/NAME).
repository = "{repository}"

[aws]
region = "{region}"
# account_id = "123456789012"   # optional: hoist reads it from STS when absent
# profile = "hindsight-sso"     # optional: an `aws configure sso` profile for bootstrap
# cdk_qualifier = "hnb659fds"   # optional: the qualifier given to `cdk bootstrap --qualifier`

[github]
# Repositories created from 2026-07-15 put immutable ids in the token's sub
# (repo:OWNER@OWNER_ID/REPO@REPO_ID:…). Set subject_format = "id" and both ids for those.
# subject_format = "name"
# owner_id = 0
# repository_id = 0
variables = {{ AWS_REGION = "{region}" }}

[bootstrap]
# "least-privilege" attaches a generated policy limited to what a deploy does;
# "admin" attaches AdministratorAccess (the guide's quick option) and warns.
permissions = "least-privilege"
max_session_duration = 3600

# Dev: pushes to main assume this role (sub = repo:{repository}:ref:refs/heads/main).
[environments.dev]
branch = "main"
role = "GitHubActions{camel}Dev"
# stack = "{camel}DevStack"
# cdk_app = "cdk"              # the folder with cdk.json (or template = "stack.yaml")
# url_output = "ServiceUrl"    # the stack output recorded as the GitHub deployment's URL
# [[environments.dev.secrets]]
# env = "LLM_API_KEY"          # read from this environment variable, never from argv
# output = "LlmSecretArn"      # the stack output holding the secret's ARN
# pattern = "^\\S{{20,}}$"

# Prod: only release tags assume this role (sub = repo:{repository}:ref:refs/tags/*).
[environments.prod]
tag = "*"
role = "GitHubActions{camel}Prod"
# stack = "{camel}ProdStack"
# account_id = "210987654321"  # optional: prod in an account of its own…
# profile = "{name}-prod"       # …reached with its own profile (bootstrap plans per account)

# [images]
# compose_file = "docker-compose.yml"
# tags = ["{{sha}}", "latest"]
# push_role = "GitHubActions{camel}EcrPush"
"#
    )
}
