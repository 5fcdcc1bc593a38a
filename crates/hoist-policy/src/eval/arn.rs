//! Matching the `Resource`/`NotResource` element against a request's ARN.
//!
//! IAM User Guide, "IAM JSON policy elements: Resource" and "IAM
//! identifiers": a resource is `"*"` or an ARN
//! `arn:partition:service:region:account-id:resource`. Each of the six
//! colon-separated parts is matched separately (a `*` in the region does not
//! reach into the account); wildcards may appear in any part; the resource
//! part keeps its own colons and slashes. Matching is case-sensitive.
//! A pattern that is neither `*` nor a six-part ARN is not something IAM
//! accepts: it matches nothing in an Allow, and is matched as a whole-string
//! glob in a Deny (so it never helps a request).

use super::compare::{arn_like, split_arn_tokens};
use super::variables::PolicyValue;
use crate::glob::{Tok, compile, match_tokens};

/// True when the resource pattern (no policy variables) covers `arn`.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    covers(&PolicyValue::plain(pattern), arn, false)
}

/// True when `value` covers `arn`; `deny` picks the reading of a malformed
/// pattern that does not help the request.
pub(crate) fn covers(value: &PolicyValue, arn: &str, deny: bool) -> bool {
    let tokens = &value.tokens;
    if tokens.as_slice() == [Tok::Star] {
        return true;
    }
    let parts = split_arn_tokens(tokens);
    let well_formed = parts.len() == 6 && parts[0] == compile("arn").as_slice();
    if !well_formed {
        return deny && match_tokens(tokens, arn, false);
    }
    arn_like(tokens, arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert!(resource_matches("*", "arn:aws:iam::1:role/x"));
        assert!(resource_matches(
            "arn:aws:iam::123456789012:role/app-*",
            "arn:aws:iam::123456789012:role/app-deploy"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::123456789012:role/app-*",
            "arn:aws:iam::210987654321:role/app-deploy"
        ));
        assert!(resource_matches(
            "arn:aws:cloudformation:*:*:stack/app/*",
            "arn:aws:cloudformation:eu-west-1:1:stack/app/5a1"
        ));
        assert!(!resource_matches(
            "arn:aws:cloudformation:*:*:stack/app/*",
            "arn:aws:cloudformation:eu-west-1:1:stack/app-evil/5a1"
        ));
        // Case-sensitive.
        assert!(!resource_matches(
            "arn:aws:s3:::Bucket/*",
            "arn:aws:s3:::bucket/k"
        ));
        // Not an ARN: an Allow never gets it; a Deny keeps it.
        assert!(!resource_matches("arn:aws:*", "arn:aws:s3:::b"));
        assert!(covers(
            &PolicyValue::plain("arn:aws:*"),
            "arn:aws:s3:::b",
            true
        ));
    }
}
