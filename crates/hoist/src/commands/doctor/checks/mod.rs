//! The tree of named checks, one module per area of the guides' troubleshooting.

pub(crate) mod identity;
pub(crate) mod images;
pub(crate) mod network;
pub(crate) mod pgvector;
pub(crate) mod release;
pub(crate) mod stack;
