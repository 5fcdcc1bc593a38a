//! The regular files of a tar, read with the `tar` crate: header checksums verified, GNU
//! long names and pax `path` and `size` records applied. [`index`] lists a `docker save` file
//! on disk in place (entries are then streamed from their offsets); `spool` streams the
//! engine's export entry by entry. Symbolic links (which `docker save` writes for repeated
//! layers) are resolved to their target.

use std::io::{Read, Seek};
use std::path::Path;

use crate::error::RegistryError;

/// One regular file in a tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    /// A symbolic link to this target (relative to the link's directory, or absolute).
    Symlink(String),
    /// Directories and everything else: no data worth keeping.
    Other,
}

/// An entry's name (normalized) and kind.
pub(crate) fn describe<R: Read>(e: &tar::Entry<'_, R>) -> std::io::Result<(String, Kind)> {
    let name = normalize(&e.path()?.to_string_lossy());
    let kind = match e.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => Kind::File,
        tar::EntryType::Symlink => Kind::Symlink(
            e.link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        _ => Kind::Other,
    };
    Ok((name, kind))
}

/// Lists the regular files of the tar at `path`, following symbolic links to files.
pub(crate) fn index(path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let file = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    index_reader(std::io::BufReader::new(file), path)
}

fn index_reader<R: Read + Seek>(r: R, path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let bad = |e: std::io::Error| RegistryError::bad_image(path, format!("not a usable tar: {e}"));
    let mut archive = tar::Archive::new(r);
    let mut files = Files::default();
    for e in archive.entries_with_seek().map_err(bad)? {
        let e = e.map_err(bad)?;
        let (name, kind) = describe(&e).map_err(bad)?;
        let (offset, size) = (e.raw_file_position(), e.size());
        files.add(name, kind, |name| Entry {
            name: name.to_owned(),
            offset,
            size,
        });
    }
    Ok(files.finish(|e| &e.name, |e, name| Entry { name, ..e.clone() }))
}

/// Regular files in archive order, plus the symbolic links seen, resolved at the end (a link
/// may come before its target).
pub(crate) struct Files<T> {
    files: Vec<T>,
    links: Vec<(String, String)>,
}

impl<T> Default for Files<T> {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            links: Vec::new(),
        }
    }
}

impl<T> Files<T> {
    /// Records a regular file (as `make` builds it from its name) or a link; other kinds are
    /// ignored.
    pub(crate) fn add(&mut self, name: String, kind: Kind, make: impl FnOnce(&str) -> T) {
        match kind {
            Kind::File => self.files.push(make(&name)),
            Kind::Symlink(target) => self.links.push((name, target)),
            Kind::Other => {}
        }
    }

    /// The files, then one more per link whose target is a file (`rename` gives it the link's name).
    pub(crate) fn finish(
        mut self,
        name: impl Fn(&T) -> &str,
        rename: impl Fn(&T, String) -> T,
    ) -> Vec<T> {
        for (link, target) in std::mem::take(&mut self.links) {
            let resolved = resolve_link(&link, &target);
            if let Some(f) = self.files.iter().find(|f| name(f) == resolved) {
                let renamed = rename(f, link);
                self.files.push(renamed);
            }
        }
        self.files
    }
}

fn resolve_link(link: &str, target: &str) -> String {
    if target.starts_with('/') {
        normalize(target)
    } else {
        let dir = link.rsplit_once('/').map_or("", |(d, _)| d);
        normalize(&format!("{dir}/{target}"))
    }
}

