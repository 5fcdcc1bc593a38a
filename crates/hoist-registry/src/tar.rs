//! A minimal tar index: the name, offset and size of each regular file in an archive, so
//! blobs inside a `docker save` tar can be streamed in place without extracting them.
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

/// Lists the regular files of the tar at `path`, following symbolic links to files.
pub(crate) fn index(path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let file = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    index_reader(file, path)
}

fn index_reader<R: Read + Seek>(mut r: R, path: &Path) -> Result<Vec<Entry>, RegistryError> {
    let bad = |d: String| RegistryError::bad_image(path, d);
    let io = |e| RegistryError::io(path, e);
    let mut files: Vec<Entry> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut pos: u64 = 0;
    let mut long_name: Option<String> = None;
    let mut header = [0u8; 512];
    loop {
        match r.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io(e)),
        }
        pos += 512;
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let size = octal(&header[124..136]).ok_or_else(|| bad(format!("bad tar header at byte {}", pos - 512)))?;
        let typeflag = header[156];
        let padded = size.div_ceil(512) * 512;
        let mut name = long_name.take().unwrap_or_else(|| {
            let base = cstr(&header[0..100]);
            let prefix = if &header[257..262] == b"ustar" { cstr(&header[345..500]) } else { String::new() };
            if prefix.is_empty() { base } else { format!("{prefix}/{base}") }
        });
        match typeflag {
            b'L' | b'x' => {
                let mut data = vec![0u8; usize::try_from(size).map_err(|_| bad("tar record too large".into()))?];
                r.read_exact(&mut data).map_err(io)?;
                r.seek(SeekFrom::Current(i64::try_from(padded - size).unwrap_or(0))).map_err(io)?;
                pos += padded;
                long_name = if typeflag == b'L' { Some(cstr(&data)) } else { pax_path(&data) };
                continue;
            }
            b'0' | 0 | b'7' => {
                name = normalize(&name);
                files.push(Entry { name, offset: pos, size });
            }
            b'2' => {
                let target = cstr(&header[157..257]);
                links.push((normalize(&name), target));
            }
            _ => {}
        }
        r.seek(SeekFrom::Current(i64::try_from(padded).map_err(|_| bad("tar entry too large".into()))?)).map_err(io)?;
        pos += padded;
    }
    for (name, target) in links {
        let resolved = if target.starts_with('/') {
            normalize(&target)
        } else {
            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
            normalize(&format!("{dir}/{target}"))
        };
        if let Some(e) = files.iter().find(|e| e.name == resolved).cloned() {
            files.push(Entry { name, ..e });
        }
    }
    Ok(files)
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
    let s: String = field.iter().take_while(|b| **b != 0).map(|b| *b as char).collect();
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
    text.lines().find_map(|l| l.split_once(' ').and_then(|(_, kv)| kv.strip_prefix("path=")).map(str::to_owned))
}

/// `./a//b/../c` → `a/c`.
fn normalize(name: &str) -> String {
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
        let tar = write_tar(&[("manifest.json", b"[]"), ("abc/layer.tar", &[7u8; 700])], &[("def/layer.tar", "../abc/layer.tar")]);
        let entries = index_reader(std::io::Cursor::new(&tar), Path::new("t.tar")).unwrap();
        assert_eq!(entries.len(), 3);
        let layer = entries.iter().find(|e| e.name == "abc/layer.tar").unwrap();
        assert_eq!(layer.size, 700);
        assert_eq!(&tar[layer.offset as usize..layer.offset as usize + 700], &[7u8; 700][..]);
        let linked = entries.iter().find(|e| e.name == "def/layer.tar").unwrap();
        assert_eq!(linked.offset, layer.offset);
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize("./a//b/../c"), "a/c");
    }
}
