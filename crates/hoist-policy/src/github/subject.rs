//! GitHub Actions OIDC subject (`sub`) claims: parsing and building.
//!
//! Shapes (GitHub Docs, "OpenID Connect" concepts, "Example subject claims",
//! "Customizing the subject claims"; changelog 2026-04-23 "Immutable subject
//! claims"):
//! - `repo:OWNER/REPO:ref:refs/heads/BRANCH` / `…:ref:refs/tags/TAG`
//! - `repo:OWNER/REPO:environment:NAME` (the job names an environment; this
//!   replaces the ref part)
//! - `repo:OWNER/REPO:pull_request` (pull_request events)
//! - ID-based: `repo:OWNER@OWNER_ID/REPO@REPO_ID:…`, the default for
//!   repositories created or renamed on or after 2026-07-15
//! - custom templates: `key:value` pairs from the org/repo template, e.g.
//!   `repository_owner_id:72338:repository_id:123:environment:prod`.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// How a repository is named in subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IdentityFormat {
    /// `repo:OWNER/REPO:…` (the classic format).
    Name,
    /// `repo:OWNER@OWNER_ID/REPO@REPO_ID:…` (immutable subjects).
    Id {
        /// Numeric id of the owning user/organization.
        owner_id: u64,
        /// Numeric id of the repository.
        repo_id: u64,
    },
}

/// A repository as it appears in a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitHubRepo {
    /// Owner login (user or organization).
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// Name-only or ID-based subjects.
    pub identity: IdentityFormat,
}

/// Why a string is not a GitHub subject (or repository name).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubjectParseError {
    /// `owner/name` expected.
    #[error("\"{0}\" is not a repository in OWNER/REPO form")]
    BadRepository(String),
    /// A `key:value` pair is cut short.
    #[error("subject \"{subject}\": claim \"{key}\" has no value")]
    MissingValue {
        /// The whole subject.
        subject: String,
        /// The key without value.
        key: String,
    },
    /// Empty or otherwise not a subject.
    #[error(
        "\"{0}\" is not a GitHub Actions subject (expected e.g. repo:OWNER/REPO:ref:refs/heads/main)"
    )]
    NotASubject(String),
}

impl GitHubRepo {
    /// A name-format repository.
    pub fn new(owner: &str, name: &str) -> Self {
        GitHubRepo {
            owner: owner.to_owned(),
            name: name.to_owned(),
            identity: IdentityFormat::Name,
        }
    }

    /// Parses `OWNER/REPO`.
    pub fn parse(full_name: &str) -> Result<Self, SubjectParseError> {
        match full_name.split_once('/') {
            Some((o, n)) if valid_segment(o) && valid_segment(n) && !n.contains('/') => {
                Ok(GitHubRepo::new(o, n))
            }
            _ => Err(SubjectParseError::BadRepository(full_name.to_owned())),
        }
    }

    /// Switches to ID-based subjects.
    pub fn with_ids(mut self, owner_id: u64, repo_id: u64) -> Self {
        self.identity = IdentityFormat::Id { owner_id, repo_id };
        self
    }

    /// `OWNER/REPO`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// `repo:OWNER/REPO` or `repo:OWNER@ID/REPO@ID`.
    pub fn subject_prefix(&self) -> String {
        match &self.identity {
            IdentityFormat::Name => format!("repo:{}/{}", self.owner, self.name),
            IdentityFormat::Id { owner_id, repo_id } => {
                format!("repo:{}@{owner_id}/{}@{repo_id}", self.owner, self.name)
            }
        }
    }

    fn parse_subject_value(v: &str) -> Option<Self> {
        let (o, n) = v.split_once('/')?;
        let split_id = |s: &str| -> Option<(String, Option<u64>)> {
            match s.split_once('@') {
                Some((name, id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                    Some((name.to_owned(), Some(id.parse().ok()?)))
                }
                Some(_) => None,
                None => Some((s.to_owned(), None)),
            }
        };
        let (owner, oid) = split_id(o)?;
        let (name, rid) = split_id(n)?;
        if !valid_segment(&owner) || !valid_segment(&name) {
            return None;
        }
        let identity = match (oid, rid) {
            (Some(owner_id), Some(repo_id)) => IdentityFormat::Id { owner_id, repo_id },
            (None, None) => IdentityFormat::Name,
            _ => return None,
        };
        Some(GitHubRepo {
            owner,
            name,
            identity,
        })
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty() && !s.contains([':', '/', '*', '?', ' '])
}

/// What part of a run the subject names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SubjectContext {
    /// `ref:refs/heads/NAME`.
    Branch(String),
    /// `ref:refs/tags/NAME`.
    Tag(String),
    /// Any other `ref:` value (full ref).
    Ref(String),
    /// `environment:NAME`.
    Environment(String),
    /// `pull_request`.
    PullRequest,
}

impl SubjectContext {
    fn from_pair(key: &str, value: &str) -> Option<Self> {
        match key {
            "ref" => Some(if let Some(b) = value.strip_prefix("refs/heads/") {
                SubjectContext::Branch(b.to_owned())
            } else if let Some(t) = value.strip_prefix("refs/tags/") {
                SubjectContext::Tag(t.to_owned())
            } else {
                SubjectContext::Ref(value.to_owned())
            }),
            "environment" => Some(SubjectContext::Environment(value.to_owned())),
            "pull_request" => Some(SubjectContext::PullRequest),
            _ => None,
        }
    }
}

impl fmt::Display for SubjectContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectContext::Branch(b) => write!(f, "ref:refs/heads/{b}"),
            SubjectContext::Tag(t) => write!(f, "ref:refs/tags/{t}"),
            SubjectContext::Ref(r) => write!(f, "ref:{r}"),
            SubjectContext::Environment(e) => write!(f, "environment:{e}"),
            SubjectContext::PullRequest => f.write_str("pull_request"),
        }
    }
}

