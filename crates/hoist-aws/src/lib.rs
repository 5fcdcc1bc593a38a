//! Thin wrappers over the official AWS SDK for Rust, one module per service, each call
//! returning a typed error that names the failed action and AWS's own code and message. EC2's,
//! RDS's and SSM's calls are signed here instead (`signed` says why).
//!
//! Owns: building the SDK configuration (the default credential chain with SSO profiles and
//! web identity, `--profile`, `--region`, and the standard `AWS_ENDPOINT_URL` override) and
//! the calls hoist makes. Must not touch: deciding what to change (plans live in `hoist-plan`,
//! policy logic in `hoist-policy`) or printing.

mod error;
mod sdk;

pub mod cfn;
pub mod cfn_status;
pub mod cfn_template;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod iam;
pub mod iam_keys;
pub mod rds;
pub mod s3;
pub mod secrets;
mod signed;
pub mod ssm;
pub mod sts;
pub mod web_identity;

pub use error::{AwsError, ErrorKind, kind_of_code};
pub use sdk::Aws;
