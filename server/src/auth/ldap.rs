//! Sign-in against the organization's directory (LDAP / Active Directory)
//! with the `ldap3` client: the service account searches the entry of the
//! typed name (escaped per RFC 4515), then the entry binds with the typed
//! password. Also the re-check of a signed-in person (are they still in the
//! directory, still in the administrators group?). The settings are those
//! of `scheduler ldap ...`, read from the configuration file at each use.
//! See docs/directory.md.

use super::users::DirectoryPerson;
use crate::admin::checks::{load_certs, provider, system_roots};
use crate::admin::config::{ConfigStore, LdapConfig};
use ldap3::{ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long one connection, one operation and one whole sign-in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(15);

/// LDAP's invalidCredentials result code.
const INVALID_CREDENTIALS: u32 = 49;

#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    #[error("cannot read the scheduler configuration: {0}")]
    Config(String),
    #[error("directory sign-in is misconfigured: {0}")]
    Misconfigured(String),
    #[error("no directory server could be reached: {0}")]
    Unreachable(String),
    #[error("the directory refused the service account {dn}: {cause}")]
    ServiceBind { dn: String, cause: String },
    #[error("the directory failed a {what}: {cause}")]
    Operation { what: &'static str, cause: String },
    #[error("the directory answered too slowly")]
    Timeout,
}

/// The entries one search found.
enum Lookup {
    None,
    Many(usize),
    One(SearchEntry),
}

/// The directory behind `scheduler ldap ...`.
pub struct LdapDirectory {
    store: ConfigStore,
}

impl LdapDirectory {
    pub fn new(store: ConfigStore) -> Self {
        Self { store }
    }

    /// The settings when directory sign-in is configured.
    pub fn config(&self) -> Result<Option<LdapConfig>, LdapError> {
        let cfg = self
            .store
            .load()
            .map_err(|e| LdapError::Config(e.to_string()))?;
        Ok(cfg.ldap.is_configured().then_some(cfg.ldap))
    }

    /// The person when `password` is theirs; `None` for a wrong password,
    /// an unknown name, several entries, or an empty password (never sent:
    /// an empty simple bind is an "unauthenticated bind" that succeeds).
    pub async fn sign_in(
        &self,
        cfg: &LdapConfig,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryPerson>, LdapError> {
        if password.is_empty() || username.trim().is_empty() {
            return Ok(None);
        }
        let work = async {
            let mut ldap = self.service_connection(cfg).await?;
            let entry = match lookup(cfg, &mut ldap, username).await? {
                Lookup::One(entry) => entry,
                Lookup::None => return Ok(None),
                Lookup::Many(n) => {
                    tracing::warn!(
                        username,
                        entries = n,
                        "sign-in refused: several directory entries match"
                    );
                    return Ok(None);
                }
            };
            let person = person(cfg, &mut ldap, username, &entry).await?;
            // Last, as the entry itself: the connection's identity changes.
            let bound = ldap
                .with_timeout(OPERATION_TIMEOUT)
                .simple_bind(&entry.dn, password)
                .await
                .map_err(|e| op("bind", e))?;
            let _ = ldap.unbind().await;
            match bound.rc {
                0 => Ok(Some(person)),
                INVALID_CREDENTIALS => Ok(None),
                rc => Err(LdapError::Operation {
                    what: "bind as the person",
                    cause: format!("result code {rc}: {}", bound.text),
                }),
            }
        };
        tokio::time::timeout(SIGN_IN_TIMEOUT, work)
            .await
            .map_err(|_| LdapError::Timeout)?
    }

    /// The person as the directory has them now; `None` when it no longer
    /// has them (or has several).
    pub async fn recheck(
        &self,
        cfg: &LdapConfig,
        username: &str,
    ) -> Result<Option<DirectoryPerson>, LdapError> {
        let work = async {
            let mut ldap = self.service_connection(cfg).await?;
            let found = match lookup(cfg, &mut ldap, username).await? {
                Lookup::One(entry) => Some(person(cfg, &mut ldap, username, &entry).await?),
                Lookup::None | Lookup::Many(_) => None,
            };
            let _ = ldap.unbind().await;
            Ok(found)
        };
        tokio::time::timeout(SIGN_IN_TIMEOUT, work)
            .await
            .map_err(|_| LdapError::Timeout)?
    }

    /// A connection to the first server that answers, bound as the service
    /// account (anonymous when no bind DN is set).
    async fn service_connection(&self, cfg: &LdapConfig) -> Result<Ldap, LdapError> {
        if let Some(problem) = cfg.problems().into_iter().next() {
            return Err(LdapError::Misconfigured(problem));
        }
        let tls = Arc::new(self.tls_config(cfg)?);
        let mut failures = Vec::new();
        let mut ldap = None;
        for url in &cfg.servers {
            let starttls = url.starts_with("ldap://") && cfg.starttls;
            let settings = LdapConnSettings::new()
                .set_conn_timeout(CONNECT_TIMEOUT)
                .set_config(tls.clone())
                .set_starttls(starttls);
            match LdapConnAsync::with_settings(settings, url).await {
                Ok((conn, l)) => {
                    tokio::spawn(async move {
                        if let Err(e) = conn.drive().await {
                            tracing::debug!("LDAP connection ended: {e}");
                        }
                    });
                    ldap = Some(l);
                    break;
                }
                Err(e) => {
                    tracing::warn!(%url, "directory server not reachable: {e}");
                    failures.push(format!("{url}: {e}"));
                }
            }
        }
        let Some(mut ldap) = ldap else {
            return Err(LdapError::Unreachable(failures.join("; ")));
        };
        if let Some(dn) = &cfg.bind_dn {
            let password = self.service_password(cfg)?;
            let bound = ldap
                .with_timeout(OPERATION_TIMEOUT)
                .simple_bind(dn, &password)
                .await
                .map_err(|e| op("service bind", e))?;
            if bound.rc != 0 {
                return Err(LdapError::ServiceBind {
                    dn: dn.clone(),
                    cause: format!("result code {}: {}", bound.rc, bound.text),
                });
            }
        }
        Ok(ldap)
    }

    fn service_password(&self, cfg: &LdapConfig) -> Result<String, LdapError> {
        let password = match (&cfg.password, &cfg.password_file) {
            (Some(p), _) => p.expose().to_owned(),
            (None, Some(file)) => std::fs::read_to_string(self.store.resolve(file))
                .map_err(|e| {
                    LdapError::Misconfigured(format!("cannot read the password file {file}: {e}"))
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
            (None, None) => String::new(),
        };
        if password.is_empty() {
            return Err(LdapError::Misconfigured(
                "the service account's password is empty".into(),
            ));
        }
        Ok(password)
    }

    /// rustls with the ring provider, trusting the configured bundle (or the
    /// system's roots when none is set).
    fn tls_config(&self, cfg: &LdapConfig) -> Result<rustls::ClientConfig, LdapError> {
        let mut roots = rustls::RootCertStore::empty();
        let certs = match &cfg.trust {
            Some(bundle) => load_certs(&self.store.resolve(bundle))
                .map_err(|e| LdapError::Misconfigured(format!("LDAP trust bundle: {e}")))?,
            None => system_roots(),
        };
        let (_added, _ignored) = roots.add_parsable_certificates(certs);
        if roots.is_empty() {
            return Err(LdapError::Misconfigured(
                "the LDAP trust bundle holds no usable certificate".into(),
            ));
        }
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| LdapError::Misconfigured(format!("TLS: {e}")))
            .map(|b| b.with_root_certificates(roots).with_no_client_auth())
    }
}

fn op(what: &'static str, e: ldap3::LdapError) -> LdapError {
    LdapError::Operation {
        what,
        cause: e.to_string(),
    }
}

/// The filter with the typed name, escaped, in place of the one `$`.
pub fn user_filter(template: &str, username: &str) -> String {
    template.replacen('$', &ldap_escape(username.trim()), 1)
}

/// CMS's JID mapping: each `$attribute$` replaced by that attribute's first
/// value; `None` when the entry lacks one of them.
pub fn map_jid(mapping: &str, attrs: &HashMap<String, Vec<String>>) -> Option<String> {
    let mut out = String::new();
    for (i, part) in mapping.split('$').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else {
            out.push_str(first(attrs, part)?);
        }
    }
    Some(out.to_lowercase())
}

/// An attribute's first value, the name compared without case.
fn first<'a>(attrs: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The attributes to read: the display name, mail, time zone, memberOf and
/// those the JID mapping names.
fn wanted(cfg: &LdapConfig) -> Vec<String> {
    let a = &cfg.attributes;
    let mut out = vec![
        a.display_name.clone(),
        a.mail.clone(),
        "memberOf".to_owned(),
    ];
    out.extend(a.time_zone.clone());
    if let Some(mapping) = &cfg.jid {
        out.extend(mapping.split('$').skip(1).step_by(2).map(str::to_owned));
    }
    out
}

async fn lookup(cfg: &LdapConfig, ldap: &mut Ldap, username: &str) -> Result<Lookup, LdapError> {
    let (Some(base), Some(filter)) = (&cfg.base, &cfg.filter) else {
        return Err(LdapError::Misconfigured("base DN or filter not set".into()));
    };
    let found = ldap
        .with_timeout(OPERATION_TIMEOUT)
        .search(
            base,
            Scope::Subtree,
            &user_filter(filter, username),
            wanted(cfg),
        )
        .await
        .map_err(|e| op("search", e))?;
    let (entries, _) = match found.success() {
        Ok(v) => v,
        // noSuchObject: the base is not there, nobody is.
        Err(ldap3::LdapError::LdapResult { result }) if result.rc == 32 => return Ok(Lookup::None),
        Err(e) => return Err(op("search", e)),
    };
    let mut people: Vec<SearchEntry> = entries
        .into_iter()
        .filter(|e| !e.is_ref() && !e.is_intermediate())
        .map(SearchEntry::construct)
        .collect();
    Ok(match people.len() {
        0 => Lookup::None,
        1 => Lookup::One(people.remove(0)),
        n => Lookup::Many(n),
    })
}

/// What the scheduler keeps of an entry: names, mail, zone, JID, and
/// whether it is in the administrators group.
async fn person(
    cfg: &LdapConfig,
    ldap: &mut Ldap,
    username: &str,
    entry: &SearchEntry,
) -> Result<DirectoryPerson, LdapError> {
    let a = &cfg.attributes;
    let email = first(&entry.attrs, &a.mail).ok_or_else(|| {
        LdapError::Misconfigured(format!(
            "the entry {} has no {} attribute",
            entry.dn, a.mail
        ))
    })?;
    let display_name = first(&entry.attrs, &a.display_name).unwrap_or(username);
    let time_zone = a
        .time_zone
        .as_deref()
        .and_then(|attr| first(&entry.attrs, attr))
        .filter(|tz| tz.parse::<chrono_tz::Tz>().is_ok())
        .map(str::to_owned);
    let jid = cfg.jid.as_deref().and_then(|m| map_jid(m, &entry.attrs));
    let is_admin = match &cfg.admins {
        Some(group) => in_group(ldap, group, entry).await?,
        None => false,
    };
    Ok(DirectoryPerson {
        username: username.trim().to_owned(),
        dn: entry.dn.clone(),
        display_name: display_name.to_owned(),
        email: email.to_owned(),
        time_zone,
        jid,
        is_admin,
    })
}

/// Membership by the entry's memberOf (Active Directory, OpenLDAP's
/// memberof overlay), else by the group's member / uniqueMember.
async fn in_group(ldap: &mut Ldap, group: &str, entry: &SearchEntry) -> Result<bool, LdapError> {
    let same_dn = |a: &str, b: &str| {
        a.replace(", ", ",")
            .eq_ignore_ascii_case(&b.replace(", ", ","))
    };
    if entry
        .attrs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("memberOf"))
        .flat_map(|(_, v)| v)
        .any(|g| same_dn(g, group))
    {
        return Ok(true);
    }
    let dn = ldap_escape(&entry.dn);
    let filter = format!("(|(member={dn})(uniqueMember={dn}))");
    let found = ldap
        .with_timeout(OPERATION_TIMEOUT)
        .search(group, Scope::Base, &filter, vec!["1.1"])
        .await
        .map_err(|e| op("group search", e))?;
    match found.success() {
        Ok((entries, _)) => Ok(!entries.is_empty()),
        Err(ldap3::LdapError::LdapResult { result }) if result.rc == 32 => {
            tracing::warn!(group, "the administrators group is not in the directory");
            Ok(false)
        }
        Err(e) => Err(op("group search", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_name_cannot_change_the_filter() {
        assert_eq!(user_filter("(uid=$)", "alice"), "(uid=alice)");
        assert_eq!(
            user_filter("(&(objectClass=user)(sAMAccountName=$))", "*)(uid=*"),
            "(&(objectClass=user)(sAMAccountName=\\2a\\29\\28uid=\\2a))"
        );
        assert_eq!(user_filter("(uid=$)", "a\\b\0"), "(uid=a\\5cb\\00)");
        // Only the one placeholder: a `$` typed stays a `$` in the value.
        assert_eq!(user_filter("(uid=$)", "$x"), "(uid=$x)");
    }

    #[test]
    fn jid_mapping_replaces_attributes() {
        let attrs: HashMap<String, Vec<String>> = [
            ("sAMAccountName".to_owned(), vec!["JDoe".to_owned()]),
            ("mail".to_owned(), vec!["j@x.example".to_owned()]),
        ]
        .into();
        assert_eq!(
            map_jid("$samaccountname$@example.com", &attrs).as_deref(),
            Some("jdoe@example.com")
        );
        assert_eq!(map_jid("$mail$", &attrs).as_deref(), Some("j@x.example"));
        assert_eq!(map_jid("$uid$@example.com", &attrs), None);
    }
}