/// A parsed subject claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Subject {
    /// The default template: `repo:…:<context>`.
    Repo {
        /// The repository.
        repo: GitHubRepo,
        /// Branch, tag, environment or pull request.
        context: SubjectContext,
    },
    /// A customized template, as `key:value` pairs in order
    /// (`pull_request` has an empty value).
    Custom(Vec<(String, String)>),
}

impl Subject {
    /// Parses a concrete subject (no wildcards interpretation).
    pub fn parse(sub: &str) -> Result<Self, SubjectParseError> {
        if sub.is_empty() || !sub.contains(':') {
            return Err(SubjectParseError::NotASubject(sub.to_owned()));
        }
        let tokens: Vec<&str> = sub.split(':').collect();
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let key = tokens[i];
            if key == "pull_request" {
                pairs.push((key.to_owned(), String::new()));
                i += 1;
                continue;
            }
            let Some(value) = tokens.get(i + 1) else {
                return Err(SubjectParseError::MissingValue {
                    subject: sub.to_owned(),
                    key: key.to_owned(),
                });
            };
            pairs.push((key.to_owned(), (*value).to_owned()));
            i += 2;
        }
        if pairs.len() == 2
            && pairs[0].0 == "repo"
            && let (Some(repo), Some(context)) = (
                GitHubRepo::parse_subject_value(&pairs[0].1),
                SubjectContext::from_pair(&pairs[1].0, &pairs[1].1),
            )
        {
            return Ok(Subject::Repo { repo, context });
        }
        Ok(Subject::Custom(pairs))
    }

    /// The repository, for the default template or a custom template that
    /// includes `repo`.
    pub fn repo(&self) -> Option<GitHubRepo> {
        match self {
            Subject::Repo { repo, .. } => Some(repo.clone()),
            Subject::Custom(pairs) => pairs
                .iter()
                .find(|(k, _)| k == "repo")
                .and_then(|(_, v)| GitHubRepo::parse_subject_value(v)),
        }
    }

    /// The branch/tag/environment/pull-request part, when the subject has one.
    pub fn context(&self) -> Option<SubjectContext> {
        match self {
            Subject::Repo { context, .. } => Some(context.clone()),
            Subject::Custom(pairs) => pairs
                .iter()
                .find_map(|(k, v)| SubjectContext::from_pair(k, v)),
        }
    }

    /// The value of a claim in a custom template (`repo`, `environment`, …).
    pub fn claim(&self, key: &str) -> Option<String> {
        match self {
            Subject::Repo { .. } => None,
            Subject::Custom(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Repo { repo, context } => write!(f, "{}:{context}", repo.subject_prefix()),
            Subject::Custom(pairs) => {
                let parts: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| {
                        if k == "pull_request" && v.is_empty() {
                            k.clone()
                        } else {
                            format!("{k}:{v}")
                        }
                    })
                    .collect();
                f.write_str(&parts.join(":"))
            }
        }
    }
}

/// `repo:…:ref:refs/heads/BRANCH`. `branch` may be a `StringLike` pattern.
pub fn subject_for_branch(repo: &GitHubRepo, branch: &str) -> String {
    format!("{}:ref:refs/heads/{branch}", repo.subject_prefix())
}

/// `repo:…:ref:refs/tags/PATTERN` (e.g. `v*`, or `*` for every tag).
pub fn subject_for_tag(repo: &GitHubRepo, pattern: &str) -> String {
    format!("{}:ref:refs/tags/{pattern}", repo.subject_prefix())
}

/// `repo:…:environment:NAME`.
pub fn subject_for_environment(repo: &GitHubRepo, name: &str) -> String {
    format!("{}:environment:{name}", repo.subject_prefix())
}

/// `repo:…:pull_request`.
pub fn subject_for_pull_request(repo: &GitHubRepo) -> String {
    format!("{}:pull_request", repo.subject_prefix())
}
