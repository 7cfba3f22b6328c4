//! The client's configuration: where the Call Bridge API is (one URL, or
//! several for the Call Bridges of a CMS cluster), how to sign in, TLS
//! trust, timeouts, the retry policy and when a failed node is tried again.

use super::error::CallBridgeError;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// The Call Bridge API when nothing is configured: this host's loopback.
pub const DEFAULT_BASE_URL: &str = "https://127.0.0.1:443";

/// Is this URL host (`localhost`, `127.0.0.1`, `[::1]`...) a loopback one?
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Checks one Call Bridge URL: `https://` to any host, `http://` only to a
/// loopback host, no credentials in it, no path. Answers the parsed URL.
pub fn check_url(text: &str) -> Result<reqwest::Url, CallBridgeError> {
    let url = reqwest::Url::parse(text)
        .map_err(|e| CallBridgeError::Config(format!("bad Call Bridge URL {text:?}: {e}")))?;
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(CallBridgeError::Config(format!(
                "{text} is plain http to {host}, which is not this host's loopback: use https://"
            )))
        }
        other => {
            return Err(CallBridgeError::Config(format!(
                "a Call Bridge URL is https:// (or http:// on loopback), not {other}://"
            )))
        }
    }
    if host.is_empty() {
        return Err(CallBridgeError::Config(format!(
            "the Call Bridge URL {text:?} names no host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Not even the text is echoed: it holds a secret.
        return Err(CallBridgeError::Config(
            "a Call Bridge URL must not carry credentials: give the API user's password through \
             the environment or a password file"
                .into(),
        ));
    }
    if (url.path() != "/" && !url.path().is_empty()) || url.query().is_some() {
        return Err(CallBridgeError::Config(format!(
            "the Call Bridge URL {text} takes no path or query (the client adds /api/v1)"
        )));
    }
    Ok(url)
}

/// Reads the API user's password from a file that only its owner may read
/// (mode 0600 or 0400): one line, the end of line dropped.
pub fn read_password_file(path: &Path) -> Result<Password, CallBridgeError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| {
        CallBridgeError::Config(format!(
            "cannot read the Call Bridge password file {}: {e}",
            path.display()
        ))
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CallBridgeError::Config(format!(
            "the Call Bridge password file {} can be read by group or others (mode {mode:04o}): \
             make it readable by the service user only (chmod 600)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        CallBridgeError::Config(format!(
            "cannot read the Call Bridge password file {}: {e}",
            path.display()
        ))
    })?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(CallBridgeError::Config(format!(
            "the Call Bridge password file {} is empty",
            path.display()
        )));
    }
    Ok(Password::new(line))
}

/// A host name the client resolves to a fixed address instead of asking
/// DNS (`--callbridge-resolve cms.test=127.0.0.1`): for tests and labs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOverride {
    pub host: String,
    pub addr: IpAddr,
}

impl HostOverride {
    /// Parses `host=address`.
    pub fn parse(text: &str) -> Result<Self, CallBridgeError> {
        let bad = || {
            CallBridgeError::Config(format!(
                "bad host override {text:?}: expected <host name>=<IP address>"
            ))
        };
        let (host, addr) = text.split_once('=').ok_or_else(bad)?;
        let host = host.trim();
        if host.is_empty() || host.parse::<IpAddr>().is_ok() {
            return Err(bad());
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            addr: addr.trim().parse().map_err(|_| bad())?,
        })
    }
}

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

/// How the Call Bridge's certificate is checked: against the trust bundle
/// when one is given, else against the system's roots; the host name is
/// always checked unless `accept_invalid_hostnames`.
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
    /// Scheme, host and port of the (first) Call Bridge API, e.g.
    /// `https://cms1.example.com:445`.
    pub base_url: String,
    /// The other Call Bridges of the cluster, tried in this order when the
    /// ones before do not answer.
    pub other_urls: Vec<String>,
    pub username: String,
    pub password: Password,
    /// For a whole request, answer body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub tls: TlsOptions,
    pub retry: RetryPolicy,
    /// `limit` asked for on list pages.
    pub page_size: u32,
    /// A node that failed (no connection, timeout, 503) is passed over for
    /// this long, then tried again.
    pub recheck_after: Duration,
    /// Host names resolved without DNS.
    pub resolve: Vec<HostOverride>,
}

