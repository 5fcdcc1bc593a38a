//! The IAM policy document model: one type per policy element, serde that
//! accepts every shape IAM accepts (a string or a list, one statement or a
//! list) and writes back the shape it read.

mod condition;
mod document;
mod error;
mod one_or_many;
mod principal;

pub use condition::{ConditionBlock, ConditionEntry, ConditionValue, OperatorBlock};
pub use document::{Effect, PolicyDocument, Statement, VERSION_2008, VERSION_2012};
pub use error::PolicyParseError;
pub use one_or_many::{OneOrMany, ScalarElement};
pub use principal::{Principal, PrincipalMap};
