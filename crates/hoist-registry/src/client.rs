//! The distribution HTTP API (the `/v2/` endpoints) over reqwest, with the registry's
//! authentication (Basic, or Bearer tokens per scope from the challenge's realm) and retries
//! around every request that may be repeated safely.
//!
//! Where credentials go: the registry URL must be HTTPS unless it is on this machine; the
//! Authorization header is attached only to requests for the registry's own origin (an
//! upload `Location` or a redirect elsewhere, such as a storage bucket, never gets it:
//! reqwest drops it on a cross-origin redirect and redirects from HTTPS to HTTP are refused).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use url::Url;

use crate::auth::{BasicAuth, CredentialSource};
use crate::challenge::{Challenge, same_origin, transport_is_safe};
use crate::digest::{Digest, Sha256Writer};
use crate::error::RegistryError;
use crate::image::LocalBlob;
use crate::manifest::{self, Parsed, media_type};
use crate::reporter::Reporter;
use crate::retry::{RetryPolicy, Retryable};

/// A manifest as the registry holds it: its exact bytes, media type and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteManifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
    pub parsed: Parsed,
}

/// A blob streamed into an upload session and not yet committed ([`Client::stream_blob`]).
#[derive(Debug, Clone)]
pub struct Streamed {
    location: Url,
    /// The digest and size of what was sent.
    pub digest: Digest,
    pub size: u64,
}

/// The answer to a cross-repository mount request.
#[derive(Debug, Clone)]
pub(crate) enum Mount {
    /// 201: the blob is now in the repository.
    Mounted,
    /// 202: the registry did not mount (ECR without blob mounting, or a blob no manifest
    /// references) and opened an upload session instead.
    Session(Url),
}

/// A client for one registry.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    auth: Arc<AuthState>,
    on_challenge: Option<Arc<dyn CredentialSource>>,
    retry: RetryPolicy,
    reporter: Arc<dyn Reporter>,
}

/// What the client knows about the registry's authentication, shared by every request.
#[derive(Default)]
struct AuthState {
    /// The credentials: given up front, or fetched from `on_challenge` the first time the
    /// registry asks (`None` inside: the source has none, so token requests are anonymous).
    credentials: tokio::sync::OnceCell<Option<BasicAuth>>,
    /// The registry answered with a Basic challenge (or credentials were given up front):
    /// the credentials go with every request.
    basic: std::sync::atomic::AtomicBool,
    /// The registry answered with a Bearer challenge: where tokens come from.
    bearer: Mutex<Option<Realm>>,
    /// Tokens by scope key ([`crate::token::scope_key`]).
    tokens: Mutex<std::collections::HashMap<String, crate::token::Token>>,
    /// Held while a token is fetched, so concurrent requests for the same scopes fetch it
    /// once (the map's own lock is never held across a request).
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Realm {
    url: Url,
    service: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("credentials", &self.auth.credentials.get())
            .finish_non_exhaustive()
    }
}

/// The scopes a request on `repo` needs: hoist pushes, so it asks for `pull,push` (a token
/// server grants what the credentials allow; reads need only the `pull` part).
fn repo_scopes(repo: &str) -> Vec<String> {
    vec![format!("repository:{repo}:pull,push")]
}

/// Bytes read from disk at a time during an upload.
const CHUNK: usize = 1 << 20;

