//! The REST API under /api/v1 against the running server and the Call Bridge simulator.

use integration_tests::{get_json, post_json, TestApp, PASSWORD, TEMPLATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;

fn meeting(name: &str) -> Value {
    json!({
        "name": name,
        "templateId": TEMPLATE,
        "start": "2030-06-12T10:00",
        "durationMinutes": 45,
        "timeZone": "Europe/Paris",
        "attendees": [
            {"email": "guest@partner.example", "role": "ExternalAccessMeth"},
            {"email": "colleague@example.com", "role": "InternalAccessMeth"}
        ]
    })
}

#[tokio::test]
async fn create_read_list_update_delete_with_a_token() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let c = reqwest::Client::new();
    let spaces_before = app.cb.cospaces().len();

    let r = post_json(
        &c,
        app.url("/api/v1/meetings"),
        &token,
        &meeting("API review"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let m: Value = r.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/meetings/{}", m["id"].as_str().unwrap())
    );
    assert_eq!(
        m["start"], "2030-06-12T08:00:00Z",
        "10:00 in Paris in summer"
    );
    assert_eq!(m["end"], "2030-06-12T08:45:00Z");
    assert_eq!(m["dialIn"].as_array().unwrap().len(), 2);
    assert!(m["dialIn"][0]["joinUrl"]
        .as_str()
        .unwrap()
        .contains("/meeting/"));
    assert_eq!(app.cb.cospaces().len(), spaces_before + 1);

    let got: Value = get_json(&c, app.url(&location), &token).await;
    assert_eq!(got, m);

    let list: Value = get_json(&c, app.url("/api/v1/meetings?fromTime=2030-06-12T00:00:00Z&untilTime=2030-06-13T00:00:00Z&maxMeetings=10"), &token).await;
    assert_eq!(list["meetings"].as_array().unwrap().len(), 1);
    assert_eq!(list["nextOffset"], Value::Null);
    let empty: Value = get_json(
        &c,
        app.url("/api/v1/meetings?fromTime=2030-06-13T00:00:00Z&untilTime=2030-06-14T00:00:00Z"),
        &token,
    )
    .await;
    assert!(empty["meetings"].as_array().unwrap().is_empty());

    let mut changed = meeting("API review (moved)");
    changed["start"] = json!("2030-06-12T15:30");
    changed["attendees"] =
        json!([{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]);
    let r = c
        .put(app.url(&location))
        .bearer_auth(&token)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let m2: Value = r.json().await.unwrap();
    assert_eq!(m2["name"], "API review (moved)");
    assert_eq!(m2["start"], "2030-06-12T13:30:00Z");
    assert_eq!(m2["attendees"].as_array().unwrap().len(), 1);

    let r = c
        .delete(app.url(&location))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.cb.cospaces().len(), spaces_before);
    let r = c
        .get(app.url(&location))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "notFound");
}

