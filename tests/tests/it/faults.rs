//! Faults of the Call Bridge during creation, deletion and cleanup: after
//! each, no meeting lost, no half-made or duplicate space, no duplicate mail.

use integration_tests::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::callbridge::sim::{FaultAction, FaultRule, RequestMatcher};
use std::time::Duration;

const TEMPLATE: &str = "19577d25-f7cf-4524-9a26-5fd418dd5f96";

async fn setup() -> (TestApp, String, reqwest::Client) {
    let app = TestApp::spawn().await;
    let id = app
        .add_user_with_email(
            "demo",
            "Demo Organizer",
            "demo.organizer@example.com",
            "UTC",
        )
        .await;
    let token = server::auth::tokens::create(&app.db, &id, "t", 0)
        .await
        .unwrap();
    (app, token, reqwest::Client::new())
}

fn meeting(name: &str, request_id: &str) -> Value {
    json!({
        "name": name, "templateId": TEMPLATE, "start": "2030-06-12T10:00",
        "durationMinutes": 30, "timeZone": "UTC", "requestId": request_id,
        "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
    })
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&app.db).await.unwrap();
    n
}

#[tokio::test]
async fn a_lost_answer_while_creating_then_a_retry_makes_one_space_and_one_mail() {
    let (app, token, http) = setup().await;
    let spaces = app.cb.cospaces().len();
    // The Call Bridge makes the coSpace but the answer never arrives.
    app.cb.add_fault(FaultRule::next(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DropAfterProcessing,
    ));
    let first = http
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&meeting("Lost answer", "lost-answer-1"))
        .send()
        .await
        .unwrap();
    // Whatever the first attempt answered, the client retries with the same
    // request id: one meeting, one space, one invitation.
    let retry = http
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&meeting("Lost answer", "lost-answer-1"))
        .send()
        .await
        .unwrap();
    assert!(
        retry.status() == StatusCode::CREATED || retry.status() == StatusCode::OK,
        "first {}, retry {}",
        first.status(),
        retry.status()
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meetings").await, 1);
    assert_eq!(app.cb.cospaces().len(), spaces + 1, "one space");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM mail_outbox").await,
        1,
        "one invitation"
    );
}

#[tokio::test]
async fn a_slow_call_bridge_still_creates_once() {
    let (app, token, http) = setup().await;
    let spaces = app.cb.cospaces().len();
    app.cb.add_fault(FaultRule::next(
        3,
        RequestMatcher::new("**"),
        FaultAction::Delay(Duration::from_millis(700)),
    ));
    let r = http
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&meeting("Slow", "slow-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(app.cb.cospaces().len(), spaces + 1);
}

#[tokio::test]
async fn a_refused_deletion_keeps_the_meeting_and_a_retry_sends_one_cancellation() {
    let (app, token, http) = setup().await;
    let r = http
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&meeting("Keep me", "keep-1"))
        .send()
        .await
        .unwrap();
    let m: Value = r.json().await.unwrap();
    let url = app.url(&format!("/api/v1/meetings/{}", m["id"].as_str().unwrap()));
    let spaces = app.cb.cospaces().len();
    // 503 on every try of the deletion, then a dropped connection.
    app.cb
        .busy_next(20, RequestMatcher::new("DELETE /api/v1/coSpaces/*"));
    let r = http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    app.cb.add_fault(FaultRule::next(
        20,
        RequestMatcher::new("DELETE /api/v1/coSpaces/*"),
        FaultAction::Drop,
    ));
    let r = http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    // Nothing lost, nothing told yet.
    assert_eq!(
        http.get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.cb.cospaces().len(), spaces);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'cancel'"
        )
        .await,
        0
    );
    // The Call Bridge is back: deleted, and one cancellation.
    app.cb.clear_faults();
    let r = http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.cb.cospaces().len(), spaces - 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'cancel'"
        )
        .await,
        1
    );
    assert_eq!(
        http.delete(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}
