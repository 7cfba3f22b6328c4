//! Hostile input against the running server: header and CRLF injection,
//! markup in names, oversized bodies, requests without a CSRF token, other
//! people's meeting ids, path traversal. docs/security.md lists what each
//! test tries and the result.

use integration_tests::{form_field, get_json, post_json, texts, TestApp, PASSWORD, TEMPLATE};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn meeting(name: &str, attendees: Value) -> Value {
    json!({
        "name": name, "templateId": TEMPLATE, "start": "2030-06-12T10:00",
        "durationMinutes": 30, "timeZone": "UTC", "attendees": attendees
    })
}

#[tokio::test]
async fn crlf_in_names_cannot_add_mail_headers_and_markup_stays_text() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let http = reqwest::Client::new();
    // A name with CR/LF is refused outright.
    let r = post_json(
        &http,
        app.url("/api/v1/meetings"),
        &token,
        &meeting("Review\r\nBcc: victim@evil.example", json!([])),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Markup and header-like text are kept as text.
    let name = "Review Bcc: victim@evil.example </title><script>alert(1)</script>";
    let r = post_json(
        &http,
        app.url("/api/v1/meetings"),
        &token,
        &meeting(
            name,
            json!([{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    let (message,): (String,) = sqlx::query_as("SELECT message FROM mail_outbox_messages LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let head = message.split("\r\n\r\n").next().unwrap();
    assert!(
        !head
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "no injected header:\n{head}"
    );
    let html = message
        .split("Content-Type: text/html")
        .nth(1)
        .and_then(|rest| rest.split("\r\n--").next())
        .expect("an HTML part");
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "the HTML part escapes it:\n{html}"
    );
    // The meeting page shows the name as text.
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    let page = app
        .page(&c, &format!("/meetings/{}", m["id"].as_str().unwrap()))
        .await;
    if let Some(at) = page.find("<script>alert(1)</script>") {
        panic!(
            "not escaped in the page: …{}…",
            &page[at.saturating_sub(100)..(at + 300).min(page.len())]
        );
    }
    assert_eq!(texts(&page, "h1"), [name]);
}

#[tokio::test]
async fn crlf_and_garbage_in_addresses_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let spaces = app.cb.cospaces().len();
    let http = reqwest::Client::new();
    for bad in [
        "guest@partner.example\r\nBcc: victim@evil.example",
        "guest@partner.example,victim@evil.example",
        "<guest@partner.example>",
        "guest",
        "guest@",
        "\"quoted\"@example.com\u{0}",
    ] {
        let r = post_json(
            &http,
            app.url("/api/v1/meetings"),
            &token,
            &meeting("x", json!([{"email": bad, "role": "ExternalAccessMeth"}])),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "invalid", "{bad:?}");
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meetings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing stored");
    assert_eq!(
        app.cb.cospaces().len(),
        spaces,
        "nothing made on the Call Bridge"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let huge = "x".repeat(2 << 20);
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(format!("{{\"name\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A long but allowed name is refused by validation, not by a crash.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&meeting(&"n".repeat(10_000), json!([])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn state_changes_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&meeting("Mine", json!([])))
        .send()
        .await
        .unwrap();
    let m: Value = r.json().await.unwrap();
    let id = m["id"].as_str().unwrap();
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    for (path, form) in [
        (format!("/meetings/{id}/delete"), vec![]),
        (
            format!("/meetings/{id}/occurrences/cancel"),
            vec![("original", "2030-06-12T10:00")],
        ),
        (
            "/schedule".to_string(),
            vec![("action", "next"), ("step", "1")],
        ),
        ("/admin/cleanup".to_string(), vec![]),
        ("/auth/logout".to_string(), vec![]),
    ] {
        let r = c.post(app.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        // A wrong token is no better.
        let mut with_wrong = form.clone();
        with_wrong.push(("csrf", "not-the-token"));
        let r = c
            .post(app.url(&path))
            .form(&with_wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{path} with a wrong token"
        );
    }
    // The session API needs the header too; the meeting is still there.
    let r = c
        .delete(app.url(&format!("/api/v1/meetings/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = app.page(&c, &format!("/meetings/{id}")).await;
    assert_eq!(texts(&page, "h1"), ["Mine"]);
}

#[tokio::test]
async fn other_peoples_meetings_are_invisible_and_untouchable() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    let http = reqwest::Client::new();
    let r = post_json(
        &http,
        app.url("/api/v1/meetings"),
        &token,
        &meeting("Private", json!([])),
    )
    .await;
    let m: Value = r.json().await.unwrap();
    let id = m["id"].as_str().unwrap().to_string();
    let eve = app.add_user("eve", "Eve", "UTC").await;
    let eve_token = server::auth::tokens::create(&app.db, &eve, "t", 0)
        .await
        .unwrap();
    let url = app.url(&format!("/api/v1/meetings/{id}"));
    assert_eq!(
        http.get(&url)
            .bearer_auth(&eve_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        http.put(&url)
            .bearer_auth(&eve_token)
            .json(&meeting("Mine now", json!([])))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        http.delete(&url)
            .bearer_auth(&eve_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        http.get(format!("{url}/occurrences"))
            .bearer_auth(&eve_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let list: Value = get_json(
        &http,
        app.url("/api/v1/meetings?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z"),
        &eve_token,
    )
    .await;
    assert_eq!(list["meetings"], json!([]));
    // Through the pages: not found, and the forms refuse.
    let c = app.client();
    app.sign_in(&c, "eve", PASSWORD).await;
    let page = app.page(&c, &format!("/meetings/{id}")).await;
    assert!(page.contains("This meeting does not exist, or you cannot see it."));
    let csrf = form_field(&app.page(&c, "/").await, "csrf").unwrap();
    for path in [
        format!("/meetings/{id}/delete"),
        format!("/meetings/{id}/edit"),
    ] {
        let r = c
            .post(app.url(&path))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Guessing ids gets the same answer as a missing one.
    let r = http
        .get(app.url("/api/v1/meetings/00000000-0000-0000-0000-000000000000"))
        .bearer_auth(&eve_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        e["error"]["message"],
        "This meeting does not exist, or you cannot see it."
    );
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meetings WHERE name = 'Private'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn paths_outside_the_site_and_bad_tokens_get_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for path in [
        "/pkg/../../../etc/passwd",
        "/pkg/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc/passwd",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        let body = r.text().await.unwrap();
        assert!(!body.contains("root:"), "{path}");
    }
    for token in ["", "sch_", "sch_not-a-token", "Bearer", "' OR 1=1 --"] {
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/meetings"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
}
