//! From the file as written to a [`Config`]: every rule a value must meet, each failure
//! pointing at the value.

use std::collections::BTreeMap;

use regex::Regex;
use serde_spanned::Spanned;

use crate::ConfigError;
use crate::model::{
    AwsSettings, Config, DeploySource, Environment, Images, LayerCompression, OidcSettings,
    Permissions, Redeploy, Repository, SecretSync, ServiceRef, SubjectFormat, TagMutability, Tier,
    Trigger,
};
use crate::raw::{RawConfig, RawEnvironment, RawImages};

/// Builds the deploy source a key names (`template`, `cdk_out`, `command`) from its value.
type SourceKind = fn(String) -> DeploySource;

const DEFAULT_PROVIDER_URL: &str = "https://token.actions.githubusercontent.com";
const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

/// Shared by every check: the text and file name errors point into.
struct Ctx<'a> {
    text: &'a str,
    file: &'a str,
}

impl Ctx<'_> {
    fn err<T>(&self, span: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        ConfigError::at(self.text, self.file, span.span().start, message)
    }
}

pub(crate) fn validate(raw: RawConfig, text: &str, file: &str) -> Result<Config, ConfigError> {
    let cx = Ctx { text, file };
    let workflow = crate::workflow::validate(&raw.workflow, text, file)?;
    let mut repository = repository(&cx, &raw.repository)?;
    let aws = aws(&cx, &raw.aws)?;
    let oidc = oidc(&cx, &raw.oidc)?;

    let github = &raw.github;
    if let Some(id) = &github.owner_id {
        repository.owner_id = Some(positive_id(&cx, id, "owner_id")?);
    }
    if let Some(id) = &github.repository_id {
        repository.repository_id = Some(positive_id(&cx, id, "repository_id")?);
    }
    let subject_format = match &github.subject_format {
        None => SubjectFormat::Name,
        Some(s) => match s.get_ref().as_str() {
            "name" => SubjectFormat::Name,
            "id" => {
                if repository.owner_id.is_none() || repository.repository_id.is_none() {
                    return Err(cx
                        .err(s, "subject_format = \"id\" needs the numeric ids of the owner and the repository")
                        .expected("owner_id = <number> and repository_id = <number> in [github] (`gh api repos/OWNER/NAME --jq '.owner.id, .id'` prints them)"));
                }
                SubjectFormat::Id
            }
            other => {
                return Err(cx
                    .err(s, format!("unknown subject_format {other:?}"))
                    .expected("\"name\" (repo:OWNER/REPO:…) or \"id\" (repo:OWNER@OWNER_ID/REPO@REPO_ID:…)"));
            }
        },
    };
    let mut variables = BTreeMap::new();
    for (name, value) in &github.variables {
        check_env_name(&cx, name, "GitHub variable name")?;
        variables.insert(name.get_ref().clone(), value.clone());
    }

    let bootstrap = &raw.bootstrap;
    let permissions = match &bootstrap.permissions {
        None => Permissions::LeastPrivilege,
        Some(p) => match p.get_ref().as_str() {
            "least-privilege" => Permissions::LeastPrivilege,
            "admin" => Permissions::Admin,
            other => {
                return Err(cx
                    .err(p, format!("unknown permissions {other:?}"))
                    .expected("\"least-privilege\" or \"admin\""));
            }
        },
    };
    let max_session_duration = match &bootstrap.max_session_duration {
        None => 3600,
        Some(d) => session_seconds(&cx, d, "max_session_duration")?,
    };
    let legacy_ecr_user = match &bootstrap.legacy_ecr_user {
        None => None,
        Some(u) => Some(iam_name(&cx, u, "IAM user name")?),
    };

    if raw.environments.get_ref().is_empty() {
        return Err(cx
            .err(&raw.environments, "no environments are defined")
            .expected("at least one [environments.NAME] table, such as [environments.dev] with branch = \"main\""));
    }
    let mut environments = Vec::new();
    for (name, env) in raw.environments.get_ref() {
        environments.push(environment(&cx, name, env, max_session_duration, &aws)?);
    }
    // The file's order, not the map's: people read the plan in the order they wrote it.
    environments.sort_by_key(|e| {
        raw.environments
            .get_ref()
            .keys()
            .find(|k| k.get_ref() == &e.name)
            .map_or(0, |k| k.span().start)
    });
    unique_across_environments(&cx, &raw, &environments)?;

    let images = match &raw.images {
        None => None,
        Some(i) => Some(images(&cx, i.get_ref())?),
    };
    image_references(&cx, &raw, images.as_ref())?;
    if let Some(role) = images.as_ref().and_then(|i| i.push_role.as_ref())
        && environments.iter().any(|e| &e.role == role)
    {
        let span = raw
            .images
            .as_ref()
            .and_then(|i| i.get_ref().push_role.as_ref());
        let span = span.expect("push_role was parsed from the file");
        return Err(cx
            .err(
                span,
                format!("push_role {role:?} is also an environment's deploy role"),
            )
            .expected("a role of its own, such as \"GitHubActionsEcrPush\""));
    }
    let access_key_max_age_days = match &raw.doctor.access_key_max_age_days {
        None => 90,
        Some(d) => u32::try_from(*d.get_ref())
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| {
                cx.err(d, "access_key_max_age_days out of range")
                    .expected("a number of days from 1 to 3650")
            })?,
    };

    Ok(Config {
        repository,
        aws,
        oidc,
        subject_format,
        variables,
        permissions,
        max_session_duration,
        legacy_ecr_user,
        environments,
        images,
        access_key_max_age_days,
        workflow,
    })
}

