//! One occurrence of a repeating meeting, through the meeting page's plain
//! forms: cancel it, move and rename it, "this and following"; what the
//! pages, the e-mails and the Call Bridge then show.

use integration_tests::{
    form_field, get_json, location, post_json, texts, TestApp, PASSWORD, TEMPLATE,
};
use serde_json::{json, Value};

/// A weekly meeting, 4 times from Wednesday 2030-06-12 10:00 Paris, with two
/// attendees, made through the API by the demo organizer.
async fn weekly(app: &TestApp) -> (String, reqwest::Client) {
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Weekly review",
            "templateId": TEMPLATE,
            "start": "2030-06-12T10:00",
            "durationMinutes": 60,
            "timeZone": "Europe/Paris",
            "repeat": "weekly",
            "repeatCount": 4,
            "attendees": [
                {"email": "guest@partner.example", "role": "ExternalAccessMeth"},
                {"email": "colleague@example.com", "role": "InternalAccessMeth"}
            ]
        }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    (body["id"].as_str().unwrap().to_string(), c)
}

async fn post(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = app.page(c, "/").await;
    let csrf = form_field(&page, "csrf").expect("csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    c.post(app.url(path)).form(&form).send().await.unwrap()
}

/// The outbox messages about `meeting`, oldest first: (recipient, kind, message).
async fn outbox(app: &TestApp, meeting: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT o.recipient, o.kind, m.message FROM mail_outbox o JOIN mail_outbox_messages m ON m.id = o.id \
         WHERE o.meeting_id = $1 ORDER BY o.created_at, o.id",
    )
    .bind(meeting)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// The calendar part of a stored message, unfolded, quoted-printable or not.
fn calendar(message: &str) -> String {
    let decoded = message.replace("=\r\n", "").replace("=3D", "=");
    decoded.replace("\r\n ", "")
}

#[tokio::test]
async fn cancel_move_and_split_one_occurrence() {
    let app = TestApp::spawn().await;
    let (id, c) = weekly(&app).await;
    let page_path = format!("/meetings/{id}");
    let page = app.page(&c, &page_path).await;
    assert_eq!(texts(&page, "li.occurrence .when").len(), 4, "{page}");

    // Cancel the second (June 19).
    let r = post(
        &app,
        &c,
        &format!("{page_path}/occurrences/cancel"),
        &[("original", "2030-06-19T10:00")],
    )
    .await;
    assert_eq!(location(&r), format!("/meetings/{id}?cancelled=1"));
    let page = app.page(&c, &format!("/meetings/{id}?cancelled=1")).await;
    assert!(texts(&page, ".occurrences .notice")[0].starts_with("The occurrence was cancelled"));
    let originals: Vec<String> = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("li.occurrence").unwrap())
        .map(|e| e.value().attr("data-original").unwrap().to_string())
        .collect();
    assert_eq!(
        originals,
        ["2030-06-12T10:00", "2030-06-26T10:00", "2030-07-03T10:00"]
    );
    let mails = outbox(&app, &id).await;
    let cancels: Vec<_> = mails.iter().filter(|(_, k, _)| k == "cancel").collect();
    assert_eq!(cancels.len(), 2, "one per attendee");
    for (_, _, msg) in cancels {
        let cal = calendar(msg);
        assert!(cal.contains("METHOD:CANCEL"), "{cal}");
        assert!(
            cal.contains("RECURRENCE-ID;TZID=Europe/Paris:20300619T100000"),
            "{cal}"
        );
        // Each event (inline and in invite.ics) is that one occurrence; the
        // VTIMEZONE's yearly rules aside, nothing repeats.
        for event in cal.split("BEGIN:VEVENT").skip(1) {
            let event = event.split("END:VEVENT").next().unwrap();
            assert!(!event.contains("RRULE"), "{cal}");
        }
    }
    // The home page shows the real occurrences.
    let home = app.page(&c, "/").await;
    assert_eq!(
        texts(&home, ".meeting .name")
            .iter()
            .filter(|n| *n == "Weekly review")
            .count(),
        3,
        "{home}"
    );

    // Move (and rename) the third to Thursday 27 14:00-15:30.
    let r = post(
        &app,
        &c,
        &format!("{page_path}/occurrences/move"),
        &[
            ("original", "2030-06-26T10:00"),
            ("date", "2030-06-27"),
            ("from", "14:00"),
            ("to", "15:30"),
            ("name", "Review, moved"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/meetings/{id}?moved=1"));
    let page = app.page(&c, &page_path).await;
    let whens = texts(&page, "li.occurrence .when");
    assert!(
        whens[1].contains("14:00") && whens[1].ends_with("— Review, moved"),
        "{whens:?}"
    );
    assert_eq!(texts(&page, "li.occurrence .badge.moved").len(), 1);
    let mails = outbox(&app, &id).await;
    let updates: Vec<_> = mails.iter().filter(|(_, k, _)| k == "update").collect();
    assert_eq!(updates.len(), 2, "one per attendee");
    let cal = calendar(&updates[0].2);
    assert!(cal.contains("METHOD:REQUEST"));
    assert!(
        cal.contains("RECURRENCE-ID;TZID=Europe/Paris:20300626T100000"),
        "{cal}"
    );
    assert!(
        cal.contains("DTSTART;TZID=Europe/Paris:20300627T140000"),
        "{cal}"
    );
    assert!(cal.contains("SUMMARY:Review\\, moved"), "{cal}");

    // Bad input: a clear error, the move form again with what was typed.
    let r = post(
        &app,
        &c,
        &format!("{page_path}/occurrences/move"),
        &[
            ("original", "2030-07-03T10:00"),
            ("date", "2030-07-04"),
            ("from", "25:00"),
            ("to", "26:00"),
            ("name", "Typed"),
        ],
    )
    .await;
    let back = location(&r);
    assert!(back.contains("move=1") && back.contains("error="), "{back}");
    let page = app.page(&c, &back).await;
    assert_eq!(
        texts(&page, ".error-box"),
        ["Enter the times as HH:MM (for example 09:30)."]
    );
    assert_eq!(form_field(&page, "name").as_deref(), Some("Typed"));
    assert_eq!(form_field(&page, "from").as_deref(), Some("25:00"));
    // Not an occurrence.
    let r = post(
        &app,
        &c,
        &format!("{page_path}/occurrences/cancel"),
        &[("original", "2030-06-13T10:00")],
    )
    .await;
    let page = app.page(&c, &location(&r)).await;
    assert_eq!(
        texts(&page, ".error-box"),
        ["There is no occurrence of this meeting at that time."]
    );

    // Someone else cannot touch it.
    app.add_user("mallory", "Mallory", "UTC").await;
    let m = app.client();
    app.sign_in(&m, "mallory", PASSWORD).await;
    let r = post(
        &app,
        &m,
        &format!("{page_path}/occurrences/cancel"),
        &[("original", "2030-07-03T10:00")],
    )
    .await;
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
    let page = app.page(&c, &page_path).await;
    assert_eq!(texts(&page, "li.occurrence").len(), 3);

    // This and following, from July 3: the series keeps June 12 and the
    // moved June 26; a new meeting carries July 3, in the same space, and the
    // wizard opens on it.
    let cospaces_before = app.cb.cospaces().len();
    let r = post(
        &app,
        &c,
        &format!("{page_path}/occurrences/split"),
        &[("original", "2030-07-03T10:00")],
    )
    .await;
    assert!(
        location(&r).starts_with("/schedule?draft="),
        "{}",
        location(&r)
    );
    let rows: Vec<(String, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT id, rrule, local_start, space_id FROM meetings ORDER BY local_start",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, id);
    assert_eq!(rows[0].1.as_deref(), Some("FREQ=WEEKLY;COUNT=3"));
    assert_eq!(rows[1].1.as_deref(), Some("FREQ=WEEKLY;COUNT=1"));
    assert_eq!(rows[1].2, "2030-07-03T10:00");
    assert_eq!(rows[0].3, rows[1].3, "one space for both");
    let page = app.page(&c, &page_path).await;
    assert_eq!(texts(&page, "li.occurrence").len(), 2);
    let new_id = rows[1].0.clone();
    let invites = outbox(&app, &new_id).await;
    assert_eq!(invites.iter().filter(|(_, k, _)| k == "invite").count(), 2);

    // Deleting the new part leaves the shared space to the first.
    let r = post(&app, &c, &format!("/meetings/{new_id}/delete"), &[]).await;
    assert_eq!(location(&r), "/?deleted=1");
    assert_eq!(app.cb.cospaces().len(), cospaces_before, "the space stays");
    let page = app.page(&c, &page_path).await;
    assert_eq!(texts(&page, "li.occurrence").len(), 2);
}

#[tokio::test]
async fn the_api_lists_cancels_moves_and_splits_occurrences() {
    let app = TestApp::spawn().await;
    let (id, _) = weekly(&app).await;
    let user: (String,) = sqlx::query_as("SELECT id FROM users WHERE username = 'demo'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let token = server::auth::tokens::create(&app.db, &user.0, "api", 0)
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let base = app.url(&format!("/api/v1/meetings/{id}/occurrences"));
    let list = |q: &'static str| {
        let c = c.clone();
        let url = format!("{base}{q}");
        let token = token.clone();
        async move {
            let r = c.get(url).bearer_auth(token).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) =
        list("?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z").await;
    assert_eq!(status, 200, "{body}");
    let occ = body["occurrences"].as_array().unwrap();
    assert_eq!(occ.len(), 4);
    assert_eq!(occ[0]["original"], "2030-06-12T10:00");
    assert_eq!(occ[0]["start"], "2030-06-12T08:00:00Z");
    assert_eq!(occ[0]["changed"], false);

    // Cancel June 19; again is fine (idempotent), a non-occurrence is 422.
    let url = |o: &str| format!("{base}/{o}");
    let r = c
        .delete(url("2030-06-19T10:00"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .delete(url("2030-06-19T10:00"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .delete(url("2030-06-20T10:00"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid");
    let r = c
        .delete(url("not-a-time"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Move June 26 to 14:00 for 90 minutes, renamed.
    let r = c
        .put(url("2030-06-26T10:00"))
        .bearer_auth(&token)
        .json(&json!({"start": "2030-06-26T14:00", "durationMinutes": 90, "name": "Later"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["start"], "2030-06-26T12:00:00Z");
    assert_eq!(o["end"], "2030-06-26T13:30:00Z");
    assert_eq!(o["name"], "Later");
    let r = c
        .put(url("2030-07-03T10:00"))
        .bearer_auth(&token)
        .json(&json!({"start": "2030-07-03T14:00", "durationMinutes": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = c
        .put(url("2030-07-03T10:00"))
        .bearer_auth(&token)
        .json(&json!({"start": "2030-07-03T14:00", "durationMinutes": 30, "extra": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (_, body) = list("?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z").await;
    let originals: Vec<&str> = body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["original"].as_str().unwrap())
        .collect();
    assert_eq!(
        originals,
        ["2030-06-12T10:00", "2030-06-26T10:00", "2030-07-03T10:00"]
    );

    // An attendee may list but not change; a stranger sees nothing.
    let guest = app
        .add_user_with_email("guest", "Guest", "guest@partner.example", "UTC")
        .await;
    let guest_token = server::auth::tokens::create(&app.db, &guest, "api", 0)
        .await
        .unwrap();
    let r = c.get(&base).bearer_auth(&guest_token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .delete(url("2030-07-03T10:00"))
        .bearer_auth(&guest_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Split from July 3.
    let r = c
        .post(format!("{}/split", url("2030-07-03T10:00")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["name"], "Weekly review");
    let (_, body) = list("?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z").await;
    assert_eq!(body["occurrences"].as_array().unwrap().len(), 2);
    // Splitting at the first occurrence is refused.
    let r = c
        .post(format!("{}/split", url("2030-06-12T10:00")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// Steps 1 and 2 of the wizard for a one-hour meeting in Paris on `date` at
/// `from`, with `repeat` fields for step 2 (none: a one-off); returns the
/// step 3 page.
async fn wizard_to_step3(
    app: &TestApp,
    c: &reqwest::Client,
    date: &str,
    from: &str,
    repeat: &[(&str, &str)],
) -> String {
    let page = app.page(c, "/schedule").await;
    let csrf = form_field(&page, "csrf").unwrap();
    let loc = integration_tests::post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", ""),
            ("step", "1"),
            ("name", "Another"),
            ("space_mode", "new"),
            ("template_id", TEMPLATE),
            ("action", "next"),
        ],
    )
    .await;
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let mut step2 = vec![
        ("csrf", csrf.as_str()),
        ("draft", draft.as_str()),
        ("step", "2"),
        ("date", date),
        ("from", from),
        ("to", ""),
        ("duration", "1:00"),
        ("prev_to", ""),
        ("prev_duration", "1:00"),
        ("time_zone", "Europe/Paris"),
        ("action", "next"),
    ];
    if repeat.is_empty() {
        step2.push(("repeat", "none"));
    }
    step2.extend_from_slice(repeat);
    let loc = integration_tests::post_form(c, &app.url("/schedule"), &step2).await;
    app.page(c, &loc).await
}

#[tokio::test]
async fn the_wizard_warns_of_overlaps_with_real_occurrences() {
    let app = TestApp::spawn().await;
    let (id, c) = weekly(&app).await;
    // June 19 10:30: overlaps the second occurrence (10:00-11:00).
    let page = wizard_to_step3(&app, &c, "2030-06-19", "10:30", &[]).await;
    let warnings = texts(&page, ".warnings li.conflict");
    assert_eq!(warnings.len(), 1, "{page}");
    assert!(
        warnings[0].starts_with("Overlaps “Weekly review” on Wednesday, ")
            && warnings[0].contains("10:00"),
        "{warnings:?}"
    );
    // 11:00 only touches it: no warning.
    let page = wizard_to_step3(&app, &c, "2030-06-19", "11:00", &[]).await;
    assert!(texts(&page, ".warnings li").is_empty());
    // Once that occurrence is cancelled, 10:30 is free.
    let r = post(
        &app,
        &c,
        &format!("/meetings/{id}/occurrences/cancel"),
        &[("original", "2030-06-19T10:00")],
    )
    .await;
    assert!(location(&r).ends_with("cancelled=1"));
    let page = wizard_to_step3(&app, &c, "2030-06-19", "10:30", &[]).await;
    assert!(texts(&page, ".warnings li").is_empty(), "{page}");
    // A moved occurrence warns where it went.
    post(
        &app,
        &c,
        &format!("/meetings/{id}/occurrences/move"),
        &[
            ("original", "2030-06-26T10:00"),
            ("date", "2030-06-27"),
            ("from", "16:00"),
            ("to", "17:00"),
            ("name", ""),
        ],
    )
    .await;
    let page = wizard_to_step3(&app, &c, "2030-06-27", "16:30", &[]).await;
    assert_eq!(texts(&page, ".warnings li").len(), 1, "{page}");
    let page = wizard_to_step3(&app, &c, "2030-06-26", "10:30", &[]).await;
    assert!(texts(&page, ".warnings li").is_empty());
}

/// Every 2 weeks on Monday and Thursday, 5 times: through the API and
/// through the wizard's plain form, shown in words, expanded right.
#[tokio::test]
async fn intervals_and_weekdays_through_the_api_and_the_wizard() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let http = reqwest::Client::new();
    // Monday 2030-06-10 09:00 Paris.
    let r = post_json(
        &http,
        app.url("/api/v1/meetings"),
        &token,
        &json!({
            "name": "Fortnightly", "templateId": TEMPLATE, "start": "2030-06-10T09:00",
            "durationMinutes": 30, "timeZone": "Europe/Paris",
            "repeat": "weekly", "repeatInterval": 2, "repeatDays": ["TH", "MO"], "repeatCount": 5,
            "attendees": []
        }),
    )
    .await;
    let status = r.status();
    let m: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["rrule"], "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5");
    let id = m["id"].as_str().unwrap();
    let list: Value = get_json(&http, app.url(&format!(
            "/api/v1/meetings/{id}/occurrences?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z"
        )), &token).await;
    let originals: Vec<&str> = list["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["original"].as_str().unwrap())
        .collect();
    assert_eq!(
        originals,
        [
            "2030-06-10T09:00",
            "2030-06-13T09:00",
            "2030-06-24T09:00",
            "2030-06-27T09:00",
            "2030-07-08T09:00"
        ]
    );
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    let page = app.page(&c, &format!("/meetings/{id}")).await;
    assert_eq!(
        texts(&page, ".repeat"),
        ["Every 2 weeks on Monday and Thursday, 5 times"]
    );
    // Bad values through the API: a clear error on the field.
    let r = post_json(
        &http,
        app.url("/api/v1/meetings"),
        &token,
        &json!({
            "name": "Bad", "templateId": TEMPLATE, "start": "2030-06-10T09:00",
            "durationMinutes": 30, "timeZone": "Europe/Paris",
            "repeat": "weekly", "repeatDays": ["XX"], "attendees": []
        }),
    )
    .await;
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "repeatDays");

    // The wizard: monthly on the last Friday (2030-06-28), every 2 months.
    let page = wizard_to_step3(
        &app,
        &c,
        "2030-06-28",
        "15:00",
        &[
            ("repeat", "monthly"),
            ("repeat_interval", "2"),
            ("repeat_monthly", "last"),
            ("repeat_end", "count"),
            ("repeat_count", "3"),
        ],
    )
    .await;
    assert_eq!(
        texts(&page, ".repeat-summary"),
        ["Repeats Every 2 months on the last Friday, 3 times"],
        "{page}"
    );
}