#[tokio::test]
async fn errors_are_json_with_a_code() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let c = reqwest::Client::new();

    let r = c.get(app.url("/api/v1/meetings")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unauthenticated"
    );
    let r = c
        .get(app.url("/api/v1/meetings"))
        .bearer_auth("sch_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = c
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "badRequest"
    );

    let mut bad = meeting("");
    let r = post_json(&c, app.url("/api/v1/meetings"), &token, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (Some("invalid"), Some("name"))
    );

    bad["name"] = json!("Bad mail");
    bad["attendees"] = json!([{"email": "x@y.z\r\nBcc: a@b.c", "role": "InternalAccessMeth"}]);
    let r = post_json(&c, app.url("/api/v1/meetings"), &token, &bad).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        "attendees"
    );

    let r = c
        .get(app.url("/api/v1/meetings?fromTime=yesterday"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .get(app.url("/api/v1/meetings?maxMeetings=100000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .get(app.url("/api/v1/nothing-here"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The Call Bridge down: a clear 502, and nothing made.
    let before = app.cb.cospaces().len();
    app.cb
        .busy_next(1000, server::callbridge::sim::RequestMatcher::new("**"));
    let r = post_json(&c, app.url("/api/v1/meetings"), &token, &meeting("Down")).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "callBridgeUnavailable"
    );
    app.cb.clear_faults();
    assert_eq!(app.cb.cospaces().len(), before);
}

#[tokio::test]
async fn the_same_request_id_makes_one_meeting_and_others_cannot_touch_it() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let c = reqwest::Client::new();
    let mut body = meeting("  Idempotent  ");
    body["requestId"] = json!("add-in-42");
    body["repeat"] = json!("weekly");
    body["repeatUntil"] = json!("2030-12-31");
    body["repeatDays"] = json!(["MO", "WE"]);
    let a: Value = post_json(&c, app.url("/api/v1/meetings"), &token, &body)
        .await
        .json()
        .await
        .unwrap();
    let b: Value = post_json(&c, app.url("/api/v1/meetings"), &token, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["id"], b["id"]);
    // The first answer is made from what the create stored, the second is
    // read back from the database: they are the same.
    assert_eq!(a, b);
    assert_eq!(a["name"], "Idempotent");
    assert!(a["rrule"].as_str().unwrap().contains("BYDAY=MO,WE"), "{a}");

    let mallory = app.add_user("mallory", "Mallory", "UTC").await;
    let mt = server::auth::tokens::create(&app.db, &mallory, "m", 0)
        .await
        .unwrap();
    let url = app.url(&format!("/api/v1/meetings/{}", a["id"].as_str().unwrap()));
    assert_eq!(
        c.get(&url).bearer_auth(&mt).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.delete(&url)
            .bearer_auth(&mt)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.put(&url)
            .bearer_auth(&mt)
            .json(&meeting("Mine now"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_session_works_too_but_needs_the_csrf_header_to_change_things() {
    let app = TestApp::spawn().await;
    app.demo_organizer("Europe/Paris").await;
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    let templates: Value = c
        .get(app.url("/api/v1/templates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(templates["templates"][0]["name"], "CoSpaceTemp-Scheduler");
    assert_eq!(
        templates["templates"][0]["roles"],
        json!(["ExternalAccessMeth", "InternalAccessMeth"])
    );
    let r = c
        .post(app.url("/api/v1/meetings"))
        .json(&meeting("No header"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "csrf");
    let csrf = app.csrf_token(&c).await;
    let r = c
        .post(app.url("/api/v1/meetings"))
        .header("x-csrf-token", csrf)
        .json(&meeting("With header"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let _ = app.clock.now();
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/api/v1/meetings",
        "/api/v1/meetings/{id}",
        "/api/v1/meetings/{id}/occurrences",
        "/api/v1/meetings/{id}/occurrences/{original}",
        "/api/v1/meetings/{id}/occurrences/{original}/split",
        "/api/v1/templates",
        "/api/v1/spaces",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.iter().any(|k| k.as_str() == p), "{p} documented");
    }
}

#[tokio::test]
async fn a_repeating_meeting_shows_its_next_occurrences_on_the_home_page() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-06-12T06:00:00Z")
            .unwrap()
            .into(),
    );
    let mut body = meeting("Weekly sync");
    body["repeat"] = json!("weekly");
    body["repeatCount"] = json!(3);
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["rrule"], "FREQ=WEEKLY;COUNT=3");
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    let home = app.page(&c, "/").await;
    assert_eq!(
        integration_tests::texts(&home, ".day h3"),
        vec![
            "Today, Jun 12, 2030",
            "Wednesday, Jun 19, 2030",
            "Wednesday, Jun 26, 2030"
        ]
    );
    assert_eq!(
        integration_tests::texts(&home, ".meeting .time"),
        vec!["10:00 – 10:45"; 3],
        "10:00 Paris all summer"
    );
    // During the second occurrence it carries the Now badge, and the first is gone.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-06-19T08:10:00Z")
            .unwrap()
            .into(),
    );
    // A week later the session has expired: sign in again.
    app.sign_in(&c, "demo", PASSWORD).await;
    let home = app.page(&c, "/").await;
    assert_eq!(integration_tests::texts(&home, ".meeting .name").len(), 2);
    assert_eq!(integration_tests::texts(&home, ".badge.now"), vec!["Now"]);
}

#[tokio::test]
async fn a_token_records_its_last_use_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let last_used = || async {
        let (t,): (Option<i64>,) = sqlx::query_as("SELECT last_used_at FROM api_tokens")
            .fetch_one(&app.db)
            .await
            .unwrap();
        t
    };
    let get = || async {
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/templates"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    };
    get().await;
    let first = last_used().await.expect("recorded");
    app.clock.advance(chrono::Duration::seconds(30));
    get().await;
    assert_eq!(
        last_used().await,
        Some(first),
        "not rewritten within a minute"
    );
    app.clock.advance(chrono::Duration::seconds(31));
    get().await;
    assert_eq!(last_used().await, Some(first + 61_000));
}

#[tokio::test]
async fn the_list_finds_a_series_by_its_later_occurrences() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let c = reqwest::Client::new();
    let mut body = meeting("Weekly since June");
    body["repeat"] = json!("weekly");
    body["repeatCount"] = json!(4);
    let r = post_json(&c, app.url("/api/v1/meetings"), &token, &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    let id = m["id"].as_str().unwrap().to_string();
    let names = |from: &'static str, until: &'static str| {
        let c = c.clone();
        let url = app.url(&format!(
            "/api/v1/meetings?fromTime={from}&untilTime={until}"
        ));
        let token = token.clone();
        async move {
            let v: Value = get_json(&c, url, token).await;
            v["meetings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // Occurrences: June 12, 19, 26 and July 3 (10:00 Paris).
    assert_eq!(
        names("2030-06-25T00:00:00Z", "2030-06-27T00:00:00Z").await,
        ["Weekly since June"]
    );
    assert!(
        names("2030-06-20T00:00:00Z", "2030-06-25T00:00:00Z")
            .await
            .is_empty(),
        "between two"
    );
    assert!(
        names("2030-07-04T00:00:00Z", "2030-12-31T00:00:00Z")
            .await
            .is_empty(),
        "after the last"
    );
    // Cancel June 26: that week no longer lists it.
    let r = c
        .delete(app.url(&format!(
            "/api/v1/meetings/{id}/occurrences/2030-06-26T10:00"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(names("2030-06-25T00:00:00Z", "2030-06-27T00:00:00Z")
        .await
        .is_empty());
}

/// The list reads its candidates a chunk at a time: a page must skip many
/// series that have ended before the range (more than one chunk of them),
/// and following `nextOffset` must give every meeting in the range once, in
/// start order.
#[tokio::test]
async fn paging_through_the_list_skips_ended_series_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let c = reqwest::Client::new();
    let create = |body: Value| {
        let c = c.clone();
        let url = app.url("/api/v1/meetings");
        let token = token.clone();
        async move {
            let r = post_json(&c, url, token, &body).await;
            assert_eq!(
                r.status(),
                StatusCode::CREATED,
                "{}",
                r.text().await.unwrap()
            );
        }
    };
    // 30 weekly series of 3 that end in January 2030, before the range.
    for i in 0..30 {
        let mut body = meeting(&format!("Ended {i:02}"));
        body["start"] = json!(format!("2030-01-{:02}T09:00", 1 + i % 28));
        body["repeat"] = json!("weekly");
        body["repeatCount"] = json!(3);
        create(body).await;
    }
    // Two series that run into the range, and ten one-off meetings in it.
    for (name, start) in [
        ("Series A", "2030-02-04T08:00"),
        ("Series B", "2030-03-05T08:00"),
    ] {
        let mut body = meeting(name);
        body["start"] = json!(start);
        body["repeat"] = json!("weekly");
        create(body).await;
    }
    for i in 0..10 {
        let mut body = meeting(&format!("One-off {i}"));
        body["start"] = json!(format!("2030-06-{:02}T10:00", 10 + i));
        create(body).await;
    }
    let mut names = Vec::new();
    let mut offset = 0;
    loop {
        let v: Value = get_json(&c, app.url(&format!(
                "/api/v1/meetings?fromTime=2030-06-01T00:00:00Z&untilTime=2030-07-01T00:00:00Z&maxMeetings=3&offset={offset}"
            )), &token).await;
        let page = v["meetings"].as_array().unwrap();
        assert!(page.len() <= 3);
        names.extend(page.iter().map(|m| m["name"].as_str().unwrap().to_string()));
        match v["nextOffset"].as_u64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    let mut expected = vec!["Series A".to_string(), "Series B".to_string()];
    expected.extend((0..10).map(|i| format!("One-off {i}")));
    assert_eq!(names, expected);
}
