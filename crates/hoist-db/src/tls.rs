//! Which certificate authorities a database's certificate must chain to, and the rustls
//! client configuration built from them.
//!
//! Amazon RDS signs its servers' certificates with its own CAs, published as a "global
//! bundle" PEM file (the RDS user guide, "Using SSL/TLS to encrypt a connection to a DB
//! instance"); no crates.io, PyPI or Debian package carries it, so hoist cannot embed it: the
//! user passes it (`--ca-file`, `PGSSLROOTCERT`, or `sslrootcert=` in the URL). Without one,
//! the platform's roots are used (fine for a proxy or a server with a public certificate; an
//! RDS endpoint then fails verification, with a hint naming the bundle).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::DbError;

/// The roots a server certificate must chain to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustRoots {
    /// The certificates of a PEM bundle file (such as RDS's `global-bundle.pem`).
    CaFile(PathBuf),
    /// The operating system's store (`rustls-native-certs`; `SSL_CERT_FILE` is honoured).
    Platform,
}

impl TrustRoots {
    /// The store of trusted certificates.
    ///
    /// # Errors
    /// The bundle cannot be read or holds no certificate; the platform has none.
    pub(crate) fn store(&self) -> Result<RootCertStore, DbError> {
        let mut store = RootCertStore::empty();
        match self {
            Self::CaFile(path) => {
                for cert in read_pem(path)? {
                    store.add(cert).map_err(|e| DbError::Certificate {
                        target: path.display().to_string(),
                        source: e,
                    })?;
                }
            }
            Self::Platform => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = store.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(DbError::NoPlatformRoots);
                }
            }
        }
        Ok(store)
    }

    /// A rustls client configuration verifying certificates and host names against these
    /// roots, with the aws-lc-rs provider.
    pub(crate) fn client_config(&self) -> Result<rustls::ClientConfig, DbError> {
        let store = self.store()?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(DbError::TlsSetup)?
            .with_root_certificates(store)
            .with_no_client_auth())
    }
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, DbError> {
    let bytes = std::fs::read(path).map_err(|source| DbError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| DbError::CaFile {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
    if certs.is_empty() {
        return Err(DbError::EmptyCaFile {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.pem");
        std::fs::write(&p, "not a certificate\n").unwrap();
        let e = TrustRoots::CaFile(p.clone()).store().unwrap_err();
        assert!(matches!(e, DbError::EmptyCaFile { .. }), "{e:?}");
        let e = TrustRoots::CaFile(dir.path().join("absent.pem"))
            .store()
            .unwrap_err();
        assert!(matches!(e, DbError::CaFile { .. }), "{e:?}");
    }
}
