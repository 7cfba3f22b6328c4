//! The home page lists the user's own upcoming meetings, grouped by day.

use integration_tests::{texts, TestApp, PASSWORD};
use server::clock::{to_millis, Clock};

async fn add_meeting(
    app: &TestApp,
    organizer: &str,
    name: &str,
    start_offset_min: i64,
    minutes: i64,
) {
    let now = app.clock.now();
    let start = now + chrono::Duration::minutes(start_offset_min);
    let end = start + chrono::Duration::minutes(minutes);
    sqlx::query(
        "INSERT INTO meetings (id, organizer_id, name, time_zone, starts_at, ends_at, created_at, updated_at) \
         VALUES ($1, $2, $3, 'UTC', $4, $5, $6, $6)",
    )
    .bind(format!("m-{name}"))
    .bind(organizer)
    .bind(name)
    .bind(to_millis(start))
    .bind(to_millis(end))
    .bind(to_millis(now))
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn home_lists_upcoming_meetings_with_the_now_badge() {
    let app = TestApp::spawn().await;
    let alice = app.add_user("alice", "Alice", "UTC").await;
    let bob = app.add_user("bob", "Bob", "UTC").await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2021-08-21T10:00:00Z")
            .unwrap()
            .into(),
    );
    add_meeting(&app, &alice, "Standup", -10, 30).await;
    add_meeting(&app, &alice, "Review", 24 * 60, 60).await;
    add_meeting(&app, &alice, "Yesterday's", -24 * 60, 60).await;
    add_meeting(&app, &bob, "Bob's private meeting", 60, 60).await;

    let c = app.client();
    app.sign_in(&c, "alice", PASSWORD).await;
    let html = app.page(&c, "/").await;
    assert_eq!(
        texts(&html, ".day h3"),
        vec!["Today, Aug 21, 2021", "Tomorrow, Aug 22, 2021"],
        "{}",
        &html[html.find("<main").unwrap_or(0)..]
    );
    assert_eq!(texts(&html, ".meeting .name"), vec!["Standup", "Review"]);
    assert_eq!(
        texts(&html, ".meeting .time"),
        vec!["09:50 – 10:20", "10:00 – 11:00"]
    );
    assert_eq!(texts(&html, ".badge.now"), vec!["Now"]);
    assert_eq!(texts(&html, ".meeting .organizer")[0], "Organized by: You");
    assert!(
        !html.contains("Bob's private meeting"),
        "only one's own meetings"
    );
    assert!(
        !html.contains("Yesterday's"),
        "ended meetings are not listed"
    );
}

/// Another server starting in the same process (a second node, or another
/// test) must not leave this one's pages hanging. Leptos suppresses resource
/// loading process-wide while it generates a route list, and a resource
/// first polled then never resolves (leptos issue 4773): the home page
/// stalled mid-body until the client gave up. Routes are now generated once
/// per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_servers_start_in_the_process() {
    let app = TestApp::spawn().await;
    app.add_user("alice", "Alice", "UTC").await;
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    app.sign_in(&c, "alice", PASSWORD).await;
    let starting = tokio::spawn(async {
        // SQLite for the others whatever the backend: the fault is in the
        // web layer, and 100 PostgreSQL databases would only slow this down.
        for _ in 0..100 {
            let other = TestApp::spawn_on(None).await;
            drop(other);
        }
    });
    let mut pages = 0;
    while !starting.is_finished() || pages < 50 {
        let mut batch = Vec::new();
        for _ in 0..8 {
            let c = c.clone();
            let url = app.url("/");
            batch.push(tokio::spawn(async move {
                c.get(url).send().await?.error_for_status()?.text().await
            }));
        }
        for b in batch {
            let html = b.await.unwrap().expect("the home page finishes");
            assert!(html.contains("</html>"), "a whole page");
            pages += 1;
        }
    }
    starting.await.unwrap();
}

#[tokio::test]
async fn the_demo_organizers_own_space_is_under_my_spaces() {
    let app = TestApp::spawn().await;
    let c = app.signed_in_demo().await;
    let home = app.page(&c, "/").await;
    // Their membership on the Call Bridge (`/users/<id>/usercoSpaces`);
    // a coSpace list's items carry no ownerJid to go by.
    assert_eq!(
        integration_tests::texts(&home, ".spaces .space-row .name"),
        vec!["Demo Organizer's space"]
    );
    assert!(!home.contains("Saiacano's space"));
}
