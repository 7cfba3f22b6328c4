//! The control socket, `<data-dir>/control.sock` (mode 0600): how the
//! `scheduler` commands reach the running service.
//!
//! The protocol is JSON lines: the client writes one request object on a
//! line, the service answers with one response object on a line; a
//! connection may carry several requests, one after the other.
//!
//! Requests: `{"cmd":"status"}`, `{"cmd":"restart"}` (re-read
//! `scheduler.json` and apply it) and `{"cmd":"timed_logging"}` (re-read
//! only the timed logging entries and apply them).
//!
//! Responses: `{"ok":true,"status":{...}}` with the service's state, or
//! `{"ok":false,"error":"..."}` (a restart that could apply only part of
//! the configuration answers `ok: false` with the error and the status).

use super::config::Subsystem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

/// A request line is at most this long.
pub const MAX_LINE: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Status,
    Restart,
    TimedLogging,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ServiceStatus>,
}

/// The running service's state, as `scheduler status` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub pid: u32,
    /// The configuration in force says the scheduler is enabled.
    pub enabled: bool,
    pub database_responsive_at_start: bool,
    pub https: HttpsStatus,
    pub c2w: C2wStatus,
    pub email_configured: bool,
    /// Subsystems whose logging is raised, and until when.
    #[serde(default)]
    pub timed_logging: Vec<TimedLogEntry>,
    /// Can the service change its log levels (it runs the reloadable filter)?
    pub log_control: bool,
    /// Why the configuration file could not be read at the last (re)start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_error: Option<String>,
    /// Each Call Bridge the service talks to, the one in use marked.
    #[serde(default)]
    pub callbridges: Vec<crate::callbridge::NodeReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpsStatus {
    /// `https listen` and `https certs` are both set in the configuration in force.
    pub configured: bool,
    /// Where the HTTPS listener is serving, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listening: Option<String>,
    /// Why it is not serving although enabled and configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct C2wStatus {
    /// `c2w certs` and `c2w trust` are both set in the configuration in force.
    pub configured: bool,
    /// Filled by the C2W supervisor once it runs (see
    /// [`crate::admin::WebBridgeReport`]): how many web bridge links are UP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_bridges: Option<super::WebBridgeCounts>,
    /// Each link's state, when the supervisor runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<super::WebBridgeLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedLogEntry {
    pub subsystem: Subsystem,
    pub until: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket: the service is not running.
    #[error("the scheduler service is not running (nothing answers on {0})")]
    NotRunning(String),
    #[error("the scheduler service did not answer in time")]
    Timeout,
    #[error("control socket error: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad answer from the scheduler service: {0}")]
    Protocol(String),
}

/// Sends one request to the service listening on `socket`.
pub async fn request(
    socket: &Path,
    req: Request,
    timeout: Duration,
) -> Result<Response, ClientError> {
    let exchange = async {
        let stream = match UnixStream::connect(socket).await {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(ClientError::NotRunning(socket.display().to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        let (read, mut write) = stream.into_split();
        let mut line =
            serde_json::to_string(&req).map_err(|e| ClientError::Protocol(e.to_string()))?;
        line.push('\n');
        write.write_all(line.as_bytes()).await?;
        write.flush().await?;
        let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(read, 4 * MAX_LINE));
        let mut answer = String::new();
        if reader.read_line(&mut answer).await? == 0 {
            return Err(ClientError::Protocol("connection closed".into()));
        }
        serde_json::from_str(answer.trim_end()).map_err(|e| ClientError::Protocol(e.to_string()))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| ClientError::Timeout)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_json_lines() {
        assert_eq!(
            serde_json::to_string(&Request::Status).unwrap(),
            r#"{"cmd":"status"}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::Restart).unwrap(),
            r#"{"cmd":"restart"}"#
        );
        assert_eq!(
            serde_json::from_str::<Request>(r#"{"cmd":"timed_logging"}"#).unwrap(),
            Request::TimedLogging
        );
        assert!(serde_json::from_str::<Request>(r#"{"cmd":"reboot"}"#).is_err());
        let r = Response {
            ok: false,
            error: Some("x".into()),
            status: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"ok":false,"error":"x"}"#
        );
    }

    #[tokio::test]
    async fn nothing_listening_means_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let err = request(&path, Request::Status, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::NotRunning(_)), "{err}");
        // A stale socket file that nobody listens on.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let err = request(&path, Request::Status, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::NotRunning(_)), "{err}");
    }
}
