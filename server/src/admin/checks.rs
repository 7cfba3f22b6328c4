//! The checks `scheduler enable` runs before it enables: each key matches
//! its certificate, each full chain verifies (leaf first, then the
//! intermediates, up to a self-signed root in the file or a root of the
//! system trust store, validity dates included), the C2W trust bundle holds
//! certificates; the directory settings (`scheduler ldap`) are complete.
//!
//! Files are PEM. Keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC).

use super::config::{CertPair, ConfigStore, LdapConfig, SchedulerConfig};
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, TrustAnchor, UnixTime};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// One line of the `scheduler enable` transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    pub ok: bool,
    pub message: String,
}

impl CheckLine {
    fn success(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            message: message.into(),
        }
    }

    fn failure(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            message: message.into(),
        }
    }
}

impl fmt::Display for CheckLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.ok { "SUCCESS" } else { "FAILURE" };
        write!(f, "{word}: {}", self.message)
    }
}

/// What a certificate is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// The HTTPS listener: TLS server authentication.
    Server,
    /// C2W: the scheduler is the TLS client of each web bridge.
    Client,
}

/// The ring crypto provider, the only one this build uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The PEM private key in `path`.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_error(path, "private key", e))
}

/// The PEM certificates in `path`, in file order; at least one.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, "certificate", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, "certificate", e))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

fn pem_error(path: &Path, what: &str, e: rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::NoItemsFound => format!("{}: no {what} found", path.display()),
        E::Io(io) => format!("{}: {io}", path.display()),
        other => format!("{}: not a valid PEM file ({other:?})", path.display()),
    }
}

/// Does `key` belong to the certificate `leaf`? `Ok(false)` when it does
/// not; `Err` when it cannot be told (unsupported key, bad certificate).
pub fn key_matches(
    leaf: &CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<bool, String> {
    let signing_key = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("unsupported private key: {e}"))?;
    match CertifiedKey::new(vec![leaf.clone()], signing_key).keys_match() {
        Ok(()) => Ok(true),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Ok(false),
        Err(rustls::Error::InconsistentKeys(_)) => {
            Err("the private key does not tell its public key".into())
        }
        Err(e) => Err(format!("bad certificate: {e}")),
    }
}

/// Verifies a full chain (leaf first, then intermediates, optionally the
/// root) for `usage` at `now`, anchored at a self-signed certificate of the
/// chain or at one of `system_roots`.
pub fn verify_full_chain(
    chain: &[CertificateDer<'static>],
    usage: Usage,
    now: UnixTime,
    system_roots: &[CertificateDer<'static>],
) -> Result<(), String> {
    let Some((leaf, rest)) = chain.split_first() else {
        return Err("no certificate found".into());
    };
    let end_entity = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| format!("the first certificate cannot be parsed: {}", describe(&e)))?;
    let mut anchors: Vec<TrustAnchor<'_>> = Vec::new();
    let mut intermediates: Vec<CertificateDer<'static>> = Vec::new();
    for cert in chain {
        if is_self_signed(cert) {
            if let Ok(anchor) = webpki::anchor_from_trusted_cert(cert) {
                anchors.push(anchor.to_owned());
            }
        }
    }
    for cert in rest {
        if !is_self_signed(cert) {
            intermediates.push(cert.clone());
        }
    }
    anchors.extend(
        system_roots
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
            .map(|a| a.to_owned()),
    );
    let eku = match usage {
        Usage::Server => webpki::KeyUsage::server_auth(),
        Usage::Client => webpki::KeyUsage::client_auth(),
    };
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediates,
            now,
            eku,
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| describe(&e))
}

fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => "no path to a trusted root (an intermediate certificate is missing, \
                             or the root is neither in the file nor in the system trust store)"
            .into(),
        E::CertExpired { not_after, .. } => {
            format!("a certificate expired on {}", utc(*not_after))
        }
        E::CertNotValidYet { not_before, .. } => {
            format!("a certificate is not valid before {}", utc(*not_before))
        }
        E::CaUsedAsEndEntity => "the first certificate is a CA certificate, not the leaf".into(),
        E::RequiredEkuNotFoundContext(_) => {
            "the leaf certificate is not allowed for this use (extended key usage)".into()
        }
        E::BadDer | E::BadDerTime => "a certificate is not valid DER".into(),
        E::InvalidSignatureForPublicKey => "a signature in the chain does not verify".into(),
        other => format!("{other:?}"),
    }
}

fn utc(t: UnixTime) -> String {
    i64::try_from(t.as_secs())
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || format!("{} s after 1970", t.as_secs()),
            |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

/// Is the certificate's issuer its subject? (A root, or a self-signed leaf.)
pub fn is_self_signed(cert: &CertificateDer<'_>) -> bool {
    issuer_and_subject(cert.as_ref()).is_some_and(|(issuer, subject)| issuer == subject)
}

/// The issuer and subject names (whole DER elements) of a certificate:
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
/// serialNumber, signature, issuer, validity, subject, ... }, ... }
fn issuer_and_subject(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, cert, _) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, tbs, _) = der_element(der_value(cert)?)?;
    if tag != 0x30 {
        return None;
    }
    let mut rest = der_value(tbs)?;
    let mut fields = Vec::with_capacity(6);
    while fields.len() < 6 {
        let (tag, whole, next) = der_element(rest)?;
        fields.push((tag, whole));
        rest = next;
    }
    let skip = usize::from(fields[0].0 == 0xa0);
    let issuer = fields.get(skip + 2)?;
    let subject = fields.get(skip + 4)?;
    (issuer.0 == 0x30 && subject.0 == 0x30).then_some((issuer.1, subject.1))
}

/// One DER element at the start of `input`: (tag, whole element, the rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = usize::from(*input.get(1)?);
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*input.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((tag, &input[..end], &input[end..]))
}

/// The contents of a whole DER element.
fn der_value(element: &[u8]) -> Option<&[u8]> {
    let first = usize::from(*element.get(1)?);
    let header = if first < 0x80 { 2 } else { 2 + (first & 0x7f) };
    element.get(header..)
}

/// Runs every check for `scheduler enable`, in the MMP order. The
/// scheduler may be enabled when every line is a success.
pub fn enable_checks(
    cfg: &SchedulerConfig,
    store: &ConfigStore,
    now: UnixTime,
    system_roots: &[CertificateDer<'static>],
) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    if cfg.https.listen.is_some() {
        match &cfg.https.certs {
            Some(pair) => check_pair(
                "HTTPS",
                pair,
                Usage::Server,
                store,
                now,
                system_roots,
                &mut lines,
            ),
            None => lines.push(CheckLine::failure("HTTPS certificates not configured")),
        }
    }
    match &cfg.c2w.certs {
        Some(pair) => check_pair(
            "C2W",
            pair,
            Usage::Client,
            store,
            now,
            system_roots,
            &mut lines,
        ),
        None => lines.push(CheckLine::failure("C2W certificates not configured")),
    }
    match &cfg.c2w.trust {
        Some(bundle) => {
            if let Err(e) = load_certs(&store.resolve(bundle)).and_then(|certs| {
                certs
                    .iter()
                    .try_for_each(|c| webpki::anchor_from_trusted_cert(c).map(|_| ()))
                    .map_err(|e| format!("{bundle}: {}", describe(&e)))
            }) {
                lines.push(CheckLine::failure(format!(
                    "C2W trust bundle is not usable: {e}"
                )));
            }
        }
        None => lines.push(CheckLine::failure("C2W trust bundle not configured")),
    }
    ldap_checks(&cfg.ldap, store, &mut lines);
    lines
}

