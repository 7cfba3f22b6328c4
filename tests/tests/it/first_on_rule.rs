//! Series that start on their rule: a weekly-on-Tuesday meeting whose chosen
//! date is a Friday starts on the next Tuesday, and the API answer, the
//! occurrence list, the home page, the meeting page, the invitation, the
//! cleanup and the conflict check all say so. A series stored off its rule
//! by an earlier release is split at start so that what people were shown
//! stays true.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use integration_tests::{get_json, post_json, texts, TestApp, PASSWORD, TEMPLATE};
use serde_json::{json, Value};
use server::callbridge::CallBridgeClient;
use server::jobs::cleanup;
use server::recurrence::{Recurrence, Series};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Weekly on Tuesday, twice, 10:00-11:00 Paris, chosen date Friday
/// 2030-06-07: the meetings are on Tuesday June 11 and 18.
async fn tuesdays(app: &TestApp, token: &str) -> Value {
    let r = post_json(
        &reqwest::Client::new(),
        app.url("/api/v1/meetings"),
        token,
        &json!({
            "name": "Tuesdays", "templateId": TEMPLATE, "start": "2030-06-07T10:00",
            "durationMinutes": 60, "timeZone": "Europe/Paris",
            "repeat": "weekly", "repeatDays": ["TU"], "repeatCount": 2,
            "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
        }),
    )
    .await;
    let status = r.status();
    let m: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{m}");
    m
}

