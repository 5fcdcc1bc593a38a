//! How far a `sub` value reaches: one repository, an organization, a set of
//! organizations sharing a prefix, or all of GitHub.

use crate::glob::{glob_match, has_wildcard, literal_prefix};

/// The set of repositories a `sub` value (pattern or literal) can admit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Any repository on GitHub (`*`, `repo:*`, a pattern starting with a wildcard).
    AllGitHub,
    /// Every owner whose login starts with the prefix (`repo:octo*` admits `octo-evil`).
    OwnerPrefix(String),
    /// Every repository of one owner (`repo:octo-org/*`).
    Owner(String),
    /// Every repository of the owner whose name starts with the prefix
    /// (`repo:octo-org/app*` admits `app-evil`). Holds `owner/prefix`.
    RepoPrefix(String),
    /// Exactly one repository (`owner/name`, ids kept if present).
    OneRepo(String),
    /// A custom template hoist cannot place.
    Unknown,
}

impl Reach {
    /// Whether this reaches beyond a single repository.
    pub(crate) fn is_wide(&self) -> bool {
        matches!(
            self,
            Reach::AllGitHub | Reach::OwnerPrefix(_) | Reach::Owner(_) | Reach::RepoPrefix(_)
        )
    }
}

/// Where `value` reaches when compared with a `StringLike`-family operator
/// (`like`) or literally.
pub(crate) fn reach(value: &str, like: bool) -> Reach {
    let wildcard = like && has_wildcard(value);
    let prefix = if wildcard {
        literal_prefix(value)
    } else {
        value
    };
    if let Some(rest) = prefix.strip_prefix("repo:") {
        return match rest.split_once('/') {
            Some((owner, after)) => {
                if after.contains(':') || !wildcard {
                    Reach::OneRepo(format!(
                        "{owner}/{}",
                        after.split(':').next().unwrap_or(after)
                    ))
                } else if after.is_empty() {
                    Reach::Owner(owner.to_owned())
                } else {
                    Reach::RepoPrefix(format!("{owner}/{after}"))
                }
            }
            None if !wildcard => Reach::Unknown,
            None if rest.is_empty() => Reach::AllGitHub,
            None => Reach::OwnerPrefix(rest.to_owned()),
        };
    }
    if wildcard && prefix.is_empty() {
        return Reach::AllGitHub;
    }
    // Custom templates: `repository_id:N:` pins one repository,
    // `repository_owner_id:N:` / `repository_owner:X:` one owner.
    if let Some(id) = claim_in_prefix(prefix, "repository_id") {
        return Reach::OneRepo(format!("repository_id:{id}"));
    }
    if let Some(owner) = claim_in_prefix(prefix, "repository_owner_id")
        .or_else(|| claim_in_prefix(prefix, "repository_owner"))
    {
        return Reach::Owner(owner);
    }
    if wildcard && value.chars().all(|c| c == '*' || c == '?') {
        return Reach::AllGitHub;
    }
    Reach::Unknown
}

/// The value of `key:` in a custom-template prefix, only when the value is
/// complete (followed by `:`).
fn claim_in_prefix(prefix: &str, key: &str) -> Option<String> {
    let tokens: Vec<&str> = prefix.split(':').collect();
    (0..tokens.len().saturating_sub(2))
        .find(|&i| tokens[i] == key)
        .map(|i| tokens[i + 1].to_owned())
}

/// `repo:OWNER/NAME` part of a one-repository value, to build probes.
pub(crate) fn repo_base(value: &str) -> Option<&str> {
    let rest = value.strip_prefix("repo:")?;
    let slash = rest.find('/')?;
    let colon = rest[slash..].find(':')? + slash;
    let base = &value[..5 + colon];
    (!has_wildcard(base)).then_some(base)
}

/// What a sub value admits within its own repository.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Admits {
    pub(crate) pull_request: bool,
    pub(crate) any_branch: bool,
    pub(crate) some_branch: bool,
}

/// Probes a one-repository value with made-up subjects of that repository.
pub(crate) fn admits(value: &str, like: bool) -> Admits {
    let Some(base) = repo_base(value) else {
        return Admits::default();
    };
    let m = |probe: String| {
        if like {
            glob_match(value, &probe, false)
        } else {
            value == probe
        }
    };
    Admits {
        pull_request: m(format!("{base}:pull_request")),
        any_branch: m(format!("{base}:ref:refs/heads/hoist-audit-probe-7f3a")),
        some_branch: m(format!("{base}:ref:refs/heads/hoist-audit-probe-7f3a"))
            || value.contains(":ref:refs/heads/"),
    }
}

/// Whether a one-repository value admits every tag and every environment
/// of its repository (probed with made-up names).
pub(crate) fn admits_any_tag_or_environment(value: &str, like: bool) -> (bool, bool) {
    let Some(base) = repo_base(value) else {
        return (false, false);
    };
    if !like {
        return (false, false);
    }
    (
        glob_match(
            value,
            &format!("{base}:ref:refs/tags/hoist-audit-probe-7f3a"),
            false,
        ),
        glob_match(
            value,
            &format!("{base}:environment:hoist-audit-probe-7f3a"),
            false,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches() {
        assert_eq!(reach("*", true), Reach::AllGitHub);
        assert_eq!(reach("repo:*", true), Reach::AllGitHub);
        assert_eq!(reach("repo:octo*", true), Reach::OwnerPrefix("octo".into()));
        assert_eq!(
            reach("repo:octo-org/*", true),
            Reach::Owner("octo-org".into())
        );
        assert_eq!(
            reach("repo:octo-org/app*", true),
            Reach::RepoPrefix("octo-org/app".into())
        );
        assert_eq!(
            reach("repo:octo-org/app:*", true),
            Reach::OneRepo("octo-org/app".into())
        );
        assert_eq!(
            reach("repo:o@1/r@2:ref:refs/tags/*", true),
            Reach::OneRepo("o@1/r@2".into())
        );
        assert_eq!(
            reach("repo:octo-org/*", false),
            Reach::OneRepo("octo-org/*".into())
        );
        assert_eq!(
            reach("repository_owner_id:72:repository_id:9:*", true),
            Reach::OneRepo("repository_id:9".into())
        );
        assert_eq!(
            reach("repository_owner_id:72:*", true),
            Reach::Owner("72".into())
        );
        assert_eq!(
            reach("job_workflow_ref:o/r/.github/workflows/d.yml@*", true),
            Reach::Unknown
        );
    }

    #[test]
    fn probes() {
        let a = admits("repo:o/r:*", true);
        assert!(a.pull_request && a.any_branch);
        let a = admits("repo:o/r:ref:refs/heads/*", true);
        assert!(!a.pull_request && a.any_branch);
        let a = admits("repo:o/r:ref:refs/tags/*", true);
        assert!(!a.pull_request && !a.any_branch && !a.some_branch);
        let a = admits("repo:o/r:ref:refs/heads/main", false);
        assert!(!a.any_branch && a.some_branch);
    }
}
