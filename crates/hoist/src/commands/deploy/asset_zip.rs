//! Zips a CDK directory asset (packaging `"zip"`, `FileAssetPackaging.ZIP_DIRECTORY`) the
//! way the CDK CLI does: every file under the directory (dot files included, symlinks
//! followed, no directory entries), in sorted order, each with the same fixed timestamp
//! (1980-01-01 00:00:00), so the same directory always gives the same bytes and a
//! second deploy finds the object already uploaded.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::exit::BadInput;

/// The files under `dir`, as (`a/b.txt` name inside the archive, path on disk), sorted by name.
fn files(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new(), Vec::<PathBuf>::new())];
    while let Some((path, prefix, ancestors)) = stack.pop() {
        let canonical = path.canonicalize().map_err(|e| read_error(&path, &e))?;
        if ancestors.contains(&canonical) {
            return Err(BadInput::new(format!("asset directory {} has a symlink loop at {}", dir.display(), path.display()))
                .hint("remove the symlink that points back into its own directory, then run `cdk synth` again")
                .into());
        }
        let mut ancestors = ancestors;
        ancestors.push(canonical);
        for entry in std::fs::read_dir(&path).map_err(|e| read_error(&path, &e))? {
            let entry = entry.map_err(|e| read_error(&path, &e))?;
            let name = entry.file_name().into_string().map_err(|n| {
                BadInput::new(format!(
                    "asset file name {n:?} in {} is not UTF-8",
                    path.display()
                ))
                .hint("rename the file, then run `cdk synth` again")
            })?;
            let child = entry.path();
            // `metadata` follows symlinks, as the CDK CLI's glob does.
            let meta = std::fs::metadata(&child).map_err(|e| read_error(&child, &e))?;
            let inner = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if meta.is_dir() {
                stack.push((child, inner, ancestors.clone()));
            } else {
                out.push((inner, child));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_error(path: &Path, e: &std::io::Error) -> anyhow::Error {
    BadInput::new(format!("cannot read asset {}: {e}", path.display()))
        .hint("run `cdk synth` first")
        .into()
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &Path) -> bool {
    false
}

/// The zip archive of `dir`'s files. Only names, contents and the executable bit go in:
/// timestamps are fixed, owners and directory entries are left out.
pub(crate) fn zip_directory(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let meta = std::fs::metadata(dir).map_err(|e| read_error(dir, &e))?;
    if !meta.is_dir() {
        return Err(BadInput::new(format!(
            "asset {} is packaged as \"zip\" but is not a directory",
            dir.display()
        ))
        .hint("run `cdk synth` again to rebuild cdk.out")
        .into());
    }
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, path) in files(dir)? {
        let body = std::fs::read(&path).map_err(|e| read_error(&path, &e))?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(if executable(&path) { 0o755 } else { 0o644 })
            .large_file(body.len() as u64 >= u64::from(u32::MAX));
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| anyhow::anyhow!("cannot zip asset {}: {e}", path.display()))?;
        writer
            .write_all(&body)
            .map_err(|e| anyhow::anyhow!("cannot zip asset {}: {e}", path.display()))?;
    }
    let cursor = writer
        .finish()
        .map_err(|e| anyhow::anyhow!("cannot zip asset {}: {e}", dir.display()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(bytes: &[u8]) -> Vec<(String, String)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let mut s = String::new();
                std::io::Read::read_to_string(&mut f, &mut s).unwrap();
                (f.name().to_owned(), s)
            })
            .collect()
    }

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, body) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    }

    const FILES: &[(&str, &str)] = &[
        ("index.py", "def handler(e, c): return 1\n"),
        ("lib/util.py", "X = 1\n"),
        (".env", "A=b\n"),
        ("a/z/deep.txt", "deep"),
    ];

    #[test]
    fn same_directory_gives_same_bytes_and_holds_every_file_sorted() {
        let one = tempfile::tempdir().unwrap();
        write(one.path(), FILES);
        let first = zip_directory(one.path()).unwrap();
        assert_eq!(first, zip_directory(one.path()).unwrap());
        // Another directory with the same files, written in another order, later than the
        // 2-second resolution of zip timestamps.
        let two = tempfile::tempdir().unwrap();
        let mut reversed = FILES.to_vec();
        reversed.reverse();
        std::thread::sleep(std::time::Duration::from_millis(2100));
        write(two.path(), &reversed);
        assert_eq!(
            first,
            zip_directory(two.path()).unwrap(),
            "the bytes depend on the directory, not only its files"
        );
        assert_eq!(
            names(&first),
            [
                (".env", "A=b\n"),
                ("a/z/deep.txt", "deep"),
                ("index.py", "def handler(e, c): return 1\n"),
                ("lib/util.py", "X = 1\n")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    #[test]
    fn different_content_or_name_gives_different_bytes() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), FILES);
        let before = zip_directory(dir.path()).unwrap();
        write(dir.path(), &[("lib/util.py", "X = 2\n")]);
        let changed = zip_directory(dir.path()).unwrap();
        assert_ne!(before, changed);
        std::fs::rename(
            dir.path().join("lib/util.py"),
            dir.path().join("lib/utils.py"),
        )
        .unwrap();
        assert_ne!(changed, zip_directory(dir.path()).unwrap());
    }

    #[test]
    fn a_file_instead_of_a_directory_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("f.zip", "x")]);
        let err = zip_directory(&dir.path().join("f.zip")).unwrap_err();
        assert!(err.downcast_ref::<BadInput>().is_some(), "{err:#}");
        assert!(format!("{err:#}").contains("not a directory"), "{err:#}");
    }
}
