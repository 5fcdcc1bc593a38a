//! A TLS front for a PostgreSQL build compiled without SSL (the pgvector wheels on PyPI are):
//! it speaks PostgreSQL's own TLS negotiation (the client's `SSLRequest` answered `S`, then
//! a TLS handshake with the sandbox's certificate) and relays the decrypted stream to the
//! server on loopback — what RDS Proxy does in front of RDS. Clients therefore run the
//! same TLS path as against a server with `ssl=on`; the server's own `pg_stat_ssl` does not
//! see it. A plaintext startup is relayed as it is (a server with `ssl=on` accepts those too
//! unless `pg_hba` says `hostssl`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// PostgreSQL's `SSLRequest` and `GSSENCRequest` codes (protocol "Message Formats").
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

pub(crate) struct TlsFront {
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsFront {
    /// Listens on a free loopback port, relaying to `127.0.0.1:upstream`.
    pub(crate) fn start(cert_pem: &str, key_pem: &str, upstream: u16) -> Result<Self, String> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("TLS front certificate: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| format!("TLS front key: {e}"))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("TLS front: {e}"))?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("testkit-pg-tls-front".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("TLS front runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let upstream = SocketAddr::from(([127, 0, 0, 1], upstream));
                    let serve = async {
                        loop {
                            let Ok((client, _)) = listener.accept().await else {
                                continue;
                            };
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                let _ = relay(client, acceptor, upstream).await;
                            });
                        }
                    };
                    tokio::select! {
                        () = serve => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        Ok(Self {
            port,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

async fn relay(
    mut client: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    upstream: SocketAddr,
) -> std::io::Result<()> {
    loop {
        let mut head = [0u8; 8];
        client.read_exact(&mut head).await?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        match (len, code) {
            (8, SSL_REQUEST) => {
                client.write_all(b"S").await?;
                let mut tls = acceptor.accept(client).await?;
                let mut server = tokio::net::TcpStream::connect(upstream).await?;
                tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
                return Ok(());
            }
            // No GSSAPI encryption here: the client goes on to ask for TLS or start up.
            (8, GSSENC_REQUEST) => client.write_all(b"N").await?,
            _ => {
                let mut server = tokio::net::TcpStream::connect(upstream).await?;
                server.write_all(&head).await?;
                tokio::io::copy_bidirectional(&mut client, &mut server).await?;
                return Ok(());
            }
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
