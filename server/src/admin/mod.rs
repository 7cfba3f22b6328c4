//! The `scheduler` administration command set (the MMP `scheduler ...`
//! commands) and the service side that applies it.
//!
//! - [`parse`]: the pure command-line grammar, `parse(&[&str]) -> Command`.
//! - [`config`]: the per-node configuration, `<data-dir>/scheduler.json`.
//! - [`checks`]: the certificate checks run by `scheduler enable`.
//! - [`cli`]: runs one command (`server scheduler ...`).
//! - [`control`]: the JSON-lines protocol of `<data-dir>/control.sock`.
//! - [`runtime`]: the running service's side: control socket, HTTPS
//!   listener, timed logging, status.
//! - [`logging`]: the reloadable log filter behind `timedLogging`.
//! - [`https`]: the HTTPS listener (rustls, ring provider).

pub mod checks;
pub mod cli;
pub mod config;
pub mod control;
pub mod https;
pub mod logging;
pub mod parse;
pub mod runtime;

pub use runtime::{
    Admin, AdminHandle, RunningAdmin, WebBridgeCounts, WebBridgeLink, WebBridgeReport,
};

use std::net::SocketAddr;

/// The name of the control socket inside the data directory.
pub const CONTROL_SOCKET: &str = "control.sock";

/// Errors that stop the service from starting.
#[derive(Debug, thiserror::Error)]
pub enum AdminStartError {
    #[error(
        "refusing to serve plain HTTP on {0}, which is not a loopback address; \
         use --listen 127.0.0.1:PORT (or --demo) and `server scheduler https listen` \
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

/// Renders a word typed by someone for an error message: control characters
/// escaped, long words cut, so that an error is always one safe line.
pub(crate) fn quote(word: &str) -> String {
    let mut out = String::from("'");
    for (i, c) in word.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) || c == '\'' || c == '\\' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Characters that reorder text on a terminal (Trojan Source).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A stored value for display: control characters escaped.
pub(crate) fn clean(value: &str) -> String {
    if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        value
            .chars()
            .flat_map(|c| {
                let e: Vec<char> = if c.is_control() || is_bidi_control(c) {
                    c.escape_default().collect()
                } else {
                    vec![c]
                };
                e
            })
            .collect()
    } else {
        value.to_owned()
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

    #[test]
    fn quote_escapes_and_cuts() {
        assert_eq!(quote("a\nb"), "'a\\nb'");
        assert_eq!(quote("\u{1b}[31m"), "'\\u{1b}[31m'");
        let long = "x".repeat(200);
        assert_eq!(quote(&long).chars().count(), 83);
        assert_eq!(clean("ok"), "ok");
        assert_eq!(clean("a\tb"), "a\\tb");
        assert_eq!(quote("\u{202e}x"), "'\\u{202e}x'");
    }
}
