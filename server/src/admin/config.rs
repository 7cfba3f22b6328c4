//! The per-node scheduler configuration, kept in `<data-dir>/scheduler.json`.
//!
//! The file is written atomically (a temporary file in the same directory,
//! fsync, rename, fsync of the directory) with mode 0600, because it holds
//! the SMTP password. File names are stored as typed; relative ones are
//! resolved against the data directory, like files uploaded to the MMP.

use super::words::clean;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "scheduler.json";

const FORMAT_VERSION: u32 = 1;

/// A subsystem whose logging `timedLogging` can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Subsystem {
    #[serde(rename = "webBridge")]
    WebBridge,
    #[serde(rename = "api")]
    Api,
    #[serde(rename = "email")]
    Email,
}

impl Subsystem {
    pub const ALL: [Subsystem; 3] = [Subsystem::WebBridge, Subsystem::Api, Subsystem::Email];

    /// The MMP word.
    pub fn word(self) -> &'static str {
        match self {
            Subsystem::WebBridge => "webBridge",
            Subsystem::Api => "api",
            Subsystem::Email => "email",
        }
    }

    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.word() == word)
    }

    /// The tracing targets raised to `debug` for this subsystem: the short
    /// target names used with `target: "..."` and the module paths.
    pub fn targets(self) -> &'static [&'static str] {
        match self {
            Subsystem::WebBridge => &["c2w", "server::c2w"],
            Subsystem::Api => &["callbridge", "api", "server::callbridge"],
            Subsystem::Email => &["mail", "server::mail"],
        }
    }
}

impl fmt::Display for Subsystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Smtp,
    Smtps,
}

impl Protocol {
    pub fn word(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Smtps => "smtps",
        }
    }
}

/// `https listen <interface> <port>`: an interface name or an IP literal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listen {
    pub interface: String,
    pub port: u16,
}

/// A private key file and a full-chain certificate file (leaf first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertPair {
    pub key: String,
    pub cert: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailServer {
    pub host: String,
    pub port: u16,
}

/// A secret that never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpsConfig {
    pub listen: Option<Listen>,
    pub certs: Option<CertPair>,
}

impl HttpsConfig {
    /// Both the listening address and the certificates are set.
    pub fn is_configured(&self) -> bool {
        self.listen.is_some() && self.certs.is_some()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct C2wConfig {
    pub certs: Option<CertPair>,
    pub trust: Option<String>,
}

impl C2wConfig {
    pub fn is_configured(&self) -> bool {
        self.certs.is_some() && self.trust.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailConfig {
    pub server: Option<EmailServer>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub protocol: Protocol,
    pub auth: bool,
    pub starttls: bool,
    pub trust: Option<String>,
    /// The From: address of invitations (server/src/mail; docs/mail.md).
    pub sender: Option<String>,
    /// The display name on that From: address.
    pub organizer_name: Option<String>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            server: None,
            username: None,
            password: None,
            protocol: Protocol::Smtp,
            auth: false,
            starttls: true,
            trust: None,
            sender: None,
            organizer_name: None,
        }
    }
}

/// The directory attributes read for a person (`scheduler ldap attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LdapAttributes {
    pub display_name: String,
    pub mail: String,
    pub time_zone: Option<String>,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        Self {
            display_name: "displayName".into(),
            mail: "mail".into(),
            time_zone: None,
        }
    }
}

/// The default re-check interval of a signed-in directory person.
pub const LDAP_RECHECK_DEFAULT_SECS: u32 = 300;

/// Directory sign-in (`scheduler ldap ...`, docs/directory.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LdapConfig {
    /// `ldaps://` or `ldap://` URLs, tried in order.
    pub servers: Vec<String>,
    /// StartTLS on `ldap://` URLs; off only for loopback servers.
    pub starttls: bool,
    pub trust: Option<String>,
    pub bind_dn: Option<String>,
    /// The service account's password, typed at the prompt...
    pub password: Option<Secret>,
    /// ...or read from this file at each use.
    pub password_file: Option<String>,
    pub base: Option<String>,
    /// A filter with one `$` for the typed name.
    pub filter: Option<String>,
    pub attributes: LdapAttributes,
    /// The JID mapping in CMS syntax: `$attribute$` is replaced.
    pub jid: Option<String>,
    /// Members of this group are the scheduler's administrators.
    pub admins: Option<String>,
    pub recheck_seconds: u32,
}

