//! CloudFormation's stack and resource statuses as a type: AWS's documented names
//! (`StackStatus` and `ResourceStatus` in the API reference) parsed once, so callers match on
//! variants instead of string suffixes.

use std::fmt;

macro_rules! statuses {
    ($($variant:ident => $name:literal,)*) => {
        /// A stack's status, or a resource's (stack events carry both kinds in
        /// `ResourceStatus`). A name newer than this list is kept as [`Status::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Status {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
            /// A status this list does not know (yet); AWS's own name.
            Other(String),
        }

        impl Status {
            /// AWS's name for the status.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Other(name) => name,
                }
            }

            /// The status AWS names `name`.
            #[must_use]
            pub fn parse(name: &str) -> Self {
                match name {
                    $($name => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

statuses! {
    CreateInProgress => "CREATE_IN_PROGRESS",
    CreateFailed => "CREATE_FAILED",
    CreateComplete => "CREATE_COMPLETE",
    RollbackInProgress => "ROLLBACK_IN_PROGRESS",
    RollbackFailed => "ROLLBACK_FAILED",
    RollbackComplete => "ROLLBACK_COMPLETE",
    DeleteInProgress => "DELETE_IN_PROGRESS",
    DeleteFailed => "DELETE_FAILED",
    DeleteComplete => "DELETE_COMPLETE",
    DeleteSkipped => "DELETE_SKIPPED",
    UpdateInProgress => "UPDATE_IN_PROGRESS",
    UpdateCompleteCleanupInProgress => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateComplete => "UPDATE_COMPLETE",
    UpdateFailed => "UPDATE_FAILED",
    UpdateRollbackInProgress => "UPDATE_ROLLBACK_IN_PROGRESS",
    UpdateRollbackFailed => "UPDATE_ROLLBACK_FAILED",
    UpdateRollbackCompleteCleanupInProgress => "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateRollbackComplete => "UPDATE_ROLLBACK_COMPLETE",
    ReviewInProgress => "REVIEW_IN_PROGRESS",
    ImportInProgress => "IMPORT_IN_PROGRESS",
    ImportComplete => "IMPORT_COMPLETE",
    ImportFailed => "IMPORT_FAILED",
    ImportRollbackInProgress => "IMPORT_ROLLBACK_IN_PROGRESS",
    ImportRollbackFailed => "IMPORT_ROLLBACK_FAILED",
    ImportRollbackComplete => "IMPORT_ROLLBACK_COMPLETE",
}

impl Status {
    /// CloudFormation is still working: it will leave this status by itself.
    /// `REVIEW_IN_PROGRESS` counts (an unexecuted CREATE change set's empty stack). An
    /// [`Status::Other`] status goes by AWS's naming (`*_IN_PROGRESS`).
    #[must_use]
    pub fn is_in_progress(&self) -> bool {
        match self {
            Self::CreateInProgress
            | Self::RollbackInProgress
            | Self::DeleteInProgress
            | Self::UpdateInProgress
            | Self::UpdateCompleteCleanupInProgress
            | Self::UpdateRollbackInProgress
            | Self::UpdateRollbackCompleteCleanupInProgress
            | Self::ReviewInProgress
            | Self::ImportInProgress
            | Self::ImportRollbackInProgress => true,
            Self::Other(name) => name.ends_with("_IN_PROGRESS"),
            _ => false,
        }
    }

    /// A status CloudFormation will not leave by itself.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        !self.is_in_progress()
    }

    /// The operation on this resource (or stack) failed: a `*_FAILED` status.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        match self {
            Self::CreateFailed
            | Self::RollbackFailed
            | Self::DeleteFailed
            | Self::UpdateFailed
            | Self::UpdateRollbackFailed
            | Self::ImportFailed
            | Self::ImportRollbackFailed => true,
            Self::Other(name) => name.ends_with("_FAILED"),
            _ => false,
        }
    }

    /// The last operation did not do what was asked: it failed or rolled back.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.is_failure()
            || matches!(
                self,
                Self::RollbackInProgress
                    | Self::RollbackComplete
                    | Self::UpdateRollbackInProgress
                    | Self::UpdateRollbackCompleteCleanupInProgress
                    | Self::UpdateRollbackComplete
                    | Self::ImportRollbackInProgress
                    | Self::ImportRollbackComplete
            )
            || matches!(self, Self::Other(name) if name.contains("ROLLBACK"))
    }

    /// A stack that exists and whose last operation succeeded.
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        matches!(
            self,
            Self::CreateComplete | Self::UpdateComplete | Self::ImportComplete
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Status {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE",
            "REVIEW_IN_PROGRESS",
            "DELETE_SKIPPED",
        ] {
            let status = Status::parse(name);
            assert!(!matches!(status, Status::Other(_)), "{name}");
            assert_eq!(status.as_str(), name);
        }
        assert_eq!(
            Status::parse("EXPORT_IN_PROGRESS"),
            Status::Other("EXPORT_IN_PROGRESS".into())
        );
    }

    #[test]
    fn predicates() {
        let s = Status::parse;
        assert!(s("UPDATE_COMPLETE").is_terminal() && !s("UPDATE_COMPLETE").is_failed());
        assert!(s("UPDATE_COMPLETE").is_healthy());
        assert!(!s("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS").is_terminal());
        assert!(!s("REVIEW_IN_PROGRESS").is_terminal());
        assert!(s("UPDATE_ROLLBACK_COMPLETE").is_failed());
        assert!(!s("UPDATE_ROLLBACK_COMPLETE").is_failure());
        assert!(!s("UPDATE_ROLLBACK_COMPLETE").is_healthy());
        assert!(s("CREATE_FAILED").is_failed() && s("CREATE_FAILED").is_failure());
        assert!(!s("DELETE_COMPLETE").is_healthy());
        assert!(!s("EXPORT_IN_PROGRESS").is_terminal());
        assert!(s("EXPORT_ROLLBACK_FAILED").is_failure());
    }
}
