//! Actions repository variables: list and converge (create, update or leave unchanged).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::GithubClient;
use crate::error::{GithubError, Permission};
use crate::repo::RepoRef;
use crate::secrets::check_name;

/// A repository variable (values are readable; variables are not secret).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Variable {
    /// Name (GitHub upper-cases it).
    pub name: String,
    /// Value.
    pub value: String,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update, RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// What [`GithubClient::set_variable`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableOutcome {
    /// Created with POST.
    Created,
    /// Changed with PATCH.
    Updated,
    /// Already had this value; nothing sent.
    Unchanged,
}

impl GithubClient {
    /// `GET /repos/{owner}/{repo}/actions/variables`, all pages.
    pub async fn list_variables(&self, owner_repo: &str) -> Result<Vec<Variable>, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        let path = format!("{}/actions/variables", repo.path());
        self.get_all(&path, 30, "variables", Permission::Variables, &repo)
            .await
    }

    /// Makes variable `name` equal `value`: POST if absent, PATCH if different, nothing if equal.
    pub async fn set_variable(
        &self,
        owner_repo: &str,
        name: &str,
        value: &str,
    ) -> Result<VariableOutcome, GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        check_name("variable", name)?;
        let item = format!("{}/actions/variables/{name}", repo.path());
        match self
            .get_json::<Variable>(&item, Permission::Variables, &repo)
            .await
        {
            Ok(existing) if existing.value == value => return Ok(VariableOutcome::Unchanged),
            Ok(_) => return self.patch_variable(&repo, &item, name, value).await,
            Err(e) if e.status() == Some(404) => {}
            Err(e) => return Err(e),
        }
        let body = json!({ "name": name, "value": value });
        let list = format!("{}/actions/variables", repo.path());
        match self
            .send(
                Method::POST,
                &list,
                Permission::Variables,
                &repo,
                Some(&body),
            )
            .await
        {
            Ok(_) => Ok(VariableOutcome::Created),
            // Created by someone else in between: converge by updating.
            Err(e) if e.status() == Some(409) => {
                self.patch_variable(&repo, &item, name, value).await
            }
            Err(e) => Err(e),
        }
    }

    async fn patch_variable(
        &self,
        repo: &RepoRef,
        item: &str,
        name: &str,
        value: &str,
    ) -> Result<VariableOutcome, GithubError> {
        let body = json!({ "name": name, "value": value });
        self.send(
            Method::PATCH,
            item,
            Permission::Variables,
            repo,
            Some(&body),
        )
        .await?;
        Ok(VariableOutcome::Updated)
    }

    /// `DELETE /repos/{owner}/{repo}/actions/variables/{name}`.
    pub async fn delete_variable(&self, owner_repo: &str, name: &str) -> Result<(), GithubError> {
        let repo = RepoRef::parse(owner_repo)?;
        check_name("variable", name)?;
        let path = format!("{}/actions/variables/{name}", repo.path());
        self.send(Method::DELETE, &path, Permission::Variables, &repo, None)
            .await?;
        Ok(())
    }
}
