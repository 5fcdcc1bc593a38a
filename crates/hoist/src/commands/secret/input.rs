//! The new value of a rotated secret: read from stdin only (argv is visible to every process
//! of the machine and lands in shell history), checked before any network call.

use std::io::{IsTerminal, Read};

use hoist_config::SecretSync;

use crate::exit::BadInput;
use hoist_deployer::secrets::check_pattern;

/// GitHub's limit on an Actions secret: "Secrets are limited to 48 KB in size". Secrets
/// Manager's own (65,536 bytes) is higher, so this one decides.
pub(super) const GITHUB_SECRET_MAX: usize = 48 * 1024;

/// Reads the value from stdin: one trailing line break (`\n` or `\r\n`, as `echo` or a file
/// adds) is removed, nothing else.
///
/// # Errors
/// `BadInput` (exit 2) when stdin is a terminal (the value would be echoed), not UTF-8, empty,
/// over GitHub's limit, or not matching the secret's pattern. The value is never shown.
pub(super) fn read(spec: &SecretSync) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(BadInput::new(format!(
            "hoist reads the new value of {} from stdin, and stdin is a terminal (it would echo the key)",
            spec.env
        ))
        .hint(format!(
            "pipe it in: `pbpaste | hoist secret rotate …` or `hoist secret rotate … < key.txt`; never pass it as an argument ({})",
            spec.env
        ))
        .into());
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(GITHUB_SECRET_MAX as u64 + 3)
        .read_to_end(&mut bytes)
        .map_err(|e| BadInput::new(format!("cannot read the new value from stdin: {e}")))?;
    check(spec, bytes)
}

/// The checks of [`read`] on bytes already read.
pub(super) fn check(spec: &SecretSync, mut bytes: Vec<u8>) -> anyhow::Result<String> {
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.truncate(bytes.len() - 1);
    }
    if bytes.len() > GITHUB_SECRET_MAX {
        return Err(BadInput::new(format!(
            "the new value of {} is over {GITHUB_SECRET_MAX} bytes, GitHub's limit for a secret; nothing was changed",
            spec.env
        ))
        .hint("check stdin holds only the key (one value, at most one trailing line break); a larger value belongs in a file the service reads, not in a secret")
        .into());
    }
    let Ok(value) = String::from_utf8(bytes) else {
        return Err(BadInput::new(format!(
            "the new value of {} is not UTF-8 text (value not shown); nothing was changed",
            spec.env
        ))
        .into());
    };
    if value.is_empty() {
        return Err(BadInput::new(format!(
            "stdin held no value for {}; nothing was changed",
            spec.env
        ))
        .hint("pipe the new key in (an empty key is what makes the tasks fail with 401 \"Incorrect API key\")")
        .into());
    }
    check_pattern(spec, &value, "the value on stdin")?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pattern: Option<&str>) -> SecretSync {
        SecretSync {
            env: "LLM_API_KEY".into(),
            output: "LlmSecretArn".into(),
            pattern: pattern.map(str::to_owned),
        }
    }

    fn refused(spec: &SecretSync, bytes: &[u8]) -> String {
        let err = check(spec, bytes.to_vec()).unwrap_err();
        let bad_input = err.downcast_ref::<BadInput>().is_some()
            || err
                .downcast_ref::<hoist_deployer::DeployError>()
                .is_some_and(hoist_deployer::DeployError::is_bad_input);
        assert!(bad_input, "{err:#}");
        err.to_string()
    }

    #[test]
    fn one_trailing_line_break_is_removed_and_nothing_else() {
        let s = spec(None);
        assert_eq!(check(&s, b"sk-abc\n".to_vec()).unwrap(), "sk-abc");
        assert_eq!(check(&s, b"sk-abc\r\n".to_vec()).unwrap(), "sk-abc");
        assert_eq!(check(&s, b"sk-abc\n\n".to_vec()).unwrap(), "sk-abc\n");
        assert_eq!(check(&s, b" sk-abc".to_vec()).unwrap(), " sk-abc");
    }

    #[test]
    fn bad_values_are_refused_without_showing_them() {
        let s = spec(Some(r"sk-\S{20,}"));
        for bad in [
            &b""[..],
            b"\n",
            b"sk-short\n",
            b"sk-0123456789abcdefghij xyz",
            b"\xff\xfe-0123456789abcdefghijk",
        ] {
            let message = refused(&s, bad);
            assert!(message.contains("LLM_API_KEY"), "{message}");
            if bad.len() > 3 {
                let shown = String::from_utf8_lossy(&bad[3..]);
                assert!(!message.contains(shown.trim()), "{message}");
            }
        }
        let big = vec![b'a'; GITHUB_SECRET_MAX + 1];
        assert!(refused(&spec(None), &big).contains("49152 bytes"));
        assert_eq!(
            check(&spec(None), vec![b'a'; GITHUB_SECRET_MAX])
                .unwrap()
                .len(),
            GITHUB_SECRET_MAX
        );
    }
}
