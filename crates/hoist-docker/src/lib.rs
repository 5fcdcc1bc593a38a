//! hoist-docker
