//! Repository references and the repository resource.

use serde::Deserialize;

use crate::error::GithubError;
use crate::{GithubClient, error::Permission};

/// A validated `OWNER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    /// Owner login.
    pub owner: String,
    /// Repository name.
    pub name: String,
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl RepoRef {
    /// Parses `OWNER/NAME` (a trailing `.git` is dropped).
    pub fn parse(input: &str) -> Result<Self, GithubError> {
        let trimmed = input.trim().trim_end_matches(".git");
        match trimmed.split_once('/') {
            Some((owner, name)) if valid_segment(owner) && valid_segment(name) => Ok(RepoRef {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(GithubError::InvalidRepo {
                input: input.to_owned(),
            }),
        }
    }

    /// `OWNER/NAME`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    pub(crate) fn path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

/// The fields of `GET /repos/{owner}/{repo}` hoist uses (ids are immutable, names are not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Numeric repository id (the OIDC `repository_id` claim).
    pub id: u64,
    /// Numeric owner id (the OIDC `repository_owner_id` claim).
    pub owner_id: u64,
    /// Owner login.
    pub owner_login: String,
    /// Repository name.
    pub name: String,
    /// `OWNER/NAME`.
    pub full_name: String,
}

#[derive(Deserialize)]
struct RepoBody {
    id: u64,
    name: String,
    full_name: String,
    owner: OwnerBody,
}

#[derive(Deserialize)]
struct OwnerBody {
    id: u64,
    login: String,
}

impl GithubClient {
    /// `GET /repos/{owner}/{repo}`.
    pub async fn repository(&self, owner_repo: &str) -> Result<Repository, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let body: RepoBody = self
            .get_json(&repo.path(), Permission::Metadata, &repo)
            .await?;
        Ok(Repository {
            id: body.id,
            owner_id: body.owner.id,
            owner_login: body.owner.login,
            name: body.name,
            full_name: body.full_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_owner_repo() {
        let r = RepoRef::parse("octo-org/octo.repo_1.git").unwrap();
        assert_eq!(r.full_name(), "octo-org/octo.repo_1");
        for bad in ["octo", "a/b/c", "/b", "a/", "a/..", "a b/c", "a/b?x=1"] {
            assert!(RepoRef::parse(bad).is_err(), "{bad}");
        }
    }
}