impl Default for LdapConfig {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            starttls: true,
            trust: None,
            bind_dn: None,
            password: None,
            password_file: None,
            base: None,
            filter: None,
            attributes: LdapAttributes::default(),
            jid: None,
            admins: None,
            recheck_seconds: LDAP_RECHECK_DEFAULT_SECS,
        }
    }
}

impl LdapConfig {
    /// Directory sign-in is on: servers, a base and a filter are set.
    pub fn is_configured(&self) -> bool {
        !self.servers.is_empty() && self.base.is_some() && self.filter.is_some()
    }

    /// Is this server's host a loopback address (`localhost`, 127.0.0.0/8,
    /// `::1`)? Only there may `ldap://` go without StartTLS.
    pub fn is_loopback_url(url: &str) -> bool {
        let rest = url
            .strip_prefix("ldap://")
            .or_else(|| url.strip_prefix("ldaps://"))
            .unwrap_or("");
        let host = match rest.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => rest.split([':', '/']).next().unwrap_or(""),
        };
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// What keeps directory sign-in from working, in words; empty when
    /// nothing does. Checked by `scheduler enable` and at each connection.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.servers.is_empty() {
            out.push("LDAP server not configured".to_owned());
        }
        if self.base.is_none() {
            out.push("LDAP base DN not configured".to_owned());
        }
        if self.filter.is_none() {
            out.push("LDAP filter not configured".to_owned());
        }
        if self.bind_dn.is_some() && self.password.is_none() && self.password_file.is_none() {
            out.push("LDAP bind DN set without a password".to_owned());
        }
        if !self.starttls {
            for url in self.servers.iter().filter(|u| u.starts_with("ldap://")) {
                if !Self::is_loopback_url(url) {
                    out.push(format!(
                        "LDAP server {} would be plain LDAP: enable starttls or use ldaps://",
                        clean(url)
                    ));
                }
            }
        }
        out
    }

    fn show_rows(&self) -> Vec<(&'static str, String)> {
        fn opt(v: Option<&str>) -> String {
            v.map_or_else(|| "none".to_owned(), clean)
        }
        let a = &self.attributes;
        vec![
            (
                "LDAP Servers",
                if self.servers.is_empty() {
                    "none".into()
                } else {
                    clean(&self.servers.join(" "))
                },
            ),
            (
                "LDAP STARTTLS",
                if self.starttls { "enabled" } else { "disabled" }.into(),
            ),
            ("LDAP Trust bundle", opt(self.trust.as_deref())),
            ("LDAP Bind DN", opt(self.bind_dn.as_deref())),
            (
                "LDAP Password",
                match (&self.password, &self.password_file) {
                    (Some(_), _) => "********".into(),
                    (None, Some(f)) => format!("from file {}", clean(f)),
                    (None, None) => "none".into(),
                },
            ),
            ("LDAP Base DN", opt(self.base.as_deref())),
            ("LDAP Filter", opt(self.filter.as_deref())),
            (
                "LDAP Attributes",
                clean(&match &a.time_zone {
                    Some(tz) => format!("{} {} {tz}", a.display_name, a.mail),
                    None => format!("{} {}", a.display_name, a.mail),
                }),
            ),
            ("LDAP JID", opt(self.jid.as_deref())),
            ("LDAP Administrators group", opt(self.admins.as_deref())),
            ("LDAP Re-check seconds", self.recheck_seconds.to_string()),
        ]
    }
}

/// The Call Bridge API (`scheduler callbridge ...`, docs/callbridge.md).
/// The service's own flags and environment, when given, come first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallBridgeSettings {
    /// `https://host:port` URLs of the cluster's Call Bridges, preferred first.
    pub servers: Vec<String>,
    /// The API user (a CMS user with the `api` role).
    pub username: Option<String>,
    /// A file holding its password, readable by the service user only.
    pub password_file: Option<String>,
    /// PEM certificates the Call Bridges' certificates must chain to;
    /// none: the system's roots.
    pub trust: Option<String>,
}

