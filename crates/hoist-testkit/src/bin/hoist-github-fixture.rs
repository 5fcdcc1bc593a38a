//! The GitHub-side fixtures as a process, for `scripts/demo`: an OIDC issuer that signs as
//! `https://token.actions.githubusercontent.com`, the Actions ID-token endpoint handing out a
//! token for a push to `main`, and the repository secrets/variables API.
//!
//! Usage: `hoist-github-fixture OWNER/NAME DIR` — writes `DIR/env.sh` (the variables a job in
//! GitHub Actions would have, pointing at these fixtures), `DIR/jwks.json`, and sample tokens
//! `DIR/push-main.jwt`, `DIR/pull-request.jwt`, `DIR/release.jwt`; then serves until stdin
//! closes or the process is killed. On exit it prints the secrets and variables it received
//! (names only) so the demo can show what bootstrap stored.
//!
//! This is test and demo tooling: GitHub has no emulator, and nothing here ships in hoist.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;
use std::path::PathBuf;

use hoist_testkit::github::{ActionsTokenEndpoint, ClaimsBuilder, GithubApi, OidcIssuer};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(repo), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: hoist-github-fixture OWNER/NAME DIR");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the fixture directory");

    let issuer = OidcIssuer::start_as_github();
    let endpoint = ActionsTokenEndpoint::start(&issuer, ClaimsBuilder::push_branch(&repo, "main"));
    let api = GithubApi::start(&repo, 900_000_001, 900_000_000);

    let write =
        |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("write fixture file");
    write(
        "push-main.jwt",
        &issuer.mint(&ClaimsBuilder::push_branch(&repo, "main")),
    );
    write(
        "pull-request.jwt",
        &issuer.mint(&ClaimsBuilder::pull_request(&repo, 7, "feature", "main")),
    );
    write(
        "release.jwt",
        &issuer.mint(&ClaimsBuilder::release(&repo, "v1.0.0")),
    );
    write("jwks.json", &issuer.jwks_json());

    let mut env = String::from("# written by hoist-github-fixture\n");
    for (k, v) in endpoint.env().into_iter().chain(api.env()) {
        env.push_str(&format!("export {k}='{v}'\n"));
    }
    env.push_str(&format!("export GITHUB_REPOSITORY='{repo}'\n"));
    write("env.sh", &env);
    println!(
        "github fixtures ready: issuer {}, token endpoint {}, api {}",
        issuer.url(),
        endpoint.url(),
        api.url()
    );

    // Serve until stdin closes (the demo keeps a pipe open) or the process is killed.
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    println!("secrets received: {}", api.secret_names().join(", "));
    let vars: Vec<String> = api
        .variables()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!("variables received: {}", vars.join(", "));
}
