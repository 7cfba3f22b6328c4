//! The SMTP relay backend: lettre's SMTP client (`AsyncSmtpConnection`:
//! EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA) over TCP connections this module
//! opens itself, with Nagle's algorithm off, and keeps open between messages.
//!
//! Why not lettre's `AsyncSmtpTransport` (0.11.23, the newest we can use): it
//! opens its sockets with Nagle on, and it writes a message's body and its
//! closing `CRLF.CRLF` as two writes. The second, five bytes, then waits
//! for the relay to acknowledge the first, which a relay's kernel delays by
//! 40 ms: each message cost 40 ms, so a node could send about 25 a second
//! whatever the relay (measured against aiosmtpd; lettre's own fix,
//! lettre/lettre#1159, came after 0.11.23). `outbox_throughput_to_aiosmtpd`
//! in `tests/tests/it/mail.rs` prints the rate.

use super::backend::{MailBackend, SendError};
use crate::admin::checks::{load_certs, provider, system_roots};
use crate::admin::config::{EmailConfig, Protocol};
use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use rustls_pki_types::{CertificateDer, ServerName};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A building error of the SMTP backend (bad configuration).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("the e-mail trust bundle: {0}")]
    Trust(String),
    #[error("e-mail TLS setup failed: {0}")]
    Tls(String),
}

/// How long one message may take, connecting included.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection idle for longer is closed rather than used again: relays
/// close theirs after a few minutes, and lettre's own pool used 60 s.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections kept open at most (the outbox worker sends one at a time).
const MAX_IDLE: usize = 4;

/// How the connection is protected.
enum Security {
    Plain,
    /// STARTTLS, required: lettre upgrades the connection.
    StartTls(TlsParameters),
    /// TLS from the first byte (SMTPS), done here with tokio-rustls.
    Implicit {
        connector: tokio_rustls::TlsConnector,
        name: ServerName<'static>,
    },
}

/// A connection kept open for the next message.
struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// An SMTP server, configured by the `scheduler email ...` commands.
pub struct SmtpBackend {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<Idle>>,
}

impl SmtpBackend {
    /// `resolve` turns a configured file name into a path (see
    /// ConfigStore::resolve). None while no server is configured.
    pub fn new(
        cfg: &EmailConfig,
        resolve: impl Fn(&str) -> PathBuf,
    ) -> Result<Option<Self>, BackendError> {
        let Some(server) = &cfg.server else {
            return Ok(None);
        };
        let bundle = cfg.trust.as_ref().map(|b| resolve(b));
        let security = if cfg.protocol == Protocol::Smtps {
            let name = ServerName::try_from(server.host.clone())
                .map_err(|e| BackendError::Tls(format!("{}: {e}", server.host)))?;
            Security::Implicit {
                connector: tokio_rustls::TlsConnector::from(Arc::new(rustls_config(
                    bundle.as_deref(),
                )?)),
                name,
            }
        } else if cfg.starttls {
            let mut params = TlsParameters::builder(server.host.clone());
            if let Some(bundle) = &bundle {
                params = params.certificate_store(CertificateStore::None);
                for der in trust_bundle(bundle)? {
                    params = params.add_root_certificate(
                        Certificate::from_der(der.as_ref().to_vec())
                            .map_err(|e| BackendError::Tls(e.to_string()))?,
                    );
                }
            }
            Security::StartTls(
                params
                    .build_rustls()
                    .map_err(|e| BackendError::Tls(e.to_string()))?,
            )
        } else {
            Security::Plain
        };
        let credentials = cfg.auth.then(|| {
            Credentials::new(
                cfg.username.clone().unwrap_or_default(),
                cfg.password
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
            )
        });
        Ok(Some(Self {
            host: server.host.clone(),
            port: server.port,
            security,
            credentials,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// A connection kept from an earlier message, if one is fresh enough.
    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(i) = idle.pop() {
            if i.since.elapsed() < IDLE_TIMEOUT {
                return Some(i.conn);
            }
        }
        None
    }

    fn keep(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }

    /// A new connection: TCP (Nagle off), TLS as configured, EHLO, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                SendError::transient(format!("connecting to {}:{}: {e}", self.host, self.port))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::transient(format!("TCP_NODELAY: {e}")))?;
        let mut conn = match &self.security {
            Security::Plain => {
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                    .await
                    .map_err(from_lettre)?
            }
            Security::StartTls(params) => {
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                        .await
                        .map_err(from_lettre)?;
                conn.starttls(params.clone(), &self.hello)
                    .await
                    .map_err(from_lettre)?;
                conn
            }
            Security::Implicit { connector, name } => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| SendError::transient(format!("TLS: {e}")))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(ImplicitTls(tls)), &self.hello)
                    .await
                    .map_err(from_lettre)?
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(from_lettre)?;
        }
        Ok(conn)
    }

    async fn send_on_some_connection(
        &self,
        env: &Envelope,
        message: &[u8],
    ) -> Result<(), SendError> {
        if let Some(mut conn) = self.take_idle() {
            match conn.send(env, message).await {
                Ok(_) => {
                    self.keep(conn);
                    return Ok(());
                }
                // The relay answered: that is the outcome.
                Err(e) if answered(&e) => return Err(from_lettre(e)),
                // The connection had gone (the relay closed it while idle):
                // once more on a new one. Should the relay have taken the
                // message before the connection broke, it goes twice (mail
                // is at least once, see the outbox).
                Err(e) => {
                    tracing::debug!(target: "server::mail", "a kept SMTP connection failed ({e}); connecting again");
                }
            }
        }
        let mut conn = self.connect().await?;
        conn.send(env, message).await.map_err(from_lettre)?;
        self.keep(conn);
        Ok(())
    }
}

#[async_trait]
impl MailBackend for SmtpBackend {
    async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError> {
        let env = super::backend::envelope(from, to)?;
        match tokio::time::timeout(SEND_TIMEOUT, self.send_on_some_connection(&env, message)).await
        {
            Ok(outcome) => outcome,
            Err(_) => Err(SendError::transient(format!(
                "the e-mail server {}:{} did not answer within {} s",
                self.host,
                self.port,
                SEND_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// Whether the relay answered (a 4xx or 5xx reply) or lettre refused the
/// message itself, rather than the connection failing.
fn answered(e: &lettre::transport::smtp::Error) -> bool {
    e.is_response() || e.is_client() || e.is_transient() || e.is_permanent() || e.is_tls()
}

/// lettre's errors carry the server's answer, never the credentials.
fn from_lettre(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::permanent(e.to_string())
    } else {
        SendError::transient(e.to_string())
    }
}

/// rustls (ring) trusting `bundle`, or the system's roots without one.
fn rustls_config(bundle: Option<&Path>) -> Result<rustls::ClientConfig, BackendError> {
    let mut roots = rustls::RootCertStore::empty();
    let certs = match bundle {
        Some(b) => trust_bundle(b)?,
        None => system_roots(),
    };
    let (_added, _ignored) = roots.add_parsable_certificates(certs);
    if roots.is_empty() {
        return Err(BackendError::Tls("no usable trusted certificate".into()));
    }
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| BackendError::Tls(e.to_string()))
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

fn trust_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, BackendError> {
    load_certs(path).map_err(BackendError::Trust)
}

/// An SMTPS connection, handed to lettre as its byte stream.
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncRead for ImplicitTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}
