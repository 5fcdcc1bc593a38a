//! The strict AWS proxy as a process, for scripts (`bench/deploy`, `bench/cdk_parity`).
//!
//! Usage: `hoist-aws-proxy MOTO_ENDPOINT [PORT_FILE]` — starts a [`StrictAws`] in front of
//! moto, prints `endpoint=http://127.0.0.1:PORT` (and writes the port to PORT_FILE when given),
//! then serves until the process gets SIGTERM/SIGINT or, without PORT_FILE, until stdin closes
//! (scripts that background it pass PORT_FILE, as their stdin may be closed). On exit it prints the call
//! log as JSON lines on stdout (one [`RecordedCall`](hoist_testkit::aws_proxy::RecordedCall) per
//! line; secret material is never in it). While it runs, `GET /_strict_aws/calls` serves the same
//! log and `POST /_strict_aws/reset` empties it.
//!
//! Test tooling: nothing here ships in hoist.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use hoist_testkit::aws_proxy::StrictAws;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(moto) = args.next() else {
        eprintln!("usage: hoist-aws-proxy MOTO_ENDPOINT [PORT_FILE]");
        std::process::exit(2);
    };
    let proxy = StrictAws::start(&moto).await;
    let port_file = args.next();
    if let Some(file) = &port_file {
        std::fs::write(file, proxy.port().to_string()).expect("write the port file");
    }
    println!("endpoint={}", proxy.endpoint());

    let watch_stdin = port_file.is_none();
    let stdin_closed = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        if watch_stdin {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        } else {
            loop {
                std::thread::park();
            }
        }
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = stdin_closed => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    for call in proxy.calls() {
        println!(
            "{}",
            serde_json::to_string(&call).expect("a recorded call serializes")
        );
    }
    drop(proxy);
    // The stdin watcher may still block; leave without waiting for it.
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}
