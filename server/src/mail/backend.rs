//! Where messages go: an SMTP server (lettre over rustls/ring), a directory
//! of `.eml` files (demo mode's mail catcher), or memory (tests).

use crate::admin::config::{EmailConfig, Protocol};
use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a message did not go.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct SendError {
    /// The server refused it for good (5xx): retrying will not help.
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            permanent: true,
            message: message.into(),
        }
    }
}

/// A building error of the SMTP backend (bad configuration).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot read the e-mail trust bundle {path}: {source}")]
    Trust {
        path: String,
        source: std::io::Error,
    },
    #[error("the e-mail trust bundle {0} holds no certificate")]
    EmptyTrust(String),
    #[error("e-mail TLS setup failed: {0}")]
    Tls(String),
}

/// Sends one rendered RFC 5322 message to one recipient.
#[async_trait]
pub trait MailBackend: Send + Sync + 'static {
    async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError>;
}

fn envelope(from: &str, to: &str) -> Result<Envelope, SendError> {
    let from: Address = from
        .parse()
        .map_err(|e| SendError::permanent(format!("bad sender address: {e}")))?;
    let to: Address = to
        .parse()
        .map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
    Envelope::new(Some(from), vec![to]).map_err(|e| SendError::permanent(e.to_string()))
}

/// An SMTP server, configured by the `scheduler email ...` commands.
pub struct SmtpBackend {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpBackend {
    /// `resolve` turns a configured file name into a path (see ConfigStore::resolve).
    pub fn new(
        cfg: &EmailConfig,
        resolve: impl Fn(&str) -> PathBuf,
    ) -> Result<Option<Self>, BackendError> {
        let Some(server) = &cfg.server else {
            return Ok(None);
        };
        let wants_tls = cfg.protocol == Protocol::Smtps || cfg.starttls;
        let tls = if wants_tls {
            let mut params = TlsParameters::builder(server.host.clone());
            if let Some(bundle) = &cfg.trust {
                params = params.certificate_store(CertificateStore::None);
                for cert in trust_bundle(&resolve(bundle))? {
                    params = params.add_root_certificate(cert);
                }
            }
            let params = params
                .build_rustls()
                .map_err(|e| BackendError::Tls(e.to_string()))?;
            if cfg.protocol == Protocol::Smtps {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        } else {
            Tls::None
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if cfg.auth {
            builder = builder.credentials(Credentials::new(
                cfg.username.clone().unwrap_or_default(),
                cfg.password
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
            ));
        }
        Ok(Some(Self {
            transport: builder.build(),
        }))
    }
}

fn trust_bundle(path: &Path) -> Result<Vec<Certificate>, BackendError> {
    let pem = std::fs::read(path).map_err(|source| BackendError::Trust {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = Vec::new();
    for der in CertificateDer::pem_slice_iter(&pem) {
        let der = der.map_err(|e| BackendError::Tls(e.to_string()))?;
        out.push(
            Certificate::from_der(der.as_ref().to_vec())
                .map_err(|e| BackendError::Tls(e.to_string()))?,
        );
    }
    if out.is_empty() {
        return Err(BackendError::EmptyTrust(path.display().to_string()));
    }
    Ok(out)
}

#[async_trait]
impl MailBackend for SmtpBackend {
    async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError> {
        let env = envelope(from, to)?;
        match self.transport.send_raw(&env, message).await {
            Ok(_) => Ok(()),
            // lettre's errors carry the server's answer, never the credentials.
            Err(e) if e.is_permanent() => Err(SendError::permanent(e.to_string())),
            Err(e) => Err(SendError::transient(e.to_string())),
        }
    }
}

/// A directory of `.eml` files: demo mode's local mail catcher.
pub struct FileBackend {
    dir: PathBuf,
}

impl FileBackend {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl MailBackend for FileBackend {
    async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError> {
        envelope(from, to)?;
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%3f"),
            uuid::Uuid::new_v4()
        );
        let mut bytes = format!("X-Envelope-From: {from}\r\nX-Envelope-To: {to}\r\n").into_bytes();
        bytes.extend_from_slice(message);
        // write_atomic makes the directory and fsyncs: off the runtime's
        // worker threads, which would otherwise stall every request they
        // carry for the flush.
        let path = self.dir.join(name);
        let written =
            tokio::task::spawn_blocking(move || crate::admin::config::write_atomic(&path, &bytes))
                .await
                .map_err(|e| SendError::transient(format!("writing the message: {e}")))?;
        written.map_err(|e| SendError::transient(format!("{}: {e}", self.dir.display())))
    }
}

/// One message kept by [`MemoryBackend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub from: String,
    pub to: String,
    pub message: String,
}

/// Keeps messages in memory; can be told to fail (tests).
#[derive(Clone, Default)]
pub struct MemoryBackend {
    sent: Arc<Mutex<Vec<Sent>>>,
    failure: Arc<Mutex<Option<SendError>>>,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// From now on every send fails with `error` (None: sends succeed again).
    pub fn fail_with(&self, error: Option<SendError>) {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }
}

#[async_trait]
impl MailBackend for MemoryBackend {
    async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError> {
        envelope(from, to)?;
        if let Some(e) = self
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(e);
        }
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Sent {
                from: from.to_string(),
                to: to.to_string(),
                message: String::from_utf8_lossy(message).into_owned(),
            });
        Ok(())
    }
}