fn repository(cx: &Ctx<'_>, raw: &Spanned<String>) -> Result<Repository, ConfigError> {
    let expected = "\"OWNER/NAME\", such as \"arshargithub/HindsightRoboMemSetup\" (owner: letters, digits and single hyphens, at most 39; name: letters, digits, '.', '-', '_', at most 100)";
    let value = raw.get_ref();
    let Some((owner, name)) = value.split_once('/') else {
        return Err(cx
            .err(
                raw,
                format!("invalid repository {value:?}: no '/' between owner and name"),
            )
            .expected(expected));
    };
    let owner_ok = !owner.is_empty()
        && owner.len() <= 39
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--");
    let name_ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && name != "."
        && name != "..";
    if !owner_ok {
        return Err(cx
            .err(raw, format!("invalid repository owner {owner:?}"))
            .expected(expected));
    }
    if !name_ok {
        return Err(cx
            .err(raw, format!("invalid repository name {name:?}"))
            .expected(expected));
    }
    Ok(Repository {
        owner: owner.to_owned(),
        name: name.to_owned(),
        owner_id: None,
        repository_id: None,
    })
}

/// An AWS region code: `^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$` ("ca-central-1",
/// "us-gov-west-1", "us-isob-east-1"), checked by hand: compiling that regex costs more than
/// the rest of loading hoist.toml, and every command loads it.
pub(crate) fn is_region_code(s: &str) -> bool {
    let letters = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
    };
    let partition = |p: &str| {
        p == "gov"
            || p == "iso"
            || (p.len() == 4 && p.starts_with("iso") && letters(&p[3..], 1..=1))
    };
    let parts: Vec<&str> = s.split('-').collect();
    let (area, partition_ok, place, number) = match parts.as_slice() {
        [area, place, number] => (area, true, place, number),
        [area, part, place, number] => (area, partition(part), place, number),
        _ => return false,
    };
    letters(area, 2..=2)
        && partition_ok
        && letters(place, 1..=usize::MAX)
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// CDK's default bootstrap qualifier.
const DEFAULT_CDK_QUALIFIER: &str = "hnb659fds";

fn region(cx: &Ctx<'_>, raw: &Spanned<String>) -> Result<String, ConfigError> {
    let region = raw.get_ref();
    if !is_region_code(region) {
        return Err(cx
            .err(raw, format!("invalid AWS region {region:?}"))
            .expected("a region code such as \"ca-central-1\" or \"us-east-1\""));
    }
    Ok(region.clone())
}

fn account_id(cx: &Ctx<'_>, raw: &Spanned<String>) -> Result<String, ConfigError> {
    let v = raw.get_ref();
    if v.len() != 12 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(cx
            .err(raw, format!("invalid AWS account id {v:?}"))
            .expected("12 digits, as a string: account_id = \"123456789012\""));
    }
    Ok(v.clone())
}

/// `[aws]` with an environment's own `account_id`, `region` and `profile` where it sets them.
fn environment_aws(
    cx: &Ctx<'_>,
    env: &RawEnvironment,
    default: &AwsSettings,
) -> Result<AwsSettings, ConfigError> {
    let mut aws = default.clone();
    if let Some(a) = &env.account_id {
        aws.account_id = Some(account_id(cx, a)?);
    }
    if let Some(r) = &env.region {
        aws.region = region(cx, r)?;
    }
    if let Some(p) = &env.profile {
        aws.profile = Some(p.clone());
    }
    Ok(aws)
}

