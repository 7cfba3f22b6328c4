//! Two scheduler nodes on one database (the PostgreSQL pass of
//! scripts/test.sh runs these on PostgreSQL; the first on one SQLite file):
//! what one node writes the other sees at once, sessions work on either,
//! both drain one outbox and send each mail once, and the cleanup lease
//! moves to the other node when its holder dies.

use integration_tests::{post_json, texts, TestApp, PASSWORD, TEMPLATE};
use serde_json::{json, Value};
use server::mail::backend::MemoryBackend;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_meeting_made_on_one_node_is_seen_and_changed_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.another_node().await;
    let (_, token) = a.demo_organizer("Europe/Paris").await;
    let http = reqwest::Client::new();
    let r = post_json(
        &http,
        a.url("/api/v1/meetings"),
        &token,
        &json!({
            "name": "Across nodes",
            "templateId": TEMPLATE,
            "start": "2030-06-12T10:00",
            "durationMinutes": 60,
            "timeZone": "Europe/Paris",
            "repeat": "weekly",
            "repeatCount": 3,
            "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
        }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    let meeting = m["id"].as_str().unwrap().to_string();

    // Node B reads it at once, through the API and the pages.
    let r = http
        .get(b.url(&format!("/api/v1/meetings/{meeting}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A session made on A works on B (one cookie for the host).
    let c = a.client();
    a.sign_in(&c, "demo", PASSWORD).await;
    let page = b.page(&c, &format!("/meetings/{meeting}")).await;
    assert_eq!(texts(&page, "h1"), ["Across nodes"]);
    assert_eq!(texts(&page, "li.occurrence").len(), 3);
    // An occurrence cancelled through B is gone on A.
    let r = http
        .delete(b.url(&format!(
            "/api/v1/meetings/{meeting}/occurrences/2030-06-19T10:00"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let page = a.page(&c, &format!("/meetings/{meeting}")).await;
    assert_eq!(texts(&page, "li.occurrence").len(), 2);
    // Signing out on B ends the session on A too.
    let csrf = integration_tests::form_field(&page, "csrf").unwrap();
    let r = c
        .post(b.url("/auth/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(integration_tests::location(&r), "/login");
    let r = c.get(a.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn both_nodes_drain_one_outbox_and_send_each_mail_once() {
    const MAILS: usize = 1000;
    let a = TestApp::spawn().await;
    let b = a.another_node().await;
    let (sent_a, sent_b) = (
        Arc::new(MemoryBackend::new()),
        Arc::new(MemoryBackend::new()),
    );
    a.mail.set_backend(sent_a.clone());
    b.mail.set_backend(sent_b.clone());
    for i in 0..MAILS {
        // The message first: the nodes' workers are running, and a row
        // claimed before its message would fail for good.
        sqlx::query("INSERT INTO mail_outbox_messages (id, message) VALUES ($1, $2)")
            .bind(format!("bulk-{i:04}"))
            .bind(format!("Subject: bulk {i}\r\n\r\nHello\r\n"))
            .execute(&a.db)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO mail_outbox (id, meeting_id, recipient, kind, status, attempts, \
             next_attempt_at, created_at) VALUES ($1, 'bulk', $2, 'invite', 'pending', 0, 0, $3)",
        )
        .bind(format!("bulk-{i:04}"))
        .bind(format!("guest{i}@partner.example"))
        .bind(i as i64)
        .execute(&a.db)
        .await
        .unwrap();
    }
    let started = Instant::now();
    a.mail.wake();
    b.mail.wake();
    loop {
        let (sent,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE status = 'sent'")
                .fetch_one(&a.db)
                .await
                .unwrap();
        if sent as usize == MAILS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{sent} of {MAILS} sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    let (from_a, from_b) = (sent_a.sent(), sent_b.sent());
    eprintln!(
        "two nodes sent {MAILS} mails in {took:?}: {} by A, {} by B",
        from_a.len(),
        from_b.len()
    );
    assert_eq!(from_a.len() + from_b.len(), MAILS, "each mail sent once");
    let recipients: HashSet<String> = from_a.iter().chain(&from_b).map(|s| s.to.clone()).collect();
    assert_eq!(recipients.len(), MAILS, "no mail sent twice");
}

#[tokio::test]
async fn the_cleanup_lease_moves_to_the_other_node_when_its_holder_dies() {
    use server::jobs::{cleanup, lease};
    let a = TestApp::spawn().await;
    let b = a.another_node().await;
    let now = chrono::Utc::now();
    let ms = server::clock::to_millis;
    // Node A takes the lease for 15 minutes and dies without giving it back.
    assert!(lease::acquire(
        &a.db,
        cleanup::JOB,
        "node-a",
        ms(now),
        ms(now + chrono::Duration::minutes(15))
    )
    .await
    .unwrap());
    let cb_b = server::callbridge::CallBridgeClient::new(b.callbridge_config()).unwrap();
    assert!(
        cleanup::run_once(&b.db, &cb_b, now + chrono::Duration::minutes(1), "node-b")
            .await
            .unwrap()
            .is_none(),
        "A still holds it"
    );
    let report = cleanup::run_once(&b.db, &cb_b, now + chrono::Duration::minutes(16), "node-b")
        .await
        .unwrap();
    assert!(report.is_some(), "B runs it once A's lease has expired");
}

/// Two nodes sharing one Call Bridge (simulator) and its three web bridges:
/// each node keeps its own C2W link to every bridge.
#[tokio::test]
async fn both_nodes_keep_a_c2w_link_to_all_three_web_bridges() {
    use server::callbridge::sim::{CallBridgeSim, Seed, SimCredentials};
    let shared = tempfile::tempdir().unwrap();
    let database_url = if std::env::var("TEST_BACKEND").as_deref() == Ok("postgres") {
        integration_tests::fresh_postgres_database().await
    } else {
        format!("sqlite://{}", shared.path().join("cluster.db").display())
    };
    let cb = CallBridgeSim::start(
        Seed::source_document().unwrap(),
        SimCredentials::new("scheduler", "cluster-secret"),
    )
    .await
    .unwrap();
    let pki_dir = shared.path().join("demo-pki");
    let pki = server::demo::DemoPki::load_or_make(&pki_dir).unwrap();
    let bridges = server::demo::start_simulated_bridges(&pki, &cb, 3)
        .await
        .unwrap();

    let mut nodes = Vec::new();
    let mut stops = Vec::new();
    for n in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let store = server::admin::config::ConfigStore::new(dir.path());
        let mut cfg = store.load().unwrap();
        cfg.c2w.certs = Some(server::admin::config::CertPair {
            key: pki_dir.join("c2w.key").display().to_string(),
            cert: pki_dir.join("c2w.pem").display().to_string(),
        });
        cfg.c2w.trust = Some(pki_dir.join("ca.pem").display().to_string());
        cfg.enabled = true;
        store.save(&cfg).unwrap();
        let mut serve = server::config::ServeConfig::for_tests(dir.path().to_path_buf());
        serve.database_url = Some(database_url.clone());
        serve.callbridge_simulator = false;
        serve.callbridge_url = vec![cb.base_url.clone()];
        serve.callbridge_password = Some("cluster-secret".into());
        let app = server::Application::build(serve, Arc::new(server::clock::SystemClock))
            .await
            .unwrap_or_else(|e| panic!("node {n}: {e}"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        stops.push(stop);
        nodes.push(dir);
    }
    for (n, dir) in nodes.iter().enumerate() {
        let start = Instant::now();
        loop {
            let mut ctx = server::admin::cli::Context::new(dir.path());
            ctx.timeout = Duration::from_secs(10);
            let mut out = Vec::new();
            server::admin::cli::execute(
                &ctx,
                server::admin::parse::parse(&["status"]).unwrap(),
                &mut out,
            )
            .await
            .unwrap();
            let st = String::from_utf8(out).unwrap();
            if st.contains("C2W configured, 3 of 3 web bridges UP") {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(15), "node {n}:\n{st}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for b in &bridges {
        assert_eq!(
            b.connected(),
            2,
            "{} has a link from each node",
            b.address()
        );
    }
    for stop in stops {
        let _ = stop.send(());
    }
}

/// A node dies after the Call Bridge made the coSpace but before the meeting
/// was stored (its task is dropped: no compensation runs). Another node's
/// recovery sweep finds the half-made space once it is stale and deletes it.
#[tokio::test]
async fn a_node_killed_while_creating_a_meeting_leaves_no_half_made_space() {
    use server::callbridge::sim::{FaultAction, FaultRule, RequestMatcher};
    use server::jobs::recover;
    let a = TestApp::spawn().await;
    let b = a.another_node().await;
    let id = a.add_demo_organizer("UTC").await;
    let user = server::auth::users::find_by_id(&a.db, &id)
        .await
        .unwrap()
        .unwrap();
    let before = a.cb.cospaces().len();
    // Making the new space's first access method hangs: the node dies
    // while waiting, with the coSpace made and nothing stored.
    a.cb.add_fault(FaultRule::next(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces/*/accessMethods"),
        FaultAction::Delay(Duration::from_secs(60)),
    ));
    let input: server::meetings::api::MeetingInput = serde_json::from_value(json!({
        "name": "Half made",
        "templateId": TEMPLATE,
        "start": "2030-06-12T10:00",
        "durationMinutes": 30,
        "timeZone": "UTC",
        "attendees": [],
        "requestId": "dies-mid-create"
    }))
    .unwrap();
    let meetings = a.meetings.clone();
    let task = tokio::spawn(async move { meetings.create_api(&user, input).await });
    let start = Instant::now();
    while a.cb.cospaces().len() == before {
        assert!(start.elapsed() < Duration::from_secs(10), "no coSpace made");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Wait until it hangs on the access methods, then kill it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!task.is_finished(), "still creating");
    task.abort();
    let _ = task.await;
    assert_eq!(a.cb.cospaces().len(), before + 1, "half made");
    let (intents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM space_intents")
        .fetch_one(&b.db)
        .await
        .unwrap();
    assert_eq!(intents, 1);

    // Node B sweeps (against the same Call Bridge): not before it is stale,
    // then it deletes the space; a second sweep has nothing to do.
    let cb = server::callbridge::CallBridgeClient::new(a.callbridge_config()).unwrap();
    let now = chrono::Utc::now();
    let r = recover::sweep(&b.db, &cb, now + chrono::Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(r, recover::RecoverReport::default());
    assert_eq!(a.cb.cospaces().len(), before + 1);
    let r = recover::sweep(&b.db, &cb, now + chrono::Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!(r.deleted, 1, "{r:?}");
    assert_eq!(a.cb.cospaces().len(), before, "no half-made space remains");
    let r = recover::sweep(&b.db, &cb, now + chrono::Duration::minutes(12))
        .await
        .unwrap();
    assert_eq!(r, recover::RecoverReport::default());
    let (meetings,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meetings")
        .fetch_one(&b.db)
        .await
        .unwrap();
    assert_eq!(meetings, 0);
}

/// A creation that completes leaves no intent behind, and one the Call
/// Bridge refuses (compensated) neither.
#[tokio::test]
async fn finished_and_compensated_creations_leave_no_intent() {
    use server::callbridge::sim::{FaultAction, FaultRule, RequestMatcher};
    let a = TestApp::spawn().await;
    let (_, token) = a.demo_organizer("UTC").await;
    let http = reqwest::Client::new();
    let body = |name: &str| {
        json!({
            "name": name, "templateId": TEMPLATE, "start": "2030-06-12T10:00",
            "durationMinutes": 30, "timeZone": "UTC", "attendees": []
        })
    };
    let r = post_json(&http, a.url("/api/v1/meetings"), &token, &body("Fine")).await;
    assert_eq!(r.status(), 201);
    a.cb.add_fault(FaultRule::next(
        100,
        RequestMatcher::new("POST /api/v1/coSpaces/*/accessMethods"),
        FaultAction::Status(500),
    ));
    let r = post_json(&http, a.url("/api/v1/meetings"), &token, &body("Refused")).await;
    assert_eq!(r.status(), 502);
    let (intents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM space_intents")
        .fetch_one(&a.db)
        .await
        .unwrap();
    assert_eq!(intents, 0);
}
