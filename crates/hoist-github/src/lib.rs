//! hoist-github
