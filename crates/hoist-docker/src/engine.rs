//! The Docker engine API through bollard.

use bytes::Bytes;
use futures::{Stream, StreamExt as _};

use crate::error::DockerError;

const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
const TIMEOUT_SECS: u64 = 120;

/// A connected Docker engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: bollard::Docker,
}

/// What the engine says about a built image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The image ID: `sha256:` and the digest of its config.
    pub id: String,
    /// The uncompressed digest of each layer, bottom first (the config's `rootfs.diff_ids`).
    pub diff_ids: Vec<String>,
    /// The platform it was built for, from its config (`linux`, `arm64`, `v8`).
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
}

impl Engine {
    /// Connects as `DOCKER_HOST` says (else the local unix socket) and settles the API version
    /// (engine 20.10 speaks 1.41), which also proves the engine answers.
    ///
    /// On a unix socket the version comes from the `API-Version` header of `GET /_ping`, the
    /// way Docker's own client negotiates: bollard's `negotiate_version` asks `/version`,
    /// which the engine answers only after asking containerd (about 9 ms against 0.5 ms).
    ///
    /// # Errors
    /// [`DockerError::NoEngine`] when nothing answers.
    pub async fn connect() -> Result<Self, DockerError> {
        let no_engine = |source| DockerError::NoEngine { source };
        let host = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
        let socket = match host.as_deref() {
            None => Some(DEFAULT_SOCKET.to_owned()),
            Some(h) => h.strip_prefix("unix://").map(str::to_owned),
        };
        let Some(socket) = socket else {
            let docker = bollard::Docker::connect_with_defaults().map_err(no_engine)?;
            return Ok(Self {
                docker: docker.negotiate_version().await.map_err(no_engine)?,
            });
        };
        let ours = bollard::API_DEFAULT_VERSION;
        let started = std::time::Instant::now();
        let pinged = ping_api_version(&socket).await;
        tracing::debug!(socket, ms = started.elapsed().as_secs_f64() * 1e3, version = ?pinged.as_ref().ok().and_then(Option::as_ref).map(|v| format!("{}.{}", v.major_version, v.minor_version)), "engine /_ping");
        let version = match pinged {
            Ok(Some(theirs))
                if (theirs.major_version, theirs.minor_version)
                    < (ours.major_version, ours.minor_version) =>
            {
                theirs
            }
            Ok(_) => *ours,
            // The raw ping failed: let bollard connect and say why in its own words.
            Err(_) => {
                let docker = bollard::Docker::connect_with_unix(&socket, TIMEOUT_SECS, ours)
                    .map_err(no_engine)?;
                return Ok(Self {
                    docker: docker.negotiate_version().await.map_err(no_engine)?,
                });
            }
        };
        let docker = bollard::Docker::connect_with_unix(&socket, TIMEOUT_SECS, &version)
            .map_err(no_engine)?;
        Ok(Self { docker })
    }

    /// The bollard client, for the other engine modules of this crate.
    pub(crate) fn docker(&self) -> &bollard::Docker {
        &self.docker
    }

    /// The image ID and layer diff_ids of `name`, or `None` when the engine does not have it.
    ///
    /// # Errors
    /// When the engine fails for another reason.
    pub async fn inspect(&self, name: &str) -> Result<Option<ImageInfo>, DockerError> {
        let started = std::time::Instant::now();
        let inspected = self.docker.inspect_image(name).await;
        tracing::debug!(
            name,
            ms = started.elapsed().as_secs_f64() * 1e3,
            found = inspected.is_ok(),
            "engine inspect"
        );
        match inspected {
            Ok(i) => Ok(i.id.map(|id| ImageInfo {
                id,
                diff_ids: i.root_fs.and_then(|r| r.layers).unwrap_or_default(),
                os: i.os.filter(|s| !s.is_empty()),
                architecture: i.architecture.filter(|s| !s.is_empty()),
                variant: i.variant.filter(|s| !s.is_empty()),
            })),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(source) => Err(DockerError::Engine {
                action: format!("inspect image {name}"),
                source,
            }),
        }
    }

    /// The images `names` as one `docker save` archive, streamed (the engine's image export
    /// API): layers several images share are in it once.
    pub fn export(
        &self,
        names: &[&str],
    ) -> impl Stream<Item = Result<Bytes, DockerError>> + Send + 'static {
        let action = format!("export {}", names.join(", "));
        self.docker.export_images(names).map(move |chunk| {
            chunk.map_err(|source| DockerError::Engine {
                action: action.clone(),
                source,
            })
        })
    }

    /// [`Engine::export`] as a blocking reader, for a thread that spools it. A task of the
    /// current runtime pulls the stream and hands it over in batches of about 1 MiB: the
    /// engine's stream comes in frames of a few KiB, and waking the reading thread for each
    /// one costs more than the hashing and writing it does.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    #[must_use]
    pub fn export_reader(&self, names: &[&str]) -> ExportReader {
        let mut stream = Box::pin(self.export(names));
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Bytes>, DockerError>>(8);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let (mut batch, mut size, mut total) = (Vec::new(), 0, 0u64);
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(bytes) => {
                        if total == 0 {
                            tracing::debug!(
                                ms = started.elapsed().as_secs_f64() * 1e3,
                                "engine export: first bytes"
                            );
                        }
                        total += bytes.len() as u64;
                        size += bytes.len();
                        batch.push(bytes);
                        if size >= BATCH {
                            size = 0;
                            if tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
            tracing::debug!(
                ms = started.elapsed().as_secs_f64() * 1e3,
                bytes = total,
                "engine export: complete"
            );
            if !batch.is_empty() {
                let _ = tx.send(Ok(batch)).await;
            }
        });
        ExportReader {
            rx,
            current: std::collections::VecDeque::new(),
        }
    }
}

