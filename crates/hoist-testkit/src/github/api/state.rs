//! Stored repository state of the REST fixture.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use crypto_box::SecretKey;
use crypto_box::aead::OsRng;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One request the API fixture received. Holds no secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/repos/o/r/actions/secrets/NAME`.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `X-GitHub-Api-Version` header.
    pub api_version: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Whether the token matched.
    pub authorized: bool,
    /// Status answered.
    pub status: u16,
}

pub(crate) struct StoredSecret {
    pub(crate) plaintext: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

pub(crate) struct StoredVariable {
    pub(crate) value: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) secrets: BTreeMap<String, StoredSecret>,
    pub(crate) variables: BTreeMap<String, StoredVariable>,
    pub(crate) log: Vec<ApiRequest>,
    pub(crate) fail_put: HashMap<String, u16>,
    pub(crate) fail_all: Option<u16>,
    /// Failures answered to the next requests, first first.
    pub(crate) fail_next: std::collections::VecDeque<super::Transient>,
    pub(crate) max_per_page: Option<usize>,
    /// Rulesets as GitHub returns them in full.
    pub(crate) rulesets: Vec<serde_json::Value>,
    /// Environments by lower-cased name, as GitHub returns them.
    pub(crate) environments: BTreeMap<String, serde_json::Value>,
    /// Custom deployment branch/tag policies by lower-cased environment name.
    pub(crate) branch_policies: BTreeMap<String, Vec<serde_json::Value>>,
    /// Deployments in the order they were created.
    pub(crate) deployments: Vec<super::deployments::RecordedDeployment>,
}

pub(crate) struct ApiState {
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) repo_id: u64,
    pub(crate) owner_id: u64,
    pub(crate) token: String,
    pub(crate) secret_key: SecretKey,
    pub(crate) key_id: String,
    base_url: OnceLock<String>,
    inner: Mutex<Inner>,
}

pub(crate) fn timestamp() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl ApiState {
    pub(crate) fn new(owner: &str, name: &str, repo_id: u64, owner_id: u64) -> Self {
        ApiState {
            owner: owner.to_owned(),
            name: name.to_owned(),
            repo_id,
            owner_id,
            token: format!("ghp_{:036x}", rand::random::<u128>()),
            secret_key: SecretKey::generate(&mut OsRng),
            key_id: format!(
                "{}",
                568_250_167_242_549_743u64 + u64::from(rand::random::<u16>())
            ),
            base_url: OnceLock::new(),
            inner: Mutex::default(),
        }
    }

    pub(crate) fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    pub(crate) fn base_url(&self) -> &str {
        self.base_url.get().map_or("", String::as_str)
    }

    pub(crate) fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Whether a path's owner/repo names this repository (GitHub: case-insensitive).
    pub(crate) fn is_repo(&self, owner: &str, repo: &str) -> bool {
        owner.eq_ignore_ascii_case(&self.owner) && repo.eq_ignore_ascii_case(&self.name)
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Stores a secret; true if it was created.
    pub(crate) fn store_secret(&self, name: &str, plaintext: &str) -> bool {
        let now = timestamp();
        self.with(|i| match i.secrets.get_mut(&name.to_ascii_uppercase()) {
            Some(s) => {
                s.plaintext = plaintext.to_owned();
                s.updated_at = now;
                false
            }
            None => {
                i.secrets.insert(
                    name.to_ascii_uppercase(),
                    StoredSecret {
                        plaintext: plaintext.to_owned(),
                        created_at: now.clone(),
                        updated_at: now,
                    },
                );
                true
            }
        })
    }

    /// Stores a variable; true if it was created.
    pub(crate) fn store_variable(&self, name: &str, value: &str) -> bool {
        let now = timestamp();
        self.with(|i| match i.variables.get_mut(&name.to_ascii_uppercase()) {
            Some(v) => {
                v.value = value.to_owned();
                v.updated_at = now;
                false
            }
            None => {
                i.variables.insert(
                    name.to_ascii_uppercase(),
                    StoredVariable {
                        value: value.to_owned(),
                        created_at: now.clone(),
                        updated_at: now,
                    },
                );
                true
            }
        })
    }
}