/// A CloudFormation output key: letters and digits (the logical-id rule), at most 255.
fn output_key(cx: &Ctx<'_>, raw: &Spanned<String>) -> Result<String, ConfigError> {
    let v = raw.get_ref();
    if v.is_empty() || v.len() > 255 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(cx
            .err(raw, format!("invalid stack output name {v:?}"))
            .expected("an output key: letters and digits, such as \"ServiceUrl\""));
    }
    Ok(v.clone())
}

fn aws(cx: &Ctx<'_>, raw: &Spanned<crate::raw::RawAws>) -> Result<AwsSettings, ConfigError> {
    let raw = raw.get_ref();
    let region = region(cx, &raw.region)?;
    let account_id = raw
        .account_id
        .as_ref()
        .map(|a| account_id(cx, a))
        .transpose()?;
    let cdk_qualifier = match &raw.cdk_qualifier {
        None => DEFAULT_CDK_QUALIFIER.to_owned(),
        Some(q) => {
            let v = q.get_ref();
            // CDK: "an alphanumeric identifier of at most 10 characters".
            if v.is_empty() || v.len() > 10 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(cx
                    .err(q, format!("invalid CDK qualifier {v:?}"))
                    .expected("at most 10 letters or digits, as given to cdk bootstrap --qualifier (default \"hnb659fds\")"));
            }
            v.clone()
        }
    };
    Ok(AwsSettings {
        region,
        account_id,
        profile: raw.profile.clone(),
        cdk_qualifier,
    })
}

fn oidc(cx: &Ctx<'_>, raw: &crate::raw::RawOidc) -> Result<OidcSettings, ConfigError> {
    let provider_url = match &raw.provider_url {
        None => DEFAULT_PROVIDER_URL.to_owned(),
        Some(u) => {
            let v = u.get_ref().trim_end_matches('/');
            let host = v.strip_prefix("https://").unwrap_or("");
            if host.is_empty() || host.contains(' ') || host.contains('?') || host.contains('#') {
                return Err(cx
                    .err(u, format!("invalid OIDC provider URL {v:?}"))
                    .expected(
                        "an https URL such as \"https://token.actions.githubusercontent.com\"",
                    ));
            }
            v.to_owned()
        }
    };
    let audience = match &raw.audience {
        None => DEFAULT_AUDIENCE.to_owned(),
        Some(a) if a.get_ref().trim().is_empty() || a.get_ref().contains('*') => {
            return Err(cx.err(a, "the audience must be one exact value").expected(
                "\"sts.amazonaws.com\", the audience configure-aws-credentials and hoist request",
            ));
        }
        Some(a) => a.get_ref().clone(),
    };
    Ok(OidcSettings {
        provider_url,
        audience,
    })
}

