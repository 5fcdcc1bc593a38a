//! Stamps `hoist --version` with the commit and the build date:
//! HOIST_BUILD_COMMIT is the packaged crate's `.cargo_vcs_info.json` sha (a crates.io build),
//! else `git rev-parse` of this checkout, else "unknown" (a source tarball); HOIST_BUILD_DATE
//! is SOURCE_DATE_EPOCH's date when set (reproducible releases), else today's (UTC).
//!
//! The date arithmetic is written out (Howard Hinnant's days-to-civil, a few lines) rather
//! than pulling a date crate into every build of hoist for one string.

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let commit = vcs_info_commit(Path::new(&manifest))
        .or_else(|| git_commit(&manifest))
        .unwrap_or_else(|| "unknown".to_owned());
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    let (y, m, d) = civil_from_days(epoch.div_euclid(86_400));
    println!("cargo:rustc-env=HOIST_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=HOIST_BUILD_DATE={y:04}-{m:02}-{d:02}");
}

/// `"sha1": "…"` from the `.cargo_vcs_info.json` that `cargo package` writes.
fn vcs_info_commit(manifest: &Path) -> Option<String> {
    let path = manifest.join(".cargo_vcs_info.json");
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path).ok()?;
    let start = text.find("\"sha1\"")?;
    let rest = &text[start + 6..];
    let rest = &rest[rest.find('"')? + 1..];
    let sha = &rest[..rest.find('"')?];
    (sha.len() >= 12 && sha.chars().all(|c| c.is_ascii_hexdigit())).then(|| sha[..12].to_owned())
}

/// The checkout's HEAD, short; reruns when HEAD moves (a commit or a checkout).
fn git_commit(manifest: &str) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(manifest)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let sha = git(&["rev-parse", "--short=12", "HEAD"])?;
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        for file in ["HEAD", "logs/HEAD"] {
            let path = Path::new(&dir).join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    Some(sha)
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
