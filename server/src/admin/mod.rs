//! The `scheduler` administration command set (the MMP `scheduler ...`
//! commands) and the service side that applies it.
//!
//! - [`parse`]: the pure command-line grammar, `parse(&[&str]) -> Command`.
//! - [`config`]: the per-node configuration, `<data-dir>/scheduler.json`.
//! - [`checks`]: the certificate checks run by `scheduler enable`.
//! - [`cli`]: runs one command (`cms-scheduler scheduler ...`).
//! - [`control`]: the JSON-lines protocol of `<data-dir>/control.sock`.
//! - [`runtime`]: the running service's side: control socket, HTTPS
//!   listener, timed logging, status.
//! - [`logging`]: the reloadable log filter behind `timedLogging`.
//! - [`https`]: the HTTPS listener (rustls, ring provider).
//! - [`words`]: typed words quoted and stored values cleaned for display.

pub mod checks;
pub mod cli;
pub mod config;
pub mod control;
pub mod https;
pub mod logging;
pub mod parse;
pub mod runtime;
pub mod words;

pub use runtime::{
    Admin, AdminHandle, RunningAdmin, WeakAdminHandle, WebBridgeCounts, WebBridgeLink,
    WebBridgeReport,
};

use std::net::SocketAddr;

/// The name of the control socket inside the data directory.
pub const CONTROL_SOCKET: &str = "control.sock";

/// Errors that stop the service from starting.
#[derive(Debug, thiserror::Error)]
pub enum AdminStartError {
    #[error(
        "refusing to serve plain HTTP on {0}, which is not a loopback address; \
         use --listen 127.0.0.1:PORT (or --demo) and `cms-scheduler scheduler https listen` \
         for the network"
    )]
    PlainListenNotLoopback(SocketAddr),
    #[error("cannot set up the control socket {path}: {source}")]
    ControlSocket {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "another scheduler is already running with this data directory \
         (its control socket {0} answers)"
    )]
    AlreadyRunning(String),
}

/// The plain (non-TLS) listener may only bind a loopback address, except in
/// demo mode; the network is served by the HTTPS listener.
pub fn check_plain_listen(listen: SocketAddr, demo: bool) -> Result<(), AdminStartError> {
    if demo || listen.ip().is_loopback() {
        Ok(())
    } else {
        Err(AdminStartError::PlainListenNotLoopback(listen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_listen_must_be_loopback_outside_demo() {
        assert!(check_plain_listen("127.0.0.1:3000".parse().unwrap(), false).is_ok());
        assert!(check_plain_listen("[::1]:3000".parse().unwrap(), false).is_ok());
        assert!(check_plain_listen("0.0.0.0:3000".parse().unwrap(), true).is_ok());
        let err = check_plain_listen("0.0.0.0:3000".parse().unwrap(), false).unwrap_err();
        assert!(err.to_string().contains("0.0.0.0:3000"), "{err}");
        assert!(!err.to_string().contains('\n'));
    }
}
