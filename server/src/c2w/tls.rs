//! The TLS side of C2W (rustls, ring provider): the scheduler presents its
//! `scheduler c2w certs` key and full chain and trusts the web bridges of
//! its `scheduler c2w trust` bundle; a web bridge requires a client
//! certificate from its own trust bundle.

use crate::admin::checks::{load_certs, load_key, provider};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("C2W certificates: {0}")]
    Load(String),
    #[error("C2W trust bundle: {0}")]
    Trust(String),
    #[error("C2W TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The scheduler's C2W client configuration.
#[derive(Clone)]
pub struct C2wTls {
    pub(crate) client: Arc<ClientConfig>,
}

impl std::fmt::Debug for C2wTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("C2wTls")
    }
}

fn roots(trust: &[CertificateDer<'static>]) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for cert in trust {
        store
            .add(cert.clone())
            .map_err(|e| TlsError::Trust(e.to_string()))?;
    }
    Ok(store)
}

impl C2wTls {
    /// From PEM files: private key, full-chain certificate (leaf first),
    /// trust bundle.
    pub fn load(key: &Path, fullchain: &Path, trust: &Path) -> Result<Self, TlsError> {
        let key = load_key(key).map_err(TlsError::Load)?;
        let chain = load_certs(fullchain).map_err(TlsError::Load)?;
        let trust = load_certs(trust).map_err(TlsError::Trust)?;
        Self::from_der(key, chain, &trust)
    }

    pub fn from_der(
        key: PrivateKeyDer<'static>,
        chain: Vec<CertificateDer<'static>>,
        trust: &[CertificateDer<'static>],
    ) -> Result<Self, TlsError> {
        let client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots(trust)?)
            .with_client_auth_cert(chain, key)?;
        Ok(Self {
            client: Arc::new(client),
        })
    }
}

/// A web bridge's C2W server configuration: its key and chain, and the
/// bundle the connecting scheduler's certificate must chain to.
pub fn server_config(
    key: PrivateKeyDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    trust: &[CertificateDer<'static>],
) -> Result<Arc<ServerConfig>, TlsError> {
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(trust)?), provider())
        .build()
        .map_err(|e| TlsError::Trust(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// The TLS server name of `host:port` (an IP literal or a DNS name).
pub fn server_name(addr: &str) -> Option<ServerName<'static>> {
    let host = host_of(addr)?;
    ServerName::try_from(host.to_string()).ok()
}

/// `host` of `host:port` or `[v6]:port`.
pub fn host_of(addr: &str) -> Option<&str> {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split_once(']').map(|(h, _)| h);
    }
    match addr.rsplit_once(':') {
        Some((h, _)) => Some(h),
        None => Some(addr),
    }
}
