//! The `scheduler` command grammar.

use crate::address::valid_email;
use crate::admin::config::{CertPair, EmailServer, Listen};
use crate::admin::parse::{parse, Command, MAX_TIMED_LOGGING_SECS};
use crate::admin::words::is_bidi_control;

/// `scheduler_command`: the words of a command line, split on NUL when the
/// input holds one (words may then carry spaces, newlines, anything) and
/// on whitespace otherwise, through [`parse`]:
///
/// - a refusal is one line without control characters or bidi overrides,
///   of bounded length, whatever was typed;
/// - an accepted command holds only values of the documented form (ports
///   from 1, no control characters in names, a header-safe sender, ...);
/// - an accepted command written back as words parses to the same command.
pub fn scheduler_command(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let words: Vec<&str> = if text.contains('\0') {
        text.split('\0').collect()
    } else {
        text.split_whitespace().collect()
    };
    match parse(&words) {
        Err(e) => {
            let line = e.to_string();
            assert!(
                !line.chars().any(|c| c.is_control() || is_bidi_control(c)),
                "{words:?} -> {line:?}"
            );
            assert!(line.chars().count() <= 1024, "{words:?} -> {line:?}");
        }
        Ok(command) => {
            check_values(&command);
            let again = words_of(&command);
            let again: Vec<&str> = again.iter().map(String::as_str).collect();
            assert_eq!(
                parse(&again),
                Ok(command.clone()),
                "{words:?} -> {command:?} -> {again:?}"
            );
        }
    }
}

fn clean(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_control)
}

fn check_file(name: &str) {
    assert!(clean(name) && name.len() <= 1024, "file name {name:?}");
}

fn check_pair(p: &CertPair) {
    check_file(&p.key);
    check_file(&p.cert);
}

fn check_values(c: &Command) {
    match c {
        Command::HttpsListen(Some(Listen { interface, port })) => {
            assert!(*port >= 1);
            assert!(clean(interface) && !interface.contains(char::is_whitespace));
        }
        Command::HttpsCerts(Some(p)) | Command::C2wCerts(Some(p)) => check_pair(p),
        Command::C2wTrust(Some(f)) | Command::EmailTrust(Some(f)) => check_file(f),
        Command::EmailServer(Some(EmailServer { host, port })) => {
            assert!(*port >= 1);
            assert!(
                clean(host) && !host.contains(char::is_whitespace),
                "{host:?}"
            );
        }
        Command::EmailUsername(u) => {
            assert!(clean(u) && !u.contains(char::is_whitespace), "{u:?}");
        }
        Command::EmailSender(Some(a)) => assert!(valid_email(a), "{a:?}"),
        Command::EmailOrganizerName(Some(n)) => {
            assert!(
                clean(n) && n.trim() == n && n.chars().count() <= 128,
                "{n:?}"
            );
        }
        Command::TimedLogging { seconds, .. } => assert!(*seconds <= MAX_TIMED_LOGGING_SECS),
        Command::LdapTrust(Some(f)) | Command::LdapPasswordFile(Some(f)) => check_file(f),
        Command::LdapServers(urls) => {
            for u in urls {
                assert!(clean(u) && !u.contains(char::is_whitespace), "{u:?}");
                assert!(
                    u.starts_with("ldap://") || u.starts_with("ldaps://"),
                    "{u:?}"
                );
            }
        }
        Command::LdapBind(Some(v))
        | Command::LdapBase(Some(v))
        | Command::LdapAdmins(Some(v))
        | Command::LdapFilter(Some(v)) => {
            assert!(clean(v) && v.trim() == v && v.len() <= 1024, "{v:?}");
        }
        _ => {}
    }
}

fn none_or(prefix: &[&str], value: Option<Vec<String>>) -> Vec<String> {
    let mut words: Vec<String> = prefix.iter().map(|w| w.to_string()).collect();
    match value {
        Some(v) => words.extend(v),
        None => words.push("none".into()),
    }
    words
}

fn toggle(on: bool) -> String {
    if on { "enable" } else { "disable" }.into()
}

