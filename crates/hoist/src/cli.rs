//! The command line as clap parses it. Nothing here is acted on directly: `commands::run`
//! destructures each struct, so a flag nobody handles is a compile error.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// `hoist --version`: the crate version, the commit and the build date (build.rs).
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("HOIST_BUILD_COMMIT"),
    " ",
    env!("HOIST_BUILD_DATE"),
    ")"
);

/// hoist — deliver containers from GitHub Actions to AWS, without stored keys.
#[derive(Debug, Parser)]
#[command(name = "hoist", version = VERSION, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Path of hoist.toml [env: HOIST_CONFIG] [default: ./hoist.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// AWS profile (an `aws configure sso` profile works) [env: AWS_PROFILE]
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
    /// AWS region; overrides hoist.toml [env: AWS_REGION]
    #[arg(long, global = true)]
    pub(crate) region: Option<String>,
    /// Print one JSON document on stdout instead of human output
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Leave out status lines on stderr (results, warnings and errors stay)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Log what hoist does on stderr: -v info, -vv debug, -vvv trace (HOIST_LOG wins when set)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write a commented hoist.toml with the guide's dev (main) and prod (tags) environments
    Init(InitArgs),
    /// Explain and audit IAM trust policies for GitHub's OIDC tokens
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Create or verify the OIDC provider, the deploy roles and the GitHub secrets (plan unless --apply)
    Bootstrap(BootstrapArgs),
    /// Build images with docker compose and push only what changed (SHA + latest tags)
    Push(PushArgs),
    /// Exchange the job's OIDC token for short-lived AWS credentials
    Credentials(CredentialsArgs),
    /// Deploy the environment's stack, sync its secrets, redeploy ECS and wait until healthy
    Deploy(DeployArgs),
    /// Change a secret hoist syncs: GitHub, Secrets Manager, then the services reading it (plan unless --apply)
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Check every failure the setup guides troubleshoot, with the fix (--fix applies it)
    Doctor(DoctorArgs),
    /// Delete an environment's stack without hanging on VPC Lambda ENIs or SG references
    Teardown(TeardownArgs),
    /// List, rotate or retire the IAM access keys of teams still on keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write the GitHub Actions workflows (and action.yml) that call hoist
    Workflow(WorkflowArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print hoist's man page (roff), for `man -l -` or a man directory
    Man,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The GitHub repository, OWNER/NAME
    #[arg(long)]
    pub(crate) repository: String,
    /// Overwrite an existing hoist.toml
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TrustCommand {
    /// Would this token (or these claims) be allowed to assume the role? Exit 0 allow, 1 deny
    Check(TrustCheckArgs),
    /// Find weaknesses in trust policies (files, or every GitHub-trusting role with --account)
    Audit(TrustAuditArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("policy_source").required(true).args(["policy", "role"]))]
#[command(group = clap::ArgGroup::new("claims_source").required(true).args(["claims", "token", "sub"]))]
pub(crate) struct TrustCheckArgs {
    /// A trust policy JSON file (`-` for stdin)
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Read the live trust policy of this IAM role
    #[arg(long, value_name = "NAME")]
    pub(crate) role: Option<String>,
    /// A JSON file of token claims
    #[arg(long, value_name = "FILE")]
    pub(crate) claims: Option<PathBuf>,
    /// A GitHub OIDC token (JWT); `-` reads it from stdin, `@FILE` from a file
    #[arg(long, value_name = "JWT")]
    pub(crate) token: Option<String>,
    /// Verify the token against this JWKS (URL or file); without it the claims are NOT verified
    #[arg(long, value_name = "URL|FILE", requires = "token")]
    pub(crate) jwks: Option<String>,
    /// The token's sub claim, such as repo:OWNER/REPO:ref:refs/heads/main
    #[arg(long)]
    pub(crate) sub: Option<String>,
    /// The token's aud claim
    #[arg(long, default_value = "sts.amazonaws.com", requires = "sub")]
    pub(crate) aud: String,
    /// Another claim, KEY=VALUE (repeatable)
    #[arg(long = "claim", value_name = "KEY=VALUE", requires = "sub")]
    pub(crate) claims_kv: Vec<String>,
    /// The OIDC provider ARN the request comes from [default: GitHub's provider in the account]
    #[arg(long, value_name = "ARN")]
    pub(crate) provider_arn: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TrustAuditArgs {
    /// Trust policy JSON files
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Audit every role in the account that trusts a GitHub OIDC provider
    #[arg(long)]
    pub(crate) account: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BootstrapArgs {
    /// Make the changes the plan shows
    #[arg(long)]
    pub(crate) apply: bool,
    /// Attach AdministratorAccess instead of the generated least-privilege policy
    #[arg(long)]
    pub(crate) admin: bool,
    /// Also create the ECR guide's IAM user with its inline push policy
    #[arg(long, value_name = "NAME")]
    pub(crate) legacy_ecr_user: Option<String>,
    /// Write GitHub secrets that already exist (their values cannot be read to compare)
    #[arg(long)]
    pub(crate) rewrite_secrets: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PushArgs {
    /// Push an OCI image layout or `docker save` archive instead of building: NAME=PATH
    #[arg(long = "image", value_name = "NAME=PATH")]
    pub(crate) images: Vec<String>,
    /// Only these compose services
    #[arg(long = "service", value_name = "NAME")]
    pub(crate) services: Vec<String>,
    /// Print how each image was compared with the registry's latest
    #[arg(long)]
    pub(crate) explain: bool,
    /// Skip `docker compose build` and push what the engine already has
    #[arg(long)]
    pub(crate) no_build: bool,
    /// Show what the push would do (compared with the registry) and send nothing
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CredentialsArgs {
    /// The environment; chosen from the GitHub event when omitted
    #[arg(long)]
    pub(crate) env: Option<String>,
    /// Act as an AWS credential_process (print the JSON the SDKs expect)
    #[arg(long)]
    pub(crate) credential_process: bool,
    /// Session length in seconds [default: the environment's session_duration]
    #[arg(long)]
    pub(crate) duration: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// The environment; chosen from the GitHub event when omitted
    #[arg(long)]
    pub(crate) env: Option<String>,
    /// Execute the change set (without it, hoist shows the change set and changes nothing)
    #[arg(long)]
    pub(crate) apply: bool,
    /// Do not touch the stack: read its outputs, sync secrets, redeploy and wait
    #[arg(long)]
    pub(crate) skip_stack: bool,
    /// Also write the stack outputs to this JSON file
    #[arg(long, value_name = "FILE")]
    pub(crate) outputs_file: Option<PathBuf>,
    /// Seconds to wait for the stack and services [default: the environment's wait_timeout]
    #[arg(long)]
    pub(crate) wait_timeout: Option<u64>,
    /// The images `hoist push` pushed in this run: its step outputs as one JSON object (the
    /// generated workflow passes `toJSON(steps.push.outputs)`), or `@FILE`. `{image:SERVICE}`
    /// in stack parameters and CDK context becomes `REPOSITORY@sha256:…` from it
    #[arg(long, value_name = "JSON", env = crate::env_vars::HOIST_PUSH_OUTPUTS, hide_env_values = true)]
    pub(crate) pushed: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretCommand {
    /// Rotate a secret: the new value from stdin into the GitHub secret and the stack's secret,
    /// then redeploy the services that read it and wait
    Rotate(SecretRotateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SecretRotateArgs {
    /// The environment whose secret is rotated
    #[arg(long)]
    pub(crate) env: String,
    /// The secret as hoist.toml names it (`env` of [[environments.E.secrets]]), such as LLM_API_KEY;
    /// the new value is read from stdin, never from the command line
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
    /// Make the changes the plan shows
    #[arg(long)]
    pub(crate) apply: bool,
    /// Seconds to wait for the services [default: the environment's wait_timeout]
    #[arg(long)]
    pub(crate) wait_timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Only this environment
    #[arg(long)]
    pub(crate) env: Option<String>,
    /// Show the fixes and apply those hoist can make
    #[arg(long)]
    pub(crate) fix: bool,
    /// Connect to this database for the pgvector check instead of the stack's secret;
    /// `-` reads the URL from stdin, `@FILE` from a file (keeping the password out of argv)
    #[arg(long, value_name = "URL|-|@FILE")]
    pub(crate) database_url: Option<String>,
    /// Trust the database's certificate only if it chains to this PEM bundle (for RDS, its
    /// global bundle, global-bundle.pem from the RDS user guide) [default: the platform's roots]
    #[arg(long, value_name = "FILE", env = "PGSSLROOTCERT")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Also check the access-key age of this IAM user (repeatable)
    #[arg(long = "user", value_name = "NAME")]
    pub(crate) users: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TeardownArgs {
    /// The environment whose stack is deleted
    #[arg(long)]
    pub(crate) env: String,
    /// Delete (without it, hoist shows what would be deleted)
    #[arg(long)]
    pub(crate) apply: bool,
    /// Delete a prod stack without typing its name
    #[arg(long)]
    pub(crate) yes_delete_prod: bool,
    /// Remove the resources an earlier teardown retained, once their ENIs are gone
    #[arg(long)]
    pub(crate) cleanup: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Each access key's age, status and last use
    List(KeysArgs),
    /// New key → GitHub secrets → verified → old key deactivated and deleted
    Rotate(KeysArgs),
    /// Replace the keys with the OIDC image-push role and rewrite the workflow
    Migrate(KeysArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    /// The IAM user
    #[arg(long)]
    pub(crate) user: String,
    /// Make the changes (rotate, migrate)
    #[arg(long)]
    pub(crate) apply: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WorkflowArgs {
    /// Exit 1 when the files on disk differ from what hoist.toml implies; write nothing
    #[arg(long)]
    pub(crate) check: bool,
    /// The repository root to write .github/workflows/ under [default: hoist.toml's directory]
    #[arg(long)]
    pub(crate) dir: Option<PathBuf>,
}
