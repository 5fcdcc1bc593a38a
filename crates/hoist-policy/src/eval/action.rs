//! Matching the `Action`/`NotAction` element against a request's action.
//!
//! IAM User Guide, "IAM JSON policy elements: Action": an action is
//! `service-prefix:ActionName`, both parts case-insensitive; wildcards `*`
//! and `?` may appear in the action name, and `"*"` alone means every
//! action. The service prefix is matched as a whole word: IAM refuses a
//! wildcard inside the prefix (`*:AssumeRole`, `s?s:GetObject`), so such a
//! pattern is [`ActionMatch::Invalid`] and each caller decides what that
//! means so that it never helps a request (an Allow does not get it; a Deny
//! keeps it, matching the text as a whole-string glob).

use crate::glob::{glob_match, has_wildcard};

/// How one action pattern relates to one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionMatch {
    /// The pattern covers the action.
    Match,
    /// The pattern does not cover the action.
    NoMatch,
    /// IAM does not accept the pattern (no `service:` prefix, or a wildcard
    /// in the prefix).
    Invalid,
}

/// Whether `pattern` covers `action` (`service:Name`).
pub fn action_matches(pattern: &str, action: &str) -> ActionMatch {
    if pattern == "*" {
        return ActionMatch::Match;
    }
    let Some((p_service, p_name)) = pattern.split_once(':') else {
        return ActionMatch::Invalid;
    };
    if p_service.is_empty() || has_wildcard(p_service) || p_name.is_empty() {
        return ActionMatch::Invalid;
    }
    let Some((a_service, a_name)) = action.split_once(':') else {
        return ActionMatch::NoMatch;
    };
    if p_service.eq_ignore_ascii_case(a_service) && glob_match(p_name, a_name, true) {
        ActionMatch::Match
    } else {
        ActionMatch::NoMatch
    }
}

/// `action_matches` resolved for a statement: an invalid pattern counts as
/// covering the action only in a Deny's `Action` (whole-string glob) and as
/// excluding it only in an Allow's `NotAction`, so it never widens what an
/// Allow grants nor narrows what a Deny denies.
pub(crate) fn covers(pattern: &str, action: &str, deny: bool, not_action: bool) -> bool {
    match action_matches(pattern, action) {
        ActionMatch::Match => true,
        ActionMatch::NoMatch => false,
        ActionMatch::Invalid => match (deny, not_action) {
            (true, false) => glob_match(pattern, action, true),
            (false, true) => true,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_name() {
        use ActionMatch::*;
        assert_eq!(action_matches("*", "iam:CreateRole"), Match);
        assert_eq!(action_matches("IAM:create*", "iam:CreateRole"), Match);
        assert_eq!(action_matches("iam:*", "sts:AssumeRole"), NoMatch);
        assert_eq!(action_matches("sts:Assume?ole", "sts:AssumeRole"), Match);
        assert_eq!(action_matches("*:AssumeRole", "sts:AssumeRole"), Invalid);
        assert_eq!(action_matches("s*", "sts:AssumeRole"), Invalid);
        assert_eq!(action_matches("st*:AssumeRole", "sts:AssumeRole"), Invalid);
        // The name part never spills into the prefix.
        assert_eq!(action_matches("s3:*", "s3x:GetObject"), NoMatch);
    }

    #[test]
    fn invalid_never_helps() {
        assert!(!covers(
            "*:AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithWebIdentity",
            false,
            false
        ));
        assert!(covers(
            "*:AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithWebIdentity",
            true,
            false
        ));
        assert!(covers("*:Foo", "sts:AssumeRole", false, true));
        assert!(!covers("*:AssumeRole", "sts:AssumeRole", true, true));
    }
}
