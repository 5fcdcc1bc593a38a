//! A loopback HTTP proxy in front of the registry that injects faults: a 500 answer, or a
//! connection dropped in the middle of a request body. Each request gets its own upstream
//! connection (`Connection: close`), so a fault never leaks into the next request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Pass,
    /// Answer 500 without forwarding.
    Status500,
    /// Forward the head and half of the body, then drop both connections.
    DropMidBody,
}

/// Decides the fault for the n-th request (counting from 0) with this method and path.
pub(crate) type Plan = dyn Fn(usize, &str, &str) -> Fault + Send + Sync;

pub(crate) struct FaultProxy {
    pub(crate) port: u16,
    pub(crate) faults: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    pub(crate) fn start(upstream: u16, plan: Box<Plan>) -> Self {
        let plan: Arc<Plan> = Arc::from(plan);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let faults = Arc::new(AtomicUsize::new(0));
        let faults2 = faults.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                let counter = Arc::new(AtomicUsize::new(0));
                let mut rx = rx;
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            let (plan, counter, faults) = (plan.clone(), counter.clone(), faults2.clone());
                            tokio::spawn(async move { let _ = handle(client, upstream, plan, counter, faults).await; });
                        }
                    }
                }
            });
        });
        Self {
            port: port_rx.recv().unwrap(),
            faults,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn handle(
    mut client: TcpStream,
    upstream: u16,
    plan: Arc<Plan>,
    counter: Arc<AtomicUsize>,
    faults: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut content_length = 0usize;
    // A body of unknown length (a layer streamed as it is compressed).
    let mut chunked = false;
    let mut kept = vec![request_line.clone()];
    for l in lines.filter(|l| !l.is_empty()) {
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        if lower.starts_with("connection:") {
            continue;
        }
        kept.push(l.to_owned());
    }
    kept.push("Connection: close".to_owned());
    let new_head = format!("{}\r\n\r\n", kept.join("\r\n"));
    let body_start = buf[head_end..].to_vec();
    let n = counter.fetch_add(1, Ordering::SeqCst);
    match plan(n, &method, &path) {
        Fault::Status500 => {
            faults.fetch_add(1, Ordering::SeqCst);
            // Read the body so the client sees an answer rather than a reset.
            let mut left = content_length.saturating_sub(body_start.len());
            let mut sink = vec![0u8; 65536];
            while left > 0 {
                let k = client.read(&mut sink[..left.min(65536)]).await?;
                if k == 0 {
                    break;
                }
                left -= k;
            }
            let body =
                "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"injected by the test proxy\"}]}";
            let resp = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(resp.as_bytes()).await?;
            client.shutdown().await?;
            Ok(())
        }
        Fault::DropMidBody => {
            faults.fetch_add(1, Ordering::SeqCst);
            let mut up = TcpStream::connect(("127.0.0.1", upstream)).await?;
            up.write_all(new_head.as_bytes()).await?;
            // A chunked body is cut after its first 64 KiB.
            let half = if chunked { 1 << 16 } else { content_length / 2 };
            let mut sent = body_start.len().min(half);
            up.write_all(&body_start[..sent]).await?;
            let mut chunk = vec![0u8; 65536];
            while sent < half {
                let k = client.read(&mut chunk[..(half - sent).min(65536)]).await?;
                if k == 0 {
                    break;
                }
                up.write_all(&chunk[..k]).await?;
                sent += k;
            }
            // Drop both sides with the body half sent.
            drop(up);
            drop(client);
            Ok(())
        }
        Fault::Pass if chunked => {
            let mut up = TcpStream::connect(("127.0.0.1", upstream)).await?;
            up.write_all(new_head.as_bytes()).await?;
            up.write_all(&body_start).await?;
            tokio::io::copy_bidirectional(&mut client, &mut up).await?;
            Ok(())
        }
        Fault::Pass => {
            let mut up = TcpStream::connect(("127.0.0.1", upstream)).await?;
            up.write_all(new_head.as_bytes()).await?;
            up.write_all(&body_start).await?;
            let mut left = content_length.saturating_sub(body_start.len());
            let mut chunk = vec![0u8; 65536];
            while left > 0 {
                let k = client.read(&mut chunk[..left.min(65536)]).await?;
                if k == 0 {
                    return Ok(());
                }
                up.write_all(&chunk[..k]).await?;
                left -= k;
            }
            tokio::io::copy(&mut up, &mut client).await?;
            client.shutdown().await?;
            Ok(())
        }
    }
}
