//! The grammar of the `scheduler` commands: a pure function over the words
//! that follow `scheduler` on the command line, so that it matches the MMP
//! usage exactly and can be fuzzed.
//!
//! Only the form of each word is checked here. Whatever needs the host (does
//! the interface exist, can the file be read) is checked when the command is
//! run, see [`crate::admin::cli`].

use super::config::{CertPair, EmailServer, LdapAttributes, Listen, Protocol, Subsystem};
use super::words::quote;
use std::net::IpAddr;

/// The full usage, as `help scheduler` prints it on the MMP.
pub const USAGE: &str = "\
Usage:
  scheduler
  scheduler https listen <interface> <port>
  scheduler https listen none
  scheduler https certs <key-file> <crt-fullchain-file>
  scheduler https certs none
  scheduler c2w certs <key-file> <crt-fullchain-file>
  scheduler c2w certs none
  scheduler c2w trust <bundle>
  scheduler c2w trust none
  scheduler email server <hostname|address> <port>
  scheduler email server none
  scheduler email username <smtp username>
  scheduler email remove username
  scheduler email protocol <smtp|smtps>
  scheduler email auth <enable|disable>
  scheduler email starttls <enable|disable>
  scheduler email trust <bundle>
  scheduler email trust none
  scheduler email sender <address>
  scheduler email sender none
  scheduler email organizerName <name ...>
  scheduler email organizerName none
  scheduler ldap server <url> [<url> ...]
  scheduler ldap server none
  scheduler ldap starttls <enable|disable>
  scheduler ldap trust <bundle>
  scheduler ldap trust none
  scheduler ldap bind <dn>
  scheduler ldap bind none
  scheduler ldap password
  scheduler ldap password none
  scheduler ldap password-file <file>
  scheduler ldap password-file none
  scheduler ldap base <dn>
  scheduler ldap base none
  scheduler ldap filter <filter with one $>
  scheduler ldap filter none
  scheduler ldap attributes <display name> <mail> [<time zone>]
  scheduler ldap jid <mapping such as $sAMAccountName$@example.com>
  scheduler ldap jid none
  scheduler ldap admins <group dn>
  scheduler ldap admins none
  scheduler ldap recheck <seconds>
  scheduler callbridge server <url> [<url> ...]
  scheduler callbridge server none
  scheduler callbridge username <api user>
  scheduler callbridge username none
  scheduler callbridge password-file <file>
  scheduler callbridge password-file none
  scheduler callbridge trust <bundle>
  scheduler callbridge trust none
  scheduler timedLogging
  scheduler timedLogging (webBridge|api|email) <time>
  scheduler enable
  scheduler disable
  scheduler restart
  scheduler status
";

/// The one-line hint printed for an unknown command.
pub const USAGE_HINT: &str =
    "scheduler [https|c2w|email|ldap|callbridge|timedLogging|enable|disable|restart|status] ...; \
                              `scheduler help` lists every command";

const USAGE_HTTPS: &str =
    "scheduler https listen <interface> <port> | none; scheduler https certs <key-file> <crt-fullchain-file> | none";
const USAGE_HTTPS_LISTEN: &str = "scheduler https listen <interface> <port> | none";
const USAGE_HTTPS_CERTS: &str = "scheduler https certs <key-file> <crt-fullchain-file> | none";
const USAGE_C2W: &str =
    "scheduler c2w certs <key-file> <crt-fullchain-file> | none; scheduler c2w trust <bundle> | none";
const USAGE_C2W_CERTS: &str = "scheduler c2w certs <key-file> <crt-fullchain-file> | none";
const USAGE_C2W_TRUST: &str = "scheduler c2w trust <bundle> | none";
const USAGE_EMAIL: &str =
    "scheduler email [server|username|remove|protocol|auth|starttls|trust|sender|organizerName] ...";
const USAGE_EMAIL_SENDER: &str = "scheduler email sender <address> | none";
const USAGE_EMAIL_ORGANIZER: &str = "scheduler email organizerName <name ...> | none";
const USAGE_EMAIL_SERVER: &str = "scheduler email server <hostname|address> <port> | none";
const USAGE_EMAIL_USERNAME: &str = "scheduler email username <smtp username>";
const USAGE_EMAIL_REMOVE: &str = "scheduler email remove username";
const USAGE_EMAIL_PROTOCOL: &str = "scheduler email protocol <smtp|smtps>";
const USAGE_EMAIL_AUTH: &str = "scheduler email auth <enable|disable>";
const USAGE_EMAIL_STARTTLS: &str = "scheduler email starttls <enable|disable>";
const USAGE_EMAIL_TRUST: &str = "scheduler email trust <bundle> | none";
const USAGE_TIMED_LOGGING: &str = "scheduler timedLogging [(webBridge|api|email) <time>]";

const USAGE_LDAP: &str = "scheduler ldap [server|starttls|trust|bind|password|password-file|base|filter|attributes|jid|admins|recheck] ...";
const USAGE_LDAP_SERVER: &str = "scheduler ldap server <url> [<url> ...] | none";
const USAGE_LDAP_STARTTLS: &str = "scheduler ldap starttls <enable|disable>";
const USAGE_LDAP_TRUST: &str = "scheduler ldap trust <bundle> | none";
const USAGE_LDAP_BIND: &str = "scheduler ldap bind <dn> | none";
const USAGE_LDAP_PASSWORD: &str = "scheduler ldap password [none]";
const USAGE_LDAP_PASSWORD_FILE: &str = "scheduler ldap password-file <file> | none";
const USAGE_LDAP_BASE: &str = "scheduler ldap base <dn> | none";
const USAGE_LDAP_FILTER: &str = "scheduler ldap filter <filter with one $> | none";
const USAGE_LDAP_ATTRIBUTES: &str = "scheduler ldap attributes <display name> <mail> [<time zone>]";
const USAGE_LDAP_JID: &str =
    "scheduler ldap jid <mapping such as $sAMAccountName$@example.com> | none";
