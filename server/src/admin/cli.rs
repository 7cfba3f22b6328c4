//! Runs one `scheduler` command: `cms-scheduler scheduler [--data-dir DIR] WORDS...`.
//!
//! Commands that edit the configuration write `scheduler.json` whether the
//! service runs or not. `enable`, `disable` and `timedLogging` also tell a
//! running service to apply the change; the other edits take effect at
//! `scheduler restart`, as on the MMP.

use super::checks::{enable_checks, system_roots};
use super::config::{aligned, ConfigError, ConfigStore, SchedulerConfig, Secret, Subsystem};
use super::control::{self, ClientError, Request, Response, ServiceStatus};
use super::https::{resolve_interface, HttpsError};
use super::parse::{parse, Command, ParseError, USAGE};
use super::words::quote;
use super::CONTROL_SOCKET;
use chrono::{DateTime, Utc};
use rustls_pki_types::UnixTime;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable that supplies the SMTP password to
/// `scheduler email username`; without it the password is prompted for.
pub const PASSWORD_ENV: &str = "SCHEDULER_EMAIL_PASSWORD";

/// The environment variable that supplies the directory service account's
/// password to `scheduler ldap password`; without it it is prompted for.
pub const LDAP_PASSWORD_ENV: &str = "SCHEDULER_LDAP_PASSWORD";

type PasswordSource = dyn Fn(&str) -> Result<String, String> + Send + Sync;

/// What a command runs against.
pub struct Context {
    pub store: ConfigStore,
    /// Gives the SMTP password for a username.
    pub password: Box<PasswordSource>,
    /// Gives the directory service account's password for a bind DN.
    pub ldap_password: Box<PasswordSource>,
    /// How long to wait for the running service.
    pub timeout: Duration,
}

impl Context {
    /// The real one: the password from `SCHEDULER_EMAIL_PASSWORD`, or asked
    /// for on the terminal without echo.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            store: ConfigStore::new(data_dir),
            password: Box::new(|username: &str| {
                match std::env::var(PASSWORD_ENV) {
                Ok(p) => Ok(p),
                Err(_) => rpassword::prompt_password(format!("SMTP password for {username}: "))
                    .map_err(|e| {
                        format!("cannot read the password ({e}); set {PASSWORD_ENV} when there is no terminal")
                    }),
            }
            }),
            ldap_password: Box::new(|dn: &str| {
                match std::env::var(LDAP_PASSWORD_ENV) {
                Ok(p) => Ok(p),
                Err(_) => rpassword::prompt_password(format!("Directory password for {dn}: "))
                    .map_err(|e| {
                        format!("cannot read the password ({e}); set {LDAP_PASSWORD_ENV} when there is no terminal")
                    }),
            }
            }),
            timeout: Duration::from_secs(30),
        }
    }

    fn socket(&self) -> PathBuf {
        self.store.dir().join(CONTROL_SOCKET)
    }

    async fn ask(&self, req: Request) -> Result<Response, ClientError> {
        control::request(&self.socket(), req, self.timeout).await
    }
}

