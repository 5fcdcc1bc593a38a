//! IAM's wildcard matching: `*` matches any run of characters (including
//! none, and including `:` and `/`), `?` matches exactly one character.
//! Everything else is literal. Used by `StringLike`, `ArnLike` and the
//! `Action` element.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A character that must appear as is.
    Lit(char),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Compiles policy text: `*` and `?` are wildcards, everything else literal.
pub fn compile(pattern: &str) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            other => Tok::Lit(other),
        })
        .collect()
}

/// Compiles text that must match only itself (a value substituted from the
/// request, or an escape such as `${*}`): every character is literal.
pub fn literal(text: &str) -> Vec<Tok> {
    text.chars().map(Tok::Lit).collect()
}

/// True when `text` matches `pattern`. `ignore_case` folds with Unicode
/// lowercase per character (the `Action` element is case-insensitive;
/// `StringLike` is not).
pub fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    match_tokens(&compile(pattern), text, ignore_case)
}

/// True when `text` matches the compiled pattern `p`.
pub fn match_tokens(p: &[Tok], text: &str, ignore_case: bool) -> bool {
    let fold = |c: char| {
        if ignore_case {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let t: Vec<char> = text.chars().map(fold).collect();
    let eq = |tok: Tok, c: char| match tok {
        Tok::One => true,
        Tok::Lit(l) => fold(l) == c,
        Tok::Star => false,
    };
    // Iterative matcher with single-star backtracking: linear in practice,
    // O(len(p) * len(t)) worst case, no recursion (fuzz-safe).
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && eq(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == Tok::Star {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == Tok::Star {
        pi += 1;
    }
    pi == p.len()
}

/// True when the pattern contains a wildcard character.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// The literal prefix of a pattern: everything before the first wildcard.
pub fn literal_prefix(pattern: &str) -> &str {
    match pattern.find(['*', '?']) {
        Some(i) => &pattern[..i],
        None => pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_empty_and_separators() {
        assert!(glob_match("repo:o/r:*", "repo:o/r:", false));
        assert!(glob_match(
            "repo:o/r:*",
            "repo:o/r:ref:refs/heads/a/b",
            false
        ));
        assert!(glob_match("a*b*c", "abc", false));
        assert!(glob_match("a*b*c", "aXXbYYc", false));
        assert!(!glob_match("a*b*c", "aXXbYY", false));
    }

    #[test]
    fn question_mark_is_exactly_one_char() {
        assert!(glob_match("v?", "v1", false));
        assert!(!glob_match("v?", "v", false));
        assert!(!glob_match("v?", "v12", false));
        assert!(glob_match("?", "é", false));
    }

    #[test]
    fn case() {
        assert!(!glob_match("Repo", "repo", false));
        assert!(glob_match(
            "STS:Assume*",
            "sts:AssumeRoleWithWebIdentity",
            true
        ));
    }

    #[test]
    fn literal_tokens_never_wildcard() {
        let mut p = compile("repo:");
        p.extend(literal("o/*"));
        assert!(match_tokens(&p, "repo:o/*", false));
        assert!(!match_tokens(&p, "repo:o/r", false));
    }

    #[test]
    fn prefix() {
        assert_eq!(literal_prefix("repo:octo*"), "repo:octo");
        assert_eq!(literal_prefix("abc"), "abc");
        assert!(has_wildcard("a?"));
        assert!(!has_wildcard("abc"));
    }
}
