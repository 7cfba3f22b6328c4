//! Load: many signed-in users at once, each browsing and creating meetings
//! through the running server for a while. No error, no lost meeting, every
//! meeting with its space on the Call Bridge; latency reported. The short
//! version runs in scripts/test.sh; `LOAD_USERS=200 LOAD_SECONDS=60` makes
//! it the full run (`cargo test -p integration-tests load -- --nocapture`).

use integration_tests::{form_field, TestApp, PASSWORD, TEMPLATE};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_users_browse_and_create_meetings_at_once() {
    let users = env_or("LOAD_USERS", 40) as usize;
    let seconds = env_or("LOAD_SECONDS", 4);
    let app = TestApp::spawn().await;
    let spaces_before = app.cb.cospaces().len();
    // Every user is a Call Bridge user (the seed's demo user's JID).
    for i in 0..users {
        app.add_call_bridge_user(&format!("user{i}"), &format!("User {i}"), "Europe/Paris")
            .await;
    }
    let mut clients = Vec::new();
    for i in 0..users {
        let c = app.client();
        let r = app.sign_in(&c, &format!("user{i}"), PASSWORD).await;
        assert_eq!(r.status(), 303, "user{i} signs in");
        let csrf = form_field(&app.page(&c, "/").await, "csrf").expect("csrf");
        clients.push((c, csrf));
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, (c, csrf)) in clients.into_iter().enumerate() {
        let base = app.url("");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut created = Vec::new();
            let mut errors = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let t = Instant::now();
                match c.get(format!("{base}/")).send().await {
                    Ok(r) if r.status() == 200 => {
                        // A page that says the Call Bridge did not answer
                        // is an error too, even with its 200.
                        let html = r.text().await.unwrap_or_default();
                        if html.contains("cannot be listed") {
                            errors.push("home: the spaces could not be listed".into());
                        }
                    }
                    Ok(r) => errors.push(format!("home: {}", r.status())),
                    Err(e) => errors.push(format!("home: {e}")),
                }
                latencies.push(("home page", t.elapsed()));
                let t = Instant::now();
                let body = json!({
                    "name": format!("Load {i}-{n}"),
                    "templateId": TEMPLATE,
                    "start": format!("2030-{:02}-{:02}T{:02}:00", 1 + n % 12, 1 + i % 28, 8 + n % 10),
                    "durationMinutes": 30,
                    "timeZone": "Europe/Paris",
                    "attendees": [{"email": format!("guest{i}@partner.example"), "role": "ExternalAccessMeth"}]
                });
                match c
                    .post(format!("{base}/api/v1/meetings"))
                    .header("x-csrf-token", &csrf)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => {
                        let m: Value = r.json().await.unwrap_or_default();
                        created.push(m["id"].as_str().unwrap_or_default().to_string());
                    }
                    Ok(r) => {
                        let status = r.status();
                        errors.push(format!("create: {status} {}", r.text().await.unwrap_or_default()))
                    }
                    Err(e) => errors.push(format!("create: {e}")),
                }
                latencies.push(("create", t.elapsed()));
                if let Some(id) = created.last() {
                    let t = Instant::now();
                    match c.get(format!("{base}/meetings/{id}")).send().await {
                        Ok(r) if r.status() == 200 => {
                            let _ = r.text().await;
                        }
                        Ok(r) => errors.push(format!("meeting page: {}", r.status())),
                        Err(e) => errors.push(format!("meeting page: {e}")),
                    }
                    latencies.push(("meeting page", t.elapsed()));
                }
            }
            (latencies, created, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut created = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (l, c, e) = t.await.unwrap();
        latencies.extend(l);
        created.extend(c);
        errors.extend(e);
    }
    let mut all: Vec<Duration> = latencies.iter().map(|(_, d)| *d).collect();
    all.sort();
    eprintln!(
        "load: {users} users for {seconds} s: {} requests ({:.0}/s), {} meetings created, {} errors; \
         latency p50 {:?}, p99 {:?}, max {:?}",
        all.len(),
        all.len() as f64 / seconds as f64,
        created.len(),
        errors.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default(),
    );
    for kind in ["home page", "create", "meeting page"] {
        let mut these: Vec<Duration> = latencies
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, d)| *d)
            .collect();
        these.sort();
        eprintln!(
            "load:   {kind}: {} requests, p50 {:?}, p99 {:?}, max {:?}",
            these.len(),
            percentile(&these, 0.5),
            percentile(&these, 0.99),
            these.last().copied().unwrap_or_default(),
        );
    }
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(!created.is_empty());
    // No meeting lost, none made twice, each with its space.
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meetings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored as usize, created.len());
    let unique: std::collections::HashSet<_> = created.iter().collect();
    assert_eq!(unique.len(), created.len());
    assert_eq!(app.cb.cospaces().len(), spaces_before + created.len());
    let (mails,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mail_outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(mails as usize, created.len(), "one invitation each");
}
