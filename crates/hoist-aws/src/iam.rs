//! IAM calls: OIDC providers, roles (trust policy, inline and managed policies, tags, session
//! length, permissions boundary), customer managed policies (default version, versions) and
//! users with inline policies.
//!
//! Policy documents come back from IAM percent-encoded (`%7B%22Version%22…`); every getter
//! here returns the decoded JSON text. Each error names the IAM action (`iam:CreateRole`), so
//! an `AccessDenied` says which permission is missing.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::Tag;

use crate::{Aws, AwsError};

/// An IAM client.
#[derive(Clone, Debug)]
pub struct Iam {
    client: aws_sdk_iam::Client,
}

/// A role as `GetRole` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    /// The trust policy, percent-decoded JSON.
    pub trust_policy: String,
    /// Seconds. `ListRoles` does not return it: `None` in [`Iam::list_roles`] results.
    pub max_session_duration: Option<u32>,
    /// `ListRoles` does not return tags: empty in [`Iam::list_roles`] results.
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
    /// RFC 3339.
    pub create_date: String,
    /// The permissions boundary's policy ARN. `ListRoles` does not return it.
    pub permissions_boundary: Option<String>,
}

/// An IAM OIDC identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProviderInfo {
    pub arn: String,
    /// As IAM returns it: without `https://`.
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    /// RFC 3339, when IAM gave one.
    pub create_date: Option<String>,
}

/// A customer managed policy: its default document and the versions that could be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicyInfo {
    pub arn: String,
    /// The default version's document, percent-decoded JSON.
    pub document: String,
    /// Ids of the versions that are not the default, oldest first (IAM keeps at most five).
    pub non_default_versions: Vec<String>,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub arn: String,
}

/// What `CreateRole` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRole<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// JSON text.
    pub trust_policy: &'a str,
    pub max_session_duration: u32,
    pub tags: &'a BTreeMap<String, String>,
    /// The managed policy ARN that caps the role, if any.
    pub permissions_boundary: Option<&'a str>,
}

/// Percent-decodes a policy document as IAM returns it. Text that is already JSON is kept.
#[must_use]
pub fn decode_policy(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_owned();
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn is_no_such_entity(err: &AwsError) -> bool {
    err.code() == Some("NoSuchEntity")
}

/// `Ok(None)` for `NoSuchEntity`.
fn found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_no_such_entity(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn to_tags(tags: &BTreeMap<String, String>, action: &'static str) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::Unexpected {
                    action,
                    detail: e.to_string(),
                })
        })
        .collect()
}