impl Default for CallBridgeConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            other_urls: Vec::new(),
            username: String::new(),
            password: Password::default(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            tls: TlsOptions::default(),
            retry: RetryPolicy::default(),
            page_size: 10,
            recheck_after: Duration::from_secs(15),
            resolve: Vec::new(),
        }
    }
}

impl fmt::Debug for CallBridgeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallBridgeConfig")
            .field("base_url", &self.base_url)
            .field("other_urls", &self.other_urls)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("tls", &self.tls)
            .field("retry", &self.retry)
            .field("page_size", &self.page_size)
            .field("recheck_after", &self.recheck_after)
            .field("resolve", &self.resolve)
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

    /// Every Call Bridge URL, the first one first.
    pub fn urls(&self) -> Vec<String> {
        std::iter::once(self.base_url.clone())
            .chain(self.other_urls.iter().cloned())
            .collect()
    }

    /// Checks every URL (see [`check_url`]) and the page size; answers the
    /// parsed URLs in order.
    pub fn validate(&self) -> Result<Vec<reqwest::Url>, CallBridgeError> {
        if self.page_size == 0 {
            return Err(CallBridgeError::Config(
                "page_size must be at least 1".into(),
            ));
        }
        self.urls().iter().map(|u| check_url(u)).collect()
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
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://127.0.0.1:443",
            "http://127.0.0.1:8080/",
            "http://[::1]:8080",
            "http://localhost:8080",
            "https://[::1]:443",
            "https://localhost",
            "https://cms1.example.com:445",
            "https://10.106.80.34",
        ] {
            assert!(
                CallBridgeConfig::new(ok, "a", "b").validate().is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://10.106.80.34:443",
            "http://cms.example.com",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
            "https://127.0.0.1/api/v1",
            "https://cms.example.com/?x=1",
            "not a url",
        ] {
            let err = CallBridgeConfig::new(bad, "a", "b").validate().unwrap_err();
            assert!(matches!(err, CallBridgeError::Config(_)), "{bad}");
            assert!(!err.to_string().contains('\n'));
        }
        // Any URL of the cluster is checked.
        let mut cfg = CallBridgeConfig::new("https://cms1.example.com", "a", "b");
        cfg.other_urls = vec!["http://cms2.example.com".into()];
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("cms2.example.com"), "{err}");
        cfg.other_urls = vec!["https://cms2.example.com:445".into()];
        assert_eq!(cfg.validate().unwrap().len(), 2);
    }

    #[test]
    fn credentials_in_a_url_are_refused_without_echoing_them() {
        let err = check_url("https://api:Pa55w0rd@cms1.example.com")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("Pa55w0rd"), "{err}");
        assert!(err.contains("credentials"), "{err}");
    }

    #[test]
    fn a_password_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cb.pw");
        std::fs::write(&path, "Fil3-Secret\n").unwrap();
        for mode in [0o644, 0o640, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = read_password_file(&path).unwrap_err().to_string();
            assert!(err.contains("group or others"), "{err}");
            assert!(err.contains("chmod 600"), "{err}");
            assert!(!err.contains("Fil3-Secret"), "{err}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_password_file(&path).unwrap().expose(), "Fil3-Secret");
        std::fs::write(&path, "\n").unwrap();
        assert!(read_password_file(&path).is_err());
        assert!(read_password_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn host_overrides_parse() {
        assert_eq!(
            HostOverride::parse("CMS.test=127.0.0.1").unwrap(),
            HostOverride {
                host: "cms.test".into(),
                addr: IpAddr::from([127, 0, 0, 1])
            }
        );
        for bad in [
            "cms.test",
            "=127.0.0.1",
            "cms.test=nowhere",
            "127.0.0.1=127.0.0.2",
        ] {
            assert!(HostOverride::parse(bad).is_err(), "{bad}");
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
