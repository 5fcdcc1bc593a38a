//! hoist-http's client against a real loopback server: size limits with and without a
//! declared length, and a redirect to a host outside the allowed URLs refused.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use hoist_http::{MAX_BODY, TransportError, client_builder, read_limited};

async fn serve() -> String {
    let app = Router::new()
        .route("/small", get(|| async { "{\"keys\":[]}" }))
        .route("/big", get(|| async { "x".repeat(MAX_BODY + 1) }))
        .route(
            "/chunked",
            get(|| async {
                // No Content-Length: the limit must hold while streaming.
                let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 64 * 1024]));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        )
        .route(
            "/away",
            get(|| async {
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(header::LOCATION, "http://jwks.example.invalid/keys")
                    .body(Body::empty())
                    .unwrap()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn limits_and_redirects() {
    let base = serve().await;
    let client = client_builder(Duration::from_secs(5)).build().unwrap();

    let small = client.get(format!("{base}/small")).send().await.unwrap();
    assert_eq!(
        read_limited(small, MAX_BODY).await.unwrap(),
        "{\"keys\":[]}"
    );

    let big = client.get(format!("{base}/big")).send().await.unwrap();
    assert!(matches!(
        read_limited(big, MAX_BODY).await,
        Err(TransportError::TooLarge { .. })
    ));

    let chunked = client.get(format!("{base}/chunked")).send().await.unwrap();
    assert!(chunked.content_length().is_none());
    assert!(matches!(
        read_limited(chunked, MAX_BODY).await,
        Err(TransportError::TooLarge { .. })
    ));

    let away = client.get(format!("{base}/away")).send().await.unwrap_err();
    assert!(away.is_redirect(), "{away:?}");
    let chain = format!("{away:?}");
    assert!(chain.contains("not an https URL"), "{chain}");
}
