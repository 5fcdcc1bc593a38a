//! GitHub's OIDC claim set for a given workflow trigger.
//!
//! Shapes follow GitHub's "OIDC token claims" reference: ids and counters are JSON strings,
//! `nbf` is 10 minutes before `iat`, `exp` 5 minutes after it, and the default subject is
//! `repo:OWNER/REPO:` followed by the context: `environment:NAME` when the job has an
//! environment, else `pull_request` for pull requests, else `ref:REF`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    /// `repo:OWNER/REPO:{context}` (GitHub's default template).
    Default,
    /// `repository_owner_id:ID:repository_id:ID:{context}` (a customized template using the
    /// immutable ids plus `context`).
    IdBased,
    /// Exactly this string.
    Custom(String),
}

/// Builds the claims of one Actions job's token. Start from a trigger, then adjust.
///
/// ```no_run
/// use hoist_testkit::github::ClaimsBuilder;
/// let c = ClaimsBuilder::push_branch("octo-org/octo-repo", "main").environment("dev");
/// assert_eq!(c.subject(), "repo:octo-org/octo-repo:environment:dev");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimsBuilder {
    repository: String,
    git_ref: String,
    ref_type: String,
    event_name: String,
    environment: Option<String>,
    head_ref: String,
    base_ref: String,
    repository_id: String,
    repository_owner_id: String,
    subject: Subject,
    aud: Value,
    iss: Option<String>,
    now: Option<i64>,
    iat_offset: i64,
    nbf_offset: Option<i64>,
    exp_offset: Option<i64>,
    extra: Map<String, Value>,
    removed: Vec<String>,
}