impl CallBridgeSettings {
    fn show_rows(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "Call Bridge Servers",
                if self.servers.is_empty() {
                    "none".into()
                } else {
                    clean(&self.servers.join(" "))
                },
            ),
            (
                "Call Bridge Username",
                self.username
                    .as_deref()
                    .map_or_else(|| "none".into(), clean),
            ),
            (
                "Call Bridge Password",
                match &self.password_file {
                    Some(f) => format!("from file {}", clean(f)),
                    None => "from the service's environment".into(),
                },
            ),
            (
                "Call Bridge Trust bundle",
                self.trust
                    .as_deref()
                    .map_or_else(|| "none (the system's roots)".into(), clean),
            ),
        ]
    }
}

/// Everything the `scheduler` commands configure on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulerConfig {
    pub version: u32,
    pub enabled: bool,
    pub https: HttpsConfig,
    pub c2w: C2wConfig,
    pub email: EmailConfig,
    pub ldap: LdapConfig,
    pub callbridge: CallBridgeSettings,
    /// Subsystems whose logging is raised to debug, and until when.
    pub timed_logging: BTreeMap<Subsystem, DateTime<Utc>>,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            enabled: false,
            https: HttpsConfig::default(),
            c2w: C2wConfig::default(),
            email: EmailConfig::default(),
            ldap: LdapConfig::default(),
            callbridge: CallBridgeSettings::default(),
            timed_logging: BTreeMap::new(),
        }
    }
}

impl SchedulerConfig {
    /// Forgets the timed logging entries that ended at or before `now`.
    pub fn prune_timed_logging(&mut self, now: DateTime<Utc>) {
        self.timed_logging.retain(|_, until| *until > now);
    }

    /// The lines printed by `scheduler`: the twelve of the MMP, then the
    /// e-mail settings it does not show, then the directory's once any is set.
    pub fn show_lines(&self) -> Vec<String> {
        fn opt(v: Option<&str>) -> String {
            v.map_or_else(|| "none".to_owned(), clean)
        }
        fn toggle(on: bool) -> String {
            if on { "enabled" } else { "disabled" }.to_owned()
        }
        let https_listen = self.https.listen.as_ref();
        let https_certs = self.https.certs.as_ref();
        let c2w_certs = self.c2w.certs.as_ref();
        let email_server = self.email.server.as_ref();
        let mut rows: Vec<(&str, String)> = vec![
            ("Enabled", self.enabled.to_string()),
            (
                "Https interface",
                opt(https_listen.map(|l| l.interface.as_str())),
            ),
            (
                "Https port",
                https_listen.map_or_else(|| "none".into(), |l| l.port.to_string()),
            ),
            ("Https key file", opt(https_certs.map(|c| c.key.as_str()))),
            (
                "Https certificate file",
                opt(https_certs.map(|c| c.cert.as_str())),
            ),
            ("C2W Key file", opt(c2w_certs.map(|c| c.key.as_str()))),
            (
                "C2W Full chain certificate file",
                opt(c2w_certs.map(|c| c.cert.as_str())),
            ),
            ("C2W Trust bundle", opt(self.c2w.trust.as_deref())),
            ("Email Server", opt(email_server.map(|s| s.host.as_str()))),
            (
                "Email Port",
                email_server.map_or_else(|| "none".into(), |s| s.port.to_string()),
            ),
            ("Email Username", opt(self.email.username.as_deref())),
            (
                "Email Password",
                if self.email.password.is_some() {
                    "********".into()
                } else {
                    "none".into()
                },
            ),
            ("Email Protocol", self.email.protocol.word().into()),
            ("Email Auth", toggle(self.email.auth)),
            ("Email STARTTLS", toggle(self.email.starttls)),
            ("Email Trust bundle", opt(self.email.trust.as_deref())),
            ("Email Sender", opt(self.email.sender.as_deref())),
            (
                "Email Organizer name",
                opt(self.email.organizer_name.as_deref()),
            ),
        ];
        if self.ldap != LdapConfig::default() {
            rows.extend(self.ldap.show_rows());
        }
        if self.callbridge != CallBridgeSettings::default() {
            rows.extend(self.callbridge.show_rows());
        }
        aligned(&rows)
    }
}

