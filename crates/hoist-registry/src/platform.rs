//! Platforms (`os/arch[/variant]`, as compose's `platform:` and `docker build --platform`
//! write them) and choosing an index's image manifest for one.
//!
//! The OCI image-index specification gives `platform.os`, `platform.architecture` and an
//! optional `platform.variant` (`arm64` `v8`, `arm` `v6`/`v7`/`v8`, …). Two platforms match
//! when their normalized os, architecture and variant are equal; normalizing follows
//! containerd's (Docker's) rules: `x86_64` is `amd64` (whose `v1` is no variant), `aarch64` is
//! `arm64` (whose missing variant is `v8`), `arm` without a variant is `v7` (`armhf` is
//! `arm/v7`, `armel` `arm/v6`), a bare variant number gains its `v`. Entries that are not
//! image manifests (BuildKit's attestations, platform `unknown/unknown`) are never chosen.

use std::fmt;

use crate::manifest::{Descriptor, Index, Platform, media_type};

/// A platform string that is not `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {text:?}: expected os/arch[/variant], such as linux/arm64")]
pub struct PlatformError {
    pub text: String,
}

impl Platform {
    /// `linux/amd64`, hoist's platform when nothing names one.
    #[must_use]
    pub fn linux_amd64() -> Self {
        Self {
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: None,
        }
    }

    /// Parses `os/arch[/variant]`.
    ///
    /// # Errors
    /// [`PlatformError`] when there are not two or three non-empty parts of letters,
    /// digits, `.`, `_` and `-`.
    pub fn parse(text: &str) -> Result<Self, PlatformError> {
        let parts: Vec<&str> = text.split('/').collect();
        let valid = (2..=3).contains(&parts.len())
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            });
        if !valid {
            return Err(PlatformError {
                text: text.to_owned(),
            });
        }
        Ok(Self {
            os: parts[0].to_owned(),
            architecture: parts[1].to_owned(),
            variant: parts.get(2).map(|v| (*v).to_owned()),
        })
    }

    /// The same platform in containerd's normal form.
    #[must_use]
    pub fn normalized(&self) -> Self {
        let os = self.os.to_ascii_lowercase();
        let arch = self.architecture.to_ascii_lowercase();
        let variant = self.variant.as_deref().map(str::to_ascii_lowercase);
        let variant = variant.as_deref().filter(|v| !v.is_empty());
        let with_v = |v: &str| {
            if v.starts_with('v') {
                v.to_owned()
            } else {
                format!("v{v}")
            }
        };
        let (architecture, variant) = match arch.as_str() {
            "x86_64" | "x86-64" | "amd64" => (
                "amd64",
                variant.filter(|v| *v != "v1" && *v != "1").map(with_v),
            ),
            "aarch64" | "arm64" => (
                "arm64",
                Some(match variant {
                    None | Some("8" | "v8" | "v8.0" | "8.0") => "v8".to_owned(),
                    Some(v) => with_v(v),
                }),
            ),
            "armhf" => ("arm", Some("v7".to_owned())),
            "armel" => ("arm", Some("v6".to_owned())),
            "arm" => ("arm", Some(variant.map_or_else(|| "v7".to_owned(), with_v))),
            "i386" | "386" => ("386", variant.map(with_v)),
            other => {
                return Self {
                    os,
                    architecture: other.to_owned(),
                    variant: variant.map(str::to_owned),
                };
            }
        };
        Self {
            os,
            architecture: architecture.to_owned(),
            variant,
        }
    }

    /// Whether `self` and `other` are the same platform once normalized.
    #[must_use]
    pub fn matches(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Index {
    /// The descriptor of the image manifest for `platform` (the first that matches).
    #[must_use]
    pub fn for_platform(&self, platform: &Platform) -> Option<&Descriptor> {
        let wanted = platform.normalized();
        self.manifests.iter().find(|d| {
            media_type::is_manifest(&d.media_type)
                && d.platform
                    .as_ref()
                    .is_some_and(|p| p.os != "unknown" && p.normalized() == wanted)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;

    fn p(s: &str) -> Platform {
        Platform::parse(s).unwrap()
    }

    fn entry(n: u8, platform: Option<(&str, &str, Option<&str>)>, mt: &str) -> Descriptor {
        Descriptor {
            media_type: mt.to_owned(),
            digest: Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).unwrap(),
            size: u64::from(n),
            platform: platform.map(|(os, arch, variant)| Platform {
                os: os.into(),
                architecture: arch.into(),
                variant: variant.map(str::to_owned),
            }),
            annotations: None,
        }
    }

    #[test]
    fn parses_and_prints_os_arch_variant() {
        assert_eq!(p("linux/arm64").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm/v7").variant.as_deref(), Some("v7"));
        for bad in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux/arm/v7/x",
            "linux/am d64",
            "linux//v7",
        ] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn normal_forms() {
        for (a, b, same) in [
            ("linux/arm64", "linux/arm64/v8", true),
            ("linux/aarch64", "linux/arm64/v8", true),
            ("linux/arm64", "linux/arm64/8", true),
            ("linux/arm64/v9", "linux/arm64", false),
            ("linux/x86_64", "linux/amd64", true),
            ("linux/amd64/v1", "linux/amd64", true),
            ("linux/amd64/v3", "linux/amd64", false),
            ("linux/arm", "linux/arm/v7", true),
            ("linux/armhf", "linux/arm/7", true),
            ("linux/armel", "linux/arm/v6", true),
            ("linux/arm/v6", "linux/arm/v7", false),
            ("Linux/AMD64", "linux/amd64", true),
            ("linux/amd64", "windows/amd64", false),
            ("linux/riscv64", "linux/riscv64", true),
        ] {
            assert_eq!(p(a).matches(&p(b)), same, "{a} vs {b}");
        }
    }

    #[test]
    fn chooses_the_index_entry_for_a_platform() {
        let m = media_type::OCI_MANIFEST;
        let index = Index {
            schema_version: 2,
            media_type: None,
            manifests: vec![
                entry(1, Some(("unknown", "unknown", None)), m),
                entry(2, Some(("linux", "amd64", None)), m),
                entry(3, Some(("linux", "arm64", Some("v8"))), m),
                entry(4, Some(("linux", "arm", Some("v6"))), m),
                entry(5, Some(("linux", "arm", Some("v7"))), m),
                entry(6, Some(("linux", "s390x", None)), media_type::OCI_INDEX),
                entry(7, None, m),
            ],
        };
        for (wanted, size) in [
            ("linux/amd64", Some(2)),
            ("linux/arm64", Some(3)),
            ("linux/aarch64/v8", Some(3)),
            ("linux/arm", Some(5)),
            ("linux/arm/v6", Some(4)),
            ("linux/arm/v8", None),
            ("linux/s390x", None),
            ("windows/amd64", None),
            ("unknown/unknown", None),
        ] {
            assert_eq!(
                index.for_platform(&p(wanted)).map(|d| d.size),
                size,
                "{wanted}"
            );
        }
        assert_eq!(index.linux_amd64().map(|d| d.size), Some(2));
    }
}