/// How a command ended when it had no error to report on its own line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The command printed its failure (`FAILURE: ...` lines).
    Failed,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Interface(#[from] HttpsError),
    #[error("cannot read file {} ({path}): {source}", quote(.name))]
    File {
        name: String,
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Password(String),
    #[error("{0}")]
    Callbridge(String),
    #[error("the scheduler service is not running")]
    NotRunning,
    #[error(transparent)]
    Control(ClientError),
    #[error("the running scheduler could not apply the configuration: {0}")]
    Apply(String),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Parses and runs `words` (what follows `scheduler`); prints on standard
/// output, one error line on standard error; returns the exit code.
pub async fn run(data_dir: &Path, words: &[String]) -> i32 {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let command = match parse(&words) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let ctx = Context::new(data_dir);
    let mut out = std::io::stdout();
    match execute(&ctx, command, &mut out).await {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Failed) => 1,
        Err(e) => {
            let _ = out.flush();
            eprintln!("{e}");
            1
        }
    }
}

/// Runs one parsed command. On error the stored configuration is unchanged.
pub async fn execute(
    ctx: &Context,
    command: Command,
    out: &mut (dyn Write + Send),
) -> Result<Outcome, CliError> {
    let store = &ctx.store;
    match command {
        Command::Help => {
            out.write_all(USAGE.as_bytes())?;
            return Ok(Outcome::Done);
        }
        Command::Show => {
            for line in store.load()?.show_lines() {
                writeln!(out, "{line}")?;
            }
            return Ok(Outcome::Done);
        }
        Command::Status => return status(ctx, out).await,
        Command::TimedLoggingShow => return timed_logging_show(ctx, out).await,
        Command::Restart => {
            return match ctx.ask(Request::Restart).await {
                Ok(r) if r.ok => Ok(Outcome::Done),
                Ok(r) => Err(CliError::Apply(r.error.unwrap_or_default())),
                Err(ClientError::NotRunning(_)) => Err(CliError::NotRunning),
                Err(e) => Err(CliError::Control(e)),
            };
        }
        Command::Enable => return enable(ctx, out).await,
        _ => {}
    }

    let mut cfg = store.load()?;
    let now = Utc::now();
    let mut notify = None;
    match command {
        Command::HttpsListen(listen) => {
            if let Some(l) = &listen {
                resolve_interface(&l.interface)?;
            }
            cfg.https.listen = listen;
        }
        Command::HttpsCerts(pair) => {
            if let Some(p) = &pair {
                readable(store, &p.key)?;
                readable(store, &p.cert)?;
            }
            cfg.https.certs = pair;
        }
        Command::C2wCerts(pair) => {
            if let Some(p) = &pair {
                readable(store, &p.key)?;
                readable(store, &p.cert)?;
            }
            cfg.c2w.certs = pair;
        }
        Command::C2wTrust(bundle) => {
            if let Some(b) = &bundle {
                readable(store, b)?;
            }
            cfg.c2w.trust = bundle;
        }
        Command::EmailServer(server) => cfg.email.server = server,
        Command::EmailUsername(username) => {
            let password = (ctx.password)(&username).map_err(CliError::Password)?;
            check_password(&password)?;
            cfg.email.username = Some(username);
            cfg.email.password = Some(Secret::new(password));
        }
        Command::EmailRemoveUsername => {
            cfg.email.username = None;
            cfg.email.password = None;
        }
        Command::EmailProtocol(p) => cfg.email.protocol = p,
        Command::EmailAuth(on) => cfg.email.auth = on,
        Command::EmailStarttls(on) => cfg.email.starttls = on,
        Command::EmailTrust(bundle) => {
            if let Some(b) = &bundle {
                readable(store, b)?;
            }
            cfg.email.trust = bundle;
        }
        Command::EmailSender(address) => cfg.email.sender = address,
        Command::EmailOrganizerName(name) => cfg.email.organizer_name = name,
        Command::LdapServers(urls) => cfg.ldap.servers = urls,
        Command::LdapStarttls(on) => cfg.ldap.starttls = on,
        Command::LdapTrust(bundle) => {
            if let Some(b) = &bundle {
                readable(store, b)?;
            }
            cfg.ldap.trust = bundle;
        }
        Command::LdapBind(dn) => cfg.ldap.bind_dn = dn,
        Command::LdapPassword => {
            let Some(dn) = cfg.ldap.bind_dn.clone() else {
                return Err(CliError::Password(
                    "set the bind DN first: scheduler ldap bind <dn>".into(),
                ));
            };
            let password = (ctx.ldap_password)(&dn).map_err(CliError::Password)?;
            check_password(&password)?;
            cfg.ldap.password = Some(Secret::new(password));
            cfg.ldap.password_file = None;
        }
        Command::LdapRemovePassword => {
            cfg.ldap.password = None;
            cfg.ldap.password_file = None;
        }
        Command::LdapPasswordFile(file) => {
            if let Some(f) = &file {
                readable(store, f)?;
                cfg.ldap.password = None;
            }
            cfg.ldap.password_file = file;
        }
        Command::LdapBase(dn) => cfg.ldap.base = dn,
        Command::LdapFilter(filter) => cfg.ldap.filter = filter,
        Command::LdapAttributes(attributes) => cfg.ldap.attributes = attributes,
        Command::LdapJid(mapping) => cfg.ldap.jid = mapping,
        Command::LdapAdmins(group) => cfg.ldap.admins = group,
        Command::LdapRecheck(seconds) => cfg.ldap.recheck_seconds = seconds,
        Command::CallBridgeServers(urls) => {
            for u in &urls {
                crate::callbridge::check_url(u).map_err(|e| {
                    CliError::Callbridge(format!(
                        "invalid Call Bridge URL: {}",
                        match e {
                            crate::callbridge::CallBridgeError::Config(m) => m,
                            other => other.to_string(),
                        }
                    ))
                })?;
            }
            cfg.callbridge.servers = urls;
        }
        Command::CallBridgeUsername(name) => cfg.callbridge.username = name,
        Command::CallBridgePasswordFile(file) => {
            if let Some(f) = &file {
                crate::callbridge::read_password_file(&store.resolve(f))
                    .map_err(|e| CliError::Callbridge(e.to_string()))?;
            }
            cfg.callbridge.password_file = file;
        }
        Command::CallBridgeTrust(bundle) => {
            if let Some(b) = &bundle {
                readable(store, b)?;
                let tls = crate::callbridge::TlsOptions::with_trust_bundle_file(&store.resolve(b))
                    .map_err(|e| CliError::Callbridge(e.to_string()))?;
                crate::callbridge::setup::check_bundle(&tls).map_err(CliError::Callbridge)?;
            }
            cfg.callbridge.trust = bundle;
        }
        Command::TimedLogging { subsystem, seconds } => {
            if seconds == 0 {
                cfg.timed_logging.remove(&subsystem);
            } else {
                cfg.timed_logging.insert(
                    subsystem,
                    now + chrono::Duration::seconds(i64::from(seconds)),
                );
            }
            notify = Some(Request::TimedLogging);
        }
        Command::Disable => {
            cfg.enabled = false;
            notify = Some(Request::Restart);
        }
        Command::Show
        | Command::Help
        | Command::Status
        | Command::TimedLoggingShow
        | Command::Restart
        | Command::Enable => {}
    }
    cfg.prune_timed_logging(now);
    store.save(&cfg)?;
    if let Some(req) = notify {
        tell_service(ctx, req).await?;
    }
    Ok(Outcome::Done)
}

/// A password typed at a prompt: not empty, no control characters.
fn check_password(password: &str) -> Result<(), CliError> {
    if password.is_empty() {
        return Err(CliError::Password("the password is empty".into()));
    }
    if password.chars().any(char::is_control) {
        return Err(CliError::Password(
            "the password holds control characters".into(),
        ));
    }
    Ok(())
}

/// Tells a running service to apply the stored configuration; nothing to
/// do when none runs (it reads the file when it starts).
async fn tell_service(ctx: &Context, req: Request) -> Result<(), CliError> {
    match ctx.ask(req).await {
        Ok(r) if r.ok => Ok(()),
        Ok(r) => Err(CliError::Apply(r.error.unwrap_or_default())),
        Err(ClientError::NotRunning(_)) => Ok(()),
        Err(e) => Err(CliError::Control(e)),
    }
}

fn readable(store: &ConfigStore, name: &str) -> Result<(), CliError> {
    let path = store.resolve(name);
    std::fs::File::open(&path)
        .and_then(|mut f| f.read(&mut [0u8; 1]).map(|_| ()))
        .map_err(|source| CliError::File {
            name: name.to_owned(),
            path: path.display().to_string(),
            source,
        })
}

async fn enable(ctx: &Context, out: &mut (dyn Write + Send)) -> Result<Outcome, CliError> {
    let mut cfg = ctx.store.load()?;
    let roots = system_roots();
    let lines = enable_checks(&cfg, &ctx.store, UnixTime::now(), &roots);
    for line in &lines {
        writeln!(out, "{line}")?;
    }
    if !lines.iter().all(|l| l.ok) {
        return Ok(Outcome::Failed);
    }
    cfg.enabled = true;
    cfg.prune_timed_logging(Utc::now());
    ctx.store.save(&cfg)?;
    writeln!(out, "SUCCESS: scheduler enabled")?;
    out.flush()?;
    tell_service(ctx, Request::Restart).await?;
    Ok(Outcome::Done)
}

/// The `scheduler status` lines for a running service.
pub fn status_lines(st: &ServiceStatus) -> Vec<String> {
    let mut lines = vec![
        format!(
            "Status: {}",
            if st.enabled { "enabled" } else { "disabled" }
        ),
        "Running".to_owned(),
        if st.database_responsive_at_start {
            "Database responsive at start"
        } else {
            "Database not responsive"
        }
        .to_owned(),
        if st.https.configured {
            "HTTPS configured"
        } else {
            "HTTPS not configured"
        }
        .to_owned(),
    ];
    if let Some(e) = &st.https.error {
        lines.push(format!("HTTPS listener not running: {e}"));
    }
    lines.push(match (st.c2w.configured, st.c2w.web_bridges) {
        (true, Some(n)) => format!("C2W configured, {} of {} web bridges UP", n.up, n.total),
        (true, None) => "C2W configured".to_owned(),
        (false, _) => "C2W not configured".to_owned(),
    });
    lines.extend(st.c2w.links.iter().map(link_line));
    lines.extend(callbridge_lines(&st.callbridges));
    lines.push(
        if st.email_configured {
            "Email server configured"
        } else {
            "Email server not configured"
        }
        .to_owned(),
    );
    if let Some(e) = &st.config_error {
        lines.push(format!("Configuration not applied: {e}"));
    }
    lines
}

/// `Call Bridge <url> in use`, then one line per Call Bridge: its state
/// since when, its software version, its last error.
pub fn callbridge_lines(nodes: &[crate::callbridge::NodeReport]) -> Vec<String> {
    let Some(current) = nodes.iter().find(|n| n.in_use) else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "Call Bridge {} in use ({} configured)",
        current.url,
        nodes.len()
    )];
    for n in nodes {
        let mut line = format!("  callbridge {} {}", n.url, n.state.word());
        if let Some(since) = n.since {
            line.push_str(&format!(" since {}", since.format("%Y-%m-%d %H:%M:%S UTC")));
        }
        if let Some(v) = &n.software_version {
            line.push_str(&format!(", version {}", super::words::clean(v)));
        }
        if let Some(e) = &n.last_error {
            line.push_str(&format!(", last error: {}", super::words::clean(e)));
        }
        lines.push(line);
    }
    lines
}

