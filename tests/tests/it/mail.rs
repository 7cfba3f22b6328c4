//! Invitation e-mails against a REAL SMTP server: Python's aiosmtpd, started
//! as a subprocess on a free port; what it receives is parsed with Python's
//! `email` package, `icalendar` and python-dateutil (tests/smtp/*.py), and
//! its calendars read again with Mozilla's ical.js (tests/ical/read.mjs).
//!
//! Needs `python3 -m pip install aiosmtpd icalendar python-dateutil` and
//! `npm ci` in tests/ical (scripts/test.sh install_all does both). Without
//! them these tests FAIL, they do not skip.

use integration_tests::{form_field, post_form, texts, TestApp, TEMPLATE};
use serde_json::Value;
use server::admin::config::{ConfigStore, EmailServer, Protocol, Secret};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const GUEST: &str = "guest@partner.example";
const COLLEAGUE: &str = "colleague@example.com";

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp")
}

pub(crate) fn require_python() {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd, icalendar, dateutil"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the mail integration tests need python3 with aiosmtpd, icalendar and dateutil: \
         run `python3 -m pip install aiosmtpd icalendar python-dateutil` (scripts/test.sh install_all does)"
    );
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// aiosmtpd writing what it receives to `dir`; killed on drop.
pub(crate) struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub(crate) fn start(port: u16) -> Self {
        Self::start_with(port, &[])
    }

    /// With smtp_sink.py's options (`--starttls CERT KEY`, `--auth U:P`, ...).
    fn start_with(port: u16, options: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let child = Command::new("python3")
            .arg(scripts().join("smtp_sink.py"))
            .arg(dir.path())
            .arg(port.to_string())
            .args(options)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, dir }
    }

    fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Waits for `n` messages, then parses them all (in arrival order).
    pub(crate) async fn messages(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.count() < n {
            assert!(
                Instant::now() < deadline,
                "waited for {n} messages, got {}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let out = Command::new("python3")
            .arg(scripts().join("parse_mail.py"))
            .arg(self.dir.path())
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "parse_mail.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let all = v.as_array().expect("a list").clone();
        assert_eq!(all.len(), n, "{all:#?}");
        all
    }
}

impl SmtpSink {
    /// The user names of refused logins.
    fn auth_failures(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("auth-failures.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Points the scheduler at 127.0.0.1:port (plain SMTP, no STARTTLS).
pub(crate) fn configure_smtp(app: &TestApp, port: u16) {
    let store = ConfigStore::new(app.data_dir());
    let mut cfg = store.load().expect("config loads");
    cfg.email.server = Some(EmailServer {
        host: "127.0.0.1".into(),
        port,
    });
    cfg.email.protocol = Protocol::Smtp;
    cfg.email.starttls = false;
    cfg.email.auth = false;
    cfg.email.sender = Some("scheduler@example.com".into());
    cfg.email.organizer_name = Some("Réunions, Scheduler".into());
    store.save(&cfg).expect("config saved");
}

async fn get(c: &reqwest::Client, url: String) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// Posts the wizard's steps 1 and 2 for a draft (new when `draft` is empty).
async fn general_and_time(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    draft: &str,
    name: &str,
    from: &str,
) -> String {
    general_and_time_on(app, c, csrf, draft, name, from, "2030-06-12").await
}

/// Steps 1 and 2: weekly, five times, from `date` at `from` in Europe/Paris.
async fn general_and_time_on(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    draft: &str,
    name: &str,
    from: &str,
    date: &str,
) -> String {
    let loc = post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", csrf),
            ("draft", draft),
            ("step", "1"),
            ("name", name),
            ("space_mode", "new"),
            ("template_id", TEMPLATE),
            ("action", "next"),
        ],
    )
    .await;
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", csrf),
            ("draft", &draft),
            ("step", "2"),
            ("date", date),
            ("from", from),
            ("to", ""),
            ("duration", "1:00"),
            ("prev_to", ""),
            ("prev_duration", "1:00"),
            ("time_zone", "Europe/Paris"),
            ("repeat", "weekly"),
            ("repeat_end", "count"),
            ("repeat_count", "5"),
            ("action", "next"),
        ],
    )
    .await;
    draft
}

async fn step3(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    draft: &str,
    action: &str,
    email: &str,
    role: &str,
) -> String {
    post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", csrf),
            ("draft", draft),
            ("step", "3"),
            ("new_email", email),
            ("new_role", role),
            ("action", action),
        ],
    )
    .await
}

