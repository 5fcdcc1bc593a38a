//! Pieces more than one command uses, so that no command imports another (the GitHub client
//! is crate-level: `crate::github`): the stack's secrets (values read and checked, outputs,
//! sync) and ECS rollouts (which services read a secret, forced deployments, the wait until
//! they completed).

pub(crate) mod rollout;
pub(crate) mod stack_secrets;
