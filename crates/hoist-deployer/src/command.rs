//! Deploys that another tool does (`npx aws-cdk deploy …`, `terraform apply …`).
//!
//! The command is split like a POSIX shell splits words (quotes and backslashes only: no
//! variables, globs, pipes or `;`) and run directly, not through `sh -c`: nothing in it is
//! interpreted, so nothing can be injected. It inherits hoist's environment, which is how
//! secrets reach it; hoist never puts a secret into its argv.

use crate::error::{DeployError, Result};
use crate::events::Events;

/// Splits `line` into words: `'…'` literal, `"…"` with `\"` and `\\`, `\x` outside quotes.
pub fn split_words(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(x) => cur.push(x),
                    None => return Err("trailing backslash".into()),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Runs the deploy command with `apply`; without it, prints what would run.
pub async fn run(
    command: &str,
    dir: &std::path::Path,
    apply: bool,
    events: &dyn Events,
) -> Result<&'static str> {
    const WHAT: &str = "the deploy command";
    let words = split_words(command).map_err(|reason| DeployError::CommandSplit {
        what: WHAT,
        command: command.to_owned(),
        reason,
    })?;
    let Some((program, args)) = words.split_first() else {
        return Err(DeployError::CommandEmpty { what: WHAT });
    };
    if !apply {
        events.out(&format!("would run: {command}"));
        events.info("plan only: the deploy command was not run (pass --apply to run it)");
        return Ok("planned");
    }
    events.info(&format!("running: {command}"));
    let status = crate::child::run(program, args, dir, std::iter::empty::<(&str, &str)>())
        .await
        .map_err(|source| DeployError::CommandStart {
            program: program.clone(),
            source,
        })?;
    if !status.success() {
        return Err(DeployError::CommandFailed {
            command: command.to_owned(),
            status,
        });
    }
    Ok("ran")
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn splits_like_a_shell_without_interpreting() {
        assert_eq!(
            split_words("npx aws-cdk deploy HindsightDevStack").unwrap(),
            ["npx", "aws-cdk", "deploy", "HindsightDevStack"]
        );
        assert_eq!(
            split_words(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(),
            ["a", "b c", "d \"e\"", "f g"]
        );
        assert_eq!(
            split_words("echo $HOME; rm -rf /").unwrap(),
            ["echo", "$HOME;", "rm", "-rf", "/"]
        );
        assert_eq!(split_words("''").unwrap(), [""]);
        assert!(split_words("'open").is_err());
    }
}