impl Client {
    /// A client for the registry at `base` (`https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`,
    /// or `http://127.0.0.1:PORT`; a bare `host:port` means https).
    ///
    /// # Errors
    /// [`RegistryError::Protocol`] when `base` is not a URL, or is plain HTTP to another
    /// machine (credentials and images would cross the network in the clear).
    pub fn new(
        base: &str,
        auth: Option<BasicAuth>,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Self, RegistryError> {
        let with_scheme = if base.contains("://") {
            base.to_owned()
        } else {
            format!("https://{base}")
        };
        let base = Url::parse(&with_scheme).map_err(|e| RegistryError::Protocol {
            url: base.to_owned(),
            detail: format!("not a registry URL: {e}"),
        })?;
        if !transport_is_safe(&base) {
            return Err(RegistryError::Protocol {
                url: base.to_string(),
                detail: "a registry must be reached over HTTPS (plain HTTP only to this machine: localhost, 127.0.0.1, ::1)".into(),
            });
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt
                    .previous()
                    .last()
                    .is_some_and(|p| p.scheme() == "https" && attempt.url().scheme() != "https");
                if downgrade {
                    attempt.error("a redirect from HTTPS to plain HTTP was refused")
                } else if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }));
        if base.scheme() == "http" {
            // A plain-HTTP registry (a local one) never needs the system's trust roots, whose
            // loading costs more than a whole no-op push.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let http = builder.build().map_err(|e| RegistryError::Unreachable {
            url: base.to_string(),
            source: e,
        })?;
        let state = AuthState::default();
        if let Some(a) = auth {
            state
                .basic
                .store(true, std::sync::atomic::Ordering::Relaxed);
            state.credentials.set(Some(a)).expect("a new cell is empty");
        }
        Ok(Self {
            http,
            base,
            auth: Arc::new(state),
            on_challenge: None,
            retry: RetryPolicy::default(),
            reporter,
        })
    }

    /// Asks `source` for credentials the first time the registry answers 401 (the
    /// distribution API's challenge), and sends them from then on. A registry that never
    /// asks (a local one) never causes the call; ECR always asks.
    #[must_use]
    pub fn with_credentials_on_challenge(mut self, source: Arc<dyn CredentialSource>) -> Self {
        self.on_challenge = Some(source);
        self
    }

    /// Overrides the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// `host[:port]` of the registry, as used in image references.
    #[must_use]
    pub fn host(&self) -> String {
        match self.base.port() {
            Some(p) => format!("{}:{p}", self.base.host_str().unwrap_or_default()),
            None => self.base.host_str().unwrap_or_default().to_owned(),
        }
    }

    pub(crate) fn reporter(&self) -> &Arc<dyn Reporter> {
        &self.reporter
    }

    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The registry could not be reached (or a request to it not built).
    fn unreachable(&self, source: reqwest::Error) -> RegistryError {
        RegistryError::Unreachable {
            url: self.base.to_string(),
            source,
        }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("registry paths are valid")
    }

    /// A request to `url` with the Authorization the registry wants for `scopes`, attached
    /// only when `url` is on the registry's own origin.
    fn request(&self, method: Method, url: Url, scopes: &[String]) -> RequestBuilder {
        let header = self.auth_header(&url, scopes);
        let mut rb = self.http.request(method, url);
        if let Some(h) = header {
            rb = rb.header(AUTHORIZATION, h);
        }
        rb
    }

    fn auth_header(&self, url: &Url, scopes: &[String]) -> Option<String> {
        if !same_origin(url, &self.base) {
            return None;
        }
        if self.bearer_realm().is_some() {
            let key = crate::token::scope_key(scopes);
            return self
                .auth
                .tokens
                .lock()
                .expect("not poisoned")
                .get(&key)
                .filter(|t| t.fresh())
                .map(crate::token::Token::header);
        }
        if self.auth.basic.load(std::sync::atomic::Ordering::Relaxed) {
            return self
                .auth
                .credentials
                .get()
                .cloned()
                .flatten()
                .map(|c| c.header());
        }
        None
    }

    fn bearer_realm(&self) -> Option<Realm> {
        self.auth.bearer.lock().expect("not poisoned").clone()
    }

    /// Once the registry is known to want Bearer tokens, fetches the token for `scopes`
    /// before the request leaves (no 401 round trip per repository), or renews one about to
    /// expire. `refused` is the header a request was just refused with: that token is not
    /// used again.
    async fn prepare(&self, scopes: &[String], refused: Option<&str>) -> Result<(), RegistryError> {
        let Some(realm) = self.bearer_realm() else {
            return Ok(());
        };
        let key = crate::token::scope_key(scopes);
        let usable = || {
            self.auth
                .tokens
                .lock()
                .expect("not poisoned")
                .get(&key)
                .is_some_and(|t| t.fresh() && refused != Some(t.header().as_str()))
        };
        if usable() {
            return Ok(());
        }
        let _fetching = self.auth.fetching.lock().await;
        if usable() {
            return Ok(());
        }
        let allowed = same_origin(&realm.url, &self.base)
            || self
                .on_challenge
                .as_ref()
                .is_none_or(|s| s.may_send_to_realm(&realm.url, &self.base));
        let credentials = if allowed {
            self.credentials().await?
        } else {
            None
        };
        let token = crate::token::fetch(
            &self.http,
            &realm.url,
            realm.service.as_deref(),
            scopes,
            credentials.as_ref(),
        )
        .await?;
        self.auth
            .tokens
            .lock()
            .expect("not poisoned")
            .insert(key, token);
        Ok(())
    }

    /// The credentials, fetched from the source the first time they are needed.
    async fn credentials(&self) -> Result<Option<BasicAuth>, RegistryError> {
        let Some(source) = &self.on_challenge else {
            return Ok(self.auth.credentials.get().cloned().flatten());
        };
        self.auth
            .credentials
            .get_or_try_init(|| source.fetch_optional())
            .await
            .cloned()
            .map_err(|source| RegistryError::Credentials { source })
    }

    /// Sends a request built by `build`, retrying on 5xx, 429 and dropped connections, and
    /// answering the registry's challenge (a 401) once. Any other answer (including 4xx) is
    /// returned for the caller to interpret.
    async fn send(
        &self,
        what: &str,
        scopes: &[String],
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, RegistryError> {
        let mut attempt = 0;
        let mut challenges_answered = 0;
        let mut refused: Option<String> = None;
        loop {
            self.prepare(scopes, refused.as_deref()).await?;
            let request = build().build().map_err(|e| self.unreachable(e))?;
            let sent_auth = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let started = std::time::Instant::now();
            let result = self.http.execute(request).await;
            match &result {
                Ok(resp) => tracing::debug!(
                    what,
                    path = resp.url().path(),
                    status = resp.status().as_u16(),
                    ms = started.elapsed().as_secs_f64() * 1e3,
                    "registry"
                ),
                Err(e) => {
                    tracing::debug!(what, error = %e, ms = started.elapsed().as_secs_f64() * 1e3, "registry")
                }
            }
            if let Ok(resp) = &result
                && resp.status() == StatusCode::UNAUTHORIZED
                && challenges_answered < 2
                && self.answer_challenge(resp, sent_auth.as_deref()).await?
            {
                challenges_answered += 1;
                refused = sent_auth;
                continue;
            }
            let (reason, retry_after) = match result {
                Ok(resp) if Retryable::status(resp.status().as_u16()) == Retryable::Yes => {
                    let ra = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs);
                    if attempt + 1 >= self.retry.attempts {
                        return Ok(resp);
                    }
                    (format!("HTTP {}", resp.status().as_u16()), ra)
                }
                Ok(resp) => return Ok(resp),
                Err(e) => {
                    if Retryable::transport(&e) == Retryable::No
                        || attempt + 1 >= self.retry.attempts
                    {
                        return Err(self.unreachable(e));
                    }
                    (error_chain(&e), None)
                }
            };
            let delay = self.retry.delay(attempt, retry_after);
            self.reporter.retrying(what, attempt + 1, &reason, delay);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Learns what a 401's challenge asks for; `true` when the request should be sent again
    /// (with the credentials, or a token for its scopes), `false` when there is nothing new to
    /// send (the credentials were refused, or there are none).
    async fn answer_challenge(
        &self,
        resp: &Response,
        sent: Option<&str>,
    ) -> Result<bool, RegistryError> {
        let challenge = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Challenge::parse);
        match challenge {
            None => Ok(false),
            Some(Challenge::Basic) => {
                if sent.is_some_and(|s| s.starts_with("Basic ")) {
                    return Ok(false);
                }
                let has = self.credentials().await?.is_some();
                self.auth
                    .basic
                    .store(has, std::sync::atomic::Ordering::Relaxed);
                Ok(has)
            }
            Some(Challenge::Bearer { realm, service, .. }) => {
                let url = Url::parse(&realm)
                    .or_else(|_| self.base.join(&realm))
                    .map_err(|e| RegistryError::Protocol {
                        url: self.base.to_string(),
                        detail: format!("the Bearer challenge's realm {realm:?} is not a URL: {e}"),
                    })?;
                if !transport_is_safe(&url) {
                    return Err(RegistryError::Protocol {
                        url: self.base.to_string(),
                        detail: format!(
                            "the token realm {url} is plain HTTP to another machine; hoist sends credentials only over HTTPS"
                        ),
                    });
                }
                *self.auth.bearer.lock().expect("not poisoned") = Some(Realm { url, service });
                self.auth
                    .basic
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                Ok(true)
            }
        }
    }

    /// `GET /v2/`: the registry answers and accepts the credentials.
    ///
    /// # Errors
    /// [`RegistryError::Unreachable`], [`RegistryError::Unauthorized`] or another status.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        let url = self.url("/v2/");
        let resp = self
            .send("GET /v2/", &[], || {
                self.request(Method::GET, url.clone(), &[])
            })
            .await?;
        expect(resp, "GET", &[StatusCode::OK]).await.map(drop)
    }

    /// `HEAD /v2/<repo>/blobs/<digest>`.
    ///
    /// # Errors
    /// When the registry cannot be asked.
    pub async fn blob_exists(&self, repo: &str, digest: &Digest) -> Result<bool, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/blobs/{digest}"));
        let scopes = repo_scopes(repo);
        let resp = self
            .send("HEAD blob", &scopes, || {
                self.request(Method::HEAD, url.clone(), &scopes)
            })
            .await?;
        match resp.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => expect(resp, "HEAD", &[]).await.map(|_| false),
        }
    }

    /// `GET /v2/<repo>/blobs/<digest>` of a small blob (an image config), its bytes checked
    /// against the digest; `None` when the repository lacks it. A redirect to storage
    /// elsewhere is followed without the Authorization header.
    ///
    /// # Errors
    /// When the registry cannot be asked, or sent other bytes.
    pub async fn get_small_blob(
        &self,
        repo: &str,
        digest: &Digest,
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        /// Configs are kilobytes; anything this big is not one.
        const LIMIT: usize = 16 << 20;
        let url = self.url(&format!("/v2/{repo}/blobs/{digest}"));
        let scopes = repo_scopes(repo);
        let resp = self
            .send("GET blob", &scopes, || {
                self.request(Method::GET, url.clone(), &scopes)
            })
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut resp = expect(resp, "GET", &[StatusCode::OK]).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| RegistryError::Unreachable {
            url: url.to_string(),
            source: e,
        })? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > LIMIT {
                return Err(RegistryError::Protocol {
                    url: url.to_string(),
                    detail: format!("the blob is larger than {LIMIT} bytes"),
                });
            }
        }
        let actual = Digest::of(&bytes);
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                what: url.to_string(),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(Some(bytes))
    }

    /// `POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<other repo>`.
    pub(crate) async fn mount(
        &self,
        repo: &str,
        digest: &Digest,
        from: &str,
    ) -> Result<Mount, RegistryError> {
        let mut url = self.url(&format!("/v2/{repo}/blobs/uploads/"));
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from);
        let mut scopes = repo_scopes(repo);
        scopes.push(format!("repository:{from}:pull"));
        let resp = self
            .send("POST mount", &scopes, || {
                self.request(Method::POST, url.clone(), &scopes)
                    .header(CONTENT_LENGTH, "0")
            })
            .await?;
        match resp.status() {
            StatusCode::CREATED => Ok(Mount::Mounted),
            StatusCode::ACCEPTED => Ok(Mount::Session(self.location(&resp, &url)?)),
            _ => expect(resp, "POST", &[]).await.map(|_| Mount::Mounted),
        }
    }

    /// `POST /v2/<repo>/blobs/uploads/`: opens an upload session.
    pub(crate) async fn start_upload(&self, repo: &str) -> Result<Url, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/blobs/uploads/"));
        let scopes = repo_scopes(repo);
        let resp = self
            .send("POST upload", &scopes, || {
                self.request(Method::POST, url.clone(), &scopes)
                    .header(CONTENT_LENGTH, "0")
            })
            .await?;
        let resp = expect(resp, "POST", &[StatusCode::ACCEPTED]).await?;
        self.location(&resp, &url)
    }

    fn location(&self, resp: &Response, url: &Url) -> Result<Url, RegistryError> {
        let loc = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Protocol {
                url: url.to_string(),
                detail: "upload session without a Location header".into(),
            })?;
        self.base.join(loc).map_err(|e| RegistryError::Protocol {
            url: url.to_string(),
            detail: format!("bad Location {loc:?}: {e}"),
        })
    }

    /// Monolithic upload: `PUT <session>?digest=<digest>` with the blob's bytes streamed from
    /// disk and hashed on the way. Not retried here: a failed session is abandoned and the
    /// caller starts over (HEAD, new session).
    pub(crate) async fn put_blob(
        &self,
        session: Url,
        image: &str,
        blob: &LocalBlob,
    ) -> Result<(), RegistryError> {
        let digest = blob.descriptor.digest.clone();
        let mut url = session;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let mismatch: Arc<Mutex<Option<Digest>>> = Arc::default();
        let body = body_stream(
            blob.clone(),
            image.to_owned(),
            self.reporter.clone(),
            mismatch.clone(),
        );
        let scopes = repo_scopes(image);
        self.prepare(&scopes, None).await?;
        let started = std::time::Instant::now();
        let result = self
            .request(Method::PUT, url.clone(), &scopes)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, blob.source.len.to_string())
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        tracing::debug!(
            blob = digest.short(),
            bytes = blob.source.len,
            ms = started.elapsed().as_secs_f64() * 1e3,
            ok = result.is_ok(),
            "upload"
        );
        if let Some(actual) = mismatch.lock().expect("not poisoned").take() {
            return Err(RegistryError::DigestMismatch {
                what: format!(
                    "{} (bytes {}..{})",
                    blob.source.path.display(),
                    blob.source.offset,
                    blob.source.offset + blob.source.len
                ),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        let resp = result.map_err(|e| self.unreachable(e))?;
        expect(resp, "PUT", &[StatusCode::CREATED]).await.map(drop)
    }

    /// Sends a blob whose digest is known only at its end, as it is produced: opens a
    /// session, then one `PATCH` whose body is what `chunks` yields (chunked transfer, no
    /// length: the form `docker push` streams layers in), hashed on the way. The blob is not
    /// in the repository until [`Client::commit_streamed`] names its digest; a stream that
    /// is cut short or not the blob expected is simply never committed. Not retried: the
    /// caller uploads the finished file instead.
    ///
    /// # Errors
    /// When the session cannot be opened or the registry refuses the bytes.
    pub async fn stream_blob(
        &self,
        repo: &str,
        chunks: impl futures::Stream<Item = bytes::Bytes> + Send + 'static,
    ) -> Result<Streamed, RegistryError> {
        let session = self.start_upload(repo).await?;
        let hashed = Arc::new(Mutex::new(Sha256Writer::new()));
        let hasher = hashed.clone();
        let body = chunks.map(move |chunk| {
            hasher.lock().expect("not poisoned").update(&chunk);
            Ok::<_, std::io::Error>(chunk)
        });
        let scopes = repo_scopes(repo);
        self.prepare(&scopes, None).await?;
        let started = std::time::Instant::now();
        let result = self
            .request(Method::PATCH, session.clone(), &scopes)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        let hashed = std::mem::take(&mut *hashed.lock().expect("not poisoned"));
        let (size, digest) = (hashed.len(), hashed.finish());
        tracing::debug!(
            blob = digest.short(),
            bytes = size,
            ms = started.elapsed().as_secs_f64() * 1e3,
            ok = result.is_ok(),
            "streamed"
        );
        let resp = result.map_err(|e| self.unreachable(e))?;
        let resp = expect(
            resp,
            "PATCH",
            &[StatusCode::ACCEPTED, StatusCode::NO_CONTENT],
        )
        .await?;
        Ok(Streamed {
            location: self.location(&resp, &session)?,
            digest,
            size,
        })
    }

    /// Completes a streamed blob: `PUT <location>?digest=<digest>` without a body; the
    /// registry checks the digest against what it received.
    ///
    /// # Errors
    /// When the registry refuses it.
    pub async fn commit_streamed(
        &self,
        repo: &str,
        streamed: &Streamed,
    ) -> Result<(), RegistryError> {
        let mut url = streamed.location.clone();
        url.query_pairs_mut()
            .append_pair("digest", streamed.digest.as_str());
        let scopes = repo_scopes(repo);
        self.prepare(&scopes, None).await?;
        let resp = self
            .request(Method::PUT, url, &scopes)
            .header(CONTENT_LENGTH, "0")
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        expect(resp, "PUT", &[StatusCode::CREATED]).await.map(drop)
    }

    /// `GET /v2/<repo>/manifests/<reference>` accepting every manifest and index type;
    /// `None` when the tag or digest does not exist.
    ///
    /// # Errors
    /// When the registry cannot be asked or sent something unusable.
    pub async fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Option<RemoteManifest>, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
        let scopes = repo_scopes(repo);
        let resp = self
            .send("GET manifest", &scopes, || {
                self.request(Method::GET, url.clone(), &scopes)
                    .header(ACCEPT, media_type::ACCEPT_ALL)
            })
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = expect(resp, "GET", &[StatusCode::OK]).await?;
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| RegistryError::Unreachable {
                url: url.to_string(),
                source: e,
            })?
            .to_vec();
        let digest = Digest::of(&bytes);
        if let Ok(d) = Digest::parse(reference)
            && d != digest
        {
            return Err(RegistryError::DigestMismatch {
                what: url.to_string(),
                expected: d.to_string(),
                actual: digest.to_string(),
            });
        }
        let (media_type, parsed) = manifest::parse(&bytes, content_type.as_deref(), url.as_str())?;
        Ok(Some(RemoteManifest {
            bytes,
            media_type,
            digest,
            parsed,
        }))
    }

    /// `PUT /v2/<repo>/manifests/<reference>`; returns the digest the registry computed,
    /// checked against sha256 of the bytes sent.
    ///
    /// # Errors
    /// When the registry refuses the manifest (a missing blob, an immutable tag).
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
        let body = bytes.to_vec();
        let scopes = repo_scopes(repo);
        let resp = self
            .send("PUT manifest", &scopes, || {
                self.request(Method::PUT, url.clone(), &scopes)
                    .header(CONTENT_TYPE, media_type)
                    .body(body.clone())
            })
            .await?;
        let resp = expect(resp, "PUT", &[StatusCode::CREATED, StatusCode::OK]).await?;
        let ours = Digest::of(bytes);
        if let Some(theirs) = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && theirs != ours.as_str()
        {
            return Err(RegistryError::DigestMismatch {
                what: url.to_string(),
                expected: ours.to_string(),
                actual: theirs.to_owned(),
            });
        }
        Ok(ours)
    }
}