/// The words that make `c`, in their plain form.
fn words_of(c: &Command) -> Vec<String> {
    let pair = |p: &Option<CertPair>| p.as_ref().map(|p| vec![p.key.clone(), p.cert.clone()]);
    let one = |v: &Option<String>| v.as_ref().map(|v| vec![v.clone()]);
    let plain = |w: &[&str]| w.iter().map(|w| w.to_string()).collect();
    match c {
        Command::Show => Vec::new(),
        Command::Help => plain(&["help"]),
        Command::HttpsListen(l) => none_or(
            &["https", "listen"],
            l.as_ref()
                .map(|l| vec![l.interface.clone(), l.port.to_string()]),
        ),
        Command::HttpsCerts(p) => none_or(&["https", "certs"], pair(p)),
        Command::C2wCerts(p) => none_or(&["c2w", "certs"], pair(p)),
        Command::C2wTrust(f) => none_or(&["c2w", "trust"], one(f)),
        Command::EmailServer(s) => none_or(
            &["email", "server"],
            s.as_ref().map(|s| vec![s.host.clone(), s.port.to_string()]),
        ),
        Command::EmailUsername(u) => vec!["email".into(), "username".into(), u.clone()],
        Command::EmailRemoveUsername => plain(&["email", "remove", "username"]),
        Command::EmailProtocol(p) => plain(&["email", "protocol", p.word()]),
        Command::EmailAuth(on) => vec!["email".into(), "auth".into(), toggle(*on)],
        Command::EmailStarttls(on) => vec!["email".into(), "starttls".into(), toggle(*on)],
        Command::EmailTrust(f) => none_or(&["email", "trust"], one(f)),
        Command::EmailSender(a) => none_or(&["email", "sender"], one(a)),
        // The words of a name are joined by single spaces: the whole name
        // as one word is the same name.
        Command::EmailOrganizerName(n) => none_or(&["email", "organizerName"], one(n)),
        Command::LdapServers(urls) => {
            let mut w = plain(&["ldap", "server"]);
            if urls.is_empty() {
                w.push("none".into());
            }
            w.extend(urls.iter().cloned());
            w
        }
        Command::LdapStarttls(on) => vec!["ldap".into(), "starttls".into(), toggle(*on)],
        Command::LdapTrust(f) => none_or(&["ldap", "trust"], one(f)),
        Command::LdapBind(dn) => none_or(&["ldap", "bind"], one(dn)),
        Command::LdapPassword => plain(&["ldap", "password"]),
        Command::LdapRemovePassword => plain(&["ldap", "password", "none"]),
        Command::LdapPasswordFile(f) => none_or(&["ldap", "password-file"], one(f)),
        Command::LdapBase(dn) => none_or(&["ldap", "base"], one(dn)),
        Command::LdapFilter(f) => none_or(&["ldap", "filter"], one(f)),
        Command::LdapAttributes(a) => {
            let mut w = vec![
                "ldap".into(),
                "attributes".into(),
                a.display_name.clone(),
                a.mail.clone(),
            ];
            w.extend(a.time_zone.clone());
            w
        }
        Command::LdapJid(m) => none_or(&["ldap", "jid"], one(m)),
        Command::LdapAdmins(dn) => none_or(&["ldap", "admins"], one(dn)),
        Command::LdapRecheck(s) => vec!["ldap".into(), "recheck".into(), s.to_string()],
        Command::CallBridgeServers(urls) => {
            let mut w = plain(&["callbridge", "server"]);
            if urls.is_empty() {
                w.push("none".into());
            }
            w.extend(urls.iter().cloned());
            w
        }
        Command::CallBridgeUsername(u) => none_or(&["callbridge", "username"], one(u)),
        Command::CallBridgePasswordFile(f) => none_or(&["callbridge", "password-file"], one(f)),
        Command::CallBridgeTrust(f) => none_or(&["callbridge", "trust"], one(f)),
        Command::TimedLoggingShow => plain(&["timedLogging"]),
        Command::TimedLogging { subsystem, seconds } => vec![
            "timedLogging".into(),
            subsystem.word().into(),
            seconds.to_string(),
        ],
        Command::Enable => plain(&["enable"]),
        Command::Disable => plain(&["disable"]),
        Command::Restart => plain(&["restart"]),
        Command::Status => plain(&["status"]),
    }
}
