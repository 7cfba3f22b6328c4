//! C2W: the TLS WebSocket links from the scheduler to every web bridge (a
//! full mesh), and a web bridge simulator for demos and tests.
//!
//! - [`supervisor`]: fetches the web bridges from the Call Bridge API, keeps
//!   one link per bridge (mutual TLS, heartbeats, reconnect with backoff and
//!   jitter), refreshes the list, answers relayed requests.
//! - [`protocol`]: the versioned JSON messages (see `docs/c2w.md`).
//! - [`relay`]: relayed web-app requests answered by the meeting service.
//! - [`sim`]: a web bridge's C2W endpoint, for tests and demos.

pub mod protocol;
pub mod relay;
pub mod sim;
pub mod state;
pub mod supervisor;
pub mod tls;

#[cfg(test)]
mod tests;

pub use protocol::{Envelope, Message, RelayError, RelayHandler, RelayedUser};
pub use relay::MeetingsRelay;
pub use state::{BridgeStatus, C2wState};
pub use supervisor::{C2wOptions, C2wSupervisor, SupervisorHandle};
pub use tls::{C2wTls, TlsError};

use std::path::Path;
use std::sync::Arc;

/// Errors at the edge of the C2W module.
#[derive(Debug, thiserror::Error)]
pub enum C2wError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("bad web bridge address {0}")]
    Address(String),
    #[error("cannot connect to webbridge {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("TLS handshake with webbridge {addr} failed: {source}")]
    Handshake {
        addr: String,
        source: std::io::Error,
    },
    #[error("WebSocket handshake with webbridge {addr} failed: {source}")]
    WebSocket {
        addr: String,
        source: Box<tokio_tungstenite::tungstenite::Error>,
    },
    #[error("webbridge {addr}: {message}")]
    Protocol { addr: String, message: String },
    #[error("webbridge {0}: timed out")]
    Timeout(String),
}

/// Starts the supervisor for a running [`crate::Application`] when the
/// scheduler is enabled and `scheduler c2w certs` / `trust` are configured;
/// `None` otherwise (the reason is logged).
/// What of the configuration the C2W links depend on: a change of it (or of
/// the files it names) restarts the supervisor; anything else leaves the
/// links alone.
async fn c2w_fingerprint(admin: &crate::admin::AdminHandle, data_dir: &Path) -> Option<String> {
    let config = admin.config().await;
    let (Some(certs), Some(trust)) = (config.c2w.certs.as_ref(), config.c2w.trust.as_deref())
    else {
        return None;
    };
    if !config.enabled {
        return None;
    }
    let store = crate::admin::config::ConfigStore::new(data_dir);
    let stamp = |p: &str| {
        let path = store.resolve(p);
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        format!("{}@{modified:?}", path.display())
    };
    Some(format!(
        "{}|{}|{}",
        stamp(&certs.key),
        stamp(&certs.cert),
        stamp(trust)
    ))
}

/// Runs the C2W supervisor as the configuration says, and follows
/// `scheduler restart` / `enable` / `disable`: the links are restarted only
/// when the C2W settings (or their files) changed. Stops it when `stop`
/// turns true.
pub async fn follow_configuration(
    admin: crate::admin::AdminHandle,
    data_dir: std::path::PathBuf,
    meetings: Arc<crate::meetings::Meetings>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    if *stop.borrow() {
        return;
    }
    let mut applied = admin.config_applied();
    let mut fingerprint = c2w_fingerprint(&admin, &data_dir).await;
    let mut running = start_for_application(&admin, &data_dir, meetings.clone()).await;
    loop {
        tokio::select! {
            changed = applied.changed() => {
                if changed.is_err() {
                    break;
                }
                let now = c2w_fingerprint(&admin, &data_dir).await;
                if now != fingerprint {
                    tracing::info!(target: "c2w", "C2WSupervisor - configuration changed; restarting C2W links");
                    if let Some(old) = running.take() {
                        admin.clear_web_bridge_report();
                        old.stop().await;
                    }
                    running = start_for_application(&admin, &data_dir, meetings.clone()).await;
                    fingerprint = now;
                }
            }
            res = stop.changed() => {
                if res.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
    if let Some(old) = running {
        admin.clear_web_bridge_report();
        old.stop().await;
    }
}

pub async fn start_for_application(
    admin: &crate::admin::AdminHandle,
    data_dir: &Path,
    meetings: Arc<crate::meetings::Meetings>,
) -> Option<SupervisorHandle> {
    let config = admin.config().await;
    if !config.enabled {
        tracing::info!(target: "c2w", "C2WSupervisor - scheduler disabled; no C2W links");
        return None;
    }
    let (Some(certs), Some(trust)) = (config.c2w.certs.as_ref(), config.c2w.trust.as_deref())
    else {
        tracing::warn!(
            target: "c2w",
            "C2WSupervisor - C2W not configured (scheduler c2w certs / trust); no C2W links"
        );
        return None;
    };
    let store = crate::admin::config::ConfigStore::new(data_dir);
    let tls = match C2wTls::load(
        &store.resolve(&certs.key),
        &store.resolve(&certs.cert),
        &store.resolve(trust),
    ) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(target: "c2w", "C2WSupervisor - cannot start: {e}");
            return None;
        }
    };
    let handler: Arc<dyn RelayHandler> = Arc::new(MeetingsRelay::new(meetings.clone()));
    let supervisor = C2wSupervisor::new(meetings.cb.clone(), tls, handler, C2wOptions::default());
    let handle = supervisor.start();
    admin.set_web_bridge_report(handle.state());
    Some(handle)
}
