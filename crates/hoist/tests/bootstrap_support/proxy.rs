//! A loopback TCP proxy between hoist and moto that records every request's IAM/STS `Action`,
//! so tests can prove which calls were (and were not) sent. With no upstream it only counts
//! connections: the "no AWS call at all" listener.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Log {
    connections: usize,
    /// Bytes each connection sent towards AWS.
    streams: Vec<Arc<Mutex<Vec<u8>>>>,
}

pub(crate) struct Recorder {
    port: u16,
    log: Arc<Mutex<Log>>,
}

impl Recorder {
    /// Forwards to `127.0.0.1:upstream`, or with `None` accepts and closes connections.
    pub(crate) fn start(upstream: Option<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = log.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let buf = Arc::new(Mutex::new(Vec::new()));
                {
                    let mut l = shared.lock().unwrap();
                    l.connections += 1;
                    l.streams.push(buf.clone());
                }
                let Some(up) = upstream else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let Ok(server) = TcpStream::connect(("127.0.0.1", up)) else {
                    continue;
                };
                pipe(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    Some(buf),
                );
                pipe(server, client, None);
            }
        });
        Self { port, log }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn connections(&self) -> usize {
        self.log.lock().unwrap().connections
    }

    /// Every `Action=` sent, in order per connection.
    pub(crate) fn actions(&self) -> Vec<String> {
        let log = self.log.lock().unwrap();
        let mut out = Vec::new();
        for s in &log.streams {
            let bytes = s.lock().unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let mut rest: &str = &text;
            while let Some(i) = rest.find("Action=") {
                let before = if i == 0 {
                    None
                } else {
                    rest[..i].chars().last()
                };
                let after = &rest[i + "Action=".len()..];
                if matches!(before, Some('&' | '\n' | '?')) {
                    out.push(
                        after
                            .chars()
                            .take_while(char::is_ascii_alphanumeric)
                            .collect(),
                    );
                }
                rest = after;
            }
        }
        out
    }

    /// Actions that change something (anything but Get*/List*).
    pub(crate) fn mutating(&self) -> Vec<String> {
        self.actions()
            .into_iter()
            .filter(|a| !a.starts_with("Get") && !a.starts_with("List"))
            .collect()
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, record: Option<Arc<Mutex<Vec<u8>>>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(r) = &record {
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
