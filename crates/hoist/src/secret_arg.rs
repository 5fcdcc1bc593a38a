//! Secrets given on the command line without putting them in argv: `--token`,
//! `--database-url` and the like take the value itself, `-` (read standard input) or `@FILE`
//! (read a file), so `ps` and shell history need not see them.

use crate::exit::BadInput;

/// The value of a secret-bearing flag: itself, `-` for stdin, `@FILE` for a file; surrounding
/// whitespace (a trailing newline) trimmed. `flag` names the flag in errors.
pub(crate) fn read(flag: &str, arg: &str) -> Result<String, BadInput> {
    let text = if arg == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| BadInput::new(format!("cannot read {flag} from stdin: {e}")))?
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path).map_err(|e| {
            BadInput::new(format!("cannot read {flag} from {path}: {e}")).hint(format!(
                "{flag} @FILE reads the value from FILE; {flag} - from stdin"
            ))
        })?
    } else {
        arg.to_owned()
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(BadInput::new(format!("{flag} is empty")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_file_values() {
        assert_eq!(read("--token", "abc").unwrap(), "abc");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("url");
        std::fs::write(&p, "postgres://u:p%23@h/d\n").unwrap();
        assert_eq!(
            read("--database-url", &format!("@{}", p.display())).unwrap(),
            "postgres://u:p%23@h/d"
        );
        let e = read("--database-url", "@/nonexistent/x").unwrap_err();
        assert!(e.message.contains("--database-url"), "{}", e.message);
        std::fs::write(&p, "\n").unwrap();
        assert!(read("--token", &format!("@{}", p.display())).is_err());
    }
}