/// Schedules "Weekly review; Q3, été" with the guest and the colleague.
pub(crate) async fn schedule(
    app: &TestApp,
    c: &reqwest::Client,
    attendees: &[(&str, &str)],
) -> String {
    let csrf = form_field(&get(c, app.url("/schedule")).await, "csrf").unwrap();
    let draft = general_and_time(app, c, &csrf, "", "Weekly review; Q3, été", "10:00").await;
    for (email, role) in attendees {
        step3(app, c, &csrf, &draft, "add", email, role).await;
    }
    let loc = step3(app, c, &csrf, &draft, "create", "", "").await;
    assert!(loc.starts_with("/?created="), "{loc}");
    loc.trim_start_matches("/?created=").to_string()
}

/// The stored join details of a role: uri, call id, passcode, join url.
async fn access(app: &TestApp, meeting: &str, role: &str) -> (String, String, String, String) {
    sqlx::query_as(
        "SELECT COALESCE(a.uri, ''), COALESCE(a.call_id, ''), COALESCE(a.passcode, ''), COALESCE(a.join_url, '') \
         FROM space_access a JOIN meetings m ON m.space_id = a.space_id WHERE m.id = $1 AND a.role = $2",
    )
    .bind(meeting)
    .bind(role)
    .fetch_one(&app.db)
    .await
    .expect("access row")
}

