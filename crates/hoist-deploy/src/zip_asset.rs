//! Zips a CDK directory asset (packaging `"zip"`, `FileAssetPackaging.ZIP_DIRECTORY`) the
//! way the CDK CLI does: every file under the directory (dot files included, symlinks
//! followed, no directory entries), in sorted order, each with the same fixed timestamp
//! (1980-01-01 00:00:00), so the same directory always gives the same bytes and a
//! second deploy finds the object already uploaded.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Why a directory asset could not be zipped.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("cannot read asset {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("asset directory {dir} has a symlink loop at {at}")]
    SymlinkLoop { dir: PathBuf, at: PathBuf },
    #[error("asset file name {name:?} in {dir} is not UTF-8")]
    NotUtf8 {
        name: std::ffi::OsString,
        dir: PathBuf,
    },
    #[error("asset {0} is packaged as \"zip\" but is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot zip asset {path}")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
}

impl ZipError {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        match self {
            Self::SymlinkLoop { .. } => {
                "remove the symlink that points back into its own directory, then synthesize again"
            }
            Self::NotUtf8 { .. } => "rename the file, then synthesize again",
            Self::Read { .. } | Self::NotADirectory(_) => {
                "synthesize again (`cdk synth`) to rebuild the cloud assembly"
            }
            Self::Zip { .. } => "check the disk has room and the files are readable",
        }
    }
}

/// The files under `dir`, as (`a/b.txt` name inside the archive, path on disk), sorted by name.
fn files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ZipError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new(), Vec::<PathBuf>::new())];
    while let Some((path, prefix, ancestors)) = stack.pop() {
        let canonical = path.canonicalize().map_err(|e| read_error(&path, &e))?;
        if ancestors.contains(&canonical) {
            return Err(ZipError::SymlinkLoop {
                dir: dir.to_path_buf(),
                at: path,
            });
        }
        let mut ancestors = ancestors;
        ancestors.push(canonical);
        for entry in std::fs::read_dir(&path).map_err(|e| read_error(&path, &e))? {
            let entry = entry.map_err(|e| read_error(&path, &e))?;
            let name = entry
                .file_name()
                .into_string()
                .map_err(|name| ZipError::NotUtf8 {
                    name,
                    dir: path.clone(),
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

fn read_error(path: &Path, e: &std::io::Error) -> ZipError {
    ZipError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(e.kind(), e.to_string()),
    }
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
///
/// # Errors
/// A file that cannot be read, a symlink loop, a non-UTF-8 name, or `dir` not a directory.
pub fn zip_directory(dir: &Path) -> Result<Vec<u8>, ZipError> {
    let meta = std::fs::metadata(dir).map_err(|e| read_error(dir, &e))?;
    if !meta.is_dir() {
        return Err(ZipError::NotADirectory(dir.to_path_buf()));
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
            .map_err(|source| ZipError::Zip {
                path: path.clone(),
                source,
            })?;
        writer.write_all(&body).map_err(|e| read_error(&path, &e))?;
    }
    let cursor = writer.finish().map_err(|source| ZipError::Zip {
        path: dir.to_path_buf(),
        source,
    })?;
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
        assert!(matches!(err, ZipError::NotADirectory(_)), "{err}");
        assert!(err.to_string().contains("not a directory"), "{err}");
    }
}