#[tokio::test]
async fn every_reader_agrees_on_the_first_meeting() {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("Europe/Paris").await;
    let http = reqwest::Client::new();
    let m = tuesdays(&app, &token).await;
    let id = m["id"].as_str().unwrap().to_string();
    // The API answers the real first meeting.
    assert_eq!(m["start"], "2030-06-11T08:00:00Z", "{m}");
    assert_eq!(m["rrule"], "FREQ=WEEKLY;BYDAY=TU;COUNT=2");

    // Its occurrences: two Tuesdays (COUNT counts from the first one).
    let occ: Value = get_json(
        &http,
        app.url(&format!(
            "/api/v1/meetings/{id}/occurrences?fromTime=2030-01-01T00:00:00Z&untilTime=2031-01-01T00:00:00Z"
        )),
        &token,
    )
    .await;
    let originals: Vec<&str> = occ["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["original"].as_str().unwrap())
        .collect();
    assert_eq!(originals, ["2030-06-11T10:00", "2030-06-18T10:00"]);

    // The list of meetings over the Friday alone has nothing.
    let friday: Value = get_json(
        &http,
        app.url("/api/v1/meetings?fromTime=2030-06-07T00:00:00Z&untilTime=2030-06-08T00:00:00Z"),
        &token,
    )
    .await;
    assert_eq!(friday["meetings"].as_array().unwrap().len(), 0, "{friday}");

    // The meeting page and the full list show the Tuesday.
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    let page = app.page(&c, &format!("/meetings/{id}")).await;
    let when = texts(&page, ".when");
    assert!(when[0].contains("Jun 11, 2030"), "{when:?}");
    // The full list, by day: the two Tuesdays, not the Friday.
    let list = app.page(&c, "/meetings").await;
    let days = texts(&list, "section.day h3");
    assert_eq!(
        days,
        ["Tuesday, Jun 11, 2030", "Tuesday, Jun 18, 2030"],
        "{list}"
    );
    assert_eq!(
        texts(&list, "li.meeting .time"),
        ["10:00 – 11:00", "10:00 – 11:00"]
    );

    // The invitation: DTSTART on the Tuesday, the same rule.
    let (message,): (String,) = sqlx::query_as(
        "SELECT m.message FROM mail_outbox o JOIN mail_outbox_messages m ON m.id = o.id \
             WHERE o.meeting_id = $1 AND o.kind = 'invite'",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let ics = message
        .replace("=\r\n", "")
        .replace("=3D", "=")
        .replace("\r\n ", "");
    assert!(
        ics.contains("DTSTART;TZID=Europe/Paris:20300611T100000"),
        "{ics}"
    );
    assert!(ics.contains("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2"), "{ics}");
    assert!(!ics.contains("20300607T"), "{ics}");

    // The conflict check (the wizard's warnings): the Friday is free, the
    // first Tuesday is not.
    let page = wizard_to_step3(&app, &c, "2030-06-07", &[("repeat", "none")]).await;
    assert!(texts(&page, ".warnings li").is_empty(), "{page}");
    let page = wizard_to_step3(&app, &c, "2030-06-11", &[("repeat", "none")]).await;
    assert_eq!(texts(&page, ".warnings li").len(), 1, "{page}");

    // The cleanup: the space stays until a day after the second Tuesday.
    let cb = CallBridgeClient::new(app.callbridge_config()).unwrap();
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-19T08:30:00Z"), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.deleted, r.kept), (0, 1));
    let r = cleanup::run_once(&app.db, &cb, at("2030-06-19T09:30:00Z"), "node-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.deleted, r.kept), (1, 0));
}

/// Steps 1 and 2 of the wizard's plain forms for a one-hour meeting at
/// 10:30 Paris on `date` with the `repeat` fields; the step 3 page.
async fn wizard_to_step3(
    app: &TestApp,
    c: &reqwest::Client,
    date: &str,
    repeat: &[(&str, &str)],
) -> String {
    let page = app.page(c, "/schedule").await;
    let csrf = integration_tests::form_field(&page, "csrf").unwrap();
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
        ("from", "10:30"),
        ("to", ""),
        ("duration", "1:00"),
        ("prev_to", ""),
        ("prev_duration", "1:00"),
        ("time_zone", "Europe/Paris"),
        ("action", "next"),
    ];
    step2.extend_from_slice(repeat);
    let loc = integration_tests::post_form(c, &app.url("/schedule"), &step2).await;
    app.page(c, &loc).await
}

/// The wizard's last step says when the first meeting is, before Create.
#[tokio::test]
async fn the_wizard_shows_the_first_meeting_before_create() {
    let app = TestApp::spawn().await;
    app.demo_organizer("Europe/Paris").await;
    let c = app.client();
    app.sign_in(&c, "demo", PASSWORD).await;
    // Friday 2030-06-07, weekly on Tuesday.
    let page = wizard_to_step3(
        &app,
        &c,
        "2030-06-07",
        &[
            ("repeat", "weekly"),
            ("repeat_day_TU", "on"),
            ("repeat_end", "never"),
        ],
    )
    .await;
    assert_eq!(
        texts(&page, ".first-meeting"),
        ["First meeting: Tuesday, Jun 11, 2030"],
        "{page}"
    );
    // Saturday 2030-06-08, monthly on the last Saturday: June 29.
    let page = wizard_to_step3(
        &app,
        &c,
        "2030-06-08",
        &[
            ("repeat", "monthly"),
            ("repeat_monthly", "last"),
            ("repeat_end", "never"),
        ],
    )
    .await;
    assert_eq!(
        texts(&page, ".first-meeting"),
        ["First meeting: Saturday, Jun 29, 2030"]
    );
    // A meeting that does not repeat has no such line.
    let page = wizard_to_step3(&app, &c, "2030-06-07", &[("repeat", "none")]).await;
    assert!(texts(&page, ".first-meeting").is_empty());
}

/// The UTC milliseconds of a local time in Paris.
fn paris_ms(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    let local = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    server::recurrence::resolve_local(chrono_tz::Europe::Paris, local).timestamp_millis()
}

/// Three series an earlier release could store off their rule (starting on
/// a Friday or on the 8th), with a cancelled and a moved occurrence, and
/// what its pages showed for them: the stored start first, then the rule's
/// dates (COUNT counting the start).
struct OffRule {
    id: &'static str,
    local_start: &'static str,
    rrule: &'static str,
}

const OFF_RULE: [OffRule; 3] = [
    // Friday 2030-06-07, weekly on Tuesday, 4 times.
    OffRule {
        id: "m-tuesdays",
        local_start: "2030-06-07T09:00",
        rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
    },
    // Saturday 2030-06-08, the last Saturday of each month, no end.
    OffRule {
        id: "m-last-saturday",
        local_start: "2030-06-08T10:00",
        rrule: "FREQ=MONTHLY;BYDAY=-1SA",
    },
    // Friday 2030-06-14, weekly on Tuesday, once: only the Friday was shown.
    OffRule {
        id: "m-once",
        local_start: "2030-06-14T15:00",
        rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT=1",
    },
];

/// Every (start, end, name) people were shown from 2030 to the end of 2031,
/// read through the API over all of the organizer's meetings.
async fn shown(app: &TestApp, token: &str) -> Vec<(String, String, String)> {
    let http = reqwest::Client::new();
    let window = "fromTime=2030-01-01T00:00:00Z&untilTime=2032-01-01T00:00:00Z";
    let list: Value = get_json(&http, app.url(&format!("/api/v1/meetings?{window}")), token).await;
    let mut out = Vec::new();
    for m in list["meetings"].as_array().unwrap() {
        let id = m["id"].as_str().unwrap();
        match m["rrule"].as_str() {
            None => out.push((
                m["start"].as_str().unwrap().to_string(),
                m["end"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            )),
            Some(_) => {
                let occ: Value = get_json(
                    &http,
                    app.url(&format!("/api/v1/meetings/{id}/occurrences?{window}")),
                    token,
                )
                .await;
                for o in occ["occurrences"].as_array().unwrap() {
                    let name = o["name"].as_str().unwrap_or(m["name"].as_str().unwrap());
                    out.push((
                        o["start"].as_str().unwrap().to_string(),
                        o["end"].as_str().unwrap().to_string(),
                        name.to_string(),
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn series_stored_off_their_rule_keep_what_people_saw() {
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => integration_tests::fresh_postgres_database().await,
        _ => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("scheduler.db").display()
        ),
    };
    // The schema as migrated, and rows an earlier release wrote.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    server::db::MIGRATOR.run(&pool).await.unwrap();
    let ann = "u-ann";
    sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, created_at) \
         VALUES ($1, 'ann', 'Ann', 'ann@example.com', NULL, 0)",
    )
    .bind(ann)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO spaces (id, owner_id, cospace_id, name, uri, temporary, created_at) \
         VALUES ('sp-1', $1, NULL, 'Ann''s room', 'ann.room', 0, 0)",
    )
    .bind(ann)
    .execute(&pool)
    .await
    .unwrap();
    for s in &OFF_RULE {
        let (date, time) = s.local_start.split_once('T').unwrap();
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        let (h, min) = time.split_once(':').unwrap();
        let start = paris_ms(
            chrono::Datelike::year(&d),
            chrono::Datelike::month(&d),
            chrono::Datelike::day(&d),
            h.parse().unwrap(),
            min.parse().unwrap(),
        );
        sqlx::query(
            "INSERT INTO meetings (id, organizer_id, space_id, name, time_zone, starts_at, ends_at, \
             local_start, duration_minutes, rrule, template_id, request_id, sequence, created_at, updated_at) \
             VALUES ($1, $2, 'sp-1', $3, 'Europe/Paris', $4, $5, $6, 30, $7, NULL, NULL, 1, 0, 0)",
        )
        .bind(s.id)
        .bind(ann)
        .bind(format!("Series {}", s.id))
        .bind(start)
        .bind(start + 30 * 60_000)
        .bind(s.local_start)
        .bind(s.rrule)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO meeting_attendees (meeting_id, position, email, role) \
             VALUES ($1, 0, 'bob@example.com', 'ExternalAccessMeth')",
        )
        .bind(s.id)
        .execute(&pool)
        .await
        .unwrap();
    }
    // The Tuesdays: the second Tuesday cancelled, the third moved and renamed.
    sqlx::query(
        "INSERT INTO meeting_exceptions (meeting_id, original, cancelled, starts_at, ends_at, name) VALUES \
         ('m-tuesdays', '2030-06-18T09:00', 1, NULL, NULL, NULL), \
         ('m-tuesdays', '2030-06-25T09:00', 0, $1, $2, 'Moved')",
    )
    .bind(paris_ms(2030, 6, 26, 14, 0))
    .bind(paris_ms(2030, 6, 26, 15, 0))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // What the pages showed, by the stored start and the rule (the start
    // first, whether or not the rule produces it).
    let mut before: Vec<(String, String, String)> = Vec::new();
    let from = at("2030-01-01T00:00:00Z");
    let until = at("2032-01-01T00:00:00Z");
    for s in &OFF_RULE {
        let start = chrono::NaiveDateTime::parse_from_str(s.local_start, "%Y-%m-%dT%H:%M").unwrap();
        let mut series = Series::new(
            chrono_tz::Europe::Paris,
            start,
            TimeDelta::minutes(30),
            Recurrence::from_rrule(s.rrule).unwrap(),
        )
        .unwrap();
        assert!(!series.starts_on_rule(), "{}", s.id);
        if s.id == "m-tuesdays" {
            series
                .cancel(
                    chrono::NaiveDateTime::parse_from_str("2030-06-18T09:00", "%Y-%m-%dT%H:%M")
                        .unwrap(),
                )
                .unwrap();
            series
                .edit(
                    chrono::NaiveDateTime::parse_from_str("2030-06-25T09:00", "%Y-%m-%dT%H:%M")
                        .unwrap(),
                    server::recurrence::Override {
                        start: chrono::DateTime::from_timestamp_millis(paris_ms(
                            2030, 6, 26, 14, 0,
                        ))
                        .unwrap(),
                        end: chrono::DateTime::from_timestamp_millis(paris_ms(2030, 6, 26, 15, 0))
                            .unwrap(),
                        name: Some("Moved".into()),
                    },
                )
                .unwrap();
        }
        for o in series.occurrences(from, until, 100) {
            before.push((
                o.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                o.end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                o.name.unwrap_or(format!("Series {}", s.id)),
            ));
        }
    }
    before.sort();

    // The server starts: the step runs once, after the migrations.
    let app = TestApp::spawn_on(Some(url.clone())).await;
    let token = server::auth::tokens::create(&app.db, ann, "upgrade", 0)
        .await
        .unwrap();
    let after = shown(&app, &token).await;
    assert_eq!(after, before);

    // Every stored series now starts on its rule; the old first occurrences
    // are meetings of their own, with the attendees.
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        rrule: Option<String>,
        time_zone: String,
        local_start: String,
        duration_minutes: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, rrule, time_zone, local_start, duration_minutes FROM meetings ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 5, "two series and three single meetings");
    for r in &rows {
        if let Some(rule) = &r.rrule {
            let s = server::db::series::base_series(
                rule,
                &r.time_zone,
                &r.local_start,
                r.duration_minutes,
            )
            .unwrap();
            assert!(s.starts_on_rule(), "{} {rule} from {}", r.id, r.local_start);
        }
    }
    let tuesdays = rows.iter().find(|r| r.id == "m-tuesdays").unwrap();
    assert_eq!(tuesdays.local_start, "2030-06-11T09:00");
    assert_eq!(
        tuesdays.rrule.as_deref(),
        Some("FREQ=WEEKLY;BYDAY=TU;COUNT=3")
    );
    let once = rows.iter().find(|r| r.id == "m-once").unwrap();
    assert_eq!(once.rrule, None);
    let (attendees,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meeting_attendees")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(attendees, 5);

    // Recorded: starting again changes nothing.
    server::db::steps::run(&app.db, Utc::now()).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meetings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 5);
    let (steps,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM data_steps")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(steps, 1);
    assert_eq!(shown(&app, &token).await, before);
}