const USAGE_LDAP_ADMINS: &str = "scheduler ldap admins <group dn> | none";
const USAGE_LDAP_RECHECK: &str = "scheduler ldap recheck <seconds>";

const USAGE_CALLBRIDGE: &str = "scheduler callbridge [server|username|password-file|trust] ...";
const USAGE_CALLBRIDGE_SERVER: &str = "scheduler callbridge server <url> [<url> ...] | none";
const USAGE_CALLBRIDGE_USERNAME: &str = "scheduler callbridge username <api user> | none";
const USAGE_CALLBRIDGE_PASSWORD_FILE: &str = "scheduler callbridge password-file <file> | none";
const USAGE_CALLBRIDGE_TRUST: &str = "scheduler callbridge trust <bundle> | none";

/// The re-check interval's bounds, in seconds.
pub const LDAP_RECHECK_MIN_SECS: u32 = 10;
pub const LDAP_RECHECK_MAX_SECS: u32 = 24 * 3600;

const MAX_LDAP_TEXT: usize = 1024;

/// The longest `timedLogging` time accepted, in seconds (7 days).
pub const MAX_TIMED_LOGGING_SECS: u32 = 7 * 24 * 3600;

const MAX_FILE_NAME: usize = 1024;
const MAX_USERNAME: usize = 256;
const MAX_ORGANIZER_NAME: usize = 128;

/// One parsed `scheduler` command. `None` stands for the word `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `scheduler`: show the configuration.
    Show,
    /// `scheduler help`.
    Help,
    HttpsListen(Option<Listen>),
    HttpsCerts(Option<CertPair>),
    C2wCerts(Option<CertPair>),
    C2wTrust(Option<String>),
    EmailServer(Option<EmailServer>),
    /// The password is never on the command line; it is asked for.
    EmailUsername(String),
    EmailRemoveUsername,
    EmailProtocol(Protocol),
    EmailAuth(bool),
    EmailStarttls(bool),
    EmailTrust(Option<String>),
    /// The From: address of invitations.
    EmailSender(Option<String>),
    /// The display name on that From: address.
    EmailOrganizerName(Option<String>),
    /// `ldap://` / `ldaps://` URLs; empty for `none`.
    LdapServers(Vec<String>),
    LdapStarttls(bool),
    LdapTrust(Option<String>),
    LdapBind(Option<String>),
    /// The service account's password is asked for, never typed here.
    LdapPassword,
    LdapRemovePassword,
    LdapPasswordFile(Option<String>),
    LdapBase(Option<String>),
    LdapFilter(Option<String>),
    LdapAttributes(LdapAttributes),
    LdapJid(Option<String>),
    LdapAdmins(Option<String>),
    LdapRecheck(u32),
    /// Call Bridge API URLs, the preferred first; empty for `none`.
    CallBridgeServers(Vec<String>),
    CallBridgeUsername(Option<String>),
    /// The password is read from this file by the service, never typed here.
    CallBridgePasswordFile(Option<String>),
    CallBridgeTrust(Option<String>),
    TimedLoggingShow,
    /// `seconds == 0` stops it.
    TimedLogging {
        subsystem: Subsystem,
        seconds: u32,
    },
    Enable,
    Disable,
    Restart,
    Status,
}

