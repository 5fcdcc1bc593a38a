//! Test-only helpers for hoist's integration tests.
//!
//! Owns: starting the real third-party parts hoist is tested against (moto_server, Distribution's
//! registry, PostgreSQL) on free loopback ports and reaping them on `Drop` (`sandbox`), and the
//! GitHub-side fixtures that follow GitHub's documented shapes (`github`): the OIDC issuer with
//! its JWKS, the Actions ID-token endpoint, and the repository secrets/variables REST API; and
//! the token server a registry with token auth sends clients to (`registry_auth`).
//!
//! `aws_proxy` is the strict stand-in for AWS's front door: a loopback proxy in front of moto that
//! enforces AWS's documented limits and records each call with its signer's role.
//!
//! `iam_requests` maps the proxy's recorded calls to what IAM authorizes for each (action,
//! resource ARN, condition keys), so tests can evaluate a deploy's calls against policies.
//!
//! `cdk` runs the real CDK toolchain from PyPI (synthesis with `aws-cdk-lib`, the CDK CLI's
//! JavaScript) with the machine's Node.
//!
//! Must not touch: production code paths. Nothing in `crates/hoist*` except dev-dependencies
//! may depend on this crate, and it depends on no hoist crate.

pub mod aws_proxy;
pub mod cdk;
pub mod github;
pub mod iam_requests;
pub mod registry_auth;
pub mod sandbox;
