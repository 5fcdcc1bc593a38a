//! The resources a retained-delete left behind, persisted in `.hoist/teardown-<stack>.json`
//! so `hoist teardown --cleanup` can remove them once their network interfaces are gone.

use std::path::{Path, PathBuf};

use anyhow::Context;
use hoist_plan::teardown::Leftover;

pub(crate) fn path(root: &Path, stack: &str) -> PathBuf {
    root.join(".hoist").join(format!("teardown-{stack}.json"))
}

pub(crate) fn save(root: &Path, stack: &str, items: &[Leftover]) -> anyhow::Result<PathBuf> {
    let p = path(root, stack);
    if items.is_empty() {
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
        return Ok(p);
    }
    std::fs::create_dir_all(p.parent().unwrap_or(root))
        .with_context(|| format!("cannot create {}", root.join(".hoist").display()))?;
    std::fs::write(&p, serde_json::to_string_pretty(items)? + "\n")
        .with_context(|| format!("cannot write {}", p.display()))?;
    Ok(p)
}

pub(crate) fn load(root: &Path, stack: &str) -> anyhow::Result<Vec<Leftover>> {
    let p = path(root, stack);
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{} is not hoist's leftover list", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}
