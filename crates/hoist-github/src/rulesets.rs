//! Repository rulesets (`/repos/{owner}/{repo}/rulesets`) and deployment environments
//! (`/repos/{owner}/{repo}/environments/{name}`): what keeps "prod only from releases" true on
//! GitHub's side. A prod role trusting `ref:refs/tags/PATTERN` is only as strong as who may
//! push such a tag; one trusting `environment:NAME` only as strong as that environment's
//! reviewers and deployment branch/tag policy.
//!
//! Shapes follow GitHub's REST reference (API version 2022-11-28): a ruleset has `target`
//! (`branch`, `tag`, `push`), `enforcement` (`active`, `evaluate`, `disabled`),
//! `conditions.ref_name.{include,exclude}` (`refs/tags/…`, `~ALL`), `rules` (each a `type`,
//! such as `creation`, `update`, `deletion`) and `bypass_actors` (`actor_type` with
//! `actor_id`, `bypass_mode`). The built-in repository roles have ids 1 read, 2 triage,
//! 3 write, 4 maintain, 5 admin.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::GithubClient;
use crate::client::next_link;
use crate::error::{GithubError, Permission};
use crate::repo::RepoRef;

/// The repository role id GitHub gives the built-in admin role.
pub const ADMIN_ROLE_ID: u64 = 5;

/// The rules that stop a tag from being created, moved or deleted.
pub const TAG_RULES: [&str; 3] = ["creation", "update", "deletion"];

/// Who may bypass a ruleset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BypassActor {
    /// Role, team or app id (absent for `OrganizationAdmin` on some answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<u64>,
    /// `RepositoryRole`, `OrganizationAdmin`, `Team`, `Integration`, `DeployKey`.
    pub actor_type: String,
    /// `always` or `pull_request`.
    #[serde(default = "always")]
    pub bypass_mode: String,
}

fn always() -> String {
    "always".to_owned()
}

/// `conditions.ref_name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefNameCondition {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `conditions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    #[serde(default)]
    pub ref_name: RefNameCondition,
}

/// One rule; only its type matters to hoist (tag rules carry no parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(rename = "type")]
    pub kind: String,
}

/// A ruleset as `GET …/rulesets/{id}` returns it (and as `POST` sends it, without `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruleset {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub name: String,
    pub target: String,
    pub enforcement: String,
    #[serde(default)]
    pub bypass_actors: Vec<BypassActor>,
    #[serde(default)]
    pub conditions: Conditions,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A list entry of `GET …/rulesets` (no rules or conditions there).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RulesetSummary {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub enforcement: Option<String>,
}

impl Ruleset {
    /// The ruleset hoist creates for prod tags `pattern`: tag creation, update and deletion
    /// restricted on `refs/tags/PATTERN`, bypassed only by repository admins (release
    /// automation runs as an admin's token or an app added by the admins).
    #[must_use]
    pub fn for_release_tags(name: &str, pattern: &str) -> Self {
        Ruleset {
            id: None,
            name: name.to_owned(),
            target: "tag".to_owned(),
            enforcement: "active".to_owned(),
            bypass_actors: vec![BypassActor {
                actor_id: Some(ADMIN_ROLE_ID),
                actor_type: "RepositoryRole".to_owned(),
                bypass_mode: "always".to_owned(),
            }],
            conditions: Conditions {
                ref_name: RefNameCondition {
                    include: vec![format!("refs/tags/{pattern}")],
                    exclude: Vec::new(),
                },
            },
            rules: TAG_RULES
                .iter()
                .map(|k| Rule {
                    kind: (*k).to_owned(),
                })
                .collect(),
        }
    }

    /// Why this ruleset does not restrict tags `pattern` to admins, or `None` when it does:
    /// active, on tags, including `refs/tags/PATTERN` (or `~ALL`) without excluding it, with
    /// the creation, update and deletion rules, bypassed by nobody below admin.
    #[must_use]
    pub fn tag_protection_gap(&self, pattern: &str) -> Option<String> {
        let wanted = format!("refs/tags/{pattern}");
        if self.target != "tag" {
            return Some(format!("targets {}, not tags", self.target));
        }
        if self.enforcement != "active" {
            return Some(format!("enforcement is {}, not active", self.enforcement));
        }
        let rc = &self.conditions.ref_name;
        if !rc.include.iter().any(|i| i == &wanted || i == "~ALL") {
            return Some(format!("does not include {wanted}"));
        }
        if rc.exclude.iter().any(|e| e == &wanted || e == "~ALL") {
            return Some(format!("excludes {wanted}"));
        }
        let missing: Vec<&str> = TAG_RULES
            .iter()
            .copied()
            .filter(|k| !self.rules.iter().any(|r| r.kind == *k))
            .collect();
        if !missing.is_empty() {
            return Some(format!("lacks the {} rule(s)", missing.join(", ")));
        }
        let weak: Vec<String> = self
            .bypass_actors
            .iter()
            .filter(|a| {
                a.actor_type == "RepositoryRole" && a.actor_id.is_some_and(|id| id < ADMIN_ROLE_ID)
            })
            .map(|a| format!("repository role {}", a.actor_id.unwrap_or_default()))
            .collect();
        if !weak.is_empty() {
            return Some(format!("lets {} bypass it", weak.join(", ")));
        }
        None
    }
}