/// Directory sign-in, once any `scheduler ldap` setting is made: complete,
/// never plain LDAP off loopback, a usable trust bundle and a readable
/// password file. The directory itself is not asked (it may be down while
/// the web bridges are not); its failures show at sign-in and in the log.
fn ldap_checks(ldap: &LdapConfig, store: &ConfigStore, lines: &mut Vec<CheckLine>) {
    if *ldap == LdapConfig::default() {
        return;
    }
    let problems = ldap.problems();
    let complete = problems.is_empty();
    lines.extend(problems.into_iter().map(CheckLine::failure));
    if let Some(bundle) = &ldap.trust {
        match load_certs(&store.resolve(bundle)).and_then(|certs| {
            certs
                .iter()
                .try_for_each(|c| webpki::anchor_from_trusted_cert(c).map(|_| ()))
                .map_err(|e| format!("{bundle}: {}", describe(&e)))
        }) {
            Ok(()) => lines.push(CheckLine::success("LDAP trust bundle is usable")),
            Err(e) => lines.push(CheckLine::failure(format!(
                "LDAP trust bundle is not usable: {e}"
            ))),
        }
    }
    if let Some(file) = &ldap.password_file {
        let readable = std::fs::read_to_string(store.resolve(file))
            .map(|p| !p.trim_end_matches(['\r', '\n']).is_empty());
        match readable {
            Ok(true) => {}
            Ok(false) => lines.push(CheckLine::failure(format!(
                "LDAP password file {file} is empty"
            ))),
            Err(e) => lines.push(CheckLine::failure(format!(
                "LDAP password file {file} cannot be read: {e}"
            ))),
        }
    }
    if complete {
        lines.push(CheckLine::success("LDAP directory sign-in is configured"));
    }
}

fn check_pair(
    name: &str,
    pair: &CertPair,
    usage: Usage,
    store: &ConfigStore,
    now: UnixTime,
    system_roots: &[CertificateDer<'static>],
    lines: &mut Vec<CheckLine>,
) {
    let chain = load_certs(&store.resolve(&pair.cert));
    let key = load_key(&store.resolve(&pair.key));
    lines.push(match (&chain, key) {
        (Ok(chain), Ok(key)) => match key_matches(&chain[0], key) {
            Ok(true) => CheckLine::success(format!("{name} Key and certificate pair match")),
            Ok(false) => {
                CheckLine::failure(format!("{name} Key and certificate pair do not match"))
            }
            Err(e) => CheckLine::failure(format!(
                "{name} Key and certificate pair cannot be checked: {e}"
            )),
        },
        (Err(e), _) => CheckLine::failure(format!(
            "{name} Key and certificate pair cannot be checked: {e}"
        )),
        (_, Err(e)) => CheckLine::failure(format!(
            "{name} Key and certificate pair cannot be checked: {e}"
        )),
    });
    lines.push(
        match chain.and_then(|chain| verify_full_chain(&chain, usage, now, system_roots)) {
            Ok(()) => CheckLine::success(format!(
                "{name} full chain of certificates verifies correctly"
            )),
            Err(e) => CheckLine::failure(format!(
                "{name} full chain of certificates does not verify: {e}"
            )),
        },
    );
}

/// The roots of the system trust store (empty when it cannot be read).
pub fn system_roots() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader_rejects_garbage() {
        assert!(issuer_and_subject(&[]).is_none());
        assert!(issuer_and_subject(&[0x30]).is_none());
        assert!(issuer_and_subject(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(issuer_and_subject(&[0x30, 0x82, 0xff, 0xff, 0]).is_none());
        assert!(issuer_and_subject(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_none());
        assert!(!is_self_signed(&CertificateDer::from(vec![0u8; 64])));
    }

    #[test]
    fn check_lines_print_like_the_mmp() {
        assert_eq!(
            CheckLine::success("scheduler enabled").to_string(),
            "SUCCESS: scheduler enabled"
        );
        assert_eq!(
            CheckLine::failure("C2W certificates not configured").to_string(),
            "FAILURE: C2W certificates not configured"
        );
    }
}
