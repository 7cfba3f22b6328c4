//! The 01:15 GMT cleanup of temporary spaces, with a moved clock, against the
//! Call Bridge simulator.

use chrono::{DateTime, Duration, Utc};
use integration_tests::TestApp;
use serde_json::{json, Value};
use server::callbridge::sim::{FaultAction, RequestMatcher};
use server::callbridge::CallBridgeClient;
use server::jobs::{cleanup, lease};

async fn create(app: &TestApp, token: &str, name: &str, start: &str, extra: Value) -> Value {
    let mut body = json!({
        "name": name,
        "start": start,
        "durationMinutes": 60,
        "timeZone": "UTC",
        "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn temporary_spaces_go_a_day_after_the_last_occurrence() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let cb = CallBridgeClient::new(app.callbridge_config()).unwrap();
    let baseline = app.cb.cospaces().len();

    create(&app, &token, "Once", "2030-06-12T10:00", json!({})).await;
    create(
        &app,
        &token,
        "Weekly",
        "2030-06-12T12:00",
        json!({"repeat": "weekly", "repeatCount": 3}),
    )
    .await;
    create(
        &app,
        &token,
        "Forever",
        "2030-06-12T14:00",
        json!({"repeat": "daily"}),
    )
    .await;
    assert_eq!(app.cb.cospaces().len(), baseline + 3);

    // 23 hours after the single meeting: nothing is due.
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-13T10:00:00Z"), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.examined, r.deleted, r.kept), (3, 0, 3));

    // 25 hours after: the single meeting's space goes; the series keep theirs.
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-13T12:00:00Z"), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.deleted, r.kept, r.failed), (1, 2, 0));
    assert_eq!(app.cb.cospaces().len(), baseline + 2);
    let left: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meetings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left.0, 3, "the meetings stay as history");

    // Idempotent: running again changes nothing.
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-13T12:00:00Z"), "node-b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.examined, r.deleted), (2, 0));

    // The weekly series ends on June 26 at 13:00: its space goes a day later.
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-27T12:00:00Z"), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.deleted, 0);
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-27T14:00:00Z"), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.deleted, r.kept),
        (1, 1),
        "the endless series keeps its space"
    );
    assert_eq!(app.cb.cospaces().len(), baseline + 1);
}

#[tokio::test]
async fn a_call_bridge_failure_is_retried_at_the_next_run_and_one_node_runs_it() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let cb = CallBridgeClient::new(app.callbridge_config()).unwrap();
    let baseline = app.cb.cospaces().len();
    create(&app, &token, "A", "2030-06-12T10:00", json!({})).await;
    create(&app, &token, "B", "2030-06-12T11:00", json!({})).await;
    let later = at("2030-06-20T01:15:00Z");

    // Another node holds the lease: this one does nothing.
    assert!(lease::acquire(
        &app.db,
        cleanup::JOB,
        "node-b",
        0,
        (later + Duration::minutes(5)).timestamp_millis()
    )
    .await
    .unwrap());
    assert_eq!(
        cleanup::run_once(&app.db, &cb, later, "node-a")
            .await
            .unwrap(),
        None
    );
    // Its lease expires (the node died): this one takes over.
    let after = later + Duration::minutes(10);

    // The second deletion fails on the Call Bridge.
    app.cb.fail_nth(
        2,
        RequestMatcher::new("DELETE /api/v1/coSpaces/*"),
        FaultAction::Status(500),
    );
    let r = cleanup::run_once(&app.db, &cb, after, "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.deleted, r.failed), (1, 1));
    assert_eq!(app.cb.cospaces().len(), baseline + 1);
    app.cb.clear_faults();
    let r = cleanup::run_once(&app.db, &cb, after + Duration::days(1), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.deleted, r.failed), (1, 0));
    assert_eq!(app.cb.cospaces().len(), baseline);
}
