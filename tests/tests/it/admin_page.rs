//! The administrators' page and `scheduler status` against the running
//! server: the outbox, and the C2W links to simulated web bridges as the
//! scheduler is enabled and disabled (the supervisor follows the running
//! configuration), over real mutual TLS with rcgen certificates.

use integration_tests::{texts, TestApp, PASSWORD, TEMPLATE};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use server::admin::cli::{execute, Context, Outcome};
use server::admin::parse::parse;
use server::auth::users;
use server::c2w::sim::WebBridgeSim;
use std::path::Path;
use std::time::{Duration, Instant};

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// A leaf for 127.0.0.1 signed by `ca`: (key, certificate).
fn leaf(ca: &Ca, name: &str) -> (KeyPair, rcgen::Certificate) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    let cert = p.signed_by(&key, &**ca).unwrap();
    (key, cert)
}

async fn scheduler(dir: &Path, words: &[&str]) -> String {
    let mut ctx = Context::new(dir);
    ctx.timeout = Duration::from_secs(20);
    let mut out = Vec::new();
    let outcome = execute(&ctx, parse(words).unwrap(), &mut out)
        .await
        .unwrap_or_else(|e| panic!("{words:?}: {e}"));
    let out = String::from_utf8(out).unwrap();
    assert!(matches!(outcome, Outcome::Done), "{words:?}:\n{out}");
    out
}

