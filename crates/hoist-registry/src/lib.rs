//! hoist-registry