const BATCH: usize = 1 << 20;

/// The engine's export as [`std::io::Read`]; see [`Engine::export_reader`]. Reading blocks:
/// use it from a blocking thread, never from a runtime worker.
pub struct ExportReader {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<Bytes>, DockerError>>,
    current: std::collections::VecDeque<Bytes>,
}

impl std::io::Read for ExportReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(front) = self.current.front_mut() {
                let n = front.len().min(buf.len());
                buf[..n].copy_from_slice(&front[..n]);
                bytes::Buf::advance(front, n);
                if front.is_empty() {
                    self.current.pop_front();
                }
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                continue;
            }
            match self.rx.blocking_recv() {
                Some(Ok(batch)) => self.current.extend(batch),
                Some(Err(e)) => {
                    let cause = std::error::Error::source(&e)
                        .map(|s| format!(": {s}"))
                        .unwrap_or_default();
                    return Err(std::io::Error::other(format!("{e}{cause}")));
                }
                None => return Ok(0),
            }
        }
    }
}

/// `GET /_ping` on the unix socket at `path`: the engine's API version from its
/// `API-Version` header (`None` when it sends none). A hand-written HTTP/1.0 exchange because
/// bollard's `ping` does not expose response headers.
async fn ping_api_version(path: &str) -> std::io::Result<Option<bollard::ClientVersion>> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut conn = tokio::net::UnixStream::connect(path).await?;
    conn.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") && response.len() < 16 * 1024 {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&response);
    let mut lines = text.lines();
    let status_ok = lines
        .next()
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
    if !status_ok {
        return Err(std::io::Error::other(
            "the engine did not answer /_ping with 200",
        ));
    }
    Ok(lines.take_while(|l| !l.is_empty()).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("api-version") {
            return None;
        }
        let (major, minor) = value.trim().split_once('.')?;
        Some(bollard::ClientVersion {
            major_version: major.parse().ok()?,
            minor_version: minor.parse().ok()?,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A unix socket that answers one request with `answer`, returning the request it read.
    async fn answering(
        answer: &'static str,
    ) -> (tempfile::TempDir, String, tokio::task::JoinHandle<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let served = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 1024];
            let n = conn.read(&mut buf).await.unwrap();
            conn.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (dir, path.to_string_lossy().into_owned(), served)
    }

    #[test]
    fn the_export_reader_hands_over_batches_then_the_engines_error() {
        use std::io::Read as _;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut reader = ExportReader {
            rx,
            current: std::collections::VecDeque::new(),
        };
        tx.try_send(Ok(vec![
            Bytes::from_static(b"ab"),
            Bytes::from_static(b"cde"),
        ]))
        .unwrap();
        tx.try_send(Ok(vec![Bytes::from_static(b"f")])).unwrap();
        let cause = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "disk full".into(),
        };
        tx.try_send(Err(DockerError::Engine {
            action: "export app".into(),
            source: cause,
        }))
        .unwrap();
        let mut out = [0u8; 4];
        assert_eq!(
            reader.read(&mut out).unwrap(),
            2,
            "one read never spans two chunks"
        );
        assert_eq!(&out[..2], b"ab");
        let mut rest = Vec::new();
        let err = reader.read_to_end(&mut rest).unwrap_err();
        assert_eq!(rest, b"cdef", "every byte before the failure arrives");
        let text = err.to_string();
        assert!(
            text.contains("failed to export app") && text.contains("disk full"),
            "{text}"
        );
        // A closed stream is the end.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Bytes>, DockerError>>(1);
        drop(tx);
        let mut reader = ExportReader {
            rx,
            current: std::collections::VecDeque::new(),
        };
        assert_eq!(reader.read(&mut out).unwrap(), 0);
    }

    #[tokio::test]
    async fn reads_the_api_version_header_of_ping() {
        let (_dir, path, served) =
            answering("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK").await;
        let v = ping_api_version(&path).await.unwrap().unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(served.await.unwrap().starts_with("GET /_ping HTTP/1.0\r\n"));
    }

    #[tokio::test]
    async fn no_header_means_no_version_and_an_error_status_is_an_error() {
        let (_dir, path, _) = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK").await;
        assert!(ping_api_version(&path).await.unwrap().is_none());
        let (_dir, path, _) =
            answering("HTTP/1.1 500 Internal Server Error\r\nApi-Version: 1.41\r\n\r\n").await;
        assert!(ping_api_version(&path).await.is_err());
        assert!(ping_api_version("/nonexistent/docker.sock").await.is_err());
    }
}
