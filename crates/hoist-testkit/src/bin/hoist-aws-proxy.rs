//! The strict AWS proxy as a process, for scripts (`bench/deploy`, `bench/cdk_parity`).
//!
//! Usage:
//! - `hoist-aws-proxy MOTO_ENDPOINT [PORT_FILE]` — a [`StrictAws`] in front of an existing moto;
//!   prints `endpoint=http://127.0.0.1:PORT` (and writes the port to PORT_FILE when given).
//! - `hoist-aws-proxy --sandbox DIR` — a fresh sandbox of its own: moto_server (with
//!   `MOTO_ECS_SERVICE_RUNNING=1`), Distribution's registry, and the proxy with ECR's data plane
//!   mapped to that registry; writes `DIR/env.sh` (the AWS variables pointing at the proxy,
//!   `AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION`, `HOIST_REGISTRY`, `MOTO_URL`) and then `DIR/ready`.
//!
//! It serves until SIGTERM/SIGINT or, with neither PORT_FILE nor `--sandbox`, until stdin closes;
//! on exit it prints the call log as JSON lines on stdout (one
//! [`RecordedCall`](hoist_testkit::aws_proxy::RecordedCall) per line; secret material is never in
//! it). While it runs, `GET /_strict_aws/calls` serves the same log and `POST /_strict_aws/reset`
//! empties it.
//!
//! Test tooling: nothing here ships in hoist.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use hoist_testkit::aws_proxy::StrictAws;
use hoist_testkit::cdk::cdk_env;
use hoist_testkit::sandbox::{Moto, Registry};

const USAGE: &str =
    "usage: hoist-aws-proxy MOTO_ENDPOINT [PORT_FILE] | hoist-aws-proxy --sandbox DIR";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut parts = None;
    let (proxy, watch_stdin) = match args.as_slice() {
        [flag, dir] if flag == "--sandbox" => {
            let dir = PathBuf::from(dir);
            let moto =
                Moto::start_with(&[("MOTO_ECS_SERVICE_RUNNING", "1")]).unwrap_or_else(|e| fail(&e));
            let registry = Registry::start().unwrap_or_else(|e| fail(&e));
            let proxy = StrictAws::start_with_ecr_registry(&moto.endpoint(), &registry.host());
            let mut env = String::from("# written by hoist-aws-proxy --sandbox\n");
            for (k, v) in cdk_env(&proxy.endpoint()) {
                env.push_str(&format!("export {k}='{v}'\n"));
            }
            env.push_str(&format!("export HOIST_REGISTRY='{}'\n", registry.url()));
            env.push_str(&format!("export MOTO_URL='{}'\n", moto.endpoint()));
            std::fs::create_dir_all(&dir).expect("create the sandbox directory");
            std::fs::write(dir.join("env.sh"), env).expect("write env.sh");
            std::fs::write(dir.join("ready"), "").expect("write ready");
            parts = Some((moto, registry));
            (proxy, false)
        }
        [moto] => (StrictAws::start(moto).await, true),
        [moto, port_file] => {
            let proxy = StrictAws::start(moto).await;
            std::fs::write(port_file, proxy.port().to_string()).expect("write the port file");
            (proxy, false)
        }
        _ => fail(USAGE),
    };
    println!("endpoint={}", proxy.endpoint());

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
    drop(parts);
    // The stdin watcher may still block; leave without waiting for it.
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

fn fail(message: &str) -> ! {
    eprintln!("hoist-aws-proxy: {message}");
    std::process::exit(2);
}
