//! A child process that is killed and reaped when dropped, and polling until it answers.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct Reaped {
    child: Child,
}

impl Reaped {
    pub(crate) fn spawn(cmd: &mut Command, log: &std::path::Path) -> Result<Self, String> {
        let out = std::fs::File::create(log)
            .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        Ok(Self { child })
    }

    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `ready` every 50 ms until it is true, the process exits, or `limit` passes.
pub(crate) fn wait_until(
    proc: &mut Reaped,
    limit: Duration,
    log: &std::path::Path,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(status) = proc.exited() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!(
                "exited with {status} before answering; log:\n{text}"
            ));
        }
        if start.elapsed() > limit {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("did not answer within {limit:?}; log:\n{text}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain HTTP/1.0 GET on loopback; the status code, if any answer came.
pub(crate) fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// Whether `program` is on PATH.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}