impl Command {
    /// Does running this command change the stored configuration?
    pub fn edits_config(&self) -> bool {
        !matches!(
            self,
            Command::Show
                | Command::Help
                | Command::TimedLoggingShow
                | Command::Restart
                | Command::Status
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unknown command {}; usage: {USAGE_HINT}", quote(.0))]
    Unknown(String),
    #[error("usage: {0}")]
    Usage(&'static str),
    #[error("invalid port {}: expected a number from 1 to 65535", quote(.0))]
    Port(String),
    #[error("invalid interface {}: expected an interface name or an IP address", quote(.0))]
    Interface(String),
    #[error("invalid file name {}", quote(.0))]
    FileName(String),
    #[error("invalid hostname or address {}", quote(.0))]
    Host(String),
    #[error("invalid SMTP username {}", quote(.0))]
    Username(String),
    #[error("invalid sender address {}: expected an e-mail address such as scheduler@example.com", quote(.0))]
    Sender(String),
    #[error("invalid organizer name {}: at most {MAX_ORGANIZER_NAME} characters, no control characters", quote(.0))]
    OrganizerName(String),
    #[error("invalid protocol {}: expected smtp or smtps", quote(.0))]
    Protocol(String),
    #[error("invalid value {} for email {what}: expected enable or disable", quote(.word))]
    Toggle { what: &'static str, word: String },
    #[error("unknown subsystem {}: expected webBridge, api or email", quote(.0))]
    Subsystem(String),
    #[error("invalid {what} {}: expected {expected}", quote(.word))]
    Ldap {
        what: &'static str,
        word: String,
        expected: &'static str,
    },
    #[error("invalid Call Bridge URL: {0}")]
    CallBridgeUrl(String),
    #[error(
        "invalid time {}: expected a number of seconds from 0 to {MAX_TIMED_LOGGING_SECS}",
        quote(.0)
    )]
    Seconds(String),
}

/// Parses the words that follow `scheduler` (`[]` is `scheduler` alone).
pub fn parse(words: &[&str]) -> Result<Command, ParseError> {
    match words {
        [] => Ok(Command::Show),
        ["help"] => Ok(Command::Help),
        ["https", rest @ ..] => parse_https(rest),
        ["c2w", rest @ ..] => parse_c2w(rest),
        ["email", rest @ ..] => parse_email(rest),
        ["ldap", rest @ ..] => parse_ldap(rest),
        ["callbridge", rest @ ..] => parse_callbridge(rest),
        ["timedLogging"] => Ok(Command::TimedLoggingShow),
        ["timedLogging", subsystem, time] => Ok(Command::TimedLogging {
            subsystem: subsystem_word(subsystem)?,
            seconds: seconds(time)?,
        }),
        ["timedLogging", ..] => Err(ParseError::Usage(USAGE_TIMED_LOGGING)),
        ["enable"] => Ok(Command::Enable),
        ["disable"] => Ok(Command::Disable),
        ["restart"] => Ok(Command::Restart),
        ["status"] => Ok(Command::Status),
        ["enable" | "disable" | "restart" | "status" | "help", ..] => Err(ParseError::Usage(
            "scheduler enable | disable | restart | status",
        )),
        [other, ..] => Err(ParseError::Unknown((*other).to_owned())),
    }
}

fn parse_https(rest: &[&str]) -> Result<Command, ParseError> {
    match rest {
        ["listen", "none"] => Ok(Command::HttpsListen(None)),
        ["listen", iface, p] => Ok(Command::HttpsListen(Some(Listen {
            interface: interface(iface)?,
            port: port(p)?,
        }))),
        ["listen", ..] => Err(ParseError::Usage(USAGE_HTTPS_LISTEN)),
        ["certs", "none"] => Ok(Command::HttpsCerts(None)),
        ["certs", key, cert] => Ok(Command::HttpsCerts(Some(cert_pair(key, cert)?))),
        ["certs", ..] => Err(ParseError::Usage(USAGE_HTTPS_CERTS)),
        _ => Err(ParseError::Usage(USAGE_HTTPS)),
    }
}

fn parse_c2w(rest: &[&str]) -> Result<Command, ParseError> {
    match rest {
        ["certs", "none"] => Ok(Command::C2wCerts(None)),
        ["certs", key, cert] => Ok(Command::C2wCerts(Some(cert_pair(key, cert)?))),
        ["certs", ..] => Err(ParseError::Usage(USAGE_C2W_CERTS)),
        ["trust", "none"] => Ok(Command::C2wTrust(None)),
        ["trust", bundle] => Ok(Command::C2wTrust(Some(file_name(bundle)?))),
        ["trust", ..] => Err(ParseError::Usage(USAGE_C2W_TRUST)),
        _ => Err(ParseError::Usage(USAGE_C2W)),
    }
}

fn parse_email(rest: &[&str]) -> Result<Command, ParseError> {
    match rest {
        ["server", "none"] => Ok(Command::EmailServer(None)),
        ["server", h, p] => Ok(Command::EmailServer(Some(EmailServer {
            host: host(h)?,
            port: port(p)?,
        }))),
        ["server", ..] => Err(ParseError::Usage(USAGE_EMAIL_SERVER)),
        ["username", name] => Ok(Command::EmailUsername(username(name)?)),
        ["username", ..] => Err(ParseError::Usage(USAGE_EMAIL_USERNAME)),
        ["remove", "username"] => Ok(Command::EmailRemoveUsername),
        ["remove", ..] => Err(ParseError::Usage(USAGE_EMAIL_REMOVE)),
        ["protocol", word] => match *word {
            "smtp" => Ok(Command::EmailProtocol(Protocol::Smtp)),
            "smtps" => Ok(Command::EmailProtocol(Protocol::Smtps)),
            other => Err(ParseError::Protocol(other.to_owned())),
        },
        ["protocol", ..] => Err(ParseError::Usage(USAGE_EMAIL_PROTOCOL)),
        ["auth", word] => Ok(Command::EmailAuth(toggle("auth", word)?)),
        ["auth", ..] => Err(ParseError::Usage(USAGE_EMAIL_AUTH)),
        ["starttls", word] => Ok(Command::EmailStarttls(toggle("starttls", word)?)),
        ["starttls", ..] => Err(ParseError::Usage(USAGE_EMAIL_STARTTLS)),
        ["trust", "none"] => Ok(Command::EmailTrust(None)),
        ["trust", bundle] => Ok(Command::EmailTrust(Some(file_name(bundle)?))),
        ["trust", ..] => Err(ParseError::Usage(USAGE_EMAIL_TRUST)),
        ["sender", "none"] => Ok(Command::EmailSender(None)),
        ["sender", address] => Ok(Command::EmailSender(Some(sender(address)?))),
        ["sender", ..] => Err(ParseError::Usage(USAGE_EMAIL_SENDER)),
        ["organizerName", "none"] => Ok(Command::EmailOrganizerName(None)),
        ["organizerName", words @ ..] if !words.is_empty() => {
            // `none` is the unset however it was spaced (`" none"`, `none ""`):
            // a name shown as `none` would read as no name.
            let name = organizer_name(words)?;
            Ok(Command::EmailOrganizerName(
                (name != "none").then_some(name),
            ))
        }
        ["organizerName", ..] => Err(ParseError::Usage(USAGE_EMAIL_ORGANIZER)),
        _ => Err(ParseError::Usage(USAGE_EMAIL)),
    }
}

fn parse_ldap(rest: &[&str]) -> Result<Command, ParseError> {
    match rest {
        ["server", "none"] => Ok(Command::LdapServers(Vec::new())),
        ["server", urls @ ..] if !urls.is_empty() => Ok(Command::LdapServers(
            urls.iter().map(|u| ldap_url(u)).collect::<Result<_, _>>()?,
        )),
        ["server", ..] => Err(ParseError::Usage(USAGE_LDAP_SERVER)),
        ["starttls", word] => Ok(Command::LdapStarttls(toggle("starttls", word).map_err(
            |_| ParseError::Ldap {
                what: "ldap starttls value",
                word: (*word).to_owned(),
                expected: "enable or disable",
            },
        )?)),
        ["starttls", ..] => Err(ParseError::Usage(USAGE_LDAP_STARTTLS)),
        ["trust", "none"] => Ok(Command::LdapTrust(None)),
        ["trust", bundle] => Ok(Command::LdapTrust(Some(file_name(bundle)?))),
        ["trust", ..] => Err(ParseError::Usage(USAGE_LDAP_TRUST)),
        ["bind", "none"] => Ok(Command::LdapBind(None)),
        ["bind", words @ ..] if !words.is_empty() => Ok(Command::LdapBind(Some(dn(words)?))),
        ["bind", ..] => Err(ParseError::Usage(USAGE_LDAP_BIND)),
        ["password"] => Ok(Command::LdapPassword),
        ["password", "none"] => Ok(Command::LdapRemovePassword),
        ["password", ..] => Err(ParseError::Usage(USAGE_LDAP_PASSWORD)),
        ["password-file", "none"] => Ok(Command::LdapPasswordFile(None)),
        ["password-file", f] => Ok(Command::LdapPasswordFile(Some(file_name(f)?))),
        ["password-file", ..] => Err(ParseError::Usage(USAGE_LDAP_PASSWORD_FILE)),
        ["base", "none"] => Ok(Command::LdapBase(None)),
        ["base", words @ ..] if !words.is_empty() => Ok(Command::LdapBase(Some(dn(words)?))),
        ["base", ..] => Err(ParseError::Usage(USAGE_LDAP_BASE)),
        ["filter", "none"] => Ok(Command::LdapFilter(None)),
        ["filter", words @ ..] if !words.is_empty() => {
            Ok(Command::LdapFilter(Some(ldap_filter(words)?)))
        }
        ["filter", ..] => Err(ParseError::Usage(USAGE_LDAP_FILTER)),
        ["attributes", name, mail] => Ok(Command::LdapAttributes(LdapAttributes {
            display_name: attribute(name)?,
            mail: attribute(mail)?,
            time_zone: None,
        })),
        ["attributes", name, mail, tz] => Ok(Command::LdapAttributes(LdapAttributes {
            display_name: attribute(name)?,
            mail: attribute(mail)?,
            time_zone: Some(attribute(tz)?),
        })),
        ["attributes", ..] => Err(ParseError::Usage(USAGE_LDAP_ATTRIBUTES)),
        ["jid", "none"] => Ok(Command::LdapJid(None)),
        ["jid", mapping] => Ok(Command::LdapJid(Some(jid_mapping(mapping)?))),
        ["jid", ..] => Err(ParseError::Usage(USAGE_LDAP_JID)),
        ["admins", "none"] => Ok(Command::LdapAdmins(None)),
        ["admins", words @ ..] if !words.is_empty() => Ok(Command::LdapAdmins(Some(dn(words)?))),
        ["admins", ..] => Err(ParseError::Usage(USAGE_LDAP_ADMINS)),
        ["recheck", secs] => Ok(Command::LdapRecheck(recheck_seconds(secs)?)),
        ["recheck", ..] => Err(ParseError::Usage(USAGE_LDAP_RECHECK)),
        _ => Err(ParseError::Usage(USAGE_LDAP)),
    }
}

fn parse_callbridge(rest: &[&str]) -> Result<Command, ParseError> {
    match rest {
        ["server", "none"] => Ok(Command::CallBridgeServers(Vec::new())),
        ["server", urls @ ..] if !urls.is_empty() => Ok(Command::CallBridgeServers(
            urls.iter()
                .map(|u| callbridge_url(u))
                .collect::<Result<_, _>>()?,
        )),
        ["server", ..] => Err(ParseError::Usage(USAGE_CALLBRIDGE_SERVER)),
        ["username", "none"] => Ok(Command::CallBridgeUsername(None)),
        ["username", name] => Ok(Command::CallBridgeUsername(Some(username(name)?))),
        ["username", ..] => Err(ParseError::Usage(USAGE_CALLBRIDGE_USERNAME)),
        ["password-file", "none"] => Ok(Command::CallBridgePasswordFile(None)),
        ["password-file", f] => Ok(Command::CallBridgePasswordFile(Some(file_name(f)?))),
        ["password-file", ..] => Err(ParseError::Usage(USAGE_CALLBRIDGE_PASSWORD_FILE)),
        ["trust", "none"] => Ok(Command::CallBridgeTrust(None)),
        ["trust", bundle] => Ok(Command::CallBridgeTrust(Some(file_name(bundle)?))),
        ["trust", ..] => Err(ParseError::Usage(USAGE_CALLBRIDGE_TRUST)),
        _ => Err(ParseError::Usage(USAGE_CALLBRIDGE)),
    }
}

/// The form of a Call Bridge URL: `http(s)://host[:port]`. The rules that
/// need more (plain http only on loopback, no credentials) are the Call
/// Bridge client's, checked when the command runs.
fn callbridge_url(word: &str) -> Result<String, ParseError> {
    let ok = reqwest::Url::parse(word).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && word.len() <= MAX_FILE_NAME
    });
    if ok {
        Ok(word.trim_end_matches('/').to_owned())
    } else {
        Err(ParseError::CallBridgeUrl(format!(
            "{}: expected https://<host>[:<port>]",
            quote(word)
        )))
    }
}