/// Polls `scheduler status` until `f` accepts it.
async fn status_until(dir: &Path, what: &str, f: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let st = scheduler(dir, &["status"]).await;
        if f(&st) {
            return st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}; last status:\n{st}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn only_administrators_see_the_page_and_it_lists_the_outbox() {
    let app = TestApp::spawn().await;
    app.add_user("bob", "Bob", "UTC").await;
    let root_id = app
        .add_call_bridge_user("root", "Root", "Europe/Paris")
        .await;

    // A plain user: no link in the header, and the page says no.
    let bob = app.client();
    app.sign_in(&bob, "bob", PASSWORD).await;
    let home = app.page(&bob, "/").await;
    assert!(!home.contains("href=\"/admin\""), "no admin link for bob");
    let page = app.page(&bob, "/admin").await;
    assert!(
        page.contains("Only administrators can see this page."),
        "{page}"
    );
    assert!(texts(&page, "h1").is_empty(), "nothing of the page: {page}");

    // An administrator (made one after the account existed).
    assert!(users::set_admin(&app.db, "ROOT", true).await.unwrap());
    assert!(!users::set_admin(&app.db, "nobody", true).await.unwrap());
    let root = app.client();
    app.sign_in(&root, "root", PASSWORD).await;
    let home = app.page(&root, "/").await;
    assert!(home.contains("href=\"/admin\""), "admin link for root");

    // A meeting with two attendees queues two invitations.
    let token = server::auth::tokens::create(&app.db, &root_id, "test", 0)
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Quarterly <review>",
            "templateId": TEMPLATE,
            "start": "2030-06-12T10:00",
            "durationMinutes": 45,
            "timeZone": "Europe/Paris",
            "attendees": [
                {"email": "guest@partner.example", "role": "ExternalAccessMeth"},
                {"email": "colleague@example.com", "role": "InternalAccessMeth"}
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);

    let page = app.page(&root, "/admin").await;
    assert_eq!(texts(&page, "h1"), ["Administration"]);
    let status = texts(&page, "pre.status-lines");
    assert!(
        status[0].starts_with("Status: disabled\nRunning\n"),
        "{status:?}"
    );
    assert!(status[0].contains("C2W not configured"), "{status:?}");
    assert!(
        texts(&page, "p.empty")[0].starts_with("The C2W links are not running"),
        "{page}"
    );
    assert_eq!(texts(&page, ".tz")[0], "Times in Europe/Paris");
    let recipients = texts(&page, "tr.mail .email");
    assert_eq!(recipients.len(), 2, "{page}");
    assert!(recipients.contains(&"guest@partner.example".to_string()));
    assert!(recipients.contains(&"colleague@example.com".to_string()));
    // The meeting's name is escaped, not markup.
    assert_eq!(
        texts(&page, "tr.mail .meeting"),
        ["Quarterly <review>", "Quarterly <review>"]
    );
    let counts: i64 = texts(&page, ".mail-counts dd")
        .iter()
        .map(|n| n.parse::<i64>().unwrap())
        .sum();
    assert_eq!(counts, 2);

    // In French too.
    let page = root
        .get(app.url("/admin"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&page, "#mail-title"), ["File d'envoi des e-mails"]);

    // Revoked: the next request is refused, the session notwithstanding.
    assert!(users::set_admin(&app.db, "root", false).await.unwrap());
    let page = app.page(&root, "/admin").await;
    assert!(page.contains("Only administrators can see this page."));
}

#[tokio::test]
async fn c2w_links_follow_enable_and_disable_and_show_on_the_page() {
    let app = TestApp::spawn().await;
    let dir = app.data_dir().to_path_buf();

    // PKI: the web bridges' CA and the schedulers' CA.
    let bridges_ca = ca("Web Bridge CA");
    let schedulers_ca = ca("Scheduler CA");
    let (sched_key, sched_cert) = leaf(&schedulers_ca, "scheduler");
    std::fs::write(dir.join("c2w.key"), sched_key.serialize_pem()).unwrap();
    std::fs::write(
        dir.join("c2w.pem"),
        format!("{}{}", sched_cert.pem(), schedulers_ca.pem()),
    )
    .unwrap();
    std::fs::write(dir.join("bridges.pem"), bridges_ca.pem()).unwrap();

    // Two web bridges that trust the schedulers' CA, in place of the
    // Call Bridge's seeded (unreachable) ones.
    for wb in app.cb.objects("webBridges") {
        app.cb.remove_web_bridge(&wb.id).unwrap();
    }
    let mut sims = Vec::new();
    for i in 0..2 {
        let (key, cert) = leaf(&bridges_ca, &format!("webbridge{i}"));
        let tls = server::c2w::tls::server_config(
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            vec![cert.der().clone(), bridges_ca.der().clone()],
            &[CertificateDer::from(schedulers_ca.der().to_vec())],
        )
        .unwrap();
        let sim = WebBridgeSim::start(tls).await.unwrap();
        app.cb.add_web_bridge(&sim.url()).unwrap();
        sims.push(sim);
    }

    let st = scheduler(&dir, &["status"]).await;
    assert!(st.contains("\nC2W not configured\n"), "{st}");
    scheduler(&dir, &["c2w", "certs", "c2w.key", "c2w.pem"]).await;
    scheduler(&dir, &["c2w", "trust", "bridges.pem"]).await;
    let out = scheduler(&dir, &["enable"]).await;
    assert!(
        out.contains("SUCCESS: C2W full chain of certificates verifies correctly\n")
            && out.ends_with("SUCCESS: scheduler enabled\n"),
        "{out}"
    );

    // The running service starts the links on `enable`, without a restart
    // of the process.
    let st = status_until(&dir, "2 of 2 UP", |s| {
        s.contains("C2W configured, 2 of 2 web bridges UP")
    })
    .await;
    for sim in &sims {
        let line = format!("  webbridge {} UP since ", sim.address());
        let found = st
            .lines()
            .find(|l| l.starts_with(&line))
            .unwrap_or_else(|| panic!("{st}"));
        assert!(found.ends_with(&format!(", guid {}", sim.guid)), "{found}");
    }

    // The administrators' page shows the same.
    app.add_user("root", "Root", "UTC").await;
    users::set_admin(&app.db, "root", true).await.unwrap();
    let c = app.client();
    app.sign_in(&c, "root", PASSWORD).await;
    let page = app.page(&c, "/admin").await;
    let mut addresses = texts(&page, "tr.bridge .address");
    addresses.sort();
    let mut expected: Vec<String> = sims.iter().map(|s| s.address()).collect();
    expected.sort();
    assert_eq!(addresses, expected);
    assert_eq!(texts(&page, "tr.bridge .state"), ["UP", "UP"]);
    let mut guids = texts(&page, "tr.bridge .guid");
    guids.sort();
    let mut sim_guids: Vec<String> = sims.iter().map(|s| s.guid.clone()).collect();
    sim_guids.sort();
    assert_eq!(guids, sim_guids);

    // A bridge stopped goes DOWN with its error; the page says so.
    let down = sims[1].address();
    sims[1].stop().await;
    status_until(&dir, "1 of 2 UP", |s| s.contains("1 of 2 web bridges UP")).await;
    let page = app.page(&c, "/admin").await;
    assert!(
        page.contains("data-state=\"DOWN\""),
        "a DOWN row for {down}: {page}"
    );

    // A restart that changes nothing of C2W keeps the links (same count of
    // connections on the bridge that stayed up).
    let before = sims[0].connections();
    scheduler(&dir, &["restart"]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sims[0].connections(), before, "the link was not remade");
    assert_eq!(sims[0].connected(), 1);

    // Disable: the links close and status no longer lists them.
    scheduler(&dir, &["disable"]).await;
    let st = status_until(&dir, "no links", |s| !s.contains("webbridge")).await;
    assert!(st.starts_with("Status: disabled\n"), "{st}");
    let start = Instant::now();
    while sims[0].connected() > 0 {
        assert!(start.elapsed() < Duration::from_secs(5), "link still open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Demo mode runs three web bridge simulators with certificates it makes
/// once; the mesh comes UP by itself, and again after a restart of the
/// process with the same data directory (same certificates).
#[tokio::test]
async fn the_demo_runs_three_web_bridges_and_the_mesh_comes_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut fingerprints = Vec::new();
    for run in 0..2 {
        let mut cfg = server::config::ServeConfig::for_tests(dir.path().to_path_buf());
        cfg.demo = true;
        let app = server::Application::build(cfg, std::sync::Arc::new(server::clock::SystemClock))
            .await
            .unwrap();
        assert_eq!(app.web_bridge_sims.len(), 3);
        let addresses: Vec<String> = app.web_bridge_sims.iter().map(|s| s.address()).collect();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let st = status_until(dir.path(), "3 of 3 UP", |s| {
            s.contains("C2W configured, 3 of 3 web bridges UP")
        })
        .await;
        assert!(st.starts_with("Status: enabled\n"), "run {run}: {st}");
        for a in &addresses {
            assert!(st.contains(&format!("  webbridge {a} UP since ")), "{st}");
        }
        let key = std::fs::read(dir.path().join("demo-pki/c2w.key")).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join("demo-pki/c2w.key"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        fingerprints.push(key);
        let _ = stop.send(());
        running.await.unwrap().unwrap();
    }
    assert_eq!(fingerprints[0], fingerprints[1], "made once, reused");
}

#[tokio::test]
async fn an_administrator_runs_the_cleanup_on_demand() {
    let app = TestApp::spawn().await;
    let root_id = app.add_call_bridge_user("root", "Root", "UTC").await;
    users::set_admin(&app.db, "root", true).await.unwrap();
    app.add_user("bob", "Bob", "UTC").await;
    let token = server::auth::tokens::create(&app.db, &root_id, "t", 0)
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Done soon",
            "templateId": TEMPLATE,
            "start": "2030-06-12T10:00",
            "durationMinutes": 30,
            "timeZone": "UTC",
            "attendees": []
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let spaces = app.cb.cospaces().len();

    // A plain user may not.
    let bob = app.client();
    app.sign_in(&bob, "bob", PASSWORD).await;
    let csrf = integration_tests::form_field(&app.page(&bob, "/").await, "csrf").unwrap();
    let r = bob
        .post(app.url("/admin/cleanup"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);

    // Not due yet: kept.
    let c = app.client();
    app.sign_in(&c, "root", PASSWORD).await;
    let page = app.page(&c, "/admin").await;
    let csrf = integration_tests::form_field(&page, "csrf").unwrap();
    let run = || async {
        let r = c
            .post(app.url("/admin/cleanup"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        integration_tests::location(&r)
    };
    let to = run().await;
    assert_eq!(
        to,
        "/admin?cleanup=done&examined=1&deleted=0&failed=0&kept=1"
    );
    let page = app.page(&c, &to).await;
    assert!(
        texts(&page, "#cleanup-title ~ .notice")[0]
            .starts_with("Cleanup done: 1 temporary spaces examined, 0 deleted"),
        "{page}"
    );
    // A day after the meeting ended (the session has expired by then):
    // deleted on the Call Bridge.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-06-13T11:00:00Z")
            .unwrap()
            .into(),
    );
    let c = app.client();
    app.sign_in(&c, "root", PASSWORD).await;
    let csrf = integration_tests::form_field(&app.page(&c, "/admin").await, "csrf").unwrap();
    let r = c
        .post(app.url("/admin/cleanup"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        integration_tests::location(&r),
        "/admin?cleanup=done&examined=1&deleted=1&failed=0&kept=0"
    );
    assert_eq!(app.cb.cospaces().len(), spaces - 1);
}
