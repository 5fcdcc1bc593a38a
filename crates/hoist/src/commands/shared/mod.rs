//! Pieces more than one command uses, so that no command imports another: the GitHub client,
//! the stack's secrets (values read and checked, outputs, sync) and ECS rollouts (which
//! services read a secret, forced deployments, the wait until they completed).

pub(crate) mod github;
pub(crate) mod rollout;
pub(crate) mod stack_secrets;

pub(crate) use github::github_client;