/// `ldap://host[:port]` or `ldaps://host[:port]`, nothing more.
fn ldap_url(word: &str) -> Result<String, ParseError> {
    let bad = || ParseError::Ldap {
        what: "directory URL",
        word: word.to_owned(),
        expected: "ldaps://<host>[:<port>] or ldap://<host>[:<port>]",
    };
    let url = reqwest::Url::parse(word).map_err(|_| bad())?;
    let plain_host = url.host_str().is_some_and(|h| {
        let h = h.trim_start_matches('[').trim_end_matches(']');
        host(h).is_ok()
    });
    if !matches!(url.scheme(), "ldap" | "ldaps")
        || !plain_host
        || !url.username().is_empty()
        || url.password().is_some()
        || !matches!(url.path(), "" | "/")
        || url.query().is_some()
        || url.fragment().is_some()
        || url.port() == Some(0)
    {
        return Err(bad());
    }
    Ok(word.trim_end_matches('/').to_owned())
}

/// A distinguished name: the words joined by single spaces, at least one
/// `attribute=value`, no control characters.
fn dn(words: &[&str]) -> Result<String, ParseError> {
    let text = words.join(" ");
    let text = text.trim();
    if text.is_empty()
        || text.len() > MAX_LDAP_TEXT
        || text.chars().any(char::is_control)
        || !text.split(',').all(|rdn| {
            rdn.split_once('=')
                .is_some_and(|(a, v)| !a.trim().is_empty() && !v.trim().is_empty())
        })
    {
        return Err(ParseError::Ldap {
            what: "distinguished name",
            word: text.to_owned(),
            expected: "attribute=value pairs such as CN=Scheduler,OU=Services,DC=example,DC=com",
        });
    }
    Ok(text.to_owned())
}