fn epoch_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl ClaimsBuilder {
    fn base(repository: &str, git_ref: String, ref_type: &str, event_name: &str) -> Self {
        assert!(
            repository.split('/').count() == 2,
            "repository must be OWNER/NAME, got {repository:?}"
        );
        ClaimsBuilder {
            repository: repository.to_owned(),
            git_ref,
            ref_type: ref_type.to_owned(),
            event_name: event_name.to_owned(),
            environment: None,
            head_ref: String::new(),
            base_ref: String::new(),
            repository_id: "100000001".to_owned(),
            repository_owner_id: "200000001".to_owned(),
            subject: Subject::Default,
            aud: json!("sts.amazonaws.com"),
            iss: None,
            now: None,
            iat_offset: 0,
            nbf_offset: None,
            exp_offset: None,
            extra: Map::new(),
            removed: Vec::new(),
        }
    }

    /// A `push` to `branch`: `ref` = `refs/heads/BRANCH`.
    pub fn push_branch(repository: &str, branch: &str) -> Self {
        Self::base(repository, format!("refs/heads/{branch}"), "branch", "push")
    }

    /// A `push` of tag `tag`: `ref` = `refs/tags/TAG`, `ref_type` = `tag`.
    pub fn tag(repository: &str, tag: &str) -> Self {
        Self::base(repository, format!("refs/tags/{tag}"), "tag", "push")
    }

    /// A published `release` of tag `tag` (how the guide triggers prod deploys).
    pub fn release(repository: &str, tag: &str) -> Self {
        Self::base(repository, format!("refs/tags/{tag}"), "tag", "release")
    }

    /// A `pull_request` #`number` from `head_ref` into `base_ref`: `ref` =
    /// `refs/pull/N/merge`, subject `repo:OWNER/REPO:pull_request`.
    pub fn pull_request(repository: &str, number: u64, head_ref: &str, base_ref: &str) -> Self {
        let mut b = Self::base(
            repository,
            format!("refs/pull/{number}/merge"),
            "branch",
            "pull_request",
        );
        b.head_ref = head_ref.to_owned();
        b.base_ref = base_ref.to_owned();
        b
    }

    /// A manual `workflow_dispatch` run on `branch`.
    pub fn workflow_dispatch(repository: &str, branch: &str) -> Self {
        Self::base(
            repository,
            format!("refs/heads/{branch}"),
            "branch",
            "workflow_dispatch",
        )
    }

    /// The job runs in environment `name`: sets `environment` and the subject context.
    pub fn environment(mut self, name: &str) -> Self {
        self.environment = Some(name.to_owned());
        self
    }

    /// Sets the immutable numeric ids (`repository_owner_id`, `repository_id`).
    pub fn ids(mut self, owner_id: u64, repo_id: u64) -> Self {
        self.repository_owner_id = owner_id.to_string();
        self.repository_id = repo_id.to_string();
        self
    }

    /// Sets the ids and switches the subject to the id-based template
    /// `repository_owner_id:O:repository_id:R:{context}`.
    pub fn id_based_subject(mut self, owner_id: u64, repo_id: u64) -> Self {
        self = self.ids(owner_id, repo_id);
        self.subject = Subject::IdBased;
        self
    }

    /// Sets `sub` to exactly `sub`.
    pub fn custom_subject(mut self, sub: &str) -> Self {
        self.subject = Subject::Custom(sub.to_owned());
        self
    }

    /// Sets `aud` (default `sts.amazonaws.com`).
    pub fn aud(mut self, aud: &str) -> Self {
        self.aud = json!(aud);
        self
    }

    /// Sets `aud` to a list.
    pub fn aud_list(mut self, aud: &[&str]) -> Self {
        self.aud = json!(aud);
        self
    }

    /// Sets `iss` (default: the minting issuer's).
    pub fn iss(mut self, iss: &str) -> Self {
        self.iss = Some(iss.to_owned());
        self
    }

    /// Fixes the clock used for `iat`/`nbf`/`exp` (default: system time at minting).
    pub fn now(mut self, epoch_secs: i64) -> Self {
        self.now = Some(epoch_secs);
        self
    }

    /// `exp` = now + `secs` (default: iat + 300). Negative values make an expired token.
    pub fn exp_offset(mut self, secs: i64) -> Self {
        self.exp_offset = Some(secs);
        self
    }

    /// `nbf` = now + `secs` (default: iat - 600). Positive values make a not-yet-valid token.
    pub fn nbf_offset(mut self, secs: i64) -> Self {
        self.nbf_offset = Some(secs);
        self
    }

    /// `iat` = now + `secs` (default 0).
    pub fn iat_offset(mut self, secs: i64) -> Self {
        self.iat_offset = secs;
        self
    }

    /// Sets (or overrides) any claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.removed.retain(|r| r != name);
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// Leaves a claim out of the token.
    pub fn without(mut self, name: &str) -> Self {
        self.extra.remove(name);
        self.removed.push(name.to_owned());
        self
    }

    fn owner(&self) -> &str {
        self.repository.split('/').next().unwrap_or_default()
    }

    fn context(&self) -> String {
        if let Some(env) = &self.environment {
            format!("environment:{env}")
        } else if self.event_name == "pull_request" {
            "pull_request".to_owned()
        } else {
            format!("ref:{}", self.git_ref)
        }
    }

    /// The `sub` the token will carry.
    pub fn subject(&self) -> String {
        match &self.subject {
            Subject::Default => format!("repo:{}:{}", self.repository, self.context()),
            Subject::IdBased => format!(
                "repository_owner_id:{}:repository_id:{}:{}",
                self.repository_owner_id,
                self.repository_id,
                self.context()
            ),
            Subject::Custom(sub) => sub.clone(),
        }
    }

    /// The audience currently set (used by the Actions endpoint to override it).
    pub(crate) fn with_aud_value(mut self, aud: Value) -> Self {
        self.aud = aud;
        self
    }

    /// The full claim set, with `iss` defaulting to `default_iss`.
    pub fn build(&self, default_iss: &str) -> Map<String, Value> {
        let now = self.now.unwrap_or_else(epoch_now);
        let iat = now + self.iat_offset;
        let nbf = self.nbf_offset.map_or(iat - 600, |o| now + o);
        let exp = self.exp_offset.map_or(iat + 300, |o| now + o);
        let repo_name = self.repository.split('/').nth(1).unwrap_or_default();
        let workflow_path = format!("{}/.github/workflows/deploy.yml", self.repository);
        let sha = "9f2b6c0d1e3a4b5c6d7e8f90a1b2c3d4e5f60718";
        let mut claims = json!({
            "jti": format!("{:032x}", rand::random::<u128>()),
            "sub": self.subject(),
            "aud": self.aud,
            "ref": self.git_ref,
            "sha": sha,
            "repository": self.repository,
            "repository_owner": self.owner(),
            "repository_owner_id": self.repository_owner_id,
            "run_id": "8123456789",
            "run_number": "42",
            "run_attempt": "1",
            "repository_visibility": "private",
            "repository_id": self.repository_id,
            "actor_id": "5000001",
            "actor": "octocat",
            "workflow": "deploy",
            "head_ref": self.head_ref,
            "base_ref": self.base_ref,
            "event_name": self.event_name,
            "ref_protected": if self.ref_type == "branch" && self.event_name != "pull_request" { "true" } else { "false" },
            "ref_type": self.ref_type,
            "workflow_ref": format!("{workflow_path}@{}", self.git_ref),
            "workflow_sha": sha,
            "job_workflow_ref": format!("{workflow_path}@{}", self.git_ref),
            "job_workflow_sha": sha,
            "runner_environment": "github-hosted",
            "iss": self.iss.as_deref().unwrap_or(default_iss),
            "nbf": nbf,
            "exp": exp,
            "iat": iat,
        });
        let map = claims.as_object_mut().expect("object");
        if let Some(env) = &self.environment {
            map.insert("environment".into(), json!(env));
            map.insert(
                "environment_node_id".into(),
                json!(format!("EN_kwDO{}{}", repo_name.len(), env.len())),
            );
        }
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        for k in &self.removed {
            map.remove(k);
        }
        map.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_per_trigger() {
        let r = "octo-org/octo-repo";
        assert_eq!(
            ClaimsBuilder::push_branch(r, "main").subject(),
            "repo:octo-org/octo-repo:ref:refs/heads/main"
        );
        assert_eq!(
            ClaimsBuilder::tag(r, "v1.2.0").subject(),
            "repo:octo-org/octo-repo:ref:refs/tags/v1.2.0"
        );
        assert_eq!(
            ClaimsBuilder::pull_request(r, 7, "feat", "main").subject(),
            "repo:octo-org/octo-repo:pull_request"
        );
        assert_eq!(
            ClaimsBuilder::workflow_dispatch(r, "main")
                .environment("prod")
                .subject(),
            "repo:octo-org/octo-repo:environment:prod"
        );
        assert_eq!(
            ClaimsBuilder::push_branch(r, "main")
                .id_based_subject(65, 74)
                .subject(),
            "repository_owner_id:65:repository_id:74:ref:refs/heads/main"
        );
    }

    #[test]
    fn claim_shapes() {
        let c = ClaimsBuilder::pull_request("o/r", 7, "feat", "main")
            .now(1_000_000)
            .claim("custom", "x")
            .without("actor")
            .build("https://issuer.test");
        assert_eq!(c["ref"], "refs/pull/7/merge");
        assert_eq!(c["event_name"], "pull_request");
        assert_eq!(c["head_ref"], "feat");
        assert_eq!(c["iat"], 1_000_000);
        assert_eq!(c["nbf"], 1_000_000 - 600);
        assert_eq!(c["exp"], 1_000_000 + 300);
        assert_eq!(c["iss"], "https://issuer.test");
        assert_eq!(c["aud"], "sts.amazonaws.com");
        assert!(c["repository_id"].is_string());
        assert_eq!(c["custom"], "x");
        assert!(!c.contains_key("actor"));
        assert!(!c.contains_key("environment"));
    }
}
