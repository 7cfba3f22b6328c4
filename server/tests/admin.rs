//! The `scheduler` command set end to end: certificate checks with rcgen
//! certificates, the command runner, the `cms-scheduler scheduler` binary, and a
//! running `Application` reached through its control socket, serving HTTPS.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use server::admin::checks::{enable_checks, CheckLine};
use server::admin::cli::{execute, CliError, Context, Outcome};
use server::admin::config::{CertPair, ConfigStore, Listen, SchedulerConfig};
use server::admin::parse::parse;
use server::clock::SystemClock;
use server::config::ServeConfig;
use server::Application;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as Process;
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------- PKI ---

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

impl Ca {
    fn root(cn: &str) -> Self {
        Self {
            issuer: CertifiedIssuer::self_signed(ca_params(cn), KeyPair::generate().unwrap())
                .unwrap(),
        }
    }

    fn intermediate(&self, cn: &str) -> Self {
        Self {
            issuer: CertifiedIssuer::signed_by(
                ca_params(cn),
                KeyPair::generate().unwrap(),
                &self.issuer,
            )
            .unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for localhost / 127.0.0.1: (certificate PEM, key PEM).
    fn leaf(&self, cn: &str, expired: bool) -> (String, String) {
        let mut p = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        if expired {
            p.not_before = rcgen::date_time_ymd(2019, 1, 1);
            p.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// Root → intermediate → leaf, written as `<name>.key` and `<name>.pem`
/// (full chain: leaf, intermediate, root) in `dir`. Returns the root PEM.
fn write_chain(dir: &Path, name: &str) -> String {
    let root = Ca::root(&format!("{name} root"));
    let inter = root.intermediate(&format!("{name} intermediate"));
    let (leaf, key) = inter.leaf(&format!("{name} leaf"), false);
    std::fs::write(dir.join(format!("{name}.key")), key).unwrap();
    std::fs::write(
        dir.join(format!("{name}.pem")),
        format!("{leaf}{}{}", inter.pem(), root.pem()),
    )
    .unwrap();
    root.pem()
}

// ------------------------------------------------------------ helpers ---

fn context(dir: &Path) -> Context {
    let mut ctx = Context::new(dir);
    ctx.password = Box::new(|_| Ok("s3cret-pw".into()));
    ctx.ldap_password = Box::new(|_| Ok("ldap-s3cret".into()));
    ctx.timeout = Duration::from_secs(20);
    ctx
}

async fn run(ctx: &Context, words: &[&str]) -> Result<(Outcome, String), CliError> {
    let command = parse(words)?;
    let mut out = Vec::new();
    let outcome = execute(ctx, command, &mut out).await?;
    Ok((outcome, String::from_utf8(out).unwrap()))
}

async fn ok(ctx: &Context, words: &[&str]) -> String {
    match run(ctx, words).await {
        Ok((Outcome::Done, out)) => out,
        Ok((Outcome::Failed, out)) => panic!("{words:?} failed:\n{out}"),
        Err(e) => panic!("{words:?}: {e}"),
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn checks(dir: &Path, cfg: &SchedulerConfig) -> Vec<String> {
    enable_checks(
        cfg,
        &ConfigStore::new(dir),
        rustls_pki_types::UnixTime::now(),
        &[],
    )
    .iter()
    .map(CheckLine::to_string)
    .collect()
}

fn pair(key: &str, cert: &str) -> Option<CertPair> {
    Some(CertPair {
        key: key.into(),
        cert: cert.into(),
    })
}

fn configured(https: Option<(&str, &str)>, c2w: (&str, &str), trust: &str) -> SchedulerConfig {
    let mut cfg = SchedulerConfig::default();
    if let Some((key, cert)) = https {
        cfg.https.listen = Some(Listen {
            interface: "127.0.0.1".into(),
            port: 9443,
        });
        cfg.https.certs = pair(key, cert);
    }
    cfg.c2w.certs = pair(c2w.0, c2w.1);
    cfg.c2w.trust = Some(trust.into());
    cfg
}

// ------------------------------------------------------- enable checks ---

#[test]
fn enable_checks_pass_for_good_chains() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_chain(dir.path(), "https");
    write_chain(dir.path(), "c2w");
    std::fs::write(dir.path().join("wbbundle.pem"), root).unwrap();
    let mut cfg = configured(
        Some(("https.key", "https.pem")),
        ("c2w.key", "c2w.pem"),
        "wbbundle.pem",
    );
    assert_eq!(
        checks(dir.path(), &cfg),
        [
            "SUCCESS: HTTPS Key and certificate pair match",
            "SUCCESS: HTTPS full chain of certificates verifies correctly",
            "SUCCESS: C2W Key and certificate pair match",
            "SUCCESS: C2W full chain of certificates verifies correctly",
        ]
    );
    // Without `https listen`, HTTPS is not checked.
    cfg.https.listen = None;
    assert_eq!(checks(dir.path(), &cfg).len(), 2);
}

#[test]
fn enable_checks_name_each_failure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = write_chain(d, "good");
    std::fs::write(d.join("trust.pem"), &root).unwrap();

    // A key that belongs to another certificate.
    write_chain(d, "other");
    let mismatched = configured(
        Some(("other.key", "good.pem")),
        ("good.key", "good.pem"),
        "trust.pem",
    );
    let out = checks(d, &mismatched);
    assert_eq!(
        out[0],
        "FAILURE: HTTPS Key and certificate pair do not match"
    );
    assert_eq!(
        out[1],
        "SUCCESS: HTTPS full chain of certificates verifies correctly"
    );
    assert_eq!(out[2], "SUCCESS: C2W Key and certificate pair match");

    // An expired leaf.
    let ca = Ca::root("expired root");
    let (leaf, key) = ca.leaf("expired leaf", true);
    std::fs::write(d.join("expired.key"), key).unwrap();
    std::fs::write(d.join("expired.pem"), format!("{leaf}{}", ca.pem())).unwrap();
    let out = checks(
        d,
        &configured(None, ("expired.key", "expired.pem"), "trust.pem"),
    );
    assert_eq!(out[0], "SUCCESS: C2W Key and certificate pair match");
    assert_eq!(
        out[1],
        "FAILURE: C2W full chain of certificates does not verify: \
         a certificate expired on 2020-01-01 00:00:00 UTC"
    );

    // A chain without its intermediate: leaf then root.
    let root = Ca::root("gap root");
    let inter = root.intermediate("gap intermediate");
    let (leaf, key) = inter.leaf("gap leaf", false);
    std::fs::write(d.join("gap.key"), key).unwrap();
    std::fs::write(d.join("gap.pem"), format!("{leaf}{}", root.pem())).unwrap();
    let gap = configured(
        Some(("gap.key", "gap.pem")),
        ("good.key", "good.pem"),
        "trust.pem",
    );
    let out = checks(d, &gap);
    assert_eq!(out[0], "SUCCESS: HTTPS Key and certificate pair match");
    assert!(
        out[1].starts_with(
            "FAILURE: HTTPS full chain of certificates does not verify: no path to a trusted root"
        ),
        "{}",
        out[1]
    );
    // The same chain with the intermediate verifies.
    std::fs::write(
        d.join("gap.pem"),
        format!("{leaf}{}{}", inter.pem(), root.pem()),
    )
    .unwrap();
    let out = checks(d, &gap);
    assert!(out.iter().all(|l| l.starts_with("SUCCESS")), "{out:?}");

    // Garbage instead of PEM.
    std::fs::write(d.join("garbage.key"), "this is not a key\n").unwrap();
    std::fs::write(
        d.join("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let out = checks(
        d,
        &configured(None, ("garbage.key", "garbage.pem"), "garbage.pem"),
    );
    assert!(
        out[0].starts_with("FAILURE: C2W Key and certificate pair cannot be checked: "),
        "{}",
        out[0]
    );
    assert!(
        out[1].starts_with("FAILURE: C2W full chain of certificates does not verify: "),
        "{}",
        out[1]
    );
    assert!(
        out[2].starts_with("FAILURE: C2W trust bundle is not usable: "),
        "{}",
        out[2]
    );
    let out = checks(
        d,
        &configured(None, ("good.key", "garbage.key"), "trust.pem"),
    );
    assert!(out[0].contains("no certificate found"), "{}", out[0]);

    // Nothing configured.
    let mut cfg = SchedulerConfig::default();
    assert_eq!(
        checks(d, &cfg),
        [
            "FAILURE: C2W certificates not configured",
            "FAILURE: C2W trust bundle not configured",
        ]
    );
    cfg.https.listen = Some(Listen {
        interface: "lo".into(),
        port: 9443,
    });
    assert_eq!(
        checks(d, &cfg)[0],
        "FAILURE: HTTPS certificates not configured"
    );
    for line in checks(d, &mismatched) {
        assert!(!line.contains('\n'));
    }
}

// ------------------------------------------------------------ commands ---

#[tokio::test]
async fn ldap_commands_edit_show_and_check_the_directory_settings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = context(d);
    // No directory setting yet: `scheduler` shows none of its lines.
    assert!(!ok(&ctx, &[]).await.contains("LDAP"));
    // The password needs the bind DN first.
    let err = run(&ctx, &["ldap", "password"]).await.unwrap_err();
    assert!(err.to_string().contains("bind DN first"), "{err}");

    ok(
        &ctx,
        &[
            "ldap",
            "server",
            "ldaps://dc1.example.com",
            "ldap://dc2.example.com:389/",
        ],
    )
    .await;
    ok(
        &ctx,
        &[
            "ldap",
            "bind",
            "CN=Scheduler",
            "Service,OU=Services,DC=example,DC=com",
        ],
    )
    .await;
    ok(&ctx, &["ldap", "password"]).await;
    ok(&ctx, &["ldap", "base", "DC=example,DC=com"]).await;
    ok(
        &ctx,
        &["ldap", "filter", "(&(objectClass=user)(sAMAccountName=$))"],
    )
    .await;
    ok(
        &ctx,
        &["ldap", "attributes", "displayName", "mail", "timeZone"],
    )
    .await;
    ok(&ctx, &["ldap", "jid", "$sAMAccountName$@example.com"]).await;
    ok(
        &ctx,
        &[
            "ldap",
            "admins",
            "CN=Scheduler",
            "Admins,OU=Groups,DC=example,DC=com",
        ],
    )
    .await;
    ok(&ctx, &["ldap", "recheck", "120"]).await;
    let shown = ok(&ctx, &[]).await;
    let ldap: Vec<&str> = lines(&shown)
        .into_iter()
        .filter(|l| l.starts_with("LDAP"))
        .collect();
    assert_eq!(
        ldap,
        [
            "LDAP Servers                    : ldaps://dc1.example.com ldap://dc2.example.com:389",
            "LDAP STARTTLS                   : enabled",
            "LDAP Trust bundle               : none",
            "LDAP Bind DN                    : CN=Scheduler Service,OU=Services,DC=example,DC=com",
            "LDAP Password                   : ********",
            "LDAP Base DN                    : DC=example,DC=com",
            "LDAP Filter                     : (&(objectClass=user)(sAMAccountName=$))",
            "LDAP Attributes                 : displayName mail timeZone",
            "LDAP JID                        : $sAMAccountName$@example.com",
            "LDAP Administrators group       : CN=Scheduler Admins,OU=Groups,DC=example,DC=com",
            "LDAP Re-check seconds           : 120",
        ]
    );
    let file = d.join("scheduler.json");
    assert!(!shown.contains("ldap-s3cret"));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let cfg = ConfigStore::new(d).load().unwrap();
    assert_eq!(
        cfg.ldap.password.as_ref().map(|p| p.expose()),
        Some("ldap-s3cret")
    );
    let check = checks(d, &cfg);
    assert!(
        check.contains(&"SUCCESS: LDAP directory sign-in is configured".to_string()),
        "{check:?}"
    );

    // Plain LDAP only to loopback.
    ok(&ctx, &["ldap", "starttls", "disable"]).await;
    let cfg = ConfigStore::new(d).load().unwrap();
    let check = checks(d, &cfg);
    assert!(
        check.contains(&"FAILURE: LDAP server ldap://dc2.example.com:389 would be plain LDAP: enable starttls or use ldaps://".to_string()),
        "{check:?}"
    );
    assert!(!check.iter().any(|l| l.contains("sign-in is configured")));
    ok(&ctx, &["ldap", "server", "ldap://127.0.0.1:3389"]).await;
    let check = checks(d, &ConfigStore::new(d).load().unwrap());
    assert!(
        check.iter().any(|l| l.contains("sign-in is configured")),
        "{check:?}"
    );

    // A password file instead of the stored password.
    std::fs::write(d.join("ldap.pw"), "from-a-file\n").unwrap();
    ok(&ctx, &["ldap", "password-file", "ldap.pw"]).await;
    let shown = ok(&ctx, &[]).await;
    assert!(
        shown.contains("LDAP Password                   : from file ldap.pw"),
        "{shown}"
    );
    assert!(ConfigStore::new(d).load().unwrap().ldap.password.is_none());

    // Bad input changes nothing.
    let stored = std::fs::read(&file).unwrap();
    let bad: &[&[&str]] = &[
        &["ldap", "server", "http://dc1.example.com"],
        &["ldap", "server", "ldap://user@dc1.example.com"],
        &["ldap", "server", "ldaps://dc1.example.com/dc=example"],
        &["ldap", "server"],
        &["ldap", "filter", "(uid=*)"],
        &["ldap", "filter", "(uid=$)(cn=$)"],
        &["ldap", "filter", "uid=$"],
        &["ldap", "filter", "(uid=$"],
        &["ldap", "base", "example.com"],
        &["ldap", "attributes", "display name", "mail"],
        &["ldap", "attributes", "displayName"],
        &["ldap", "jid", "sAMAccountName@example.com"],
        &["ldap", "jid", "$sAMAccountName@example.com"],
        &["ldap", "recheck", "5"],
        &["ldap", "recheck", "1e3"],
        &["ldap", "starttls", "maybe"],
        &["ldap", "trust", "missing.pem"],
        &["ldap", "password-file", "missing.pw"],
        &["ldap", "password", "hunter2"],
        &["ldap", "frobnicate"],
    ];
    for words in bad {
        let err = run(&ctx, words).await.expect_err("must fail");
        assert!(!err.to_string().contains('\n'), "{err}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            stored,
            "{words:?} changed it"
        );
    }

    // `none` unsets; with no server the directory lines say so.
    ok(&ctx, &["ldap", "server", "none"]).await;
    let cfg = ConfigStore::new(d).load().unwrap();
    assert!(!cfg.ldap.is_configured());
    assert!(checks(d, &cfg).contains(&"FAILURE: LDAP server not configured".to_string()));
}

#[tokio::test]
async fn commands_edit_the_file_and_bad_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = context(d);
    let root = write_chain(d, "cb");
    std::fs::write(d.join("wbbundle.cer"), root).unwrap();

    ok(&ctx, &["https", "listen", "127.0.0.1", "9443"]).await;
    ok(&ctx, &["https", "certs", "cb.key", "cb.pem"]).await;
    ok(&ctx, &["c2w", "certs", "cb.key", "cb.pem"]).await;
    ok(&ctx, &["c2w", "trust", "wbbundle.cer"]).await;
    ok(&ctx, &["email", "server", "smtp.example.com", "587"]).await;
    ok(&ctx, &["email", "username", "sched@example.com"]).await;
    ok(&ctx, &["email", "protocol", "smtps"]).await;
    ok(&ctx, &["email", "auth", "enable"]).await;
    ok(&ctx, &["email", "starttls", "disable"]).await;
    ok(&ctx, &["email", "trust", "wbbundle.cer"]).await;
    ok(&ctx, &["email", "sender", "meetings@example.com"]).await;
    ok(&ctx, &["email", "organizerName", "ACME", "Meetings"]).await;
    let shown = ok(&ctx, &[]).await;
    assert_eq!(
        lines(&shown),
        [
            "Enabled                         : false",
            "Https interface                 : 127.0.0.1",
            "Https port                      : 9443",
            "Https key file                  : cb.key",
            "Https certificate file          : cb.pem",
            "C2W Key file                    : cb.key",
            "C2W Full chain certificate file : cb.pem",
            "C2W Trust bundle                : wbbundle.cer",
            "Email Server                    : smtp.example.com",
            "Email Port                      : 587",
            "Email Username                  : sched@example.com",
            "Email Password                  : ********",
            "Email Protocol                  : smtps",
            "Email Auth                      : enabled",
            "Email STARTTLS                  : disabled",
            "Email Trust bundle              : wbbundle.cer",
            "Email Sender                    : meetings@example.com",
            "Email Organizer name            : ACME Meetings",
        ]
    );
    let file = d.join("scheduler.json");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let stored = std::fs::read(&file).unwrap();

    // Each bad command: an error, the file untouched.
    let bad: &[&[&str]] = &[
        &["https", "listen", "nosuchif0", "9443"],
        &["https", "listen", "lo", "70000"],
        &["https", "certs", "missing.key", "cb.pem"],
        &["https", "certs", "cb.key", "/nonexistent/cb.pem"],
        &["c2w", "trust", "."],
        &["email", "protocol", "pop3"],
        &["email", "trust", "nope.pem"],
        &["timedLogging", "ldap", "10"],
        &["frobnicate"],
    ];
    for words in bad {
        let err = run(&ctx, words).await.expect_err("must fail");
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            stored,
            "{words:?} changed it"
        );
    }
    let err = run(&ctx, &["https", "listen", "nosuchif0", "9443"])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("known interfaces: "), "{err}");
    let err = run(&ctx, &["https", "certs", "missing.key", "cb.pem"])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot read file 'missing.key' ("), "{err}");

    // A failing password source changes nothing either.
    let mut failing = context(d);
    failing.password = Box::new(|_| Err("no terminal".into()));
    assert!(run(&failing, &["email", "username", "other"])
        .await
        .is_err());
    failing.password = Box::new(|_| Ok(String::new()));
    assert!(run(&failing, &["email", "username", "other"])
        .await
        .is_err());
    assert_eq!(std::fs::read(&file).unwrap(), stored);

    // Enable: the checks, then enabled.
    let (outcome, out) = run(&ctx, &["enable"]).await.unwrap();
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(
        lines(&out),
        [
            "SUCCESS: HTTPS Key and certificate pair match",
            "SUCCESS: HTTPS full chain of certificates verifies correctly",
            "SUCCESS: C2W Key and certificate pair match",
            "SUCCESS: C2W full chain of certificates verifies correctly",
            "SUCCESS: scheduler enabled",
        ]
    );
    assert!(ok(&ctx, &[])
        .await
        .starts_with("Enabled                         : true\n"));
    ok(&ctx, &["disable"]).await;

    // A failing check enables nothing.
    ok(&ctx, &["c2w", "certs", "none"]).await;
    let (outcome, out) = run(&ctx, &["enable"]).await.unwrap();
    assert_eq!(outcome, Outcome::Failed);
    assert!(
        out.contains("FAILURE: C2W certificates not configured\n"),
        "{out}"
    );
    assert!(!out.contains("scheduler enabled"));
    assert!(!ConfigStore::new(d).load().unwrap().enabled);

    // `none` and removals.
    ok(&ctx, &["email", "remove", "username"]).await;
    ok(&ctx, &["https", "listen", "none"]).await;
    ok(&ctx, &["email", "server", "none"]).await;
    let shown = ok(&ctx, &[]).await;
    assert!(shown.contains("Https interface                 : none\n"));
    assert!(shown.contains("Email Username                  : none\n"));
    assert!(shown.contains("Email Password                  : none\n"));
    let cfg = ConfigStore::new(d).load().unwrap();
    assert!(cfg.email.password.is_none());

    // No service: status says so, restart fails, timed logging is stored.
    assert_eq!(
        lines(&ok(&ctx, &["status"]).await),
        [
            "Status: disabled",
            "Not running",
            "HTTPS not configured",
            "C2W not configured",
            "Email server not configured",
        ]
    );
    assert!(matches!(
        run(&ctx, &["restart"]).await,
        Err(CliError::NotRunning)
    ));
    ok(&ctx, &["timedLogging", "email", "120"]).await;
    let shown = ok(&ctx, &["timedLogging"]).await;
    assert!(shown.contains("email     : debug until "), "{shown}");
    assert!(shown.contains("Not running"), "{shown}");
    ok(&ctx, &["timedLogging", "email", "0"]).await;
    assert!(ok(&ctx, &["timedLogging"])
        .await
        .contains("email     : normal"));
}

// -------------------------------------------------------------- binary ---

fn server_bin(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_cms-scheduler"))
        .arg("scheduler")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("SCHEDULER_EMAIL_PASSWORD", "from-the-env")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_binary_speaks_mmp() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, out, err) = server_bin(d, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 18);
    assert!(out.starts_with("Enabled                         : false\n"));

    let (code, out, err) = server_bin(d, &["https", "listen", "lo", "0"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err, "invalid port '0': expected a number from 1 to 65535\n");

    let (code, _, err) = server_bin(d, &["bogus"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1);
    assert!(
        err.starts_with("unknown command 'bogus'; usage: scheduler ["),
        "{err}"
    );

    let (code, _, err) = server_bin(d, &["https", "listen", "nosuchif0", "443"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("known interfaces: "), "{err}");

    let (code, _, err) = server_bin(d, &["email", "username", "mailer"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = server_bin(d, &[]);
    assert!(out.contains("Email Username                  : mailer\n"));
    assert!(out.contains("Email Password                  : ********\n"));
    assert!(!out.contains("from-the-env"));
    let stored = std::fs::read_to_string(d.join("scheduler.json")).unwrap();
    assert!(stored.contains("from-the-env"));

    let (code, out, _) = server_bin(d, &["status"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().nth(1), Some("Not running"));
    let (code, _, err) = server_bin(d, &["restart"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "the scheduler service is not running\n")
    );

    let (code, out, _) = server_bin(d, &["help"]);
    assert_eq!(code, 0);
    assert!(out.contains("  scheduler timedLogging (webBridge|api|email) <time>\n"));

    let (code, out, _) = server_bin(d, &["enable"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "FAILURE: C2W certificates not configured\nFAILURE: C2W trust bundle not configured\n"
    );
}

// ------------------------------------------------------------- service ---

fn install_log_reload() -> server::admin::logging::LogReload {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (layer, handle) =
        tracing_subscriber::reload::Layer::new(tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .expect("only this test installs a subscriber");
    server::admin::logging::LogReload::new("info", handle)
}

fn https_client(root_pem: &str, addr: std::net::SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn healthz(client: &reqwest::Client, port: u16) -> Result<String, reqwest::Error> {
    let resp = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await?
        .error_for_status()?;
    resp.text().await
}

fn debug_enabled_for_api() -> bool {
    tracing::enabled!(target: "callbridge", tracing::Level::DEBUG)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_service_answers_on_its_control_socket_and_serves_https() {
    let reload = install_log_reload();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let ctx = context(&d);

    let app = Application::build(ServeConfig::for_tests(d.clone()), Arc::new(SystemClock))
        .await
        .unwrap();
    app.admin.set_log_reload(reload);
    let plain = app.addr;
    let socket = d.join("control.sock");
    assert_eq!(
        std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    // The Call Bridge (the simulator) is probed at start: in use, UP, its version.
    let mut text = ok(&ctx, &["status"]).await;
    for _ in 0..50 {
        if text.contains(" UP since ") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        text = ok(&ctx, &["status"]).await;
    }
    let mut status = lines(&text);
    let cb: Vec<&&str> = status
        .iter()
        .filter(|l| l.contains("Call Bridge") || l.contains("callbridge"))
        .collect();
    assert_eq!(cb.len(), 2, "{status:?}");
    assert!(
        cb[0].starts_with("Call Bridge http://127.0.0.1:"),
        "{status:?}"
    );
    assert!(cb[0].ends_with(" in use (1 configured)"), "{status:?}");
    assert!(
        cb[1].contains(" UP since ") && cb[1].contains(", version "),
        "{status:?}"
    );
    status.retain(|l| !l.contains("Call Bridge") && !l.contains("callbridge"));
    assert_eq!(
        status,
        [
            "Status: disabled",
            "Running",
            "Database responsive at start",
            "HTTPS not configured",
            "C2W not configured",
            "Email server not configured",
        ]
    );

    // Configure and enable: the service picks it up and serves HTTPS.
    let root = write_chain(&d, "node");
    std::fs::write(d.join("trust.pem"), &root).unwrap();
    let port = free_port();
    let lo = if_addrs::get_if_addrs()
        .unwrap()
        .into_iter()
        .find(|i| i.is_loopback() && i.ip().is_ipv4())
        .expect("an IPv4 loopback interface")
        .name;
    ok(&ctx, &["https", "listen", &lo, &port.to_string()]).await;
    ok(&ctx, &["https", "certs", "node.key", "node.pem"]).await;
    ok(&ctx, &["c2w", "certs", "node.key", "node.pem"]).await;
    ok(&ctx, &["c2w", "trust", "trust.pem"]).await;
    ok(&ctx, &["email", "server", "localhost", "25"]).await;
    let out = ok(&ctx, &["enable"]).await;
    assert!(out.ends_with("SUCCESS: scheduler enabled\n"), "{out}");
    // Enabling starts the C2W supervisor in the running service: it soon
    // reports the Call Bridge simulator's 3 web bridges (unreachable here).
    let mut status = String::new();
    for _ in 0..100 {
        status = ok(&ctx, &["status"]).await;
        if status.contains("of 3 web bridges UP") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut status = lines(&status);
    status.retain(|l| !l.contains("Call Bridge") && !l.contains("callbridge"));
    assert_eq!(
        status[..5],
        [
            "Status: enabled",
            "Running",
            "Database responsive at start",
            "HTTPS configured",
            "C2W configured, 0 of 3 web bridges UP",
        ]
    );
    // One line per web bridge, each DOWN (nothing answers at their addresses).
    assert_eq!(status.len(), 9, "{status:?}");
    for line in &status[5..8] {
        assert!(
            line.starts_with("  webbridge 10.106.80.") && line.contains(" DOWN since "),
            "{line}"
        );
    }
    assert_eq!(status[8], "Email server configured");
    let https_addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let client = https_client(&root, https_addr);
    assert_eq!(healthz(&client, port).await.unwrap(), "ok");
    // The plain listener still serves.
    let plain_body = reqwest::get(format!("http://{plain}/healthz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(plain_body, "ok");

    // New certificates (a new CA) in the same files: `restart` puts them in
    // force on the same socket.
    let new_root = write_chain(&d, "node");
    ok(&ctx, &["restart"]).await;
    let fresh = https_client(&new_root, https_addr);
    assert_eq!(healthz(&fresh, port).await.unwrap(), "ok");
    let stale = https_client(&root, https_addr);
    assert!(healthz(&stale, port).await.is_err(), "old CA still trusted");

    // Timed logging: raised now, back by itself.
    assert!(!debug_enabled_for_api());
    ok(&ctx, &["timedLogging", "api", "2"]).await;
    assert!(debug_enabled_for_api());
    let shown = ok(&ctx, &["timedLogging"]).await;
    let shown = lines(&shown);
    assert_eq!(shown[0], "webBridge : normal");
    assert!(
        shown[1].starts_with("api       : debug until "),
        "{shown:?}"
    );
    assert!(shown[1].ends_with(" s left)"), "{shown:?}");
    assert_eq!(shown[2], "email     : normal");
    assert_eq!(shown.len(), 3);
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert!(!debug_enabled_for_api(), "the level did not drop back");
    assert!(ok(&ctx, &["timedLogging"])
        .await
        .contains("api       : normal"));
    ok(&ctx, &["timedLogging", "api", "600"]).await;
    assert!(debug_enabled_for_api());
    ok(&ctx, &["timedLogging", "api", "0"]).await;
    assert!(!debug_enabled_for_api());

    // Moving HTTPS to another port: rebinds.
    let port2 = free_port();
    ok(&ctx, &["https", "listen", "127.0.0.1", &port2.to_string()]).await;
    ok(&ctx, &["restart"]).await;
    let moved = https_client(&new_root, ([127, 0, 0, 1], port2).into());
    assert_eq!(healthz(&moved, port2).await.unwrap(), "ok");
    assert!(healthz(&fresh, port).await.is_err(), "old port still open");

    // A restart that cannot apply HTTPS says why, and status shows it.
    std::fs::write(d.join("node.key"), "garbage").unwrap();
    let err = run(&ctx, &["restart"]).await.unwrap_err().to_string();
    assert!(err.contains("HTTPS listener: "), "{err}");
    let status = ok(&ctx, &["status"]).await;
    assert!(
        status.contains("\nHTTPS listener not running: "),
        "{status}"
    );

    // Disable: HTTPS stops, the plain listener stays.
    ok(&ctx, &["disable"]).await;
    assert_eq!(lines(&ok(&ctx, &["status"]).await)[0], "Status: disabled");
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port2))
        .await
        .is_err());
    assert!(reqwest::get(format!("http://{plain}/healthz"))
        .await
        .is_ok());

    // A bad request on the socket gets an error line, not a crash.
    {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let mut s = tokio::net::UnixStream::connect(&socket).await.unwrap();
        s.write_all(b"{\"cmd\":\"reboot\"}\n").await.unwrap();
        let mut line = String::new();
        BufReader::new(&mut s).read_line(&mut line).await.unwrap();
        assert!(
            line.starts_with("{\"ok\":false,\"error\":\"bad request"),
            "{line}"
        );
    }

    // A second service on the same data directory refuses to start.
    let second = Application::build(ServeConfig::for_tests(d.clone()), Arc::new(SystemClock)).await;
    let err = second.err().expect("must refuse").to_string();
    assert!(err.contains("already running"), "{err}");

    // Stop: the socket goes away; commands see a stopped service.
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert!(!socket.exists());
    assert_eq!(lines(&ok(&ctx, &["status"]).await)[1], "Not running");
}

#[tokio::test]
async fn stale_socket_is_replaced_and_public_plain_listen_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    drop(std::os::unix::net::UnixListener::bind(d.join("control.sock")).unwrap());
    let app = Application::build(ServeConfig::for_tests(d.clone()), Arc::new(SystemClock))
        .await
        .expect("a stale socket is removed");
    assert!(d.join("control.sock").exists());
    drop(app);

    let mut cfg = ServeConfig::for_tests(d.clone());
    cfg.listen = "0.0.0.0:0".parse().unwrap();
    let err = Application::build(cfg, Arc::new(SystemClock))
        .await
        .err()
        .expect("must refuse")
        .to_string();
    assert!(err.contains("not a loopback address"), "{err}");
}

/// `cms-scheduler serve` with a Call Bridge setting it must refuse: exit 1, one
/// line naming the setting, nothing served, no secret printed.
fn serve_refused(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Process::new(env!("CARGO_BIN_EXE_cms-scheduler"));
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(dir)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("SCHEDULER_CALLBRIDGE_URL")
        .env_remove("SCHEDULER_CALLBRIDGE_PASSWORD")
        .env("RUST_LOG", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn the_service_refuses_plain_http_off_loopback_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let err = serve_refused(
        dir.path(),
        &["--callbridge-url", "http://cms1.example.com:80"],
        &[],
    );
    assert!(
        err.contains(
            "--callbridge-url (SCHEDULER_CALLBRIDGE_URL): http://cms1.example.com:80 is plain http"
        ),
        "{err}"
    );
    let err = serve_refused(
        dir.path(),
        &[],
        &[(
            "SCHEDULER_CALLBRIDGE_URL",
            "https://cms1.example.com:445,http://10.0.0.2",
        )],
    );
    assert!(err.contains("SCHEDULER_CALLBRIDGE_URL"), "{err}");
    assert!(err.contains("10.0.0.2"), "{err}");
    // Through the stored configuration, named as its command.
    let (code, _, err) = server_bin(
        dir.path(),
        &["callbridge", "server", "http://cms1.example.com"],
    );
    assert_eq!(code, 1);
    assert!(err.starts_with("invalid Call Bridge URL: "), "{err}");
    let (code, _, err) = server_bin(
        dir.path(),
        &[
            "callbridge",
            "server",
            "https://api:S3cret-In-Url@cms1.example.com",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("must not carry credentials"), "{err}");
    assert!(!err.contains("S3cret-In-Url"), "{err}");
    let store = server::admin::config::ConfigStore::new(dir.path());
    let mut cfg = store.load().unwrap();
    cfg.callbridge.servers = vec!["http://cms1.example.com".into()];
    store.save(&cfg).unwrap();
    let err = serve_refused(dir.path(), &[], &[]);
    assert!(err.contains("scheduler callbridge server: "), "{err}");
}

#[test]
fn a_readable_password_file_is_refused_and_the_password_never_shows() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = d.join("cb.pw");
    std::fs::write(&pw, "Secr3t-CB-Pw\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, out, err) = server_bin(d, &["callbridge", "password-file", "cb.pw"]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("group or others"), "{err}");
    let err = serve_refused(
        d,
        &["--callbridge-url", "https://cms1.example.com:445"],
        &[("SCHEDULER_CALLBRIDGE_PASSWORD_FILE", pw.to_str().unwrap())],
    );
    assert!(
        err.contains("--callbridge-password-file (SCHEDULER_CALLBRIDGE_PASSWORD_FILE): "),
        "{err}"
    );
    assert!(!err.contains("Secr3t-CB-Pw"));
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    for words in [
        &[
            "callbridge",
            "server",
            "https://cms1.example.com:445",
            "https://cms2.example.com:445",
        ][..],
        &["callbridge", "username", "schedapi"],
        &["callbridge", "password-file", "cb.pw"],
    ] {
        let (code, _, err) = server_bin(d, words);
        assert_eq!(code, 0, "{words:?}: {err}");
    }
    let (code, out, _) = server_bin(d, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("Call Bridge Servers"), "{out}");
    assert!(out.contains("https://cms2.example.com:445"), "{out}");
    assert!(
        out.contains("Call Bridge Password            : from file cb.pw"),
        "{out}"
    );
    assert!(!out.contains("Secr3t-CB-Pw"));
    let (_, out, _) = server_bin(d, &["status"]);
    assert!(!out.contains("Secr3t-CB-Pw"));
}