/// `./a//b/../c` → `a/c`.
pub(crate) fn normalize(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a ustar archive of `(name, bytes)` files and `(name, target)` symlinks.
    pub(crate) fn write_tar(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
        fn header(name: &str, size: usize, flag: u8, link: &str) -> [u8; 512] {
            let mut h = [0u8; 512];
            h[..name.len()].copy_from_slice(name.as_bytes());
            h[100..107].copy_from_slice(b"0000644");
            h[108..115].copy_from_slice(b"0000000");
            h[116..123].copy_from_slice(b"0000000");
            h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
            h[136..147].copy_from_slice(b"00000000000");
            h[156] = flag;
            h[157..157 + link.len()].copy_from_slice(link.as_bytes());
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
            h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            h
        }
        let mut out = Vec::new();
        for (name, bytes) in files {
            out.extend_from_slice(&header(name, bytes.len(), b'0', ""));
            out.extend_from_slice(bytes);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        for (name, target) in links {
            out.extend_from_slice(&header(name, 0, b'2', target));
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    #[test]
    fn indexes_files_and_follows_symlinks() {
        let tar = write_tar(
            &[("manifest.json", b"[]"), ("abc/layer.tar", &[7u8; 700])],
            &[("def/layer.tar", "../abc/layer.tar")],
        );
        let entries = index_reader(std::io::Cursor::new(&tar), Path::new("t.tar")).unwrap();
        assert_eq!(entries.len(), 3);
        let layer = entries.iter().find(|e| e.name == "abc/layer.tar").unwrap();
        assert_eq!(layer.size, 700);
        assert_eq!(
            &tar[layer.offset as usize..layer.offset as usize + 700],
            &[7u8; 700][..]
        );
        let linked = entries.iter().find(|e| e.name == "def/layer.tar").unwrap();
        assert_eq!(linked.offset, layer.offset);
    }

    /// Sets a header's type flag and its checksum to match (the reader verifies it).
    fn set_flag(block: &mut [u8], flag: u8) {
        block[156] = flag;
        block[148..156].copy_from_slice(b"        ");
        let sum: u32 = block[..512].iter().map(|b| u32::from(*b)).sum();
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    }

    /// A pax extended header (`x`) carrying `records`, for the entry that follows.
    fn pax(records: &[(&str, &str)]) -> Vec<u8> {
        let mut body = String::new();
        for (k, v) in records {
            // The length counts itself: find the width that fits.
            let rest = format!(" {k}={v}\n");
            let mut len = rest.len() + 1;
            while format!("{len}{rest}").len() != len {
                len += 1;
            }
            body.push_str(&format!("{len}{rest}"));
        }
        let mut block = write_tar(&[("PaxHeader", body.as_bytes())], &[]);
        set_flag(&mut block, b'x');
        block.truncate(512 + body.len().div_ceil(512) * 512);
        block
    }

    #[test]
    fn long_names_and_pax_paths_name_the_next_entry() {
        let long = format!("{}/layer.tar", "d".repeat(120));
        let mut tar = Vec::new();
        // A GNU `L` record carrying the long name, then the file it names.
        let mut gnu = write_tar(&[("././@LongLink", long.as_bytes())], &[]);
        set_flag(&mut gnu, b'L');
        tar.extend_from_slice(&gnu[..1024]);
        tar.extend_from_slice(&write_tar(&[("short", b"abc")], &[])[..1024]);
        tar.extend_from_slice(&pax(&[("path", "pax/named/layer.tar")]));
        tar.extend_from_slice(&write_tar(&[("other", b"xyz")], &[]));
        let entries = index_reader(std::io::Cursor::new(&tar), Path::new("t.tar")).unwrap();
        let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, [long.as_str(), "pax/named/layer.tar"]);
        let e = &entries[1];
        assert_eq!(&tar[e.offset as usize..e.offset as usize + 3], b"xyz");
    }

    #[test]
    fn a_pax_size_overrides_the_header_size() {
        // Sizes of 8 GiB and more do not fit ustar's octal field: writers put them in a pax
        // `size` record and leave the header's field at anything (here 0).
        let data = [5u8; 700];
        let mut tar = pax(&[("size", "700")]);
        let mut file = write_tar(&[("big/layer.tar", &data)], &[]);
        file[124..135].copy_from_slice(b"00000000000");
        let mut header = file[..512].to_vec();
        set_flag(&mut header, b'0');
        tar.extend_from_slice(&header);
        tar.extend_from_slice(&file[512..]);
        let entries = index_reader(std::io::Cursor::new(&tar), Path::new("t.tar")).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].size, 700);
        let at = usize::try_from(entries[0].offset).unwrap();
        assert_eq!(&tar[at..at + 700], &data[..]);
    }

    #[test]
    fn a_header_with_a_wrong_checksum_is_refused() {
        let mut tar = write_tar(&[("manifest.json", b"[]")], &[]);
        tar[0] = b'M';
        let err = index_reader(std::io::Cursor::new(&tar), Path::new("t.tar")).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize("./a//b/../c"), "a/c");
        assert_eq!(resolve_link("x/layer.tar", "../y/layer.tar"), "y/layer.tar");
        assert_eq!(resolve_link("x/layer.tar", "/y/layer.tar"), "y/layer.tar");
    }
}
