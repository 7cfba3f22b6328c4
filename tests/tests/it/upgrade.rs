//! Upgrades: a database left by an earlier release's migrations (a fixture
//! in `tests/fixtures/`) migrates to this release when the server starts,
//! and every meeting, occurrence, attendee and account in it is still there.
//! A migration changed in place (instead of a new one added) fails here:
//! sqlx refuses a database whose applied migration no longer matches.

use integration_tests::{get_json, TestApp};
use serde_json::Value;
use sqlx::Connection;

/// A SQLite file loaded from the fixture `name`; its URL.
async fn database_from(dir: &std::path::Path, name: &str) -> String {
    let dump = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .expect("the fixture");
    let url = format!("sqlite://{}?mode=rwc", dir.join("scheduler.db").display());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
        .execute(&mut conn)
        .await
        .expect("the fixture loads");
    conn.close().await.unwrap();
    url
}

#[tokio::test]
async fn a_first_release_database_keeps_every_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_from(dir.path(), "release-1.sql").await;
    // An invitation still waiting in that release's outbox, its message in
    // its row (migration 0007 moves it to a table of its own).
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO mail_outbox (id, meeting_id, recipient, kind, message, status, attempts, \
         next_attempt_at, created_at) VALUES ('o-1', 'm-weekly', 'bob@example.com', 'invite', \
         'Subject: Weekly sync\r\n\r\nHello\r\n', 'pending', 0, 4102444800000, 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let app = TestApp::spawn_on(Some(url)).await;

    let (message,): (String,) = sqlx::query_as(
        "SELECT m.message FROM mail_outbox o JOIN mail_outbox_messages m ON m.id = o.id \
         WHERE o.id = 'o-1' AND o.status = 'pending'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(message, "Subject: Weekly sync\r\n\r\nHello\r\n");

    let (ann,): (String,) = sqlx::query_as("SELECT id FROM users WHERE username = 'ann'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let token = server::auth::tokens::create(&app.db, &ann, "upgrade", 0)
        .await
        .unwrap();
    let c = app.client();
    let list: Value = get_json(
        &c,
        app.url("/api/v1/meetings?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z"),
        &token,
    )
    .await;
    let mut names: Vec<&str> = list["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Budget review", "Stand-up", "Weekly sync"],
        "{list}"
    );

    // The series with its exceptions: ten Wednesdays, one cancelled, one moved.
    let occ: Value = get_json(
        &c,
        app.url("/api/v1/meetings/m-weekly/occurrences?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z"),
        &token,
    )
    .await;
    let occ = occ["occurrences"].as_array().unwrap().clone();
    assert_eq!(occ.len(), 9, "{occ:?}");
    assert!(occ.iter().all(|o| o["original"] != "2030-06-12T09:00"));
    let moved = occ
        .iter()
        .find(|o| o["original"] == "2030-06-19T09:00")
        .unwrap();
    assert_eq!(moved["start"], "2030-06-19T09:00:00Z", "11:00 in Paris");
    assert_eq!(moved["name"], "Weekly sync (moved)");

    // Attendees and the dial-in information came along.
    let one: Value = get_json(&c, app.url("/api/v1/meetings/m-weekly"), &token).await;
    let emails: Vec<&str> = one["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["bob@example.com", "carol@example.org"], "{one}");
    assert_eq!(one["dialIn"].as_array().unwrap().len(), 2, "{one}");

    // The account signs in with the password it had.
    let browser = app.client();
    let r = app.sign_in(&browser, "ann", "secret-pass").await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(integration_tests::location(&r), "/");
}
