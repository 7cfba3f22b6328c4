//! The private calendar feed against the running server: the address made
//! on the person's page (with its webcal:// link), the calendar it serves
//! read by Python's icalendar + dateutil (tests/ical/parse_feed.py) AND by
//! Mozilla's ical.js (tests/ical/read.mjs), whose occurrences must equal
//! the scheduler's own list (REST API), with the invitations' UIDs;
//! ETag/If-None-Match; renewal killing the old address; a deleted meeting
//! gone; the window (90 days back, two years ahead).

use crate::mail::{ical_js, require_ical_js, require_python};
use integration_tests::{form_field, get_json, post_json, TestApp, PASSWORD, TEMPLATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// The feed's window for a clock at `now` (as the server computes it).
fn window(now: chrono::DateTime<chrono::Utc>) -> (String, String) {
    let f = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    (
        f(now - chrono::Duration::days(90)),
        f(now + chrono::Duration::days(731)),
    )
}

/// One occurrence: start, end (UTC, ISO) and name.
type Slot = (String, String, String);

fn slots(list: &Value) -> Vec<Slot> {
    let mut out: Vec<Slot> = list
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|o| {
            (
                o["start"].as_str().unwrap().to_string(),
                o["end"].as_str().unwrap().to_string(),
                o["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The scheduler's own list of a meeting's occurrences in the window.
async fn scheduler_slots(
    app: &TestApp,
    token: &str,
    id: &str,
    from: &str,
    until: &str,
) -> Vec<Slot> {
    let url = app.url(&format!(
        "/api/v1/meetings/{id}/occurrences?fromTime={from}&untilTime={until}&maxOccurrences=500"
    ));
    let body = get_json(&reqwest::Client::new(), url, token).await;
    assert!(body["occurrences"].is_array(), "{body}");
    slots(&body["occurrences"])
}

/// The feed read by Python (icalendar + dateutil).
fn python_read(calendar: &str, from: &str, until: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, calendar).unwrap();
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("ical/parse_feed.py"))
        .arg(&file)
        .arg(from)
        .arg(until)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "parse_feed.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn js_read(calendar: &str, from: &str, until: &str) -> Value {
    ical_js(&json!({"mode": "feed", "calendar": calendar, "from": from, "until": until}))
}

/// Makes a new feed address on the person's page; the https and webcal
/// addresses it shows.
async fn make_address(app: &TestApp, c: &reqwest::Client) -> (String, String) {
    let page = app.page(c, "/calendar-feed").await;
    let csrf = form_field(&page, "csrf").expect("the renew form");
    let r = c
        .post(app.url("/calendar-feed"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("input.feed-url").unwrap();
    let url = doc
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_else(|| panic!("{page}"))
        .to_string();
    let sel = scraper::Selector::parse("a.webcal").unwrap();
    let webcal = doc
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("href"))
        .unwrap()
        .to_string();
    (url, webcal)
}

struct Fetched {
    status: StatusCode,
    etag: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn fetch(url: &str, if_none_match: Option<&str>) -> Fetched {
    let mut req = reqwest::Client::new().get(url);
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    let r = req.send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Fetched {
        status: r.status(),
        etag: header("etag"),
        content_type: header("content-type"),
        body: r.text().await.unwrap(),
    }
}

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let r = post_json(
        &reqwest::Client::new(),
        app.url("/api/v1/meetings"),
        token,
        &body,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    m["id"].as_str().unwrap().to_string()
}

fn meeting(name: &str, start: &str, zone: &str, attendees: Value) -> Value {
    json!({
        "name": name,
        "templateId": TEMPLATE,
        "start": start,
        "durationMinutes": 45,
        "timeZone": zone,
        "attendees": attendees,
    })
}

/// Both parsers' reading of a feed agree with the scheduler for each of
/// `ids`, and hold nothing else.
async fn check_feed(app: &TestApp, token: &str, calendar: &str, ids: &[&str]) {
    let (from, until) = window(server::clock::Clock::now(&app.clock));
    let py = python_read(calendar, &from, &until);
    let js = js_read(calendar, &from, &until);
    assert_eq!(py["method"], "PUBLISH");
    assert_eq!(js["method"], "PUBLISH");
    let mut expected: Vec<String> = ids.iter().map(|id| format!("{id}@cms-scheduler")).collect();
    expected.sort();
    for reader in [&py, &js] {
        let mut uids: Vec<String> = reader["meetings"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        uids.sort();
        assert_eq!(uids, expected, "{reader}");
    }
    for id in ids {
        let uid = format!("{id}@cms-scheduler");
        let ours = scheduler_slots(app, token, id, &from, &until).await;
        assert!(!ours.is_empty(), "{id}");
        assert_eq!(
            slots(&py["meetings"][&uid]["occurrences"]),
            ours,
            "icalendar, {uid}"
        );
        assert_eq!(
            slots(&js["meetings"][&uid]["occurrences"]),
            ours,
            "ical.js, {uid}"
        );
        assert_eq!(js["meetings"][&uid]["dtstartZoneFound"], true);
        // Attendees do not see each other; the organizer is named.
        assert_eq!(py["meetings"][&uid]["attendees"], json!([]));
        assert!(py["meetings"][&uid]["organizer"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("mailto:demo.organizer@example.com"));
        assert_eq!(py["meetings"][&uid]["busy_status"], "BUSY");
    }
}

#[tokio::test]
async fn a_private_feed_of_ones_meetings_read_by_two_parsers() {
    require_python();
    require_ical_js();
    let app = TestApp::spawn().await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-06-01T08:00:00Z")
            .unwrap()
            .into(),
    );
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    app.add_user("colleague", "Colleague", "Europe/Paris").await;
    let organizer = app.client();
    app.sign_in(&organizer, "demo", PASSWORD).await;
    let colleague = app.client();
    app.sign_in(&colleague, "colleague", PASSWORD).await;

    // A weekly series across the end of summer time with one occurrence
    // cancelled and one moved and renamed; a meeting in New York; a weekly
    // series without end; one only the organizer has; one beyond the window.
    let both = json!([
        {"email": "guest@partner.example", "role": "ExternalAccessMeth"},
        {"email": "colleague@example.com", "role": "InternalAccessMeth"}
    ]);
    let mut weekly = meeting(
        "Weekly review; Q3, été",
        "2030-10-08T10:00",
        "Europe/Paris",
        both.clone(),
    );
    weekly["repeat"] = json!("weekly");
    weekly["repeatCount"] = json!(8);
    let series = create(&app, &token, weekly).await;
    let c = reqwest::Client::new();
    let r = c
        .delete(app.url(&format!(
            "/api/v1/meetings/{series}/occurrences/2030-10-15T10:00"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .put(app.url(&format!(
            "/api/v1/meetings/{series}/occurrences/2030-10-29T10:00"
        )))
        .bearer_auth(&token)
        .json(&json!({"start": "2030-10-30T16:00", "durationMinutes": 90, "name": "Review, moved"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let ny = create(
        &app,
        &token,
        meeting(
            "New York call",
            "2030-06-20T09:00",
            "America/New_York",
            json!([
                {"email": "colleague@example.com", "role": "InternalAccessMeth"}
            ]),
        ),
    )
    .await;
    let mut forever = meeting(
        "Standing sync",
        "2030-06-03T08:30",
        "Australia/Sydney",
        both.clone(),
    );
    forever["repeat"] = json!("weekly");
    let forever = create(&app, &token, forever).await;
    let alone = create(
        &app,
        &token,
        meeting(
            "Organizer only",
            "2030-06-05T14:00",
            "Europe/Paris",
            json!([
                {"email": "guest@partner.example", "role": "ExternalAccessMeth"}
            ]),
        ),
    )
    .await;
    let far = create(
        &app,
        &token,
        meeting(
            "Beyond the window",
            "2033-01-10T10:00",
            "Europe/Paris",
            both.clone(),
        ),
    )
    .await;

    // The page: no address yet; then one, with its webcal:// link.
    let page = app.page(&organizer, "/calendar-feed").await;
    assert!(page.contains("data-feed=\"no\""), "{page}");
    assert!(page.contains("90 days back"), "{page}");
    let (url, webcal) = make_address(&app, &organizer).await;
    assert!(url.starts_with(&format!("{}/feed/", app.base)), "{url}");
    assert!(url.ends_with(".ics"));
    assert_eq!(
        webcal,
        format!("webcal://{}", url.trim_start_matches("http://"))
    );
    let page = app.page(&organizer, "/calendar-feed").await;
    assert!(page.contains("data-feed=\"yes\""), "{page}");
    assert!(!page.contains(&url), "the address is shown once");
    // Only its hash is stored.
    let token_part = url
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".ics")
        .to_string();
    let hashes: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM calendar_feeds")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert!(!hashes[0].0.contains(&token_part));

    // Served to anyone with the address (a calendar app has no cookies).
    let feed = fetch(&url, None).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    assert_eq!(
        feed.content_type.as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let etag = feed.etag.clone().expect("an ETag");
    check_feed(&app, &token, &feed.body, &[&series, &ny, &forever, &alone]).await;
    let py = python_read(&feed.body, "2030-01-01T00:00:00Z", "2040-01-01T00:00:00Z");
    let mut zones: Vec<String> = py["vtimezones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z.as_str().unwrap().to_string())
        .collect();
    zones.sort();
    assert_eq!(
        zones,
        ["America/New_York", "Australia/Sydney", "Europe/Paris"]
    );
    let moved = &py["meetings"][format!("{series}@cms-scheduler")]["occurrences"];
    assert!(
        moved
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "Review, moved" && o["start"] == "2030-10-30T15:00:00Z"),
        "{moved}"
    );
    assert!(
        !moved
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["start"] == "2030-10-15T08:00:00Z"),
        "cancelled: {moved}"
    );

    // ETag: the same feed again is 304, empty; another tag is the feed.
    assert_eq!(fetch(&url, None).await.etag.as_deref(), Some(etag.as_str()));
    let again = fetch(&url, Some(&etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(fetch(&url, Some("\"other\"")).await.status, StatusCode::OK);

    // The colleague's own feed: what they are invited to, with their way in.
    let (theirs, _) = make_address(&app, &colleague).await;
    assert_ne!(theirs, url);
    let feed_c = fetch(&theirs, None).await;
    check_feed(&app, &token, &feed_c.body, &[&series, &ny, &forever]).await;
    let colleague_join: (String,) = sqlx::query_as(
        "SELECT a.join_url FROM space_access a JOIN meetings m ON m.space_id = a.space_id \
         WHERE m.id = $1 AND a.role = 'InternalAccessMeth'",
    )
    .bind(&ny)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let py = python_read(&feed_c.body, "2030-01-01T00:00:00Z", "2040-01-01T00:00:00Z");
    assert_eq!(
        py["meetings"][format!("{ny}@cms-scheduler")]["location"],
        colleague_join.0.as_str()
    );

    // Deleted: gone, and the ETag changes.
    let r = c
        .delete(app.url(&format!("/api/v1/meetings/{alone}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let after = fetch(&url, Some(&etag)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.etag.as_deref(), Some(etag.as_str()));
    check_feed(&app, &token, &after.body, &[&series, &ny, &forever]).await;

    // Renewed: the old address is dead, the new one serves.
    let (renewed, _) = make_address(&app, &organizer).await;
    assert_ne!(renewed, url);
    let dead = fetch(&url, None).await;
    assert_eq!(dead.status, StatusCode::NOT_FOUND);
    assert!(!dead.body.contains("BEGIN:VCALENDAR"));
    assert_eq!(fetch(&renewed, None).await.status, StatusCode::OK);
    for bad in [
        "nonsense.ics",
        "x",
        &token_part,
        &format!("{}A.ics", &token_part[..42]),
    ] {
        assert_eq!(
            fetch(&app.url(&format!("/feed/{bad}")), None).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }

    // Two and a half years later: the 2030 meetings have left the window
    // (the endless series stays), the 2033 one has come in.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2032-12-01T08:00:00Z")
            .unwrap()
            .into(),
    );
    let later = fetch(&renewed, None).await;
    check_feed(&app, &token, &later.body, &[&forever, &far]).await;

    // The page needs a signed-in person.
    let r = app
        .client()
        .get(app.url("/calendar-feed"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
}
