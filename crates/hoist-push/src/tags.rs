//! The tags one push points at its images: `{sha}` expanded, SHA tags first.

/// A tag with `{sha}` expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    /// Came from a `{sha}` template: names one commit's build.
    pub is_sha: bool,
}

/// The tags of `[images] tags` for commit `sha`, in push order: SHA tags first, then moving
/// tags such as `latest`, each name once.
#[must_use]
pub fn expand_tags(templates: &[String], sha: &str) -> Vec<Tag> {
    let mut tags: Vec<Tag> = templates
        .iter()
        .map(|t| Tag {
            name: t.replace("{sha}", sha),
            is_sha: t.contains("{sha}"),
        })
        .collect();
    tags.sort_by_key(|t| !t.is_sha);
    tags.dedup_by(|a, b| a.name == b.name);
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_tags_go_first() {
        let tags = expand_tags(
            &["latest".into(), "{sha}".into(), "build-{sha}".into()],
            "abc1234",
        );
        let names: Vec<_> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["abc1234", "build-abc1234", "latest"]);
        assert!(tags[0].is_sha && !tags[2].is_sha);
    }

    #[test]
    fn a_name_given_twice_is_pushed_once() {
        let tags = expand_tags(&["{sha}".into(), "abc1234".into()], "abc1234");
        assert_eq!(tags.len(), 1);
        assert!(tags[0].is_sha);
    }
}
