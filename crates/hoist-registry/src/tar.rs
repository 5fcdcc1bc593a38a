//! A minimal tar reader: the name, offset and size of each regular file, read sequentially.
//! [`Walker`] serves both a `docker save` file on disk (entries indexed, then streamed in
//! place) and the engine's export stream (entries spooled as they pass, see `spool`).
//! Understands ustar (with prefix), GNU long names (`L`) and pax `path` records; symbolic
//! links (which `docker save` writes for repeated layers) are resolved to their target.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::RegistryError;

/// One regular file in a tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

/// What a header announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    /// A symbolic link to this target (relative to the link's directory, or absolute).
    Symlink(String),
    /// Directories and everything else: no data worth keeping.
    Other,
}

/// A header, read: the entry's data (`size` bytes, then padding to 512) follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    /// Where the data starts in the archive.
    pub offset: u64,
}

impl Header {
    /// Data plus padding: what must be consumed before the next header.
    pub(crate) fn padded(&self) -> u64 {
        self.size.div_ceil(512) * 512
    }
}

/// Reads headers in order. After [`Walker::next_header`] returns a header, the caller
/// consumes exactly [`Header::padded`] bytes of `inner` (reading or seeking) and calls
/// [`Walker::consumed`].
pub(crate) struct Walker<R> {
    pub(crate) inner: R,
    pos: u64,
}

impl<R: Read> Walker<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, pos: 0 }
    }

    /// The next header, with GNU long names and pax paths applied; `None` at the end.
    pub(crate) fn next_header(&mut self) -> Result<Option<Header>, String> {
        let mut long_name: Option<String> = None;
        let mut block = [0u8; 512];
        loop {
            match self.inner.read_exact(&mut block) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e.to_string()),
            }
            self.pos += 512;
            if block.iter().all(|b| *b == 0) {
                return Ok(None);
            }
            let size = octal(&block[124..136])
                .ok_or_else(|| format!("bad tar header at byte {}", self.pos - 512))?;
            let typeflag = block[156];
            if matches!(typeflag, b'L' | b'x') {
                let len = usize::try_from(size).map_err(|_| "tar record too large".to_owned())?;
                let mut data = vec![0u8; len];
                self.inner
                    .read_exact(&mut data)
                    .map_err(|e| e.to_string())?;
                let mut pad =
                    vec![0u8; usize::try_from(size.div_ceil(512) * 512 - size).unwrap_or(0)];
                self.inner.read_exact(&mut pad).map_err(|e| e.to_string())?;
                self.pos += size.div_ceil(512) * 512;
                long_name = if typeflag == b'L' {
                    Some(cstr(&data))
                } else {
                    pax_path(&data)
                };
                continue;
            }
            let name = long_name.take().unwrap_or_else(|| {
                let base = cstr(&block[0..100]);
                let prefix = if &block[257..262] == b"ustar" {
                    cstr(&block[345..500])
                } else {
                    String::new()
                };
                if prefix.is_empty() {
                    base
                } else {
                    format!("{prefix}/{base}")
                }
            });
            let kind = match typeflag {
                b'0' | 0 | b'7' => Kind::File,
                b'2' => Kind::Symlink(cstr(&block[157..257])),
                _ => Kind::Other,
            };
            return Ok(Some(Header {
                name: normalize(&name),
                kind,
                size,
                offset: self.pos,
            }));
        }
    }

    /// The caller consumed `n` bytes after the last header.
    pub(crate) fn consumed(&mut self, n: u64) {
        self.pos += n;
    }
}

/// Lists the regular files of the tar at `path`, following symbolic links to files.
pub(crate) fn index(path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let file = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    index_reader(std::io::BufReader::new(file), path)
}

fn index_reader<R: Read + Seek>(r: R, path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let mut walker = Walker::new(r);
    let mut files = Files::default();
    while let Some(h) = walker
        .next_header()
        .map_err(|d| RegistryError::bad_image(path, d))?
    {
        let padded = h.padded();
        walker
            .inner
            .seek(SeekFrom::Current(i64::try_from(padded).map_err(|_| {
                RegistryError::bad_image(path, "tar entry too large")
            })?))
            .map_err(|e| RegistryError::io(path, e))?;
        walker.consumed(padded);
        files.add(h, |h| Entry {
            name: h.name.clone(),
            offset: h.offset,
            size: h.size,
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
    /// Records a regular file (as `make` builds it) or a link; other kinds are ignored.
    pub(crate) fn add(&mut self, h: Header, make: impl FnOnce(&Header) -> T) {
        match &h.kind {
            Kind::File => self.files.push(make(&h)),
            Kind::Symlink(target) => self.links.push((h.name.clone(), target.clone())),
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

fn octal(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        // GNU base-256 for large sizes.
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(*b))?;
        }
        return Some(v);
    }
    let s: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect();
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines().find_map(|l| {
        l.split_once(' ')
            .and_then(|(_, kv)| kv.strip_prefix("path="))
            .map(str::to_owned)
    })
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

    #[test]
    fn long_names_and_pax_paths_name_the_next_entry() {
        let long = format!("{}/layer.tar", "d".repeat(120));
        let mut tar = Vec::new();
        // A GNU `L` record carrying the long name, then the file it names.
        let mut gnu = write_tar(&[("././@LongLink", long.as_bytes())], &[]);
        gnu[156] = b'L';
        let sum: u32 = gnu[..512]
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(*b)
                }
            })
            .sum();
        gnu[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        tar.extend_from_slice(&gnu[..1024]);
        tar.extend_from_slice(&write_tar(&[("short", b"abc")], &[])[..1024]);
        let pax_body = "28 path=pax/named/layer.tar\n";
        let mut pax = write_tar(&[("PaxHeader", pax_body.as_bytes())], &[]);
        pax[156] = b'x';
        tar.extend_from_slice(&pax[..1024]);
        tar.extend_from_slice(&write_tar(&[("other", b"xyz")], &[]));
        let entries = index_reader(std::io::Cursor::new(&tar), Path::new("t.tar")).unwrap();
        let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, [long.as_str(), "pax/named/layer.tar"]);
        let e = &entries[1];
        assert_eq!(&tar[e.offset as usize..e.offset as usize + 3], b"xyz");
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize("./a//b/../c"), "a/c");
        assert_eq!(resolve_link("x/layer.tar", "../y/layer.tar"), "y/layer.tar");
        assert_eq!(resolve_link("x/layer.tar", "/y/layer.tar"), "y/layer.tar");
    }
}