fn environment(
    cx: &Ctx<'_>,
    name: &Spanned<String>,
    raw: &Spanned<RawEnvironment>,
    max_session_duration: u32,
    default_aws: &AwsSettings,
) -> Result<Environment, ConfigError> {
    let env_name = name.get_ref();
    if env_name.is_empty()
        || env_name.len() > 64
        || !env_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(cx
            .err(name, format!("invalid environment name {env_name:?}"))
            .expected("letters, digits, '-' and '_', at most 64, such as dev or prod"));
    }
    let env = raw.get_ref();
    let tier = match &env.tier {
        None if matches!(env_name.as_str(), "prod" | "production") => Tier::Prod,
        None => Tier::Dev,
        Some(t) => match t.get_ref().as_str() {
            "dev" => Tier::Dev,
            "prod" => Tier::Prod,
            other => {
                return Err(cx
                    .err(t, format!("unknown tier {other:?}"))
                    .expected("\"dev\" or \"prod\""));
            }
        },
    };
    let trigger = trigger(cx, env_name, raw, tier)?;
    let role = iam_name(cx, &env.role, "IAM role name")?;

    let stack = match &env.stack {
        None => None,
        Some(s) => {
            let v = s.get_ref();
            let ok = v.len() <= 128
                && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(cx
                    .err(s, format!("invalid stack name {v:?}"))
                    .expected("a letter, then letters, digits and '-', at most 128, such as \"HindsightDevStack\""));
            }
            Some(v.clone())
        }
    };
    let sources: Vec<(&Spanned<String>, SourceKind)> = [
        env.template
            .as_ref()
            .map(|s| (s, DeploySource::Template as SourceKind)),
        env.cdk_out
            .as_ref()
            .map(|s| (s, DeploySource::CdkOut as SourceKind)),
        env.cdk_app
            .as_ref()
            .map(|s| (s, DeploySource::CdkApp as SourceKind)),
        env.command
            .as_ref()
            .map(|s| (s, DeploySource::Command as SourceKind)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if sources.len() > 1 {
        return Err(cx
            .err(
                sources[1].0,
                format!("environment {env_name:?} names more than one way to deploy"),
            )
            .expected("exactly one of template, cdk_out, cdk_app or command"));
    }
    let deploy = sources.first().map(|(s, make)| make(s.get_ref().clone()));
    if deploy.is_some() && stack.is_none() {
        return Err(cx
            .err(
                raw,
                format!("environment {env_name:?} deploys but names no stack"),
            )
            .expected("stack = \"NAME\": the CloudFormation stack whose outputs hoist reads"));
    }

    let mut secrets = Vec::new();
    for s in &env.secrets {
        let s = s.get_ref();
        check_env_name(cx, &s.env, "environment variable name")?;
        if s.output.get_ref().is_empty() {
            return Err(cx
                .err(&s.output, "empty output name")
                .expected("a stack output key such as \"LlmSecretArn\""));
        }
        if let Some(p) = &s.pattern
            && let Err(e) = Regex::new(p.get_ref())
        {
            return Err(cx
                .err(p, format!("invalid pattern: {e}"))
                .expected("a regular expression the whole value must match"));
        }
        secrets.push(SecretSync {
            env: s.env.get_ref().clone(),
            output: s.output.get_ref().clone(),
            pattern: s.pattern.as_ref().map(|p| p.get_ref().clone()),
        });
    }
    let services = env
        .services
        .iter()
        .map(|s| ServiceRef {
            cluster_output: s.get_ref().cluster_output.clone(),
            service_output: s.get_ref().service_output.clone(),
        })
        .collect();
    let redeploy = match &env.redeploy {
        None => Redeploy::OnSecretChange,
        Some(r) => match r.get_ref().as_str() {
            "on-secret-change" => Redeploy::OnSecretChange,
            "always" => Redeploy::Always,
            "never" => Redeploy::Never,
            other => {
                return Err(cx
                    .err(r, format!("unknown redeploy {other:?}"))
                    .expected("\"on-secret-change\", \"always\" or \"never\""));
            }
        },
    };
    let session_duration = match &env.session_duration {
        None => 3600.min(max_session_duration),
        Some(d) => {
            let v = session_seconds(cx, d, "session_duration")?;
            if v > max_session_duration {
                return Err(cx
                    .err(d, format!("session_duration {v} is longer than the role allows ({max_session_duration} s)"))
                    .expected("at most [bootstrap] max_session_duration; raise that first"));
            }
            v
        }
    };
    let wait_timeout = match &env.wait_timeout {
        None => 1800,
        Some(w) => u64::try_from(*w.get_ref())
            .ok()
            .filter(|w| (1..=86_400).contains(w))
            .ok_or_else(|| {
                cx.err(w, "wait_timeout out of range")
                    .expected("seconds from 1 to 86400")
            })?,
    };
    Ok(Environment {
        name: env_name.clone(),
        tier,
        trigger,
        role,
        stack,
        deploy,
        parameters: env
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.get_ref().clone()))
            .collect(),
        secrets,
        services,
        redeploy,
        session_duration,
        wait_timeout,
        database_url_output: env.database_url_output.clone(),
        url_output: env
            .url_output
            .as_ref()
            .map(|o| output_key(cx, o))
            .transpose()?,
        aws: environment_aws(cx, env, default_aws)?,
    })
}

