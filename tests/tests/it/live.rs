//! The running meeting: the meeting page and the home page show who is in
//! its space on the Call Bridge (`calls?coSpaceFilter=`, then the call's
//! legs), read at most every few seconds per node, and nothing when the
//! Call Bridge does not answer.

use integration_tests::{texts, TestApp, PASSWORD};
use serde_json::json;
use server::callbridge::sim::RequestMatcher;

/// A meeting starting in an hour, made through the REST API: (id, coSpace id).
async fn meeting(app: &TestApp, token: &str) -> (String, String) {
    let start = (server::clock::Clock::now(&app.clock) + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(token)
        .json(&json!({
            "name": "Test-XRP",
            "start": start,
            "durationMinutes": 60,
            "timeZone": "UTC",
            "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: serde_json::Value = r.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_string();
    let (cospace,): (String,) = sqlx::query_as(
        "SELECT s.cospace_id FROM meetings m JOIN spaces s ON s.id = m.space_id WHERE m.id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    (id, cospace)
}

fn calls_reads(app: &TestApp) -> usize {
    app.cb
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/calls?"))
        .count()
}

#[tokio::test]
async fn a_live_meeting_shows_its_participants_on_its_page_and_at_home() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let (id, cospace) = meeting(&app, &token).await;
    let client = app.client();
    app.sign_in(&client, "demo", PASSWORD).await;
    let page = format!("/meetings/{id}");

    // Not started: nothing live, and the Call Bridge is not asked.
    app.cb.clear_requests();
    let html = app.page(&client, &page).await;
    assert!(texts(&html, ".live").is_empty(), "{html}");
    assert_eq!(calls_reads(&app), 0);

    // It runs, but nobody is in: nothing shown.
    app.clock.advance(chrono::Duration::minutes(65));
    let html = app.page(&client, &page).await;
    assert!(texts(&html, ".live").is_empty());
    assert_eq!(calls_reads(&app), 1);

    // Two people join (the seed's "Test-XRP (2 active calls)").
    let call = app.cb.start_call(&cospace).unwrap();
    app.cb
        .join_call(&call, "Alice Martin", "alice@example.com")
        .unwrap();
    app.cb
        .join_call(&call, "", "sip:bob@partner.example")
        .unwrap();
    app.meetings.live.clear();
    let html = app.page(&client, &page).await;
    let live = texts(&html, ".meeting-page .live");
    assert_eq!(live.len(), 1, "{html}");
    assert!(live[0].contains("Live now"), "{live:?}");
    assert!(live[0].contains("2 participants"), "{live:?}");
    assert!(
        live[0].contains("Alice Martin, sip:bob@partner.example"),
        "{live:?}"
    );
    // The home page shows it on the meeting's row, from the cache.
    let before = calls_reads(&app);
    let home = app.page(&client, "/").await;
    let row = texts(&home, ".meeting .live");
    assert_eq!(row.len(), 1, "{home}");
    assert!(row[0].contains("2 participants"), "{row:?}");
    let _ = app.page(&client, &page).await;
    assert_eq!(calls_reads(&app), before, "read at most every few seconds");

    // The Call Bridge stops answering: nothing live is shown, the page works.
    app.meetings.live.clear();
    app.cb.busy_next(1000, RequestMatcher::any());
    let html = app.page(&client, &page).await;
    assert!(html.contains("Test-XRP"));
    assert!(texts(&html, ".live").is_empty(), "{html}");
    let home = app.page(&client, "/").await;
    assert!(texts(&home, ".live").is_empty());
    app.cb.clear_faults();

    // They hang up: nothing live.
    app.cb.end_call(&call).unwrap();
    app.meetings.live.clear();
    let html = app.page(&client, &page).await;
    assert!(texts(&html, ".live").is_empty());
}