/// Passes `resp` through when its status is one of `ok` (any 2xx when `ok` is empty is
/// NOT accepted: empty means "this status was unexpected"), else turns it into an error
/// carrying the registry's body.
async fn expect(
    resp: Response,
    method: &'static str,
    ok: &[StatusCode],
) -> Result<Response, RegistryError> {
    if ok.contains(&resp.status()) {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let url = redact_query(resp.url());
    if status == 401 {
        return Err(RegistryError::Unauthorized { method, url });
    }
    let mut body = resp.text().await.unwrap_or_default();
    if body.len() > 600 {
        let mut cut = 600;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        body.push('…');
    }
    Err(RegistryError::Status {
        method,
        url,
        status,
        body: body.trim().to_owned(),
    })
}

/// Upload session URLs carry state (`_state=`) that is noise in messages.
fn redact_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut s = err.source();
    while let Some(e) = s {
        out.push_str(": ");
        out.push_str(&e.to_string());
        s = e.source();
    }
    out
}

/// The blob's bytes from disk in chunks, hashed as they go unless this run hashed them
/// already ([`BlobSource::hashed_here`]); at the end a digest mismatch is recorded in
/// `mismatch` and the stream fails, so the registry never completes the blob.
fn body_stream(
    blob: LocalBlob,
    image: String,
    reporter: Arc<dyn Reporter>,
    mismatch: Arc<Mutex<Option<Digest>>>,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    struct State {
        file: Option<tokio::fs::File>,
        remaining: u64,
        hasher: Option<Sha256Writer>,
        done: bool,
    }
    let src = blob.source.clone();
    let hasher = (!src.hashed_here).then(Sha256Writer::new);
    let state = State {
        file: None,
        remaining: src.len,
        hasher,
        done: false,
    };
    let failed = |e: std::io::Error| {
        Some((
            Err(e),
            State {
                file: None,
                remaining: 0,
                hasher: None,
                done: true,
            },
        ))
    };
    futures::stream::unfold(state, move |mut st| {
        let src = src.clone();
        let blob = blob.clone();
        let image = image.clone();
        let reporter = reporter.clone();
        let mismatch = mismatch.clone();
        async move {
            if st.done {
                return None;
            }
            if st.file.is_none() {
                let opened = async {
                    let mut f = tokio::fs::File::open(&src.path).await?;
                    f.seek(std::io::SeekFrom::Start(src.offset)).await?;
                    Ok::<_, std::io::Error>(f)
                }
                .await;
                match opened {
                    Ok(f) => st.file = Some(f),
                    Err(e) => return failed(e),
                }
            }
            if st.remaining == 0 {
                st.done = true;
                if let Some(actual) = st.hasher.take().map(Sha256Writer::finish)
                    && actual != blob.descriptor.digest
                {
                    *mismatch.lock().expect("not poisoned") = Some(actual);
                    return Some((Err(std::io::Error::other("blob digest mismatch")), st));
                }
                return None;
            }
            let want = usize::try_from(st.remaining.min(CHUNK as u64)).unwrap_or(CHUNK);
            let mut buf = vec![0u8; want];
            let file = st.file.as_mut().expect("opened above");
            match file.read_exact(&mut buf).await {
                Ok(_) => {
                    st.remaining -= want as u64;
                    if let Some(h) = st.hasher.as_mut() {
                        h.update(&buf);
                    }
                    reporter.upload_progress(&image, &blob.descriptor.digest, want as u64);
                    Some((Ok(bytes::Bytes::from(buf)), st))
                }
                Err(e) => failed(e),
            }
        }
    })
    .fuse()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::BlobSource;
    use crate::manifest::Descriptor;
    use crate::reporter::NoReporter;

    fn blob(path: &std::path::Path, offset: u64, len: u64, digest: Digest) -> LocalBlob {
        LocalBlob {
            descriptor: Descriptor {
                media_type: media_type::OCI_LAYER_TAR.into(),
                digest,
                size: len,
                platform: None,
                annotations: None,
            },
            source: BlobSource {
                path: path.to_owned(),
                offset,
                len,
                hashed_here: false,
            },
        }
    }

    async fn drain(b: LocalBlob) -> (Vec<u8>, Option<std::io::Error>, Option<Digest>) {
        let mismatch: Arc<Mutex<Option<Digest>>> = Arc::default();
        let mut s = body_stream(b, "app".into(), Arc::new(NoReporter), mismatch.clone());
        let (mut out, mut err) = (Vec::new(), None);
        while let Some(item) = s.next().await {
            match item {
                Ok(bytes) => out.extend_from_slice(&bytes),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let m = mismatch.lock().unwrap().take();
        (out, err, m)
    }

    #[tokio::test]
    async fn streams_a_byte_range_and_verifies_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let range = &data[1000..601_000];
        let (out, err, m) = drain(blob(&path, 1000, 600_000, Digest::of(range))).await;
        assert!(err.is_none() && m.is_none());
        assert_eq!(out, range);
    }

    #[tokio::test]
    async fn a_blob_hashed_while_spooled_is_not_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spooled");
        std::fs::write(&path, b"spooled bytes").unwrap();
        let mut b = blob(&path, 0, 13, Digest::of(b"what the spool computed"));
        b.source.hashed_here = true;
        // Not checked here (the registry checks every digest it commits), so no mismatch.
        let (out, err, m) = drain(b).await;
        assert_eq!(
            (out.as_slice(), err.is_none(), m),
            (&b"spooled bytes"[..], true, None)
        );
    }

    #[tokio::test]
    async fn a_blob_changed_on_disk_fails_the_stream_before_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, b"the bytes that were hashed").unwrap();
        let digest = Digest::of(b"the bytes that were hashed");
        std::fs::write(&path, b"other bytes, same length!!").unwrap();
        let (_, err, m) = drain(blob(&path, 0, 26, digest)).await;
        assert!(
            err.is_some(),
            "the stream must fail so the registry never completes the upload"
        );
        assert_eq!(m, Some(Digest::of(b"other bytes, same length!!")));
    }
}
