//! The GitHub REST API subset hoist uses, for one repository.
//!
//! Served: `GET /repos/{owner}/{repo}`; Actions secrets (`GET …/actions/secrets/public-key`,
//! `GET …/actions/secrets` paginated, `GET|PUT|DELETE …/actions/secrets/{name}`); Actions
//! variables (`GET|POST …/actions/variables`, `GET|PATCH|DELETE …/actions/variables/{name}`);
//! rulesets and environments ([`rules`]); deployments and their statuses ([`deployments`]).
//! Like GitHub it requires a `User-Agent`, accepts `Authorization: Bearer|token`, refuses an
//! unknown `X-GitHub-Api-Version`, upper-cases secret and variable names, answers PUT of a
//! secret with 201 (created) or 204 (updated), and paginates with `Link` headers. Each sealed
//! box received is decrypted with the fixture's X25519 key so tests can check plaintexts.

mod deployments;
mod routes;
mod rules;
mod state;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::server::BackgroundServer;
pub use deployments::RecordedDeployment;
pub use state::ApiRequest;
use state::ApiState;

/// A failure GitHub answers that a client should retry, in the shapes of GitHub's "Rate
/// limits for the REST API" and "Troubleshooting the REST API" pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// A 5xx with GitHub's error body (`500`, `502`, `503`).
    ServerError(u16),
    /// A secondary rate limit: `403` or `429`, GitHub's "You have exceeded a secondary rate
    /// limit" message, and `retry-after: SECONDS` when `Some`.
    SecondaryRateLimit {
        /// 403 or 429.
        status: u16,
        /// The `retry-after` header.
        retry_after: Option<u64>,
    },
    /// The primary rate limit: `403`, `x-ratelimit-remaining: 0` and `x-ratelimit-reset` this
    /// many seconds from now (UTC epoch seconds).
    PrimaryRateLimit {
        /// Seconds until the reset.
        reset_in: u64,
    },
}

/// A running GitHub REST API fixture for one repository. Stops on drop.
pub struct GithubApi {
    server: BackgroundServer,
    state: Arc<ApiState>,
}

impl GithubApi {
    /// Serves repository `owner_repo` (`OWNER/NAME`) with the given numeric ids.
    pub fn start(owner_repo: &str, repo_id: u64, owner_id: u64) -> Self {
        let (owner, name) = owner_repo
            .split_once('/')
            .unwrap_or_else(|| panic!("owner_repo must be OWNER/NAME, got {owner_repo:?}"));
        let state = Arc::new(ApiState::new(owner, name, repo_id, owner_id));
        let server = BackgroundServer::start("github-api", routes::router(state.clone()));
        state.set_base_url(server.base_url());
        GithubApi { server, state }
    }

    /// The API base URL (what `GITHUB_API_URL` would be): `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The token the fixture accepts.
    pub fn token(&self) -> &str {
        &self.state.token
    }