/// An environment's protection, from `GET …/environments/{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentProtection {
    pub name: String,
    /// Number of required reviewers (users and teams).
    pub reviewers: usize,
    /// `deployment_branch_policy`: `None` when any branch or tag may deploy.
    pub branch_policy: Option<BranchPolicy>,
}

/// `deployment_branch_policy`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BranchPolicy {
    pub protected_branches: bool,
    pub custom_branch_policies: bool,
}

/// One custom deployment branch or tag policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentRefPolicy {
    pub name: String,
    /// `branch` or `tag`.
    #[serde(rename = "type", default = "branch")]
    pub kind: String,
}

fn branch() -> String {
    "branch".to_owned()
}

impl GithubClient {
    /// `GET /repos/{o}/{r}/rulesets`, every page (GitHub answers a bare array).
    pub async fn list_rulesets(
        &self,
        owner_repo: &str,
    ) -> Result<Vec<RulesetSummary>, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let mut next = Some(format!(
            "{}{}/rulesets?per_page=100",
            self.api_url(),
            repo.path()
        ));
        let mut out = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            let answer = self
                .send(Method::GET, &url, Permission::Administration, &repo, None)
                .await?;
            let page: Vec<RulesetSummary> = Self::decode("GET", &url, &answer.body)?;
            let empty = page.is_empty();
            out.extend(page);
            if !empty && pages < 100 {
                next = next_link(&answer.headers).filter(|l| l.starts_with(self.api_url()));
            }
        }
        Ok(out)
    }

    /// `GET /repos/{o}/{r}/rulesets/{id}`.
    pub async fn get_ruleset(&self, owner_repo: &str, id: u64) -> Result<Ruleset, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/rulesets/{id}", repo.path());
        self.get_json(&path, Permission::Administration, &repo)
            .await
    }

    /// Every ruleset of the repository, in full.
    pub async fn rulesets(&self, owner_repo: &str) -> Result<Vec<Ruleset>, GithubError> {
        let mut out = Vec::new();
        for s in self.list_rulesets(owner_repo).await? {
            out.push(self.get_ruleset(owner_repo, s.id).await?);
        }
        Ok(out)
    }

    /// `POST /repos/{o}/{r}/rulesets`, or `PUT …/rulesets/{id}` when `id` is given.
    pub async fn put_ruleset(
        &self,
        owner_repo: &str,
        id: Option<u64>,
        ruleset: &Ruleset,
    ) -> Result<Ruleset, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let mut body = serde_json::to_value(ruleset).unwrap_or(Value::Null);
        if let Some(obj) = body.as_object_mut() {
            obj.remove("id");
        }
        let (method, path, name) = match id {
            Some(id) => (Method::PUT, format!("{}/rulesets/{id}", repo.path()), "PUT"),
            None => (Method::POST, format!("{}/rulesets", repo.path()), "POST"),
        };
        let answer = self
            .send(
                method,
                &path,
                Permission::Administration,
                &repo,
                Some(&body),
            )
            .await?;
        Self::decode(name, &format!("{}{path}", self.api_url()), &answer.body)
    }

    /// `GET /repos/{o}/{r}/environments/{name}`; `None` when it does not exist.
    pub async fn environment(
        &self,
        owner_repo: &str,
        name: &str,
    ) -> Result<Option<EnvironmentProtection>, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/environments/{name}", repo.path());
        let v: Value = match self
            .get_json(&path, Permission::Administration, &repo)
            .await
        {
            Ok(v) => v,
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        };
        let reviewers = v
            .get("protection_rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("required_reviewers"))
            .filter_map(|r| r.get("reviewers").and_then(Value::as_array))
            .map(Vec::len)
            .sum();
        let branch_policy = v
            .get("deployment_branch_policy")
            .filter(|p| !p.is_null())
            .and_then(|p| serde_json::from_value(p.clone()).ok());
        Ok(Some(EnvironmentProtection {
            name: name.to_owned(),
            reviewers,
            branch_policy,
        }))
    }

    /// `GET /repos/{o}/{r}/environments/{env}/deployment-branch-policies` (first 100).
    pub async fn deployment_ref_policies(
        &self,
        owner_repo: &str,
        environment: &str,
    ) -> Result<Vec<DeploymentRefPolicy>, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!(
            "{}/environments/{environment}/deployment-branch-policies?per_page=100",
            repo.path()
        );
        let v: Value = self
            .get_json(&path, Permission::Administration, &repo)
            .await?;
        serde_json::from_value(v.get("branch_policies").cloned().unwrap_or(Value::Null)).map_err(
            |source| GithubError::Decode {
                method: "GET",
                url: format!("{}{path}", self.api_url()),
                source,
            },
        )
    }
}