pub(crate) fn by_recipient<'a>(msgs: &'a [Value], to: &str) -> Vec<&'a Value> {
    msgs.iter()
        .filter(|m| m["envelope_to"].as_array().unwrap().iter().any(|r| r == to))
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[tokio::test]
async fn invitations_updates_and_cancellations_reach_a_real_smtp_server() {
    require_python();
    let app = TestApp::spawn().await;
    let port = free_port();
    let sink = SmtpSink::start(port);
    configure_smtp(&app, port);
    let c = app.signed_in_demo().await;
    let id = schedule(
        &app,
        &c,
        &[
            (GUEST, "ExternalAccessMeth"),
            (COLLEAGUE, "InternalAccessMeth"),
        ],
    )
    .await;
    let msgs = sink.messages(2).await;
    let uid = format!("{id}@cms-scheduler");
    let guest_access = access(&app, &id, "ExternalAccessMeth").await;
    let colleague_access = access(&app, &id, "InternalAccessMeth").await;
    assert_ne!(guest_access.0, colleague_access.0, "each role has its URI");
    for (to, mine, other) in [
        (GUEST, &guest_access, &colleague_access),
        (COLLEAGUE, &colleague_access, &guest_access),
    ] {
        let m = by_recipient(&msgs, to);
        assert_eq!(m.len(), 1, "{to}: {msgs:#?}");
        let m = m[0];
        assert_eq!(
            m["content_types"],
            serde_json::json!([
                "application/ics",
                "text/calendar",
                "text/html",
                "text/plain"
            ])
        );
        // MIME allows the parameter quoted (lettre quotes it).
        assert!(
            s(&m["calendar_content_type"])
                .replace('"', "")
                .contains("method=REQUEST"),
            "{m}"
        );
        assert_eq!(m["method"], "REQUEST");
        assert_eq!(m["uid"], uid.as_str());
        assert_eq!(m["sequence"], 0);
        assert_eq!(m["dtstart"], "2030-06-12T10:00:00");
        assert_eq!(m["dtstart_tzid"], "Europe/Paris");
        assert_eq!(m["dtstart_utc"], "2030-06-12T08:00:00Z");
        assert_eq!(m["vtimezones"], serde_json::json!(["Europe/Paris"]));
        assert_eq!(m["rrule"], "FREQ=WEEKLY;COUNT=5");
        assert_eq!(m["summary"], "Weekly review; Q3, été");
        assert_eq!(m["subject"], "Invitation: Weekly review; Q3, été");
        assert!(s(&m["from"]).contains("scheduler@example.com"), "{m}");
        assert!(s(&m["from"]).contains("Réunions, Scheduler"), "{m}");
        assert!(s(&m["organizer"]).eq_ignore_ascii_case("mailto:demo.organizer@example.com"));
        assert_eq!(m["attendees"], serde_json::json!([format!("mailto:{to}")]));
        // Their own role's join details, and not the other role's.
        assert!(!mine.0.is_empty() && !mine.3.is_empty());
        for v in [&mine.0, &mine.1, &mine.3]
            .into_iter()
            .filter(|v| !v.is_empty())
        {
            assert!(s(&m["description"]).contains(v.as_str()), "{v} in {m}");
            assert!(s(&m["text"]).contains(v.as_str()), "{v} in text");
        }
        if !mine.2.is_empty() {
            assert!(s(&m["description"]).contains(mine.2.as_str()));
        }
        assert_eq!(m["location"], mine.3.as_str());
        for v in [&other.0, &other.1, &other.3]
            .into_iter()
            .filter(|v| !v.is_empty())
        {
            assert!(!s(&m["description"]).contains(v.as_str()), "{v} in {m}");
            assert!(!s(&m["text"]).contains(v.as_str()), "{v} in text");
        }
        assert!(s(&m["html"]).contains(&mine.3.replace('&', "&amp;")));
    }

    // The organizer sees both as sent.
    let page = get(&c, app.url(&format!("/meetings/{id}"))).await;
    assert_eq!(texts(&page, ".delivery .email"), vec![GUEST, COLLEAGUE]);
    assert_eq!(texts(&page, ".delivery .status"), vec!["Sent", "Sent"]);

    // Edit: another time, and the colleague removed.
    let csrf = form_field(&page, "csrf").unwrap();
    let loc = post_form(
        &c,
        &app.url(&format!("/meetings/{id}/edit")),
        &[("csrf", &csrf)],
    )
    .await;
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    general_and_time(&app, &c, &csrf, &draft, "Weekly review; Q3, été", "14:00").await;
    step3(&app, &c, &csrf, &draft, "remove:1", "", "").await;
    let loc = step3(&app, &c, &csrf, &draft, "create", "", "").await;
    assert!(loc.starts_with("/?updated="), "{loc}");
    let msgs = sink.messages(4).await;
    let (update, cancel) = (&msgs[2..], &msgs[2..]);
    let update = by_recipient(update, GUEST)[0];
    assert_eq!(update["method"], "REQUEST");
    assert_eq!(update["uid"], uid.as_str());
    assert_eq!(update["sequence"], 1);
    assert_eq!(update["dtstart"], "2030-06-12T14:00:00");
    assert_eq!(update["subject"], "Updated: Weekly review; Q3, été");
    let cancel = by_recipient(cancel, COLLEAGUE)[0];
    assert_eq!(cancel["method"], "CANCEL");
    assert!(s(&cancel["calendar_content_type"])
        .replace('"', "")
        .contains("method=CANCEL"));
    assert_eq!(cancel["uid"], uid.as_str());
    assert_eq!(cancel["sequence"], 1);
    assert_eq!(cancel["status"], "CANCELLED");
    assert!(!s(&cancel["text"]).contains(colleague_access.3.as_str()));

    // Delete: the guest gets the cancellation.
    let r = c
        .post(app.url(&format!("/meetings/{id}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let msgs = sink.messages(5).await;
    let last = &msgs[4];
    assert_eq!(last["envelope_to"], serde_json::json!([GUEST]));
    assert_eq!(last["method"], "CANCEL");
    assert_eq!(last["uid"], uid.as_str());
    assert_eq!(last["sequence"], 2);
    assert_eq!(last["subject"], "Cancelled: Weekly review; Q3, été");
}

#[tokio::test]
async fn smtp_down_is_retried_and_delivered_once_it_is_up() {
    require_python();
    let app = TestApp::spawn().await;
    let port = free_port();
    configure_smtp(&app, port);
    let c = app.signed_in_demo().await;
    let id = schedule(&app, &c, &[(GUEST, "ExternalAccessMeth")]).await;

    // Nothing listens: the first try fails and a retry is planned.
    assert_eq!(first_attempt(&app, &id).await.0, "pending");
    let page = get(&c, app.url(&format!("/meetings/{id}"))).await;
    assert_eq!(texts(&page, ".delivery .status"), vec!["Waiting to retry"]);

    // The server comes up; once the backoff has passed, the mail goes.
    let sink = SmtpSink::start(port);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(sink.count(), 0, "not before the backoff");
    app.clock.advance(chrono::Duration::minutes(5));
    let msgs = sink.messages(1).await;
    assert_eq!(msgs[0]["method"], "REQUEST");
    assert_eq!(msgs[0]["uid"], format!("{id}@cms-scheduler").as_str());
    let page = get(&c, app.url(&format!("/meetings/{id}"))).await;
    assert_eq!(texts(&page, ".delivery .status"), vec!["Sent"]);
}

#[tokio::test]
async fn outbox_throughput_to_aiosmtpd() {
    require_python();
    let app = TestApp::spawn().await;
    let port = free_port();
    let sink = SmtpSink::start(port);
    configure_smtp(&app, port);
    let c = app.signed_in_demo().await;
    let attendees: Vec<(String, &str)> = (0..20)
        .map(|i| (format!("guest{i}@partner.example"), "ExternalAccessMeth"))
        .collect();
    let refs: Vec<(&str, &str)> = attendees.iter().map(|(e, r)| (e.as_str(), *r)).collect();
    schedule(&app, &c, &refs).await;
    // From the commit (which wakes the worker) to the last message received
    // (not parsed: parse_mail.py's start alone takes longer than sending).
    let started = Instant::now();
    while sink.count() < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "20 invitations expected, {} received",
            sink.count()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed();
    assert_eq!(sink.messages(20).await.len(), 20);
    eprintln!(
        "outbox throughput: 20 invitations delivered to aiosmtpd in {took:?} ({:.1} mails/s)",
        20.0 / took.as_secs_f64()
    );
}

// ------------------------------------------- TLS, AUTH and a private CA ---

/// A private CA and an SMTP server certificate for 127.0.0.1 signed by it,
/// written to `dir` as ca.pem, smtp.pem and smtp.key.
fn smtp_pki(dir: &Path, ca_name: &str) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, ca_name);
    let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "smtp test server");
    let cert = p.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("smtp.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("smtp.key"), key.serialize_pem()).unwrap();
}

/// A sink over TLS (`--starttls` or `--smtps`) with the server certificate
/// of a "Mail CA" made in the data directory (ca.pem), requiring AUTH as
/// `user:password`; and its port.
fn secure_sink(app: &TestApp, tls: &str, auth: &str) -> (SmtpSink, u16) {
    smtp_pki(app.data_dir(), "Mail CA");
    let port = free_port();
    let (cert, key) = (
        app.data_dir().join("smtp.pem"),
        app.data_dir().join("smtp.key"),
    );
    let sink = SmtpSink::start_with(
        port,
        &[
            tls,
            cert.to_str().unwrap(),
            key.to_str().unwrap(),
            "--auth",
            auth,
        ],
    );
    (sink, port)
}

/// Waits for the first delivery attempt of the mail about `meeting`;
/// its status and last error.
async fn first_attempt(app: &TestApp, meeting: &str) -> (String, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row: (String, i64, Option<String>) = sqlx::query_as(
            "SELECT status, attempts, last_error FROM mail_outbox WHERE meeting_id = $1",
        )
        .bind(meeting)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if row.1 >= 1 {
            return (row.0, row.2);
        }
        assert!(Instant::now() < deadline, "no attempt was made");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// TLS (STARTTLS or SMTPS) with AUTH, trusting `trust` (a file in the data
/// directory), as the `scheduler email ...` commands would set it.
fn configure_secure_smtp(
    app: &TestApp,
    port: u16,
    protocol: Protocol,
    password: &str,
    trust: &str,
) {
    let store = ConfigStore::new(app.data_dir());
    let mut cfg = store.load().expect("config loads");
    cfg.email.server = Some(EmailServer {
        host: "127.0.0.1".into(),
        port,
    });
    cfg.email.protocol = protocol;
    cfg.email.starttls = protocol == Protocol::Smtp;
    cfg.email.auth = true;
    cfg.email.username = Some("scheduler".into());
    cfg.email.password = Some(Secret::new(password));
    cfg.email.trust = Some(trust.into());
    cfg.email.sender = Some("scheduler@example.com".into());
    store.save(&cfg).expect("config saved");
}

/// Waits until the outbox row of `meeting` has the status `status`.
async fn wait_status(app: &TestApp, meeting: &str, status: &str) -> (i64, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row: (String, i64, Option<String>) = sqlx::query_as(
            "SELECT status, attempts, last_error FROM mail_outbox WHERE meeting_id = $1",
        )
        .bind(meeting)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if row.0 == status {
            return (row.1, row.2);
        }
        assert!(
            Instant::now() < deadline,
            "waited for {status}, the mail is {} ({:?})",
            row.0,
            row.2
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn starttls_and_auth_with_a_private_ca() {
    require_python();
    let app = TestApp::spawn().await;
    let (sink, port) = secure_sink(&app, "--starttls", "scheduler:s3cret pass");
    configure_secure_smtp(&app, port, Protocol::Smtp, "s3cret pass", "ca.pem");
    let c = app.signed_in_demo().await;
    let id = schedule(&app, &c, &[(GUEST, "ExternalAccessMeth")]).await;
    let msgs = sink.messages(1).await;
    assert_eq!(msgs[0]["sink_tls"], "yes", "{:#?}", msgs[0]);
    assert_eq!(msgs[0]["sink_auth"], "scheduler");
    assert_eq!(msgs[0]["uid"], format!("{id}@cms-scheduler").as_str());
    assert!(sink.auth_failures().is_empty());
    let page = get(&c, app.url(&format!("/meetings/{id}"))).await;
    assert_eq!(texts(&page, ".delivery .status"), vec!["Sent"]);
}

#[tokio::test]
async fn smtps_with_a_private_ca() {
    require_python();
    let app = TestApp::spawn().await;
    let (sink, port) = secure_sink(&app, "--smtps", "scheduler:pw");
    configure_secure_smtp(&app, port, Protocol::Smtps, "pw", "ca.pem");
    let c = app.signed_in_demo().await;
    schedule(&app, &c, &[(GUEST, "ExternalAccessMeth")]).await;
    let msgs = sink.messages(1).await;
    assert_eq!(msgs[0]["sink_tls"], "yes");
    assert_eq!(msgs[0]["sink_auth"], "scheduler");
}

#[tokio::test]
async fn wrong_credentials_fail_clearly_and_the_password_shows_nowhere() {
    require_python();
    let app = TestApp::spawn().await;
    let (sink, port) = secure_sink(&app, "--starttls", "scheduler:right-password");
    configure_secure_smtp(&app, port, Protocol::Smtp, "Wr0ng-Pa55word", "ca.pem");
    let c = app.signed_in_demo().await;
    let id = schedule(&app, &c, &[(GUEST, "ExternalAccessMeth")]).await;
    // 535 is a permanent refusal: failed at once, not retried for hours.
    let (attempts, error) = wait_status(&app, &id, "failed").await;
    assert_eq!(attempts, 1);
    let error = error.unwrap_or_default();
    assert!(error.contains("535"), "{error}");
    assert!(!error.contains("Wr0ng-Pa55word"), "{error}");
    assert_eq!(sink.auth_failures(), ["scheduler"]);
    assert_eq!(sink.count(), 0);
    let page = get(&c, app.url(&format!("/meetings/{id}"))).await;
    assert_eq!(texts(&page, ".delivery .status"), vec!["Failed"]);
    let detail = &texts(&page, ".delivery .detail")[0];
    assert!(
        detail.starts_with("Invitation not delivered after 1 attempt(s): ")
            && detail.contains("535"),
        "{detail}"
    );
    assert!(!page.contains("Wr0ng-Pa55word"));
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    require_python();
    let app = TestApp::spawn().await;
    let (sink, port) = secure_sink(&app, "--starttls", "scheduler:pw");
    // The scheduler trusts another CA than the one that signed the server's.
    let other = tempfile::tempdir().unwrap();
    smtp_pki(other.path(), "Other CA");
    std::fs::copy(
        other.path().join("ca.pem"),
        app.data_dir().join("other-ca.pem"),
    )
    .unwrap();
    configure_secure_smtp(&app, port, Protocol::Smtp, "pw", "other-ca.pem");
    let c = app.signed_in_demo().await;
    let id = schedule(&app, &c, &[(GUEST, "ExternalAccessMeth")]).await;
    // Not sent, no credentials offered to an unverified server, retried later
    // (the administrator may fix the trust bundle).
    let (status, error) = first_attempt(&app, &id).await;
    assert_eq!(status, "pending");
    let error = error.unwrap_or_default();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert_eq!(sink.count(), 0);
    assert!(
        sink.auth_failures().is_empty(),
        "no AUTH before TLS verified"
    );
}

/// One occurrence cancelled, one moved: what a real SMTP server receives,
/// read by Python's icalendar.
#[tokio::test]
async fn occurrence_changes_reach_a_real_smtp_server() {
    require_python();
    let app = TestApp::spawn().await;
    let port = free_port();
    let sink = SmtpSink::start(port);
    configure_smtp(&app, port);
    let c = app.signed_in_demo().await;
    // Weekly from Wednesday 2030-06-12 10:00 Paris, 5 times.
    let id = schedule(&app, &c, &[(GUEST, "ExternalAccessMeth")]).await;
    sink.messages(1).await;
    let page = get(&c, app.url(&format!("/meetings/{id}"))).await;
    let csrf = form_field(&page, "csrf").unwrap();
    post_form(
        &c,
        &app.url(&format!("/meetings/{id}/occurrences/cancel")),
        &[("csrf", &csrf), ("original", "2030-06-19T10:00")],
    )
    .await;
    let msgs = sink.messages(2).await;
    let cancel = &msgs[1];
    assert_eq!(cancel["method"], "CANCEL");
    assert_eq!(cancel["status"], "CANCELLED");
    assert_eq!(cancel["recurrence_ids"][0], "2030-06-19T08:00:00Z");
    assert_eq!(cancel["rrule"], Value::Null);
    assert!(s(&cancel["subject"]).starts_with("Cancelled: "));
    assert!(s(&cancel["text"]).contains("One occurrence of this meeting has been cancelled."));
    post_form(
        &c,
        &app.url(&format!("/meetings/{id}/occurrences/move")),
        &[
            ("csrf", &csrf),
            ("original", "2030-06-26T10:00"),
            ("date", "2030-06-26"),
            ("from", "15:00"),
            ("to", "16:00"),
            ("name", ""),
        ],
    )
    .await;
    let msgs = sink.messages(3).await;
    let moved = &msgs[2];
    assert_eq!(moved["method"], "REQUEST");
    assert_eq!(moved["recurrence_ids"][0], "2030-06-26T08:00:00Z");
    assert_eq!(moved["dtstart_utc"], "2030-06-26T13:00:00Z");
    assert!(moved["sequence"].as_i64().unwrap() > cancel["sequence"].as_i64().unwrap());
    // A change of the whole series now carries the EXDATE and the moved
    // occurrence as a second VEVENT: the name changes.
    let loc = post_form(
        &c,
        &app.url(&format!("/meetings/{id}/edit")),
        &[("csrf", &csrf)],
    )
    .await;
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let loc = step3(&app, &c, &csrf, &draft, "create", "", "").await;
    assert!(loc.starts_with("/?updated="), "{loc}");
    let msgs = sink.messages(4).await;
    let update = &msgs[3];
    assert_eq!(update["method"], "REQUEST");
    assert_eq!(update["events"], 2);
    assert_eq!(update["recurrence_ids"][0], Value::Null);
    assert_eq!(update["recurrence_ids"][1], "2030-06-26T08:00:00Z");
    assert_eq!(
        update["exdates_utc"],
        serde_json::json!(["2030-06-19T08:00:00Z"])
    );
    assert!(
        s(&update["rrule"]).contains("COUNT=5"),
        "{}",
        update["rrule"]
    );
}

// ------------------------------------ SPEC §8, read by two parsers -----

/// The folder of the ical.js reader (its package.json and node_modules).
pub(crate) fn ical_js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ical")
}

pub(crate) fn require_ical_js() {
    let installed = ical_js_dir()
        .join("node_modules/ical.js/package.json")
        .exists();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        node && installed,
        "the mail integration tests need node and ical.js: run `npm ci` in tests/ical \
         (scripts/test.sh install_all does)"
    );
}

/// Runs tests/ical/read.mjs on `request`; its JSON answer.
pub(crate) fn ical_js(request: &Value) -> Value {
    use std::io::Write;
    let mut child = Command::new("node")
        .arg(ical_js_dir().join("read.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "read.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from read.mjs")
}

/// A scheduler occurrence as both parsers are compared with it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    start: String,
    end: String,
    name: String,
}

/// The scheduler's own list of the meeting's occurrences (REST API).
async fn scheduler_slots(app: &TestApp, token: &str, id: &str) -> Vec<Slot> {
    let url = app.url(&format!(
        "/api/v1/meetings/{id}/occurrences?fromTime=2030-01-01T00:00:00Z&untilTime=2032-01-01T00:00:00Z"
    ));
    let body = integration_tests::get_json(&reqwest::Client::new(), url, token).await;
    body["occurrences"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|o| Slot {
            start: s(&o["start"]).to_string(),
            end: s(&o["end"]).to_string(),
            name: s(&o["name"]).to_string(),
        })
        .collect()
}

/// What kind of mail a message is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The whole series, REQUEST: both parsers expand the scheduler's list.
    Series,
    /// One occurrence changed (REQUEST) or cancelled (CANCEL), by its
    /// original start in UTC.
    One {
        cancel: bool,
        original: &'static str,
    },
    /// The whole series cancelled.
    SeriesCancel,
}

/// SPEC §8, checked on one message as Python read it (`m`) and as ical.js
/// reads its calendar (`js`).
fn check_spec_rules(m: &Value, js: &Value, to: &str, expect: Expect, slots: &[Slot]) {
    let cancel = matches!(
        expect,
        Expect::SeriesCancel | Expect::One { cancel: true, .. }
    );
    let method = if cancel { "CANCEL" } else { "REQUEST" };
    let busy = if cancel { "FREE" } else { "BUSY" };
    // MIME: the calendar inline in the alternative, and attached.
    assert_eq!(
        m["structure"],
        "multipart/mixed[multipart/alternative[text/plain,text/html,text/calendar],application/ics]",
        "{m}"
    );
    assert_eq!(m["attachment_filename"], "invite.ics");
    assert_eq!(m["attachment_disposition"], "attachment");
    assert_eq!(m["attachment_equals_inline"], true);
    // METHOD: the same in the MIME header, and for both parsers.
    assert_eq!(m["calendar_method_param"], method, "{m}");
    assert_eq!(m["method"], method);
    assert_eq!(js["method"], method, "{js}");
    // The recipient in To: and, in every VEVENT, asked to answer.
    assert_eq!(m["to_addresses"], serde_json::json!([to]));
    let mailto = format!("mailto:{to}");
    for ev in m["vevents"].as_array().unwrap() {
        assert_eq!(ev["attendees"].as_array().unwrap().len(), 1, "{ev}");
        assert_eq!(ev["attendees"][0]["value"], mailto.as_str());
        assert_eq!(ev["attendees"][0]["rsvp"], "TRUE", "{ev}");
        assert_eq!(ev["attendees"][0]["partstat"], "NEEDS-ACTION");
        assert!(
            s(&ev["organizer"]["value"]).eq_ignore_ascii_case("mailto:demo.organizer@example.com")
        );
        assert_eq!(ev["busy_status"], busy, "{ev}");
        assert_eq!(ev["intended_status"], busy);
    }
    for ev in js["events"].as_array().unwrap() {
        assert_eq!(ev["attendees"].as_array().unwrap().len(), 1, "{ev}");
        let a = &ev["attendees"][0];
        assert_eq!(a["value"], mailto.as_str());
        assert_eq!(a["rsvp"], "TRUE", "{ev}");
        assert_eq!(a["partstat"], "NEEDS-ACTION");
        assert!(
            s(&ev["organizer"]["value"]).eq_ignore_ascii_case("mailto:demo.organizer@example.com")
        );
        assert_eq!(ev["busyStatus"], busy);
        assert_eq!(ev["intendedStatus"], busy);
        assert_eq!(ev["status"], if cancel { "CANCELLED" } else { "CONFIRMED" });
        // Every TZID has its VTIMEZONE, and ical.js resolved it there.
        assert_eq!(ev["dtstartTzid"], "Europe/Paris");
        assert_eq!(ev["dtstartZoneFound"], true, "{ev}");
    }
    assert_eq!(js["vtimezones"], serde_json::json!(["Europe/Paris"]));
    assert_eq!(m["vtimezones"], serde_json::json!(["Europe/Paris"]));
    // Outlook's form: yearly rules only (Paris has kept its rule for decades).
    let rules = js["observances"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{js}");
    for o in rules {
        assert!(s(&o["rrule"]).starts_with("FREQ=YEARLY;BYMONTH="), "{o}");
    }
    // The same VEVENTs, read alike.
    let py_events = m["vevents"].as_array().unwrap();
    let js_events = js["events"].as_array().unwrap();
    assert_eq!(py_events.len(), js_events.len());
    for (p, j) in py_events.iter().zip(js_events) {
        assert_eq!(p["dtstart_utc"], j["dtstartUtc"]);
        assert_eq!(p["recurrence_id_utc"], j["recurrenceIdUtc"]);
        assert_eq!(p["sequence"], j["sequence"]);
    }
    match expect {
        Expect::Series => {
            let starts: Vec<&str> = slots.iter().map(|o| o.start.as_str()).collect();
            let js_slots: Vec<Slot> = js["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| Slot {
                    start: s(&o["startUtc"]).to_string(),
                    end: s(&o["endUtc"]).to_string(),
                    name: s(&o["summary"]).to_string(),
                })
                .collect();
            assert_eq!(js_slots, slots, "ical.js expands the scheduler's list");
            let py: Vec<&str> = m["occurrences_utc"]
                .as_array()
                .unwrap()
                .iter()
                .map(s)
                .collect();
            assert_eq!(py, starts, "dateutil expands the scheduler's list");
        }
        Expect::One { cancel, original } => {
            assert_eq!(js_events.len(), 1, "{js}");
            assert_eq!(js_events[0]["recurrenceIdUtc"], original);
            assert_eq!(js_events[0]["rrule"], Value::Null);
            let listed = slots
                .iter()
                .find(|o| o.start == s(&js_events[0]["dtstartUtc"]));
            if cancel {
                // Gone from the scheduler's list.
                assert!(!slots.iter().any(|o| o.start == original), "{slots:?}");
            } else {
                assert!(listed.is_some(), "{js} in {slots:?}");
            }
        }
        Expect::SeriesCancel => {
            assert_eq!(js_events.len(), 1, "{js}");
            assert!(js_events[0]["rrule"].is_string(), "{js}");
        }
    }
}

/// Every kind of mail (invitation, change of one occurrence, cancellation
/// of one, update of the series, cancellation of the series) of a weekly
/// series across the end of summer time, through a real SMTP server, read
/// by Python (email, icalendar, dateutil) and by ical.js: the rules of SPEC
/// §8 hold and the occurrences both expand are the scheduler's own list.
#[tokio::test]
async fn every_kind_of_mail_reads_alike_in_icalendar_and_ical_js() {
    require_python();
    require_ical_js();
    let app = TestApp::spawn().await;
    let port = free_port();
    let sink = SmtpSink::start(port);
    configure_smtp(&app, port);
    let c = app.signed_in_demo().await;
    let user: (String,) = sqlx::query_as("SELECT id FROM users WHERE username = 'demo'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let token = server::auth::tokens::create(&app.db, &user.0, "mail test", 0)
        .await
        .unwrap();
    let read = |msg: &Value| {
        ical_js(&serde_json::json!({
            "mode": "mail",
            "calendars": [msg["calendar"]],
        }))[0]
            .clone()
    };

    // Weekly on Wednesdays from 2030-10-16 10:00 Paris, five times: summer
    // time ends on Sunday 2030-10-27, between the second and the third.
    let csrf = form_field(&get(&c, app.url("/schedule")).await, "csrf").unwrap();
    let draft =
        general_and_time_on(&app, &c, &csrf, "", "Autumn review", "10:00", "2030-10-16").await;
    step3(&app, &c, &csrf, &draft, "add", GUEST, "ExternalAccessMeth").await;
    let loc = step3(&app, &c, &csrf, &draft, "create", "", "").await;
    let id = loc.trim_start_matches("/?created=").to_string();
    let msgs = sink.messages(1).await;
    let slots = scheduler_slots(&app, &token, &id).await;
    assert_eq!(slots.len(), 5);
    assert_eq!(slots[1].start, "2030-10-23T08:00:00Z");
    assert_eq!(slots[2].start, "2030-10-30T09:00:00Z");
    check_spec_rules(&msgs[0], &read(&msgs[0]), GUEST, Expect::Series, &slots);

    // One occurrence moved (after the change of offset): REQUEST with its
    // RECURRENCE-ID.
    post_form(
        &c,
        &app.url(&format!("/meetings/{id}/occurrences/move")),
        &[
            ("csrf", &csrf),
            ("original", "2030-10-30T10:00"),
            ("date", "2030-10-30"),
            ("from", "15:00"),
            ("to", "16:30"),
            ("name", "Autumn review (moved)"),
        ],
    )
    .await;
    let msgs = sink.messages(2).await;
    let slots = scheduler_slots(&app, &token, &id).await;
    assert!(
        slots.iter().any(|o| o.start == "2030-10-30T14:00:00Z"),
        "{slots:?}"
    );
    check_spec_rules(
        &msgs[1],
        &read(&msgs[1]),
        GUEST,
        Expect::One {
            cancel: false,
            original: "2030-10-30T09:00:00Z",
        },
        &slots,
    );

    // One occurrence cancelled: CANCEL with its RECURRENCE-ID.
    post_form(
        &c,
        &app.url(&format!("/meetings/{id}/occurrences/cancel")),
        &[("csrf", &csrf), ("original", "2030-11-06T10:00")],
    )
    .await;
    let msgs = sink.messages(3).await;
    let slots = scheduler_slots(&app, &token, &id).await;
    assert_eq!(slots.len(), 4);
    check_spec_rules(
        &msgs[2],
        &read(&msgs[2]),
        GUEST,
        Expect::One {
            cancel: true,
            original: "2030-11-06T09:00:00Z",
        },
        &slots,
    );

    // The series saved again: REQUEST with the EXDATE and the moved
    // occurrence; both parsers expand the scheduler's four.
    let loc = post_form(
        &c,
        &app.url(&format!("/meetings/{id}/edit")),
        &[("csrf", &csrf)],
    )
    .await;
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let loc = step3(&app, &c, &csrf, &draft, "create", "", "").await;
    assert!(loc.starts_with("/?updated="), "{loc}");
    let msgs = sink.messages(4).await;
    let slots = scheduler_slots(&app, &token, &id).await;
    let update = &msgs[3];
    assert_eq!(update["events"], 2);
    let js = read(update);
    check_spec_rules(update, &js, GUEST, Expect::Series, &slots);
    // SEQUENCE never went down.
    let sequences: Vec<i64> = msgs
        .iter()
        .map(|m| m["sequence"].as_i64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] <= w[1]), "{sequences:?}");

    // The meeting deleted: CANCEL of the series, SEQUENCE above the last
    // REQUEST.
    let r = c
        .post(app.url(&format!("/meetings/{id}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let msgs = sink.messages(5).await;
    check_spec_rules(&msgs[4], &read(&msgs[4]), GUEST, Expect::SeriesCancel, &[]);
    assert!(msgs[4]["sequence"].as_i64() > msgs[3]["sequence"].as_i64());
}