    /// `GITHUB_API_URL`, `GITHUB_TOKEN` and `GITHUB_REPOSITORY` for a child process.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_API_URL".to_owned(), self.url()),
            ("GITHUB_TOKEN".to_owned(), self.token().to_owned()),
            ("GITHUB_REPOSITORY".to_owned(), self.state.full_name()),
        ]
    }

    /// `OWNER/NAME`.
    pub fn owner_repo(&self) -> String {
        self.state.full_name()
    }

    /// The repository's numeric id.
    pub fn repo_id(&self) -> u64 {
        self.state.repo_id
    }

    /// The owner's numeric id.
    pub fn owner_id(&self) -> u64 {
        self.state.owner_id
    }

    /// The `key_id` of the repository public key.
    pub fn key_id(&self) -> &str {
        &self.state.key_id
    }

    /// The repository public key, base64 (as the API serves it).
    pub fn public_key_b64(&self) -> String {
        STANDARD.encode(self.state.secret_key.public_key().as_bytes())
    }

    /// The decrypted value last PUT for secret `name` (case-insensitive).
    pub fn secret_plaintext(&self, name: &str) -> Option<String> {
        self.state.with(|i| {
            i.secrets
                .get(&name.to_ascii_uppercase())
                .map(|s| s.plaintext.clone())
        })
    }

    /// Names of the stored secrets, sorted.
    pub fn secret_names(&self) -> Vec<String> {
        self.state.with(|i| i.secrets.keys().cloned().collect())
    }

    /// Stored variables, name to value.
    pub fn variables(&self) -> BTreeMap<String, String> {
        self.state.with(|i| {
            i.variables
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect()
        })
    }

    /// Seeds a secret as if it had been set before.
    pub fn insert_secret(&self, name: &str, plaintext: &str) {
        self.state.store_secret(name, plaintext);
    }

    /// Seeds a variable as if it had been set before.
    pub fn insert_variable(&self, name: &str, value: &str) {
        self.state.store_variable(name, value);
    }

    /// Answers every PUT of secret `name` with `status` (e.g. 500 or 403).
    pub fn fail_put_secret(&self, name: &str, status: u16) {
        self.state
            .with(|i| i.fail_put.insert(name.to_ascii_uppercase(), status));
    }

    /// Answers every request with `status` (401 bad credentials, 403 missing scope, 404 no
    /// access), or stops doing so with `None`.
    pub fn fail_all(&self, status: Option<u16>) {
        self.state.with(|i| i.fail_all = status);
    }

    /// Answers the next `times` requests (any route) with `failure`,
    /// then serves normally again.
    pub fn fail_next(&self, times: usize, failure: Transient) {
        self.state.with(|i| {
            i.fail_next.extend(std::iter::repeat_n(failure, times));
        });
    }

    /// Removes all injected failures.
    pub fn clear_failures(&self) {
        self.state.with(|i| {
            i.fail_put.clear();
            i.fail_all = None;
            i.fail_next.clear();
        });
    }

    /// Caps page sizes (to exercise pagination with few items).
    pub fn set_max_per_page(&self, n: usize) {
        self.state.with(|i| i.max_per_page = Some(n.max(1)));
    }

    /// Rulesets as `GET …/rulesets/{id}` would return them.
    pub fn rulesets(&self) -> Vec<serde_json::Value> {
        self.state.with(|i| i.rulesets.clone())
    }

    /// Seeds a ruleset (a body as `POST …/rulesets` takes); its id. Panics on a body GitHub
    /// would refuse.
    pub fn insert_ruleset(&self, body: &serde_json::Value) -> u64 {
        let map = body.as_object().cloned().unwrap_or_default();
        let stored = rules::store_ruleset(&self.state, None, &map)
            .unwrap_or_else(|(status, m)| panic!("GitHub would answer {status}: {m}"));
        stored["id"].as_u64().unwrap_or_default()
    }

    /// Seeds environment `name` with `reviewers` required reviewers and a deployment policy
    /// (`None`: any ref; `Some(true)`: protected branches; `Some(false)`: custom policies,
    /// given as `(name, "branch"|"tag")`).
    pub fn insert_environment(
        &self,
        name: &str,
        reviewers: usize,
        policy: Option<bool>,
        custom: &[(&str, &str)],
    ) {
        let env = rules::environment_json(
            self.state.base_url(),
            &self.state.full_name(),
            name,
            reviewers,
            policy,
        );
        let policies: Vec<serde_json::Value> = custom
            .iter()
            .enumerate()
            .map(|(n, (pattern, kind))| {
                serde_json::json!({"id": 361_471 + n, "node_id": "MDE2OkdhdGVCcmFuY2hQb2xpY3kzNjE0NzE=", "name": pattern, "type": kind})
            })
            .collect();
        self.state.with(|i| {
            i.environments.insert(name.to_ascii_lowercase(), env);
            i.branch_policies
                .insert(name.to_ascii_lowercase(), policies);
        });
    }

    /// Deployments created so far, oldest first, with their statuses.
    pub fn deployments(&self) -> Vec<RecordedDeployment> {
        self.state.with(|i| i.deployments.clone())
    }

    /// Every request received so far (method, path, query, headers of note, status).
    pub fn requests(&self) -> Vec<ApiRequest> {
        self.state.with(|i| i.log.clone())
    }
}