fn trigger(
    cx: &Ctx<'_>,
    env_name: &str,
    raw: &Spanned<RawEnvironment>,
    tier: Tier,
) -> Result<Trigger, ConfigError> {
    let env = raw.get_ref();
    let given: Vec<&Spanned<String>> = [&env.branch, &env.tag, &env.github_environment]
        .into_iter()
        .flatten()
        .collect();
    let expected = "exactly one of branch = \"main\", tag = \"*\" or github_environment = \"NAME\"";
    match given.len() {
        0 => {
            return Err(cx
                .err(raw, format!("environment {env_name:?} has no trigger"))
                .expected(expected));
        }
        1 => {}
        _ => {
            return Err(cx
                .err(
                    given[1],
                    format!("environment {env_name:?} has more than one trigger"),
                )
                .expected(expected));
        }
    }
    if let Some(b) = &env.branch {
        let v = b.get_ref();
        if tier == Tier::Prod {
            return Err(cx
                .err(b, format!("prod environment {env_name:?} is triggered by branch {v:?}: a prod role must trust release tags, not a branch"))
                .expected("tag = \"*\" (or a pattern such as \"v*\"), or github_environment = \"NAME\" with protection rules; or tier = \"dev\" if this is not prod"));
        }
        if v.contains('*') || v.contains('?') {
            return Err(cx
                .err(
                    b,
                    format!("branch {v:?} is a pattern: a deploy role should trust one branch"),
                )
                .expected("one branch name, such as \"main\""));
        }
        if !valid_ref_part(v) {
            return Err(cx
                .err(b, format!("invalid branch name {v:?}"))
                .expected("a git branch name such as \"main\" (no spaces, '..', '~', '^', ':')"));
        }
        return Ok(Trigger::Branch(v.clone()));
    }
    if let Some(t) = &env.tag {
        let v = t.get_ref();
        if !valid_ref_part(&v.replace(['*', '?'], "x")) {
            return Err(cx
                .err(t, format!("invalid tag pattern {v:?}"))
                .expected("a tag pattern such as \"*\" or \"v*\""));
        }
        return Ok(Trigger::Tag(v.clone()));
    }
    let e = env
        .github_environment
        .as_ref()
        .expect("one trigger is present");
    let v = e.get_ref();
    if v.is_empty() || v.len() > 255 || v.contains(['*', '?', ':']) {
        return Err(cx
            .err(e, format!("invalid GitHub environment name {v:?}"))
            .expected("the exact name of a GitHub environment, such as \"production\""));
    }
    Ok(Trigger::GithubEnvironment(v.clone()))
}

/// Rules of `git check-ref-format` that matter for a branch or tag name.
fn valid_ref_part(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with(['/', '.', '-'])
        && !v.ends_with(['/', '.'])
        && !v.ends_with(".lock")
        && !v.contains("..")
        && !v.contains("//")
        && !v.contains("@{")
        && !v
            .chars()
            .any(|c| c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '\\' | '['))
}

fn iam_name(cx: &Ctx<'_>, raw: &Spanned<String>, what: &str) -> Result<String, ConfigError> {
    let v = raw.get_ref();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(v.clone())
    } else {
        Err(cx
            .err(raw, format!("invalid {what} {v:?}"))
            .expected("1 to 64 of letters, digits and + = , . @ _ -, such as \"GitHubActionsHindsightDev\" (a name, not an ARN)"))
    }
}

fn check_env_name(cx: &Ctx<'_>, raw: &Spanned<String>, what: &str) -> Result<(), ConfigError> {
    let v = raw.get_ref();
    let ok = v
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !v.starts_with("GITHUB_");
    if ok {
        Ok(())
    } else {
        Err(cx.err(raw, format!("invalid {what} {v:?}")).expected("upper-case letters, digits and '_', not starting with a digit or GITHUB_, such as LLM_API_KEY"))
    }
}

fn session_seconds(cx: &Ctx<'_>, raw: &Spanned<i64>, what: &str) -> Result<u32, ConfigError> {
    u32::try_from(*raw.get_ref())
        .ok()
        .filter(|v| (900..=43_200).contains(v))
        .ok_or_else(|| {
            cx.err(raw, format!("{what} {} is out of range", raw.get_ref()))
                .expected("seconds from 900 (15 minutes) to 43200 (12 hours), as IAM allows")
        })
}

fn positive_id(cx: &Ctx<'_>, raw: &Spanned<i64>, what: &str) -> Result<u64, ConfigError> {
    u64::try_from(*raw.get_ref())
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            cx.err(raw, format!("invalid {what}"))
                .expected("the positive number GitHub's API reports")
        })
}