fn date(d: &aws_smithy_types::DateTime) -> String {
    d.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

fn role_info(role: &aws_sdk_iam::types::Role) -> RoleInfo {
    RoleInfo {
        name: role.role_name().to_owned(),
        arn: role.arn().to_owned(),
        trust_policy: role
            .assume_role_policy_document()
            .map(decode_policy)
            .unwrap_or_default(),
        max_session_duration: role
            .max_session_duration()
            .and_then(|s| u32::try_from(s).ok()),
        tags: tags_of(role.tags()),
        description: role.description().map(ToOwned::to_owned),
        create_date: date(role.create_date()),
        permissions_boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(ToOwned::to_owned),
    }
}

impl Iam {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self {
            client: aws_sdk_iam::Client::new(aws.sdk_config()),
        }
    }

    // ------------------------------------------------------------------ OIDC providers

    /// The provider with this ARN, or `None`.
    ///
    /// # Errors
    /// Any failure but `NoSuchEntity`.
    pub async fn get_oidc_provider(&self, arn: &str) -> Result<Option<OidcProviderInfo>, AwsError> {
        const ACTION: &str = "iam:GetOpenIDConnectProvider";
        let out = self
            .client
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await;
        let Some(out) = found(out.map_err(|e| AwsError::from_sdk(ACTION, e)))? else {
            return Ok(None);
        };
        Ok(Some(OidcProviderInfo {
            arn: arn.to_owned(),
            url: out.url().unwrap_or_default().to_owned(),
            client_ids: out.client_id_list().to_vec(),
            thumbprints: out.thumbprint_list().to_vec(),
            create_date: out.create_date().map(date),
        }))
    }

    /// ARNs of every OIDC provider in the account.
    ///
    /// # Errors
    /// When IAM refuses or cannot be reached.
    pub async fn list_oidc_providers(&self) -> Result<Vec<String>, AwsError> {
        const ACTION: &str = "iam:ListOpenIDConnectProviders";
        let out = self
            .client
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(out
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn().map(ToOwned::to_owned))
            .collect())
    }

    /// Creates a provider; its ARN. An empty `thumbprints` lets IAM use its trusted CAs (what
    /// GitHub's provider needs today).
    ///
    /// # Errors
    /// `EntityAlreadyExists` and any other failure.
    pub async fn create_oidc_provider(
        &self,
        url: &str,
        client_ids: &[String],
        thumbprints: &[String],
    ) -> Result<String, AwsError> {
        const ACTION: &str = "iam:CreateOpenIDConnectProvider";
        let mut req = self
            .client
            .create_open_id_connect_provider()
            .url(url)
            .set_client_id_list(Some(client_ids.to_vec()));
        if !thumbprints.is_empty() {
            req = req.set_thumbprint_list(Some(thumbprints.to_vec()));
        }
        let out = req
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        out.open_id_connect_provider_arn()
            .map(ToOwned::to_owned)
            .ok_or(AwsError::Unexpected {
                action: ACTION,
                detail: "no OpenIDConnectProviderArn in the answer".into(),
            })
    }

    /// Adds an audience (client id) to a provider.
    ///
    /// # Errors
    /// Any failure (moto 5.2.1 answers HTTP 500: not implemented there).
    pub async fn add_client_id_to_oidc_provider(
        &self,
        arn: &str,
        client_id: &str,
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:AddClientIDToOpenIDConnectProvider";
        self.client
            .add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .client_id(client_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Replaces a provider's thumbprint list.
    ///
    /// # Errors
    /// Any failure.
    pub async fn update_oidc_provider_thumbprints(
        &self,
        arn: &str,
        thumbprints: &[String],
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:UpdateOpenIDConnectProviderThumbprint";
        self.client
            .update_open_id_connect_provider_thumbprint()
            .open_id_connect_provider_arn(arn)
            .set_thumbprint_list(Some(thumbprints.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    // ------------------------------------------------------------------ roles

    /// The role, with its decoded trust policy, session length and tags; `None` if absent.
    ///
    /// # Errors
    /// Any failure but `NoSuchEntity`.
    pub async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        const ACTION: &str = "iam:GetRole";
        let out = self
            .client
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e));
        let Some(out) = found(out)? else {
            return Ok(None);
        };
        let role = out.role().ok_or(AwsError::Unexpected {
            action: ACTION,
            detail: "no Role in the answer".into(),
        })?;
        Ok(Some(role_info(role)))
    }

    /// Every role in the account (all pages). Tags and session length are not part of
    /// `ListRoles`' answer; use [`Iam::get_role`] for those.
    ///
    /// # Errors
    /// When IAM refuses or cannot be reached.
    pub async fn list_roles(&self) -> Result<Vec<RoleInfo>, AwsError> {
        const ACTION: &str = "iam:ListRoles";
        let pages = self
            .client
            .list_roles()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.roles().iter().map(role_info))
            .collect())
    }

    /// Roles whose trust policy names the OIDC provider of `provider_host` (such as
    /// `token.actions.githubusercontent.com`) as a federated principal, each read with
    /// [`Iam::get_role`] so tags and session length are filled in.
    ///
    /// # Errors
    /// When IAM refuses or cannot be reached.
    pub async fn list_roles_trusting_provider(
        &self,
        provider_host: &str,
    ) -> Result<Vec<RoleInfo>, AwsError> {
        let needle = format!(
            ":oidc-provider/{}",
            provider_host.trim_start_matches("https://")
        );
        let mut out = Vec::new();
        for role in self.list_roles().await? {
            let trusts = match hoist_policy::PolicyDocument::parse(&role.trust_policy) {
                Ok(doc) => doc.statements.iter().any(|s| {
                    s.principal
                        .as_ref()
                        .is_some_and(|p| p.federated_values().iter().any(|f| f.ends_with(&needle)))
                }),
                Err(_) => role.trust_policy.contains(&needle),
            };
            if trusts {
                out.push(self.get_role(&role.name).await?.unwrap_or(role));
            }
        }
        Ok(out)
    }

    /// Creates a role; its ARN.
    ///
    /// # Errors
    /// `EntityAlreadyExists`, `MalformedPolicyDocument` and any other failure.
    pub async fn create_role(&self, role: &NewRole<'_>) -> Result<String, AwsError> {
        const ACTION: &str = "iam:CreateRole";
        let out = self
            .client
            .create_role()
            .role_name(role.name)
            .description(role.description)
            .assume_role_policy_document(role.trust_policy)
            .max_session_duration(i32::try_from(role.max_session_duration).unwrap_or(i32::MAX))
            .set_tags(Some(to_tags(role.tags, ACTION)?))
            .set_permissions_boundary(role.permissions_boundary.map(ToOwned::to_owned))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(out.role().map(|r| r.arn().to_owned()).unwrap_or_default())
    }

    /// Replaces a role's trust policy.
    ///
    /// # Errors
    /// `MalformedPolicyDocument`, `NoSuchEntity` and any other failure.
    pub async fn update_assume_role_policy(
        &self,
        role: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:UpdateAssumeRolePolicy";
        self.client
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Sets a role's `MaxSessionDuration` (seconds).
    ///
    /// # Errors
    /// Any failure.
    pub async fn set_max_session_duration(&self, role: &str, seconds: u32) -> Result<(), AwsError> {
        const ACTION: &str = "iam:UpdateRole";
        self.client
            .update_role()
            .role_name(role)
            .max_session_duration(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Adds or overwrites tags on a role.
    ///
    /// # Errors
    /// Any failure.
    pub async fn tag_role(
        &self,
        role: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:TagRole";
        self.client
            .tag_role()
            .role_name(role)
            .set_tags(Some(to_tags(tags, ACTION)?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Names of the role's inline policies (all pages).
    ///
    /// # Errors
    /// Any failure.
    pub async fn list_role_policies(&self, role: &str) -> Result<Vec<String>, AwsError> {
        const ACTION: &str = "iam:ListRolePolicies";
        let pages = self
            .client
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.policy_names().iter().cloned())
            .collect())
    }

    /// The decoded JSON of an inline role policy, or `None`.
    ///
    /// # Errors
    /// Any failure but `NoSuchEntity`.
    pub async fn get_role_policy(
        &self,
        role: &str,
        name: &str,
    ) -> Result<Option<String>, AwsError> {
        const ACTION: &str = "iam:GetRolePolicy";
        let out = self
            .client
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e));
        Ok(found(out)?.map(|o| decode_policy(o.policy_document())))
    }

    /// Every inline policy of the role, name → decoded JSON.
    ///
    /// # Errors
    /// Any failure.
    pub async fn role_inline_policies(
        &self,
        role: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let mut out = BTreeMap::new();
        for name in self.list_role_policies(role).await? {
            if let Some(doc) = self.get_role_policy(role, &name).await? {
                out.insert(name, doc);
            }
        }
        Ok(out)
    }

    /// Creates or replaces an inline role policy.
    ///
    /// # Errors
    /// `MalformedPolicyDocument` and any other failure.
    pub async fn put_role_policy(
        &self,
        role: &str,
        name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:PutRolePolicy";
        self.client
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Deletes an inline role policy.
    ///
    /// # Errors
    /// Any failure.
    pub async fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), AwsError> {
        const ACTION: &str = "iam:DeleteRolePolicy";
        self.client
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// ARNs of the managed policies attached to the role (all pages).
    ///
    /// # Errors
    /// Any failure.
    pub async fn list_attached_role_policies(
        &self,
        role: &str,
    ) -> Result<BTreeSet<String>, AwsError> {
        const ACTION: &str = "iam:ListAttachedRolePolicies";
        let pages = self
            .client
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(pages
            .iter()
            .flat_map(|p| {
                p.attached_policies()
                    .iter()
                    .filter_map(|a| a.policy_arn().map(ToOwned::to_owned))
            })
            .collect())
    }

    /// Attaches a managed policy.
    ///
    /// # Errors
    /// `NoSuchEntity` (unknown policy ARN) and any other failure.
    pub async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        const ACTION: &str = "iam:AttachRolePolicy";
        self.client
            .attach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Detaches a managed policy.
    ///
    /// # Errors
    /// Any failure.
    pub async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        const ACTION: &str = "iam:DetachRolePolicy";
        self.client
            .detach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    // ------------------------------------------------------------------ users

    /// The user, or `None`.
    ///
    /// # Errors
    /// Any failure but `NoSuchEntity`.
    pub async fn get_user(&self, name: &str) -> Result<Option<UserInfo>, AwsError> {
        const ACTION: &str = "iam:GetUser";
        let out = self
            .client
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e));
        Ok(found(out)?.and_then(|o| {
            o.user().map(|u| UserInfo {
                name: u.user_name().to_owned(),
                arn: u.arn().to_owned(),
            })
        }))
    }

    /// Creates a user; its ARN.
    ///
    /// # Errors
    /// `EntityAlreadyExists` and any other failure.
    pub async fn create_user(&self, name: &str) -> Result<String, AwsError> {
        const ACTION: &str = "iam:CreateUser";
        let out = self
            .client
            .create_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(out.user().map(|u| u.arn().to_owned()).unwrap_or_default())
    }

    /// Names of the user's inline policies (all pages).
    ///
    /// # Errors
    /// Any failure.
    pub async fn list_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError> {
        const ACTION: &str = "iam:ListUserPolicies";
        let pages = self
            .client
            .list_user_policies()
            .user_name(user)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.policy_names().iter().cloned())
            .collect())
    }

    /// The decoded JSON of an inline user policy, or `None`.
    ///
    /// # Errors
    /// Any failure but `NoSuchEntity`.
    pub async fn get_user_policy(
        &self,
        user: &str,
        name: &str,
    ) -> Result<Option<String>, AwsError> {
        const ACTION: &str = "iam:GetUserPolicy";
        let out = self
            .client
            .get_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e));
        Ok(found(out)?.map(|o| decode_policy(o.policy_document())))
    }

    /// Every inline policy of the user, name → decoded JSON.
    ///
    /// # Errors
    /// Any failure.
    pub async fn user_inline_policies(
        &self,
        user: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let mut out = BTreeMap::new();
        for name in self.list_user_policies(user).await? {
            if let Some(doc) = self.get_user_policy(user, &name).await? {
                out.insert(name, doc);
            }
        }
        Ok(out)
    }

    /// Creates or replaces an inline user policy.
    ///
    /// # Errors
    /// `MalformedPolicyDocument` and any other failure.
    pub async fn put_user_policy(
        &self,
        user: &str,
        name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:PutUserPolicy";
        self.client
            .put_user_policy()
            .user_name(user)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }
    /// Sets a role's permissions boundary.
    ///
    /// # Errors
    /// `NoSuchEntity` (role or policy) and any other failure.
    pub async fn put_role_permissions_boundary(
        &self,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), AwsError> {
        const ACTION: &str = "iam:PutRolePermissionsBoundary";
        self.client
            .put_role_permissions_boundary()
            .role_name(role)
            .permissions_boundary(policy_arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// A customer managed policy's default version (decoded JSON) and its versions, `None`
    /// when the policy does not exist.
    ///
    /// # Errors
    /// Any failure but `NoSuchEntity`.
    pub async fn get_managed_policy(
        &self,
        arn: &str,
    ) -> Result<Option<ManagedPolicyInfo>, AwsError> {
        const GET: &str = "iam:GetPolicy";
        const VERSION: &str = "iam:GetPolicyVersion";
        const LIST: &str = "iam:ListPolicyVersions";
        let out = self.client.get_policy().policy_arn(arn).send().await;
        let Some(out) = found(out.map_err(|e| AwsError::from_sdk(GET, e)))? else {
            return Ok(None);
        };
        let default_id = out
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1")
            .to_owned();
        let version = self
            .client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&default_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(VERSION, e))?;
        let document = version
            .policy_version()
            .and_then(|v| v.document())
            .map(decode_policy)
            .unwrap_or_default();
        let versions = self
            .client
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(LIST, e))?;
        let mut listed: Vec<(String, bool, String)> = versions
            .versions()
            .iter()
            .map(|v| {
                (
                    v.version_id().unwrap_or_default().to_owned(),
                    v.is_default_version(),
                    v.create_date().map(date).unwrap_or_default(),
                )
            })
            .collect();
        listed.sort_by(|a, b| a.2.cmp(&b.2));
        Ok(Some(ManagedPolicyInfo {
            arn: arn.to_owned(),
            document,
            non_default_versions: listed
                .into_iter()
                .filter(|(_, default, _)| !default)
                .map(|(id, _, _)| id)
                .collect(),
        }))
    }

    /// Creates a customer managed policy; its ARN.
    ///
    /// # Errors
    /// `EntityAlreadyExists`, `MalformedPolicyDocument` and any other failure.
    pub async fn create_managed_policy(
        &self,
        name: &str,
        description: &str,
        document: &str,
    ) -> Result<String, AwsError> {
        const ACTION: &str = "iam:CreatePolicy";
        let out = self
            .client
            .create_policy()
            .policy_name(name)
            .description(description)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(out
            .policy()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_owned())
    }

    /// Makes `document` the policy's default version.
    ///
    /// # Errors
    /// `LimitExceeded` (five versions: delete one first) and any other failure.
    pub async fn create_policy_version(&self, arn: &str, document: &str) -> Result<(), AwsError> {
        const ACTION: &str = "iam:CreatePolicyVersion";
        self.client
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(document)
            .set_as_default(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }

    /// Deletes a non-default policy version.
    ///
    /// # Errors
    /// Any failure.
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<(), AwsError> {
        const ACTION: &str = "iam:DeletePolicyVersion";
        self.client
            .delete_policy_version()
            .policy_arn(arn)
            .version_id(version_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ACTION, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::decode_policy;

    #[test]
    fn decodes_percent_encoded_policies_and_keeps_plain_json() {
        assert_eq!(
            decode_policy("%7B%22Version%22%3A%222012-10-17%22%7D%0A"),
            "{\"Version\":\"2012-10-17\"}\n"
        );
        assert_eq!(decode_policy("{\"a\": \"%41\"}"), "{\"a\": \"%41\"}");
    }
}