/// `label : value` lines with the labels padded to a common width.
pub fn aligned(rows: &[(&str, String)]) -> Vec<String> {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(label, value)| format!("{label:<width$} : {value}"))
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid scheduler configuration: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error(
        "{path} was written by a newer version (format {found}, this one knows {FORMAT_VERSION})"
    )]
    Version { path: String, found: u32 },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Where the configuration lives: the data directory.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    dir: PathBuf,
    /// The last configuration read, with what the file looked like then:
    /// the server reads it on every invitation, and `scheduler ...`
    /// commands in another process change it (always by renaming a new
    /// file over it, see [`write_atomic`]).
    last: std::sync::Arc<std::sync::Mutex<Option<LastRead>>>,
    /// How old a file's change must be before its version is trusted.
    settled_after: std::time::Duration,
    /// Reads of the file (tests).
    #[cfg(test)]
    reads: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// A configuration as read, and the file it was read from.
#[derive(Debug)]
struct LastRead {
    file: Option<FileVersion>,
    cfg: SchedulerConfig,
}

/// What tells one version of the configuration file from another: a
/// replaced file has another inode, one changed in place another change
/// time or length. None: there is no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileVersion {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl FileVersion {
    fn of(path: &Path) -> std::io::Result<Option<Self>> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(Self {
                dev: m.dev(),
                ino: m.ino(),
                len: m.len(),
                mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
                ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl ConfigStore {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: data_dir.into(),
            last: Default::default(),
            settled_after: std::time::Duration::from_secs(2),
            #[cfg(test)]
            reads: Default::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    /// A file name as typed in a command, resolved: relative names are
    /// taken from the data directory.
    pub fn resolve(&self, name: &str) -> PathBuf {
        let p = Path::new(name);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    /// The stored configuration, or the default one when there is none yet.
    /// Read again only when the file changed since the last read (one
    /// `stat` otherwise).
    pub fn load(&self) -> Result<SchedulerConfig, ConfigError> {
        let path = self.path();
        let read_error = |source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        };
        let file = FileVersion::of(&path).map_err(read_error)?;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = last.as_ref().filter(|l| l.file == file) {
            return Ok(l.cfg.clone());
        }
        let cfg = self.read(&path)?;
        // Kept under the version seen before reading: should the file have
        // changed in between, the next call sees another version and reads
        // it again. Not kept while the file is newer than the file system's
        // clock can tell apart (its times are coarse, and a freed inode
        // number comes back): two writes in the same tick, of the same
        // length, could otherwise look like one version.
        let settled = file.is_none_or(|f| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as i128)
                .unwrap_or_default();
            f.ctime_ns.max(f.mtime_ns) < now - self.settled_after.as_nanos() as i128
        });
        *last = settled.then(|| LastRead {
            file,
            cfg: cfg.clone(),
        });
        Ok(cfg)
    }

    fn read(&self, path: &Path) -> Result<SchedulerConfig, ConfigError> {
        #[cfg(test)]
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SchedulerConfig::default())
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let cfg: SchedulerConfig =
            serde_json::from_slice(&text).map_err(|source| ConfigError::Parse {
                path: path.display().to_string(),
                source,
            })?;
        if cfg.version > FORMAT_VERSION {
            return Err(ConfigError::Version {
                path: path.display().to_string(),
                found: cfg.version,
            });
        }
        Ok(cfg)
    }

    /// Stores `cfg`, atomically, readable by the owner only.
    pub fn save(&self, cfg: &SchedulerConfig) -> Result<(), ConfigError> {
        let mut cfg = cfg.clone();
        cfg.version = FORMAT_VERSION;
        let mut text = serde_json::to_vec_pretty(&cfg).map_err(|e| ConfigError::Write {
            path: self.path().display().to_string(),
            source: std::io::Error::other(e),
        })?;
        text.push(b'\n');
        let path = self.path();
        write_atomic(&path, &text).map_err(|source| ConfigError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}

/// Writes `bytes` to `path` so that a reader sees either the old file or the
/// new one, never a part: a temporary file (mode 0600) in the same
/// directory, fsync, rename over `path`, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::File::open(&dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::Ordering;

    #[test]
    fn load_reads_the_file_again_only_when_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let server = ConfigStore::new(dir.path());
        // The `scheduler ...` commands: another process, another store.
        let command = ConfigStore::new(dir.path());
        let reads = || server.reads.load(Ordering::Relaxed);
        assert_eq!(server.load().unwrap(), SchedulerConfig::default());
        assert_eq!(server.load().unwrap(), SchedulerConfig::default());
        assert_eq!(reads(), 1, "no file: one look");

        // Just written: read on every load, however quick the next write
        // (same length, maybe the same inode number and time).
        let mut cfg = SchedulerConfig::default();
        cfg.email.sender = Some("a@example.com".into());
        command.save(&cfg).unwrap();
        assert_eq!(server.load().unwrap().email.sender, cfg.email.sender);
        cfg.email.sender = Some("b@example.com".into());
        command.save(&cfg).unwrap();
        assert_eq!(server.load().unwrap().email.sender, cfg.email.sender);
        assert_eq!(reads(), 3);

        // Settled: kept until the file changes, by rename or in place.
        let server = ConfigStore {
            settled_after: std::time::Duration::ZERO,
            ..server
        };
        let before = server.reads.load(Ordering::Relaxed);
        assert_eq!(server.load().unwrap().email.sender, cfg.email.sender);
        assert_eq!(server.load().unwrap().email.sender, cfg.email.sender);
        assert_eq!(server.reads.load(Ordering::Relaxed), before + 1);
        cfg.email.sender = Some("ccc@example.com".into());
        command.save(&cfg).unwrap();
        assert_eq!(server.load().unwrap().email.sender, cfg.email.sender);
        let text = std::fs::read_to_string(command.path()).unwrap();
        std::fs::write(command.path(), text.replace("ccc@", "ddd@")).unwrap();
        assert_eq!(
            server.load().unwrap().email.sender.as_deref(),
            Some("ddd@example.com")
        );
        std::fs::remove_file(command.path()).unwrap();
        assert_eq!(server.load().unwrap(), SchedulerConfig::default());
    }

    fn full() -> SchedulerConfig {
        let mut cfg = SchedulerConfig {
            enabled: true,
            ..Default::default()
        };
        cfg.https.listen = Some(Listen {
            interface: "a".into(),
            port: 9443,
        });
        cfg.https.certs = Some(CertPair {
            key: "CB344748.key".into(),
            cert: "BUN344748.cer".into(),
        });
        cfg.c2w.certs = cfg.https.certs.clone();
        cfg.c2w.trust = Some("wbbundle.cer".into());
        cfg
    }

    #[test]
    fn show_matches_the_source_document() {
        let lines = full().show_lines();
        let expected = [
            "Enabled                         : true",
            "Https interface                 : a",
            "Https port                      : 9443",
            "Https key file                  : CB344748.key",
            "Https certificate file          : BUN344748.cer",
            "C2W Key file                    : CB344748.key",
            "C2W Full chain certificate file : BUN344748.cer",
            "C2W Trust bundle                : wbbundle.cer",
            "Email Server                    : none",
            "Email Port                      : none",
            "Email Username                  : none",
            "Email Password                  : none",
            "Email Protocol                  : smtp",
            "Email Auth                      : disabled",
            "Email STARTTLS                  : enabled",
            "Email Trust bundle              : none",
            "Email Sender                    : none",
            "Email Organizer name            : none",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn show_defaults_and_masks_the_password() {
        let mut cfg = SchedulerConfig::default();
        let lines = cfg.show_lines();
        assert_eq!(lines[0], "Enabled                         : false");
        assert!(
            lines[1..12].iter().all(|l| l.ends_with(" : none")),
            "{lines:?}"
        );
        cfg.email.server = Some(EmailServer {
            host: "smtp.example.com".into(),
            port: 587,
        });
        cfg.email.username = Some("sched@example.com".into());
        cfg.email.password = Some(Secret::new("hunter2-very-secret"));
        cfg.email.protocol = Protocol::Smtps;
        cfg.email.auth = true;
        cfg.email.starttls = false;
        cfg.email.trust = Some("/etc/smtp-ca.pem".into());
        let lines = cfg.show_lines();
        assert_eq!(
            lines[8],
            "Email Server                    : smtp.example.com"
        );
        assert_eq!(lines[9], "Email Port                      : 587");
        assert_eq!(
            lines[10],
            "Email Username                  : sched@example.com"
        );
        assert_eq!(lines[11], "Email Password                  : ********");
        assert_eq!(lines[12], "Email Protocol                  : smtps");
        assert_eq!(lines[13], "Email Auth                      : enabled");
        assert_eq!(lines[14], "Email STARTTLS                  : disabled");
        assert_eq!(
            lines[15],
            "Email Trust bundle              : /etc/smtp-ca.pem"
        );
        assert!(!lines.join("\n").contains("hunter2"));
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn show_lists_the_call_bridge_once_set() {
        let mut cfg = full();
        assert!(!cfg.show_lines().join("\n").contains("Call Bridge"));
        cfg.callbridge.servers = vec![
            "https://cms1.example.com:445".into(),
            "https://cms2.example.com:445".into(),
        ];
        cfg.callbridge.username = Some("schedapi".into());
        let lines = cfg.show_lines();
        let tail: Vec<&str> = lines[lines.len() - 4..]
            .iter()
            .map(|l| l.as_str())
            .collect();
        assert_eq!(
            tail,
            [
                "Call Bridge Servers             : https://cms1.example.com:445 https://cms2.example.com:445",
                "Call Bridge Username            : schedapi",
                "Call Bridge Password            : from the service's environment",
                "Call Bridge Trust bundle        : none (the system's roots)",
            ]
        );
        cfg.callbridge.password_file = Some("cb.pw".into());
        cfg.callbridge.trust = Some("cms-ca.pem".into());
        let lines = cfg.show_lines();
        assert!(lines.contains(&"Call Bridge Password            : from file cb.pw".to_string()));
        assert!(lines.contains(&"Call Bridge Trust bundle        : cms-ca.pem".to_string()));
    }

    #[test]
    fn round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        assert_eq!(store.load().unwrap(), SchedulerConfig::default());
        let mut cfg = full();
        cfg.email.password = Some(Secret::new("pw"));
        cfg.email.username = Some("u".into());
        cfg.timed_logging.insert(
            Subsystem::WebBridge,
            "2030-01-01T00:00:00Z".parse().unwrap(),
        );
        store.save(&cfg).unwrap();
        assert_eq!(store.load().unwrap(), cfg);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("\"webBridge\""), "{text}");
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn older_and_partial_files_load_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        std::fs::write(store.path(), r#"{"enabled": true, "unknown": 1}"#).unwrap();
        let cfg = store.load().unwrap();
        assert!(cfg.enabled);
        assert!(cfg.email.starttls);
        std::fs::write(store.path(), r#"{"version": 99}"#).unwrap();
        assert!(matches!(
            store.load(),
            Err(ConfigError::Version { found: 99, .. })
        ));
        std::fs::write(store.path(), "{not json").unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scheduler.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let before = std::fs::metadata(&path).unwrap().ino();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let meta = std::fs::metadata(&path).unwrap();
        assert_ne!(meta.ino(), before, "replaced by rename, not rewritten");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("scheduler.json")]);
    }

    #[test]
    fn failed_write_keeps_the_old_file_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory where the file should go: the rename fails.
        let path = dir.path().join("scheduler.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), "x").unwrap();
        assert!(write_atomic(&path, b"new").is_err());
        assert_eq!(std::fs::read(path.join("keep")).unwrap(), b"x");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let store = ConfigStore::new(dir.path());
        let err = store.save(&SchedulerConfig::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Write { .. }));
    }

    #[test]
    fn relative_names_resolve_against_the_data_dir() {
        let store = ConfigStore::new("/var/lib/scheduler");
        assert_eq!(
            store.resolve("CB.key"),
            PathBuf::from("/var/lib/scheduler/CB.key")
        );
        assert_eq!(store.resolve("/etc/x.pem"), PathBuf::from("/etc/x.pem"));
    }

    #[test]
    fn timed_logging_prunes_ended_entries() {
        let mut cfg = SchedulerConfig::default();
        let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        cfg.timed_logging
            .insert(Subsystem::Api, now - chrono::Duration::seconds(1));
        cfg.timed_logging
            .insert(Subsystem::Email, now + chrono::Duration::seconds(1));
        cfg.prune_timed_logging(now);
        assert_eq!(cfg.timed_logging.len(), 1);
        assert!(cfg.timed_logging.contains_key(&Subsystem::Email));
    }
}
