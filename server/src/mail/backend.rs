//! Where messages go: an SMTP server ([`super::smtp`]), a directory of
//! `.eml` files (demo mode's mail catcher), or memory (tests).

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::Address;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

/// Sends one rendered RFC 5322 message to one recipient.
#[async_trait]
pub trait MailBackend: Send + Sync + 'static {
    async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError>;
}

pub(super) fn envelope(from: &str, to: &str) -> Result<Envelope, SendError> {
    let from: Address = from
        .parse()
        .map_err(|e| SendError::permanent(format!("bad sender address: {e}")))?;
    let to: Address = to
        .parse()
        .map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
    Envelope::new(Some(from), vec![to]).map_err(|e| SendError::permanent(e.to_string()))
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