/// One web bridge's line under `C2W configured, ...` in `scheduler status`.
pub fn link_line(l: &crate::admin::WebBridgeLink) -> String {
    let since = l.since.format("%Y-%m-%d %H:%M:%S UTC");
    match (l.up, &l.guid, &l.last_error) {
        (true, Some(guid), _) => {
            format!("  webbridge {} UP since {since}, guid {guid}", l.address)
        }
        (true, None, _) => format!("  webbridge {} UP since {since}", l.address),
        (false, _, Some(e)) => {
            format!("  webbridge {} DOWN since {since}: {e}", l.address)
        }
        (false, _, None) => format!("  webbridge {} DOWN since {since}", l.address),
    }
}

/// The `scheduler status` lines when no service answers: what is stored.
pub fn stopped_status_lines(cfg: &SchedulerConfig) -> Vec<String> {
    vec![
        format!(
            "Status: {}",
            if cfg.enabled { "enabled" } else { "disabled" }
        ),
        "Not running".to_owned(),
        if cfg.https.is_configured() {
            "HTTPS configured"
        } else {
            "HTTPS not configured"
        }
        .to_owned(),
        if cfg.c2w.is_configured() {
            "C2W configured"
        } else {
            "C2W not configured"
        }
        .to_owned(),
        if cfg.email.server.is_some() {
            "Email server configured"
        } else {
            "Email server not configured"
        }
        .to_owned(),
    ]
}