/// A search filter in parentheses with exactly one `$` for the typed name.
fn ldap_filter(words: &[&str]) -> Result<String, ParseError> {
    let text = words.join(" ");
    let text = text.trim();
    let mut depth = 0i32;
    let balanced = text.chars().all(|c| {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        depth >= 0
    }) && depth == 0;
    if !text.starts_with('(')
        || !text.ends_with(')')
        || !balanced
        || text.matches('$').count() != 1
        || text.len() > MAX_LDAP_TEXT
        || text.chars().any(char::is_control)
    {
        return Err(ParseError::Ldap {
            what: "filter",
            word: text.to_owned(),
            expected: "a filter in parentheses with one $ for the typed name, such as (uid=$)",
        });
    }
    Ok(text.to_owned())
}

/// An attribute description: a letter, then letters, digits and hyphens.
fn attribute(word: &str) -> Result<String, ParseError> {
    let ok = word.len() <= 128
        && word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(word.to_owned())
    } else {
        Err(ParseError::Ldap {
            what: "attribute name",
            word: word.to_owned(),
            expected: "a name such as displayName or mail",
        })
    }
}

/// CMS's mapping syntax: text with `$attribute$` parts, at least one.
fn jid_mapping(word: &str) -> Result<String, ParseError> {
    let bad = || ParseError::Ldap {
        what: "JID mapping",
        word: word.to_owned(),
        expected: "text with $attribute$ parts such as $sAMAccountName$@example.com",
    };
    if word.len() > MAX_LDAP_TEXT || word.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let parts: Vec<&str> = word.split('$').collect();
    // Odd parts are attribute names: an even number of `$`, at least two.
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return Err(bad());
    }
    for name in parts.iter().skip(1).step_by(2) {
        attribute(name).map_err(|_| bad())?;
    }
    Ok(word.to_owned())
}

fn recheck_seconds(word: &str) -> Result<u32, ParseError> {
    word.parse::<u32>()
        .ok()
        .filter(|s| (LDAP_RECHECK_MIN_SECS..=LDAP_RECHECK_MAX_SECS).contains(s))
        .filter(|_| word.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ParseError::Ldap {
            what: "re-check interval",
            word: word.to_owned(),
            expected: "a number of seconds from 10 to 86400",
        })
}

fn port(word: &str) -> Result<u16, ParseError> {
    let bad = || ParseError::Port(word.to_owned());
    if word.is_empty() || word.len() > 5 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match word.parse::<u16>() {
        Ok(p) if p >= 1 => Ok(p),
        _ => Err(bad()),
    }
}

fn interface(word: &str) -> Result<String, ParseError> {
    let ok = !word.is_empty()
        && word.len() <= 64
        && !word.starts_with('-')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '%' | '_' | '-' | '@'));
    if ok {
        Ok(word.to_owned())
    } else {
        Err(ParseError::Interface(word.to_owned()))
    }
}

fn file_name(word: &str) -> Result<String, ParseError> {
    if word.is_empty() || word.len() > MAX_FILE_NAME || word.chars().any(char::is_control) {
        Err(ParseError::FileName(word.to_owned()))
    } else {
        Ok(word.to_owned())
    }
}

fn cert_pair(key: &str, cert: &str) -> Result<CertPair, ParseError> {
    Ok(CertPair {
        key: file_name(key)?,
        cert: file_name(cert)?,
    })
}

/// An IP address, or a DNS hostname (letters, digits and hyphens in labels
/// of at most 63 characters, at most 253 in all, not all-numeric at the end).
fn host(word: &str) -> Result<String, ParseError> {
    if word.parse::<IpAddr>().is_ok() {
        return Ok(word.to_owned());
    }
    let bad = || ParseError::Host(word.to_owned());
    let name = word.strip_suffix('.').unwrap_or(word);
    if name.is_empty() || name.len() > 253 {
        return Err(bad());
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(bad());
        }
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(word.to_owned())
}

fn username(word: &str) -> Result<String, ParseError> {
    if word.is_empty()
        || word.len() > MAX_USERNAME
        || word.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        Err(ParseError::Username(word.to_owned()))
    } else {
        Ok(word.to_owned())
    }
}

fn sender(word: &str) -> Result<String, ParseError> {
    if crate::address::valid_email(word) {
        Ok(word.to_owned())
    } else {
        Err(ParseError::Sender(word.to_owned()))
    }
}

/// The words of a display name, joined by single spaces.
fn organizer_name(words: &[&str]) -> Result<String, ParseError> {
    let name = words.join(" ");
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_ORGANIZER_NAME
        || name.chars().any(char::is_control)
    {
        Err(ParseError::OrganizerName(name.to_owned()))
    } else {
        Ok(name.to_owned())
    }
}

fn toggle(what: &'static str, word: &str) -> Result<bool, ParseError> {
    match word {
        "enable" => Ok(true),
        "disable" => Ok(false),
        other => Err(ParseError::Toggle {
            what,
            word: other.to_owned(),
        }),
    }
}

fn subsystem_word(word: &str) -> Result<Subsystem, ParseError> {
    Subsystem::from_word(word).ok_or_else(|| ParseError::Subsystem(word.to_owned()))
}

