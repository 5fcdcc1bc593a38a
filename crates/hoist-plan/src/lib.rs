//! hoist-plan
