//! The distribution API's Basic challenge: credentials are fetched only when the registry
//! answers 401, once for all concurrent requests, and a failed fetch keeps its own error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hoist_registry::{
    BasicAuth, Client, CredentialError, CredentialSource, Digest, NoReporter, RegistryError,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A registry that wants `Authorization: Basic QVdTOnNlY3JldA==` (`AWS:secret`) on every
/// request when `protected`, answers 200 to everything it accepts, and counts requests.
async fn registry(protected: bool) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    buf.drain(..end);
                    counter.fetch_add(1, Ordering::SeqCst);
                    let authorized = !protected
                        || head.contains(&format!(
                            "authorization: basic {}",
                            "QVdTOnNlY3JldA==".to_lowercase()
                        ));
                    let answer = if authorized {
                        "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
                    } else {
                        "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n"
                    };
                    if conn.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, requests)
}

struct Counting {
    fetches: AtomicUsize,
    fail: bool,
}

#[derive(Debug)]
struct NoToken;

impl std::fmt::Display for NoToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no token for you")
    }
}

impl std::error::Error for NoToken {}

impl CredentialSource for Counting {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<BasicAuth, CredentialError>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if self.fail {
                Err(Box::new(NoToken) as CredentialError)
            } else {
                Ok(BasicAuth::new("AWS", "secret"))
            }
        })
    }
}

fn digest() -> Digest {
    Digest::of(b"some blob")
}

#[tokio::test]
async fn an_open_registry_never_causes_a_fetch() {
    let (url, requests) = registry(false).await;
    let source = Arc::new(Counting {
        fetches: AtomicUsize::new(0),
        fail: false,
    });
    let client = Client::new(&url, None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(source.clone());
    assert!(client.blob_exists("app", &digest()).await.unwrap());
    assert_eq!(source.fetches.load(Ordering::SeqCst), 0);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_challenge_fetches_once_for_concurrent_requests() {
    let (url, requests) = registry(true).await;
    let source = Arc::new(Counting {
        fetches: AtomicUsize::new(0),
        fail: false,
    });
    let client = Client::new(&url, None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(source.clone());
    let d = digest();
    let (a, b, c) = tokio::join!(
        client.blob_exists("a", &d),
        client.blob_exists("b", &d),
        client.blob_exists("c", &d)
    );
    assert!(a.unwrap() && b.unwrap() && c.unwrap());
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        1,
        "one fetch answers every challenge"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        6,
        "each request once without and once with credentials"
    );
    // From then on the credentials go with the first attempt.
    assert!(client.blob_exists("d", &digest()).await.unwrap());
    assert_eq!(requests.load(Ordering::SeqCst), 7);
}

#[tokio::test]
async fn without_a_source_a_challenge_is_unauthorized() {
    let (url, _) = registry(true).await;
    let client = Client::new(&url, None, Arc::new(NoReporter)).unwrap();
    let err = client.blob_exists("app", &digest()).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err:?}");
    // Wrong credentials given up front are refused the same way, without a second try.
    let client = Client::new(
        &url,
        Some(BasicAuth::new("AWS", "wrong")),
        Arc::new(NoReporter),
    )
    .unwrap();
    assert!(matches!(
        client.blob_exists("app", &digest()).await.unwrap_err(),
        RegistryError::Unauthorized { .. }
    ));
}

#[tokio::test]
async fn a_failed_fetch_keeps_the_sources_error() {
    let (url, _) = registry(true).await;
    let source = Arc::new(Counting {
        fetches: AtomicUsize::new(0),
        fail: true,
    });
    let client = Client::new(&url, None, Arc::new(NoReporter))
        .unwrap()
        .with_credentials_on_challenge(source);
    let err = client.blob_exists("app", &digest()).await.unwrap_err();
    let RegistryError::Credentials { source } = err else {
        panic!("{err:?}")
    };
    assert!(
        source.downcast_ref::<NoToken>().is_some(),
        "the caller gets its own error back: {source}"
    );
}