fn unique_across_environments(
    cx: &Ctx<'_>,
    raw: &RawConfig,
    envs: &[Environment],
) -> Result<(), ConfigError> {
    for (i, a) in envs.iter().enumerate() {
        for b in &envs[..i] {
            let span = || {
                raw.environments
                    .get_ref()
                    .iter()
                    .find(|(k, _)| k.get_ref() == &a.name)
                    .map(|(_, v)| v)
                    .expect("env came from the file")
            };
            if a.role == b.role {
                return Err(cx
                    .err(
                        &span().get_ref().role,
                        format!(
                            "environments {:?} and {:?} share the role {:?}",
                            b.name, a.name, a.role
                        ),
                    )
                    .expected(
                        "one role per environment, so dev tokens can never assume the prod role",
                    ));
            }
            if a.trigger == b.trigger {
                return Err(cx
                    .err(span(), format!("environments {:?} and {:?} have the same trigger ({})", b.name, a.name, a.trigger))
                    .expected("a distinct trigger per environment, so each GitHub event picks one environment"));
            }
        }
    }
    Ok(())
}

/// `{image:SERVICE}` in stack parameters: well formed, and naming an image hoist pushes (the
/// deploy resolves it to the digest `hoist push` pushed in the same run).
fn image_references(
    cx: &Ctx<'_>,
    raw: &RawConfig,
    images: Option<&Images>,
) -> Result<(), ConfigError> {
    use hoist_deploy::image_refs::references;
    for (env_name, env) in raw.environments.get_ref() {
        for (key, value) in &env.get_ref().parameters {
            let place = format!("parameter {key} of environment {}", env_name.get_ref());
            let services = references(&place, value.get_ref()).map_err(|e| {
                cx.err(value, e.to_string())
                    .expected("{image:SERVICE}, SERVICE a compose service that [images] pushes")
            })?;
            let Some(first) = services.first() else {
                continue;
            };
            let Some(images) = images else {
                return Err(cx
                    .err(value, format!("{place} references {{image:{first}}}, but hoist.toml has no [images] table, so no image is pushed"))
                    .expected("an [images] table naming the compose file, or a literal image reference"));
            };
            if let Some(listed) = &images.services
                && let Some(missing) = services.iter().find(|s| !listed.iter().any(|l| l == *s))
            {
                return Err(cx
                    .err(value, format!("{place} references {{image:{missing}}}, but [images] services does not list {missing:?}"))
                    .expected(format!("one of the services [images] pushes: {}", listed.join(", "))));
            }
        }
    }
    Ok(())
}

