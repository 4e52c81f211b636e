//! TLS: the serving certificate and key loaded from PEM files, held in a [`CertStore`]
//! whose pair can be replaced while connections are served, and the rustls server
//! configuration (ring provider, TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate/key pair cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate, or one that does not parse.
    #[error("{path}: no valid PEM certificate{detail}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Extra detail (may be empty).
        detail: String,
    },
    /// The key file holds no usable PEM private key.
    #[error("{path}: no valid PEM private key: {detail}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The parser's or signer's reason.
        detail: String,
    },
    /// The key does not belong to the certificate, or rustls cannot use it.
    #[error("{cert} and {key} do not form a usable pair: {detail}")]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        detail: String,
    },
}

/// The crypto provider: ring (no aws-lc, no cmake).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses a PEM certificate chain and PEM private key into a checked pair. The paths only
/// name the files in errors.
pub fn parse_pair(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_path: &Path,
    key_path: &Path,
) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate {
            path: cert_path.to_owned(),
            detail: format!(": {e}"),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Certificate {
            path: cert_path.to_owned(),
            detail: String::new(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key {
        path: key_path.to_owned(),
        detail: e.to_string(),
    })?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|e| TlsError::Pair {
        cert: cert_path.to_owned(),
        key: key_path.to_owned(),
        detail: e.to_string(),
    })
}

/// Reads both files and returns their bytes.
pub fn read_pair(cert_path: &Path, key_path: &Path) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
    };
    Ok((read(cert_path)?, read(key_path)?))
}

/// Reads and parses a pair of PEM files.
pub fn load_pair(cert_path: &Path, key_path: &Path) -> Result<CertifiedKey, TlsError> {
    let (cert, key) = read_pair(cert_path, key_path)?;
    parse_pair(&cert, &key, cert_path, key_path)
}

/// The certificate in force; every TLS handshake reads it, [`CertStore::set`] replaces it.
pub struct CertStore {
    current: ArcSwap<CertifiedKey>,
}

impl fmt::Debug for CertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertStore").finish_non_exhaustive()
    }
}

impl CertStore {
    /// A store serving `pair`.
    pub fn new(pair: CertifiedKey) -> Arc<Self> {
        Arc::new(CertStore {
            current: ArcSwap::from_pointee(pair),
        })
    }

    /// Serves `pair` from the next handshake on.
    pub fn set(&self, pair: CertifiedKey) {
        self.current.store(Arc::new(pair));
    }

    /// The pair in force.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current.load_full()
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The rustls configuration: TLS 1.2 and 1.3 with ring, no client authentication, the
/// certificate from `store`, ALPN `h2` (unless `http2` is false) then `http/1.1`.
pub fn server_config(store: Arc<CertStore>, http2: bool) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Pair {
            cert: PathBuf::new(),
            key: PathBuf::new(),
            detail: e.to_string(),
        })?
        .with_no_client_auth()
        .with_cert_resolver(store);
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}
