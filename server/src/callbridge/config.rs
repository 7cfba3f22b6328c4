//! The client's configuration: where the Call Bridge API is, how to sign in,
//! TLS trust, timeouts and the retry policy.

use super::error::CallBridgeError;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// The Call Bridge API on the loopback interface of this host (SPEC §1).
pub const DEFAULT_BASE_URL: &str = "https://127.0.0.1:443";

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(p: impl Into<String>) -> Self {
        Self(p.into())
    }

    /// The clear text, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// How the Call Bridge's certificate is checked. With neither a trust bundle
/// nor `accept_invalid_certs`, no certificate is trusted (the client has no
/// built-in roots: a Call Bridge certificate comes from the site's own CA).
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// PEM certificates (one or several) to trust.
    pub trust_bundle_pem: Option<Vec<u8>>,
    /// Accept any certificate (self-signed lab setups). Never in production.
    pub accept_invalid_certs: bool,
    /// Accept a certificate whose names do not include the address used
    /// (`127.0.0.1` is seldom in a Call Bridge certificate).
    pub accept_invalid_hostnames: bool,
}

impl TlsOptions {
    /// Trusts the certificates of a PEM bundle file.
    pub fn with_trust_bundle_file(path: &Path) -> Result<Self, CallBridgeError> {
        let pem = std::fs::read(path).map_err(|e| {
            CallBridgeError::Config(format!("cannot read trust bundle {}: {e}", path.display()))
        })?;
        Ok(Self {
            trust_bundle_pem: Some(pem),
            accept_invalid_certs: false,
            accept_invalid_hostnames: false,
        })
    }
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field(
                "trust_bundle_pem",
                &self
                    .trust_bundle_pem
                    .as_ref()
                    .map(|p| format!("{} bytes", p.len())),
            )
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("accept_invalid_hostnames", &self.accept_invalid_hostnames)
            .finish()
    }
}

/// Bounded exponential backoff: the first retry waits `initial_backoff`,
/// each next one `multiplier` times longer, never more than `max_backoff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub multiplier: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            multiplier: 2,
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = self
            .multiplier
            .max(1)
            .saturating_pow(retry.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Everything [`super::CallBridgeClient::new`] needs.
#[derive(Clone)]
pub struct CallBridgeConfig {
    /// Scheme, loopback host and port, e.g. `https://127.0.0.1:443`.
    pub base_url: String,
    pub username: String,
    pub password: Password,
    /// For a whole request, answer body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub tls: TlsOptions,
    pub retry: RetryPolicy,
    /// `limit` asked for on list pages.
    pub page_size: u32,
}

impl Default for CallBridgeConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            username: String::new(),
            password: Password::default(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            tls: TlsOptions::default(),
            retry: RetryPolicy::default(),
            page_size: 10,
        }
    }
}

impl fmt::Debug for CallBridgeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallBridgeConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("tls", &self.tls)
            .field("retry", &self.retry)
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl CallBridgeConfig {
    pub fn new(
        base_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<Password>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            username: username.into(),
            password: password.into(),
            ..Self::default()
        }
    }

    /// Checks the base URL: http or https, a loopback host (the scheduler
    /// talks only to the Call Bridge of its own host), no path.
    pub fn validate(&self) -> Result<reqwest::Url, CallBridgeError> {
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| {
            CallBridgeError::Config(format!("bad base_url {:?}: {e}", self.base_url))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CallBridgeError::Config(format!(
                "base_url must be http or https, not {}",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or("");
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = match bare.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => bare.eq_ignore_ascii_case("localhost"),
        };
        if !loopback {
            return Err(CallBridgeError::Config(format!(
                "the Call Bridge must be on this host's loopback interface, not {host}"
            )));
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(CallBridgeError::Config(
                "base_url takes no path (the client adds /api/v1)".into(),
            ));
        }
        if self.page_size == 0 {
            return Err(CallBridgeError::Config(
                "page_size must be at least 1".into(),
            ));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_password() {
        let cfg = CallBridgeConfig::new("https://127.0.0.1:443", "api", "s3cr3t-Pa55");
        let shown = format!("{cfg:?} {:#?}", cfg);
        assert!(!shown.contains("s3cr3t-Pa55"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("api"));
    }

    #[test]
    fn only_loopback_base_urls_are_accepted() {
        for ok in [
            "https://127.0.0.1:443",
            "http://127.0.0.1:8080/",
            "https://[::1]:443",
            "https://localhost",
        ] {
            assert!(
                CallBridgeConfig::new(ok, "a", "b").validate().is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "https://10.106.80.34:443",
            "https://cms.example.com",
            "ftp://127.0.0.1",
            "https://127.0.0.1/api/v1",
            "not a url",
        ] {
            assert!(matches!(
                CallBridgeConfig::new(bad, "a", "b").validate(),
                Err(CallBridgeError::Config(_))
            ));
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            multiplier: 2,
        };
        let waits: Vec<u128> = (1..=5).map(|r| p.backoff(r).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
    }
}
