//! The `gh` commands equivalent to what hoist does through the API, for users who prefer them.
//!
//! Secrets are never put in argv: `gh secret set NAME --repo R` reads the value from stdin
//! (or prompts). Only values that are not secret (role ARNs, which the guide stores as
//! secrets anyway) may be given with `--body`, via [`gh_secret_with_body`].

/// Quotes `s` for a POSIX shell when it contains anything but safe characters.
fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,%".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `gh secret set NAME --repo OWNER/NAME` per secret (value from stdin), then
/// `gh variable set NAME --repo OWNER/NAME --body VALUE` per variable.
pub fn gh_cli_lines(repo: &str, secrets: &[&str], variables: &[(&str, &str)]) -> Vec<String> {
    let repo = shell_quote(repo);
    let secrets = secrets
        .iter()
        .map(|name| format!("gh secret set {} --repo {repo}", shell_quote(name)));
    let variables = variables.iter().map(|(name, value)| {
        format!(
            "gh variable set {} --repo {repo} --body {}",
            shell_quote(name),
            shell_quote(value)
        )
    });
    secrets.chain(variables).collect()
}

/// `gh secret set NAME --repo R --body VALUE`, for values that are not secret (role ARNs).
pub fn gh_secret_with_body(repo: &str, name: &str, public_value: &str) -> String {
    format!(
        "gh secret set {} --repo {} --body {}",
        shell_quote(name),
        shell_quote(repo),
        shell_quote(public_value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            gh_cli_lines(
                "octo-org/octo-repo",
                &["LLM_API_KEY"],
                &[("AWS_REGION", "ca-central-1"), ("GREETING", "it's ok")]
            ),
            vec![
                "gh secret set LLM_API_KEY --repo octo-org/octo-repo",
                "gh variable set AWS_REGION --repo octo-org/octo-repo --body ca-central-1",
                r"gh variable set GREETING --repo octo-org/octo-repo --body 'it'\''s ok'",
            ]
        );
        assert_eq!(
            gh_secret_with_body(
                "o/r",
                "AWS_ROLE_ARN_DEV",
                "arn:aws:iam::123456789012:role/GitHubActionsHindsightDev"
            ),
            "gh secret set AWS_ROLE_ARN_DEV --repo o/r --body arn:aws:iam::123456789012:role/GitHubActionsHindsightDev"
        );
    }
}
