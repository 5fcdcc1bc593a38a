//! GitHub Actions specifics: subject claim formats and denial hints.

mod hints;
mod subject;

pub use hints::{Hint, hints};
pub use subject::{
    GitHubRepo, IdentityFormat, Subject, SubjectContext, SubjectParseError, subject_for_branch,
    subject_for_environment, subject_for_pull_request, subject_for_tag,
};