fn seconds(word: &str) -> Result<u32, ParseError> {
    let bad = || ParseError::Seconds(word.to_owned());
    if word.is_empty() || word.len() > 10 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match word.parse::<u32>() {
        Ok(s) if s <= MAX_TIMED_LOGGING_SECS => Ok(s),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(words: &[&str]) -> Command {
        parse(words).unwrap_or_else(|e| panic!("{words:?}: {e}"))
    }

    fn err(words: &[&str]) -> ParseError {
        match parse(words) {
            Ok(c) => panic!("{words:?} parsed as {c:?}"),
            Err(e) => e,
        }
    }

    fn pair(k: &str, c: &str) -> Option<CertPair> {
        Some(CertPair {
            key: k.into(),
            cert: c.into(),
        })
    }

    #[test]
    fn every_command_parses() {
        assert_eq!(ok(&[]), Command::Show);
        assert_eq!(ok(&["help"]), Command::Help);
        assert_eq!(
            ok(&["https", "listen", "a", "9443"]),
            Command::HttpsListen(Some(Listen {
                interface: "a".into(),
                port: 9443
            }))
        );
        assert_eq!(
            ok(&["https", "listen", "127.0.0.1", "1"]),
            Command::HttpsListen(Some(Listen {
                interface: "127.0.0.1".into(),
                port: 1
            }))
        );
        assert_eq!(
            ok(&["https", "listen", "::1", "65535"]),
            Command::HttpsListen(Some(Listen {
                interface: "::1".into(),
                port: 65535
            }))
        );
        assert_eq!(ok(&["https", "listen", "none"]), Command::HttpsListen(None));
        assert_eq!(
            ok(&["https", "certs", "CB344748.key", "BUN344748.cer"]),
            Command::HttpsCerts(pair("CB344748.key", "BUN344748.cer"))
        );
        assert_eq!(ok(&["https", "certs", "none"]), Command::HttpsCerts(None));
        assert_eq!(
            ok(&["c2w", "certs", "CB344748.key", "BUN344748.cer"]),
            Command::C2wCerts(pair("CB344748.key", "BUN344748.cer"))
        );
        assert_eq!(ok(&["c2w", "certs", "none"]), Command::C2wCerts(None));
        assert_eq!(
            ok(&["c2w", "trust", "wbbundle.cer"]),
            Command::C2wTrust(Some("wbbundle.cer".into()))
        );
        assert_eq!(ok(&["c2w", "trust", "none"]), Command::C2wTrust(None));
        assert_eq!(
            ok(&["email", "server", "smtp.example.com", "587"]),
            Command::EmailServer(Some(EmailServer {
                host: "smtp.example.com".into(),
                port: 587
            }))
        );
        assert_eq!(
            ok(&["email", "server", "10.0.0.5", "25"]),
            Command::EmailServer(Some(EmailServer {
                host: "10.0.0.5".into(),
                port: 25
            }))
        );
        assert_eq!(ok(&["email", "server", "none"]), Command::EmailServer(None));
        assert_eq!(
            ok(&["email", "sender", "meetings@example.com"]),
            Command::EmailSender(Some("meetings@example.com".into()))
        );
        assert_eq!(ok(&["email", "sender", "none"]), Command::EmailSender(None));
        assert_eq!(
            ok(&["email", "organizerName", "Réunions", "ACME", "Inc."]),
            Command::EmailOrganizerName(Some("Réunions ACME Inc.".into()))
        );
        assert_eq!(
            ok(&["email", "organizerName", "none"]),
            Command::EmailOrganizerName(None)
        );
        assert_eq!(
            ok(&["email", "username", "scheduler@example.com"]),
            Command::EmailUsername("scheduler@example.com".into())
        );
        assert_eq!(
            ok(&["email", "remove", "username"]),
            Command::EmailRemoveUsername
        );
        assert_eq!(
            ok(&["email", "protocol", "smtp"]),
            Command::EmailProtocol(Protocol::Smtp)
        );
        assert_eq!(
            ok(&["email", "protocol", "smtps"]),
            Command::EmailProtocol(Protocol::Smtps)
        );
        assert_eq!(ok(&["email", "auth", "enable"]), Command::EmailAuth(true));
        assert_eq!(ok(&["email", "auth", "disable"]), Command::EmailAuth(false));
        assert_eq!(
            ok(&["email", "starttls", "enable"]),
            Command::EmailStarttls(true)
        );
        assert_eq!(
            ok(&["email", "starttls", "disable"]),
            Command::EmailStarttls(false)
        );
        assert_eq!(
            ok(&["email", "trust", "smtp.pem"]),
            Command::EmailTrust(Some("smtp.pem".into()))
        );
        assert_eq!(ok(&["email", "trust", "none"]), Command::EmailTrust(None));
        assert_eq!(ok(&["timedLogging"]), Command::TimedLoggingShow);
        for (word, subsystem) in [
            ("webBridge", Subsystem::WebBridge),
            ("api", Subsystem::Api),
            ("email", Subsystem::Email),
        ] {
            assert_eq!(
                ok(&["timedLogging", word, "600"]),
                Command::TimedLogging {
                    subsystem,
                    seconds: 600
                }
            );
        }
        assert_eq!(
            ok(&["timedLogging", "api", "0"]),
            Command::TimedLogging {
                subsystem: Subsystem::Api,
                seconds: 0
            }
        );
        assert_eq!(ok(&["enable"]), Command::Enable);
        assert_eq!(ok(&["disable"]), Command::Disable);
        assert_eq!(ok(&["restart"]), Command::Restart);
        assert_eq!(ok(&["status"]), Command::Status);
    }

    #[test]
    fn callbridge_commands_parse() {
        assert_eq!(
            ok(&[
                "callbridge",
                "server",
                "https://cms1.example.com:445/",
                "https://cms2.example.com:445"
            ]),
            Command::CallBridgeServers(vec![
                "https://cms1.example.com:445".into(),
                "https://cms2.example.com:445".into()
            ])
        );
        assert_eq!(
            ok(&["callbridge", "server", "http://127.0.0.1:8080"]),
            Command::CallBridgeServers(vec!["http://127.0.0.1:8080".into()])
        );
        assert_eq!(
            ok(&["callbridge", "server", "none"]),
            Command::CallBridgeServers(Vec::new())
        );
        assert_eq!(
            ok(&["callbridge", "username", "schedapi"]),
            Command::CallBridgeUsername(Some("schedapi".into()))
        );
        assert_eq!(
            ok(&["callbridge", "username", "none"]),
            Command::CallBridgeUsername(None)
        );
        assert_eq!(
            ok(&["callbridge", "password-file", "/etc/scheduler/cb.pw"]),
            Command::CallBridgePasswordFile(Some("/etc/scheduler/cb.pw".into()))
        );
        assert_eq!(
            ok(&["callbridge", "trust", "cms-ca.pem"]),
            Command::CallBridgeTrust(Some("cms-ca.pem".into()))
        );
        assert_eq!(
            ok(&["callbridge", "trust", "none"]),
            Command::CallBridgeTrust(None)
        );
        for bad in ["cms1.example.com", "ftp://cms1.example.com", "https://"] {
            let e = err(&["callbridge", "server", bad]);
            assert!(matches!(e, ParseError::CallBridgeUrl(_)), "{bad}: {e:?}");
        }
        assert_eq!(
            err(&["callbridge", "server"]),
            ParseError::Usage(USAGE_CALLBRIDGE_SERVER)
        );
        assert_eq!(
            err(&["callbridge", "password", "x"]),
            ParseError::Usage(USAGE_CALLBRIDGE)
        );
    }

    #[test]
    fn ports_are_checked() {
        for bad in [
            "0", "65536", "99999", "-1", "+80", "80a", "", " 80", "0x50", "100000", "८०",
        ] {
            assert_eq!(
                err(&["https", "listen", "lo", bad]),
                ParseError::Port(bad.into()),
                "{bad:?}"
            );
            assert_eq!(
                err(&["email", "server", "mail.example.com", bad]),
                ParseError::Port(bad.into())
            );
        }
        assert_eq!(
            ok(&["https", "listen", "lo", "00443"]),
            Command::HttpsListen(Some(Listen {
                interface: "lo".into(),
                port: 443
            }))
        );
    }

    #[test]
    fn bad_senders_and_organizer_names_are_refused() {
        for bad in [
            "scheduler",
            "a@",
            "@b.example",
            "a b@c.example",
            "a@b.example\r\nBcc: x@y.example",
        ] {
            assert_eq!(
                err(&["email", "sender", bad]),
                ParseError::Sender(bad.into()),
                "{bad:?}"
            );
        }
        let long = "x".repeat(MAX_ORGANIZER_NAME + 1);
        for bad in ["Evil\r\nBcc: x@y.example", "tab\there", long.as_str()] {
            assert!(
                matches!(
                    err(&["email", "organizerName", bad]),
                    ParseError::OrganizerName(_)
                ),
                "{bad:?}"
            );
        }
        assert!(err(&["email", "sender", "a b@c.example"])
            .to_string()
            .starts_with("invalid sender address 'a b@c.example'"));
    }

    /// Found while writing the `scheduler_command` fuzz target's round
    /// trip: these stored the display name `none`, which `scheduler` shows
    /// exactly as an unset name.
    #[test]
    fn a_spaced_none_unsets_the_organizer_name() {
        for words in [
            &["email", "organizerName", " none"][..],
            &["email", "organizerName", "none", ""],
            &["email", "organizerName", "", "none "],
        ] {
            assert_eq!(ok(words), Command::EmailOrganizerName(None), "{words:?}");
        }
        assert_eq!(
            ok(&["email", "organizerName", "none", "none"]),
            Command::EmailOrganizerName(Some("none none".into()))
        );
    }

    #[test]
    fn wrong_arity_gives_the_usage_of_that_command() {
        let cases: &[(&[&str], &str)] = &[
            (&["https"], USAGE_HTTPS),
            (&["https", "bogus"], USAGE_HTTPS),
            (&["https", "listen"], USAGE_HTTPS_LISTEN),
            (&["https", "listen", "lo"], USAGE_HTTPS_LISTEN),
            (&["https", "listen", "lo", "1", "2"], USAGE_HTTPS_LISTEN),
            (&["https", "certs"], USAGE_HTTPS_CERTS),
            (&["https", "certs", "a"], USAGE_HTTPS_CERTS),
            (&["https", "certs", "a", "b", "c"], USAGE_HTTPS_CERTS),
            (&["c2w"], USAGE_C2W),
            (&["c2w", "listen", "a", "1"], USAGE_C2W),
            (&["c2w", "certs", "k"], USAGE_C2W_CERTS),
            (&["c2w", "trust"], USAGE_C2W_TRUST),
            (&["c2w", "trust", "a", "b"], USAGE_C2W_TRUST),
            (&["email"], USAGE_EMAIL),
            (&["email", "password", "x"], USAGE_EMAIL),
            (&["email", "server", "h"], USAGE_EMAIL_SERVER),
            (&["email", "username"], USAGE_EMAIL_USERNAME),
            (&["email", "username", "u", "secret"], USAGE_EMAIL_USERNAME),
            (&["email", "remove"], USAGE_EMAIL_REMOVE),
            (&["email", "remove", "password"], USAGE_EMAIL_REMOVE),
            (&["email", "protocol"], USAGE_EMAIL_PROTOCOL),
            (&["email", "auth"], USAGE_EMAIL_AUTH),
            (&["email", "auth", "enable", "now"], USAGE_EMAIL_AUTH),
            (&["email", "starttls"], USAGE_EMAIL_STARTTLS),
            (&["email", "trust"], USAGE_EMAIL_TRUST),
            (&["email", "sender"], USAGE_EMAIL_SENDER),
            (
                &["email", "sender", "a@b.example", "c@d.example"],
                USAGE_EMAIL_SENDER,
            ),
            (&["email", "organizerName"], USAGE_EMAIL_ORGANIZER),
            (&["timedLogging", "api"], USAGE_TIMED_LOGGING),
            (&["timedLogging", "api", "1", "2"], USAGE_TIMED_LOGGING),
        ];
        for (words, usage) in cases {
            assert_eq!(err(words), ParseError::Usage(usage), "{words:?}");
        }
        for words in [
            &["enable", "now"][..],
            &["disable", "x"],
            &["restart", "--force"],
            &["status", "all"],
            &["help", "me"],
        ] {
            assert!(matches!(err(words), ParseError::Usage(_)), "{words:?}");
        }
    }

    #[test]
    fn bad_words_are_rejected() {
        assert_eq!(
            err(&["email", "protocol", "SMTP"]),
            ParseError::Protocol("SMTP".into())
        );
        assert_eq!(
            err(&["email", "protocol", "imap"]),
            ParseError::Protocol("imap".into())
        );
        assert_eq!(
            err(&["email", "auth", "yes"]),
            ParseError::Toggle {
                what: "auth",
                word: "yes".into()
            }
        );
        assert_eq!(
            err(&["email", "starttls", "on"]),
            ParseError::Toggle {
                what: "starttls",
                word: "on".into()
            }
        );
        assert_eq!(
            err(&["timedLogging", "webbridge", "10"]),
            ParseError::Subsystem("webbridge".into())
        );
        assert_eq!(
            err(&["timedLogging", "c2w", "10"]),
            ParseError::Subsystem("c2w".into())
        );
        for bad in [
            "-1",
            "1.5",
            "ten",
            "",
            "604801",
            "4294967296",
            "99999999999",
        ] {
            assert_eq!(
                err(&["timedLogging", "api", bad]),
                ParseError::Seconds(bad.into()),
                "{bad:?}"
            );
        }
        assert_eq!(
            ok(&["timedLogging", "api", "604800"]),
            Command::TimedLogging {
                subsystem: Subsystem::Api,
                seconds: MAX_TIMED_LOGGING_SECS
            }
        );
        for bad in [
            "",
            "-eth0",
            "eth0;reboot",
            "a b",
            "eth0\n",
            "$(id)",
            "x/y",
            &"e".repeat(65),
        ] {
            assert_eq!(
                err(&["https", "listen", bad, "443"]),
                ParseError::Interface(bad.into()),
                "{bad:?}"
            );
        }
        for bad in [
            "",
            "mail..example.com",
            "-mail.example.com",
            "mail-.example.com",
            "mail_server",
            "mail.example.com;rm",
            "1.2.3.999",
            "999",
            "a b",
            "example.com\r\nRCPT TO:<x>",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert_eq!(
                err(&["email", "server", bad, "25"]),
                ParseError::Host(bad.into()),
                "{bad:?}"
            );
        }
        assert!(parse(&["email", "server", "mail.example.com.", "25"]).is_ok());
        assert!(parse(&["email", "server", "fe80::1", "25"]).is_ok());
        for bad in ["", "user name", "user\u{0}", "user\n", &"u".repeat(257)] {
            assert_eq!(
                err(&["email", "username", bad]),
                ParseError::Username(bad.into()),
                "{bad:?}"
            );
        }
        for bad in ["", "a\nb", "key\u{0}.pem", "\u{1b}[2J", &"f".repeat(1025)] {
            assert_eq!(
                err(&["https", "certs", bad, "cert.pem"]),
                ParseError::FileName(bad.into()),
                "{bad:?}"
            );
            assert_eq!(
                err(&["c2w", "certs", "key.pem", bad]),
                ParseError::FileName(bad.into())
            );
            assert_eq!(
                err(&["c2w", "trust", bad]),
                ParseError::FileName(bad.into())
            );
            assert_eq!(
                err(&["email", "trust", bad]),
                ParseError::FileName(bad.into())
            );
        }
    }

    #[test]
    fn unknown_commands_give_a_usage_hint() {
        for words in [
            &["bogus"][..],
            &["HTTPS", "listen", "a", "1"],
            &["Enable"],
            &["timedlogging"],
            &["--help"],
            &[""],
            &["scheduler"],
            &["rm -rf /"],
        ] {
            let e = err(words);
            assert_eq!(e, ParseError::Unknown(words[0].into()));
            let line = e.to_string();
            assert!(line.contains("usage: scheduler ["), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn error_messages_are_single_safe_lines() {
        let hostile = [
            "\n",
            "\r",
            "\u{1b}]0;pwned\u{7}",
            "\u{0}",
            "'; DROP TABLE users; --",
            "\u{202e}gnp.exe",
            "𝕦𝕟𝕚𝕔𝕠𝕕𝕖",
        ];
        let shapes: &[fn(&str) -> Vec<&str>] = &[
            |w| vec![w],
            |w| vec!["https", "listen", w, "443"],
            |w| vec!["https", "listen", "lo", w],
            |w| vec!["https", "certs", w, w],
            |w| vec!["c2w", "trust", w],
            |w| vec!["email", "server", w, "25"],
            |w| vec!["email", "username", w],
            |w| vec!["email", "protocol", w],
            |w| vec!["email", "auth", w],
            |w| vec!["email", "starttls", w],
            |w| vec!["timedLogging", w, "10"],
            |w| vec!["timedLogging", "api", w],
        ];
        for word in hostile {
            for shape in shapes {
                let words = shape(word);
                if let Err(e) = parse(&words) {
                    let line = e.to_string();
                    assert!(
                        !line.chars().any(|c| c.is_control()),
                        "{words:?} -> {line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_edits_are_marked_as_edits() {
        assert!(!ok(&[]).edits_config());
        assert!(!ok(&["status"]).edits_config());
        assert!(!ok(&["restart"]).edits_config());
        assert!(!ok(&["timedLogging"]).edits_config());
        assert!(ok(&["enable"]).edits_config());
        assert!(ok(&["email", "auth", "enable"]).edits_config());
        assert!(ok(&["timedLogging", "api", "5"]).edits_config());
    }
}
