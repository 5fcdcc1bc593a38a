//! Where credentials go, asserted on the wire with small loopback servers that record every
//! request: the Bearer token flow (scopes, one token per scope set, anonymous when there are
//! no credentials), and the Authorization header never reaching another origin (an upload
//! `Location` or a redirect elsewhere), nor ECR-style credentials a token realm elsewhere.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hoist_registry::{
    BasicAuth, BlobRegistry, BlobSource, Client, CredentialError, CredentialSource, Descriptor,
    Digest, LocalBlob, NoReporter, PushOptions, RegistryError, media_type,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One request as a test server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    authorization: Option<String>,
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);
type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// A loopback HTTP/1.1 server answering with `handler` and recording every request.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Self {
        let handler: Handler = Arc::new(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let record = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let (handler, record) = (handler.clone(), record.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 65536];
                    loop {
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match conn.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        buf.drain(..end);
                        let mut lines = head.lines();
                        let mut first = lines.next().unwrap_or_default().split(' ');
                        let method = first.next().unwrap_or_default().to_owned();
                        let target = first.next().unwrap_or_default().to_owned();
                        let mut authorization = None;
                        let mut length = 0usize;
                        for l in lines {
                            if let Some((k, v)) = l.split_once(':') {
                                match k.trim().to_ascii_lowercase().as_str() {
                                    "authorization" => authorization = Some(v.trim().to_owned()),
                                    "content-length" => length = v.trim().parse().unwrap_or(0),
                                    _ => {}
                                }
                            }
                        }
                        while buf.len() < length {
                            match conn.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        buf.drain(..length);
                        let req = Seen {
                            method,
                            target,
                            authorization,
                        };
                        record.lock().unwrap().push(req.clone());
                        let (status, headers, body) = handler(&req);
                        let mut out =
                            format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                        for (k, v) in headers {
                            out.push_str(&format!("{k}: {v}\r\n"));
                        }
                        out.push_str("\r\n");
                        let mut bytes = out.into_bytes();
                        bytes.extend_from_slice(&body);
                        if conn.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn plain(status: u16) -> Answer {
    (status, vec![], vec![])
}

fn with(status: u16, headers: &[(&str, &str)]) -> Answer {
    (
        status,
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        vec![],
    )
}

const BASIC_AWS_SECRET: &str = "Basic QVdTOnNlY3JldA=="; // AWS:secret

fn blob_file(dir: &tempfile::TempDir, bytes: &[u8]) -> LocalBlob {
    let path = dir.path().join("blob");
    std::fs::write(&path, bytes).unwrap();
    LocalBlob {
        descriptor: Descriptor {
            media_type: media_type::OCI_LAYER_TAR.into(),
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
            platform: None,
            annotations: None,
        },
        source: BlobSource {
            path,
            offset: 0,
            len: bytes.len() as u64,
            hashed_here: false,
        },
    }
}

#[tokio::test]
async fn an_upload_location_on_another_origin_never_gets_the_authorization() {
    let storage = Server::start(|_| plain(201)).await;
    // `localhost` is another origin than `127.0.0.1`, and the port differs too.
    let elsewhere = format!("http://localhost:{}/upload/session-1?state=x", storage.port);
    let registry = Server::start(move |r| {
        if r.authorization.as_deref() != Some(BASIC_AWS_SECRET) {
            return with(401, &[("www-authenticate", "Basic realm=\"r\"")]);
        }
        match r.method.as_str() {
            "HEAD" => plain(404),
            "POST" => with(202, &[("location", &elsewhere)]),
            _ => plain(500),
        }
    })
    .await;
    let client = Client::new(
        &registry.url(),
        Some(BasicAuth::new("AWS", "secret")),
        Arc::new(NoReporter),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blob = blob_file(&dir, b"layer bytes");
    hoist_registry::make_present(
        &client,
        "app",
        &blob,
        &BlobRegistry::new(),
        &PushOptions::default(),
    )
    .await
    .unwrap();
    let put: Vec<Seen> = storage.seen();
    assert_eq!(put.len(), 1, "{put:?}");
    assert_eq!(put[0].method, "PUT");
    assert!(put[0].target.contains("digest=sha256"), "{put:?}");
    assert_eq!(
        put[0].authorization, None,
        "the registry's credentials stay with the registry"
    );
    assert!(
        registry
            .seen()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(BASIC_AWS_SECRET)),
        "the registry itself gets them on every request"
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_never_gets_the_authorization() {
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec();
    let body = manifest.clone();
    let storage = Server::start(move |_| {
        (
            200,
            vec![(
                "content-type".into(),
                "application/vnd.oci.image.manifest.v1+json".into(),
            )],
            body.clone(),
        )
    })
    .await;
    let elsewhere = format!("http://localhost:{}/bucket/m", storage.port);
    let registry = Server::start(move |r| {
        if r.authorization.is_none() {
            return with(401, &[("www-authenticate", "Basic realm=\"r\"")]);
        }
        with(307, &[("location", &elsewhere)])
    })
    .await;
    let client = Client::new(
        &registry.url(),
        Some(BasicAuth::new("AWS", "secret")),
        Arc::new(NoReporter),
    )
    .unwrap();
    let m = client.get_manifest("app", "latest").await.unwrap().unwrap();
    assert_eq!(m.bytes, manifest);
    let seen = storage.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization, None, "{seen:?}");
}

/// A token server that wants `user:pass` (or nothing: anonymous), and a registry that wants
/// the tokens it issues: `tok-N` for the Nth token.
struct BearerPair {
    tokens: Server,
    registry: Server,
}

/// The challenge names the token server on `realm_host`.
async fn bearer_pair(realm_host: &str) -> BearerPair {
    let issued = Arc::new(AtomicUsize::new(0));
    let tokens = Server::start(move |r| {
        let anonymous = r.authorization.is_none();
        let good = r.authorization.as_deref() == Some("Basic dXNlcjpwYXNz"); // user:pass
        if !anonymous && !good {
            return plain(401);
        }
        let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
        let body = format!(r#"{{"token":"tok-{n}","expires_in":300}}"#);
        (200, vec![], body.into_bytes())
    })
    .await;
    let realm = format!("http://{realm_host}:{}/token", tokens.port);
    let challenge =
        format!("Bearer realm=\"{realm}\",service=\"svc\",scope=\"repository:app:pull\"");
    let registry = Server::start(move |r| match &r.authorization {
        Some(a) if a.starts_with("Bearer tok-") => plain(200),
        _ => with(401, &[("www-authenticate", &challenge)]),
    })
    .await;
    BearerPair { tokens, registry }
}

struct Fixed(Option<BasicAuth>, bool, AtomicUsize);

impl CredentialSource for Fixed {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<BasicAuth, CredentialError>> {
        Box::pin(async move {
            self.fetch_optional()
                .await?
                .ok_or_else(|| -> CredentialError { "none".into() })
        })
    }
    fn fetch_optional(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Option<BasicAuth>, CredentialError>> {
        self.2.fetch_add(1, Ordering::SeqCst);
        let c = self.0.clone();
        Box::pin(async move { Ok(c) })
    }
    fn may_send_to_realm(&self, realm: &url::Url, registry: &url::Url) -> bool {
        self.1 || hoist_registry::same_origin(realm, registry)
    }
}

fn query_scopes(target: &str) -> Vec<String> {
    let url = url::Url::parse(&format!("http://x{target}")).unwrap();
    url.query_pairs()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .collect()
}

#[tokio::test]
async fn bearer_tokens_are_fetched_with_the_credentials_once_per_scope_set() {
    let pair = bearer_pair("127.0.0.1").await;
    let source = Arc::new(Fixed(
        Some(BasicAuth::new("user", "pass")),
        true,
        AtomicUsize::new(0),
    ));
    let client = Client::new(&pair.registry.url(), None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(source.clone());
    let d = Digest::of(b"x");
    assert!(client.blob_exists("app", &d).await.unwrap());
    assert!(client.blob_exists("app", &d).await.unwrap());
    assert!(client.blob_exists("other", &d).await.unwrap());
    let token_requests = pair.tokens.seen();
    assert_eq!(
        token_requests.len(),
        2,
        "one per scope set: {token_requests:?}"
    );
    assert!(
        token_requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Basic dXNlcjpwYXNz"))
    );
    assert_eq!(
        query_scopes(&token_requests[0].target),
        ["repository:app:pull,push"]
    );
    assert!(token_requests[0].target.contains("service=svc"));
    assert_eq!(
        query_scopes(&token_requests[1].target),
        ["repository:other:pull,push"]
    );
    let reg = pair.registry.seen();
    // The first request learns the challenge; from then on every request carries its token.
    assert_eq!(reg.len(), 4, "{reg:?}");
    assert_eq!(reg[0].authorization, None);
    assert_eq!(reg[1].authorization.as_deref(), Some("Bearer tok-1"));
    assert_eq!(reg[2].authorization.as_deref(), Some("Bearer tok-1"));
    assert_eq!(reg[3].authorization.as_deref(), Some("Bearer tok-2"));
    assert_eq!(source.2.load(Ordering::SeqCst), 1, "credentials read once");
}

#[tokio::test]
async fn without_credentials_the_token_request_is_anonymous() {
    let pair = bearer_pair("127.0.0.1").await;
    let client = Client::new(&pair.registry.url(), None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(Arc::new(Fixed(None, true, AtomicUsize::new(0))));
    assert!(client.blob_exists("app", &Digest::of(b"x")).await.unwrap());
    let t = pair.tokens.seen();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].authorization, None);
}

#[tokio::test]
async fn credentials_bound_to_the_registry_never_reach_a_realm_elsewhere() {
    // The realm is `localhost`: another origin than the registry's 127.0.0.1.
    let pair = bearer_pair("localhost").await;
    let source = Arc::new(Fixed(
        Some(BasicAuth::new("AWS", "ecr-token")),
        false,
        AtomicUsize::new(0),
    ));
    let client = Client::new(&pair.registry.url(), None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(source.clone());
    assert!(client.blob_exists("app", &Digest::of(b"x")).await.unwrap());
    let t = pair.tokens.seen();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].authorization, None, "ECR's token stays with ECR");
    assert_eq!(source.2.load(Ordering::SeqCst), 0, "not even fetched");
}

#[tokio::test]
async fn a_plain_http_realm_on_another_machine_is_refused() {
    let pair = bearer_pair("registry.example").await;
    let client = Client::new(&pair.registry.url(), None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(Arc::new(Fixed(
            Some(BasicAuth::new("user", "pass")),
            true,
            AtomicUsize::new(0),
        )));
    let err = client
        .blob_exists("app", &Digest::of(b"x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::Protocol { detail, .. } if detail.contains("HTTPS")),
        "{err:?}"
    );
    assert!(pair.tokens.seen().is_empty());
}

#[test]
fn a_plain_http_registry_on_another_machine_is_refused() {
    let err = Client::new("http://registry.example:5000", None, Arc::new(NoReporter)).unwrap_err();
    assert!(
        err.to_string().contains("registry.example")
            || matches!(err, RegistryError::Protocol { .. })
    );
    assert!(Client::new("http://localhost:5000", None, Arc::new(NoReporter)).is_ok());
    assert!(Client::new("registry.example:5000", None, Arc::new(NoReporter)).is_ok());
}