fn images(cx: &Ctx<'_>, raw: &RawImages) -> Result<Images, ConfigError> {
    let repository = match &raw.repository {
        None => "{service}".to_owned(),
        Some(r) => {
            let v = r.get_ref();
            let sample = v.replace("{service}", "svc");
            let ok = v.contains("{service}")
                && sample.len() <= 256
                && sample.split('/').all(|part| {
                    !part.is_empty()
                        && part.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)
                        })
                        && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                });
            if !ok {
                return Err(cx
                    .err(r, format!("invalid repository naming rule {v:?}"))
                    .expected("lower-case path parts with {service}, such as \"{service}\" or \"hindsight/{service}\""));
            }
            v.clone()
        }
    };
    let tags = match &raw.tags {
        None => vec!["{sha}".to_owned(), "latest".to_owned()],
        Some(tags) => {
            let mut out = Vec::new();
            for t in tags {
                let sample = t.get_ref().replace("{sha}", "abc1234");
                let ok = !sample.is_empty()
                    && sample.len() <= 128
                    && sample
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                    && !sample.starts_with(['.', '-']);
                if !ok {
                    return Err(cx
                        .err(t, format!("invalid tag {:?}", t.get_ref()))
                        .expected("letters, digits, '.', '_', '-' (at most 128), or {sha}"));
                }
                out.push(t.get_ref().clone());
            }
            out
        }
    };
    let tag_mutability = match &raw.tag_mutability {
        None => TagMutability::Mutable,
        Some(m) => match m.get_ref().as_str() {
            "MUTABLE" => TagMutability::Mutable,
            "IMMUTABLE" => TagMutability::Immutable,
            other => {
                return Err(cx
                    .err(m, format!("unknown tag_mutability {other:?}"))
                    .expected("\"MUTABLE\" or \"IMMUTABLE\""));
            }
        },
    };
    if tag_mutability == TagMutability::Immutable && tags.iter().any(|t| !t.contains("{sha}")) {
        let span = raw.tag_mutability.as_ref().expect("set above");
        return Err(cx
            .err(
                span,
                "IMMUTABLE repositories reject moving a fixed tag such as \"latest\" on every push",
            )
            .expected("tag_mutability = \"MUTABLE\", or tags = [\"{sha}\"] only"));
    }
    let keep_sha_tags = match &raw.keep_sha_tags {
        None => 30,
        Some(k) => u32::try_from(*k.get_ref())
            .ok()
            .filter(|k| (1..=10_000).contains(k))
            .ok_or_else(|| {
                cx.err(k, "keep_sha_tags out of range")
                    .expected("a count from 1 to 10000")
            })?,
    };
    let services = match &raw.services {
        None => None,
        Some(list) => {
            let mut out = Vec::new();
            for s in list {
                if s.get_ref().is_empty() {
                    return Err(cx
                        .err(s, "empty service name")
                        .expected("a service of the compose file"));
                }
                out.push(s.get_ref().clone());
            }
            Some(out)
        }
    };
    let push_role = match &raw.push_role {
        None => None,
        Some(r) => Some(iam_name(cx, r, "IAM role name")?),
    };
    let push_branch = match &raw.push_branch {
        None => "main".to_owned(),
        Some(b) if valid_ref_part(b.get_ref()) && !b.get_ref().contains('*') => b.get_ref().clone(),
        Some(b) => {
            return Err(cx
                .err(b, format!("invalid branch name {:?}", b.get_ref()))
                .expected("one branch name, such as \"main\""));
        }
    };
    let compression = match &raw.compression {
        None => LayerCompression::Gzip,
        Some(c) => match c.get_ref().as_str() {
            "gzip" => LayerCompression::Gzip,
            "zstd" => LayerCompression::Zstd,
            "none" => LayerCompression::None,
            other => {
                return Err(cx
                    .err(c, format!("unknown compression {other:?}"))
                    .expected("\"gzip\" (the default), \"zstd\" or \"none\""));
            }
        },
    };
    let platform = match &raw.platform {
        None => None,
        Some(p) if is_platform(p.get_ref()) => Some(p.get_ref().clone()),
        Some(p) => {
            return Err(cx
                .err(p, format!("invalid platform {:?}", p.get_ref()))
                .expected("os/arch[/variant], such as \"linux/arm64\" or \"linux/arm/v7\""));
        }
    };
    Ok(Images {
        compose_file: raw
            .compose_file
            .clone()
            .unwrap_or_else(|| "docker-compose.yml".to_owned()),
        services,
        repository,
        tags,
        registry: raw.registry.clone(),
        scan_on_push: raw.scan_on_push.unwrap_or(true),
        tag_mutability,
        keep_sha_tags,
        push_role,
        push_branch,
        compression,
        platform,
    })
}

/// `os/arch[/variant]`: two or three non-empty parts of letters, digits, `.`, `_`, `-`.
fn is_platform(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
}

#[cfg(test)]
mod tests {
    use super::{is_platform, is_region_code};

    #[test]
    fn platforms() {
        for ok in [
            "linux/amd64",
            "linux/arm64",
            "linux/arm/v7",
            "linux/arm64/v8",
            "windows/amd64",
        ] {
            assert!(is_platform(ok), "{ok}");
        }
        for bad in [
            "",
            "linux",
            "linux/",
            "/arm64",
            "linux/arm/v7/x",
            "linux/arm 64",
            "linux//v7",
        ] {
            assert!(!is_platform(bad), "{bad}");
        }
    }
    use proptest::prelude::*;

    const REGION: &str = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$";

    #[test]
    fn region_codes() {
        for ok in [
            "ca-central-1",
            "us-east-1",
            "ap-southeast-10",
            "us-gov-west-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-gov-1",
        ] {
            assert!(is_region_code(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "us-east-",
            "US-east-1",
            "usa-east-1",
            "us-east-100",
            "us-isobb-east-1",
            "us-gov-x-west-1",
            "us-east-1a",
            "us--1",
        ] {
            assert!(!is_region_code(bad), "{bad}");
        }
    }

    proptest! {
        /// The hand-written check accepts exactly what the documented pattern accepts.
        #[test]
        fn region_check_matches_the_pattern(s in "([a-zA-Z]{1,3}(-(gov|iso|isob|isoxy|x))?-[a-z]{0,4}-[0-9]{0,3})|[a-z0-9-]{0,12}") {
            let re = regex::Regex::new(REGION).unwrap();
            prop_assert_eq!(is_region_code(&s), re.is_match(&s), "{}", s);
        }
    }
}