async fn status(ctx: &Context, out: &mut (dyn Write + Send)) -> Result<Outcome, CliError> {
    let lines = match ctx.ask(Request::Status).await {
        Ok(Response {
            status: Some(st), ..
        }) => status_lines(&st),
        Ok(r) => {
            return Err(CliError::Control(ClientError::Protocol(
                r.error.unwrap_or_else(|| "no status".into()),
            )))
        }
        Err(ClientError::NotRunning(_)) => stopped_status_lines(&ctx.store.load()?),
        Err(e) => return Err(CliError::Control(e)),
    };
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(Outcome::Done)
}

/// The `scheduler timedLogging` lines: each subsystem, raised or not.
pub fn timed_logging_lines(
    raised: &BTreeMap<Subsystem, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let rows: Vec<(&str, String)> = Subsystem::ALL
        .iter()
        .map(|s| {
            let value = match raised.get(s) {
                Some(until) if *until > now => {
                    let left = ((*until - now).num_milliseconds() + 999) / 1000;
                    format!(
                        "debug until {} ({left} s left)",
                        until.format("%Y-%m-%d %H:%M:%S UTC")
                    )
                }
                _ => "normal".to_owned(),
            };
            (s.word(), value)
        })
        .collect();
    aligned(&rows)
}

async fn timed_logging_show(
    ctx: &Context,
    out: &mut (dyn Write + Send),
) -> Result<Outcome, CliError> {
    let now = Utc::now();
    let (raised, note) = match ctx.ask(Request::Status).await {
        Ok(Response {
            status: Some(st), ..
        }) => {
            let raised = st
                .timed_logging
                .iter()
                .map(|e| (e.subsystem, e.until))
                .collect();
            let note = (!st.log_control).then_some(
                "The running scheduler cannot change its log levels (started without the reloadable log filter)",
            );
            (raised, note)
        }
        Ok(r) => {
            return Err(CliError::Control(ClientError::Protocol(
                r.error.unwrap_or_else(|| "no status".into()),
            )))
        }
        Err(ClientError::NotRunning(_)) => (
            ctx.store.load()?.timed_logging,
            Some("Not running: the levels are raised when the scheduler starts"),
        ),
        Err(e) => return Err(CliError::Control(e)),
    };
    for line in timed_logging_lines(&raised, now) {
        writeln!(out, "{line}")?;
    }
    if let Some(note) = note {
        writeln!(out, "{note}")?;
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::control::{C2wStatus, HttpsStatus};
    use crate::admin::WebBridgeCounts;

    fn status() -> ServiceStatus {
        ServiceStatus {
            pid: 1,
            enabled: true,
            database_responsive_at_start: true,
            https: HttpsStatus {
                configured: true,
                listening: Some("127.0.0.1:9443".into()),
                error: None,
            },
            c2w: C2wStatus {
                configured: true,
                web_bridges: None,
                links: Vec::new(),
            },
            email_configured: false,
            timed_logging: vec![],
            log_control: true,
            config_error: None,
            callbridges: Vec::new(),
        }
    }

    #[test]
    fn status_prints_like_the_spec() {
        assert_eq!(
            status_lines(&status()),
            [
                "Status: enabled",
                "Running",
                "Database responsive at start",
                "HTTPS configured",
                "C2W configured",
                "Email server not configured",
            ]
        );
        let mut st = status();
        st.enabled = false;
        st.database_responsive_at_start = false;
        st.https.configured = false;
        st.c2w.configured = false;
        st.email_configured = true;
        assert_eq!(
            status_lines(&st),
            [
                "Status: disabled",
                "Running",
                "Database not responsive",
                "HTTPS not configured",
                "C2W not configured",
                "Email server configured",
            ]
        );
    }

    #[test]
    fn status_reports_web_bridges_and_errors_when_known() {
        let mut st = status();
        st.c2w.web_bridges = Some(WebBridgeCounts { up: 2, total: 3 });
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-25T21:00:00Z")
            .unwrap()
            .to_utc();
        let link = |address: &str, up: bool, guid: Option<&str>, error: Option<&str>| {
            crate::admin::WebBridgeLink {
                address: address.into(),
                up,
                guid: guid.map(Into::into),
                since,
                last_error: error.map(Into::into),
                connections: u64::from(up),
            }
        };
        st.c2w.links = vec![
            link(
                "10.0.0.1:8443",
                true,
                Some("b6859515-3ea3-4bdc-9dce-a8b3033e62d7"),
                None,
            ),
            link("10.0.0.2:8443", true, None, None),
            link("10.0.0.3:8443", false, None, Some("connection refused")),
        ];
        st.https.error = Some("cannot listen on 127.0.0.1:9443: in use".into());
        let lines = status_lines(&st);
        assert_eq!(
            lines[4],
            "HTTPS listener not running: cannot listen on 127.0.0.1:9443: in use"
        );
        assert_eq!(lines[5], "C2W configured, 2 of 3 web bridges UP");
        assert_eq!(
            lines[6..9],
            [
                "  webbridge 10.0.0.1:8443 UP since 2026-11-25 21:00:00 UTC, guid b6859515-3ea3-4bdc-9dce-a8b3033e62d7",
                "  webbridge 10.0.0.2:8443 UP since 2026-11-25 21:00:00 UTC",
                "  webbridge 10.0.0.3:8443 DOWN since 2026-11-25 21:00:00 UTC: connection refused",
            ]
        );
        assert_eq!(lines[9], "Email server not configured");
    }

    #[test]
    fn status_lists_the_call_bridges_and_the_one_in_use() {
        use crate::callbridge::{NodeReport, NodeState};
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-25T21:00:00Z")
            .unwrap()
            .to_utc();
        let mut st = status();
        st.callbridges = vec![
            NodeReport {
                url: "https://cms1.example.com:445".into(),
                in_use: false,
                state: NodeState::Down,
                since: Some(since),
                software_version: Some("3.3.0".into()),
                last_error: Some(
                    "the Call Bridge is busy (503), gave up after 1 attempt(s)".into(),
                ),
            },
            NodeReport {
                url: "https://cms2.example.com:445".into(),
                in_use: true,
                state: NodeState::Up,
                since: Some(since),
                software_version: Some("3.3.0".into()),
                last_error: None,
            },
        ];
        let lines = status_lines(&st);
        assert_eq!(
            lines[5..8],
            [
                "Call Bridge https://cms2.example.com:445 in use (2 configured)",
                "  callbridge https://cms1.example.com:445 DOWN since 2026-11-25 21:00:00 UTC, version 3.3.0, last error: the Call Bridge is busy (503), gave up after 1 attempt(s)",
                "  callbridge https://cms2.example.com:445 UP since 2026-11-25 21:00:00 UTC, version 3.3.0",
            ]
        );
    }

    #[test]
    fn stopped_status_comes_from_the_file() {
        let mut cfg = SchedulerConfig::default();
        assert_eq!(
            stopped_status_lines(&cfg),
            [
                "Status: disabled",
                "Not running",
                "HTTPS not configured",
                "C2W not configured",
                "Email server not configured",
            ]
        );
        cfg.enabled = true;
        assert_eq!(stopped_status_lines(&cfg)[0], "Status: enabled");
    }

    #[test]
    fn timed_logging_lines_show_until_and_seconds_left() {
        let now: DateTime<Utc> = "2030-01-01T12:00:00Z".parse().unwrap();
        let mut raised = BTreeMap::new();
        raised.insert(Subsystem::Api, now + chrono::Duration::seconds(90));
        raised.insert(Subsystem::Email, now - chrono::Duration::seconds(1));
        assert_eq!(
            timed_logging_lines(&raised, now),
            [
                "webBridge : normal",
                "api       : debug until 2030-01-01 12:01:30 UTC (90 s left)",
                "email     : normal",
            ]
        );
    }
}
