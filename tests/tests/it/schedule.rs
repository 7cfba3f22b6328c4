//! Scheduling through the wizard with plain form posts (no JavaScript),
//! against the Call Bridge simulator.

use integration_tests::{form_field, post_form, texts, TestApp, PASSWORD, TEMPLATE};
use server::callbridge::sim::{FaultAction, RequestMatcher};

/// Walks the wizard to step 3 and returns (draft id, csrf).
async fn to_step_three(app: &TestApp, c: &reqwest::Client, name: &str) -> (String, String) {
    let page = app.page(c, "/schedule").await;
    assert!(
        texts(&page, ".step-count")[0].starts_with("Step 1 of 3"),
        "{page}"
    );
    assert!(
        page.contains("CoSpaceTemp-Scheduler"),
        "the user's template is offered"
    );
    let csrf = form_field(&page, "csrf").unwrap();
    let loc = post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", ""),
            ("step", "1"),
            ("name", name),
            ("space_mode", "new"),
            ("template_id", TEMPLATE),
            ("action", "next"),
        ],
    )
    .await;
    assert!(loc.starts_with("/schedule?draft="), "{loc}");
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let page = app.page(c, &loc).await;
    assert!(texts(&page, ".step-count")[0].starts_with("Step 2 of 3"));
    let loc = post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "2"),
            ("date", "2030-06-12"),
            ("from", "10:00"),
            ("to", "11:30"),
            ("duration", "1:00"),
            ("prev_to", "11:00"),
            ("prev_duration", "1:00"),
            ("time_zone", "Europe/Paris"),
            ("repeat", "none"),
            ("repeat_end", "never"),
            ("action", "next"),
        ],
    )
    .await;
    let page = app.page(c, &loc).await;
    assert!(
        texts(&page, ".step-count")[0].starts_with("Step 3 of 3"),
        "{page}"
    );
    (draft, csrf)
}

async fn add(
    app: &TestApp,
    c: &reqwest::Client,
    draft: &str,
    csrf: &str,
    email: &str,
    role: &str,
) -> String {
    let loc = post_form(
        c,
        &app.url("/schedule"),
        &[
            ("csrf", csrf),
            ("draft", draft),
            ("step", "3"),
            ("new_email", email),
            ("new_role", role),
            ("action", "add"),
        ],
    )
    .await;
    app.page(c, &loc).await
}

#[tokio::test]
async fn schedule_open_and_delete_a_meeting_without_javascript() {
    let app = TestApp::spawn().await;
    let c = app.signed_in_demo().await;
    let (before, methods_before) = (app.cb.cospaces().len(), app.cb.all_access_methods().len());
    let (draft, csrf) = to_step_three(&app, &c, "Quarterly review").await;
    add(
        &app,
        &c,
        &draft,
        &csrf,
        "guest@partner.example",
        "ExternalAccessMeth",
    )
    .await;
    let page = add(
        &app,
        &c,
        &draft,
        &csrf,
        "colleague@example.com",
        "InternalAccessMeth",
    )
    .await;
    assert_eq!(
        texts(&page, ".attendees .email"),
        vec!["guest@partner.example", "colleague@example.com"]
    );
    let page = add(
        &app,
        &c,
        &draft,
        &csrf,
        "COLLEAGUE@example.com",
        "InternalAccessMeth",
    )
    .await;
    assert_eq!(
        texts(&page, ".field-error"),
        vec!["This person is already invited."]
    );
    let page = add(
        &app,
        &c,
        &draft,
        &csrf,
        "not-an-address",
        "InternalAccessMeth",
    )
    .await;
    assert!(texts(&page, ".field-error")[0].starts_with("Enter a valid e-mail address"));
    assert_eq!(
        form_field(&page, "new_email").as_deref(),
        Some("not-an-address"),
        "what was typed is kept"
    );

    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "3"),
            ("new_email", ""),
            ("action", "create"),
        ],
    )
    .await;
    assert!(loc.starts_with("/?created="), "{loc}");
    let meeting_id = loc.trim_start_matches("/?created=").to_string();

    // The space exists on the Call Bridge with one access method per role.
    assert_eq!(app.cb.cospaces().len(), before + 1);
    assert_eq!(app.cb.all_access_methods().len(), methods_before + 2);

    let home = app.page(&c, &loc).await;
    assert_eq!(texts(&home, ".meeting .name"), vec!["Quarterly review"]);
    assert_eq!(
        texts(&home, ".meeting .time"),
        vec!["10:00 – 11:30"],
        "To won over the old duration"
    );
    assert!(texts(&home, ".toast-title").contains(&"Meeting created".to_string()));

    let page = app
        .page(&c, &format!("/meetings/{meeting_id}?tab=dial-in"))
        .await;
    let links = texts(&page, ".join-url");
    assert_eq!(links.len(), 2, "{page}");
    assert!(
        links
            .iter()
            .all(|l| l.starts_with("https://join.example.com/meeting/")),
        "{links:?}"
    );
    let roles = texts(&page, ".dial-in h2");
    assert_eq!(roles, vec!["ExternalAccessMeth", "InternalAccessMeth"]);

    // An invited attendee sees it, organized by its organizer, with only their role's dial-in.
    app.add_user_with_email(
        "colleague",
        "Colleague",
        "colleague@example.com",
        "Europe/Paris",
    )
    .await;
    let col = app.client();
    app.sign_in(&col, "colleague", PASSWORD).await;
    let home = app.page(&col, "/").await;
    assert_eq!(texts(&home, ".meeting .name"), vec!["Quarterly review"]);
    assert_eq!(
        texts(&home, ".meeting .organizer"),
        vec!["Organized by: Demo Organizer"]
    );
    let page = app
        .page(&col, &format!("/meetings/{meeting_id}?tab=dial-in"))
        .await;
    assert_eq!(texts(&page, ".dial-in h2"), vec!["InternalAccessMeth"]);
    assert!(page.contains("Dial-in"), "{page}");
    assert!(
        !page.contains(
            "/meetings/{meeting_id}/edit"
                .replace("{meeting_id}", &meeting_id)
                .as_str()
        ),
        "attendees cannot edit"
    );

    // Someone else cannot see it.
    app.add_user("mallory", "Mallory", "UTC").await;
    let m = app.client();
    app.sign_in(&m, "mallory", PASSWORD).await;
    let page = app.page(&m, &format!("/meetings/{meeting_id}")).await;
    assert!(
        page.contains("does not exist, or you cannot see it"),
        "{page}"
    );
    let mcsrf = form_field(&app.page(&m, "/join").await, "csrf");
    let r = m
        .post(app.url(&format!("/meetings/{meeting_id}/delete")))
        .form(&[("csrf", mcsrf.unwrap_or_default().as_str())])
        .send()
        .await
        .unwrap();
    assert!(!r.status().is_redirection(), "mallory cannot delete it");
    assert_eq!(app.cb.cospaces().len(), before + 1);

    // Delete asks first, then removes the meeting and its space.
    let page = app
        .page(&c, &format!("/meetings/{meeting_id}?confirm=delete"))
        .await;
    assert_eq!(texts(&page, "#confirm-title"), vec!["Delete this meeting?"]);
    let loc = post_form(
        &c,
        &app.url(&format!("/meetings/{meeting_id}/delete")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(loc, "/?deleted=1");
    assert_eq!(
        app.cb.cospaces().len(),
        before,
        "the temporary space is gone"
    );
    assert_eq!(app.cb.all_access_methods().len(), methods_before);
    let home = app.page(&c, "/").await;
    assert!(texts(&home, ".meeting .name").is_empty());
}

#[tokio::test]
async fn wizard_errors_keep_what_was_typed() {
    let app = TestApp::spawn().await;
    let c = app.signed_in_demo().await;
    let before = app.cb.cospaces().len();
    let page = app.page(&c, "/schedule").await;
    let csrf = form_field(&page, "csrf").unwrap();
    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", ""),
            ("step", "1"),
            ("name", "   "),
            ("space_mode", "new"),
            ("template_id", TEMPLATE),
            ("action", "next"),
        ],
    )
    .await;
    let page = app.page(&c, &loc).await;
    assert!(texts(&page, ".step-count")[0].starts_with("Step 1 of 3"));
    assert_eq!(
        texts(&page, "#name-error"),
        vec!["Enter a name for the meeting."]
    );

    let (draft, csrf) = to_step_three(&app, &c, "Planning").await;
    // Back to step 2 with an end before the start.
    post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "3"),
            ("action", "back"),
        ],
    )
    .await;
    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "2"),
            ("date", "2030-06-12"),
            ("from", "10:00"),
            ("to", "09:00"),
            ("duration", "1:30"),
            ("prev_to", "11:30"),
            ("prev_duration", "1:30"),
            ("time_zone", "Europe/Paris"),
            ("repeat", "weekly"),
            ("repeat_end", "count"),
            ("repeat_count", "10"),
            ("action", "next"),
        ],
    )
    .await;
    let page = app.page(&c, &loc).await;
    assert!(texts(&page, ".step-count")[0].starts_with("Step 2 of 3"));
    assert_eq!(
        texts(&page, "#to-error"),
        vec!["The end must be after the start."]
    );
    assert_eq!(form_field(&page, "repeat_count").as_deref(), Some("10"));
    assert_eq!(app.cb.cospaces().len(), before);
}

#[tokio::test]
async fn call_bridge_failure_during_create_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let c = app.signed_in_demo().await;
    let (before, methods_before) = (app.cb.cospaces().len(), app.cb.all_access_methods().len());
    let (draft, csrf) = to_step_three(&app, &c, "Doomed").await;
    add(
        &app,
        &c,
        &draft,
        &csrf,
        "guest@partner.example",
        "ExternalAccessMeth",
    )
    .await;
    // The new space's first access method cannot be made.
    app.cb.fail_nth(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces/*/accessMethods"),
        FaultAction::Status(500),
    );
    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "3"),
            ("action", "create"),
        ],
    )
    .await;
    assert!(loc.starts_with("/schedule?draft="), "{loc}");
    let page = app.page(&c, &loc).await;
    let alert = texts(&page, "[role=alert]").join(" ");
    assert!(alert.contains("nothing was created"), "{alert}");
    assert_eq!(app.cb.cospaces().len(), before, "compensated");
    assert_eq!(app.cb.all_access_methods().len(), methods_before);
    assert_eq!(
        texts(&page, ".attendees .email"),
        vec!["guest@partner.example"],
        "the wizard keeps its data"
    );
    // And it works once the Call Bridge is well again.
    app.cb.clear_faults();
    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "3"),
            ("action", "create"),
        ],
    )
    .await;
    assert!(loc.starts_with("/?created="), "{loc}");
    assert_eq!(app.cb.cospaces().len(), before + 1);
}

#[tokio::test]
async fn see_more_lists_every_upcoming_meeting_a_page_at_a_time() {
    use server::clock::{to_millis, Clock};
    let app = TestApp::spawn().await;
    let alice = app.add_user("alice", "Alice", "UTC").await;
    let now = app.clock.now();
    for i in 0..60i64 {
        let start = now + chrono::Duration::hours(i + 1);
        sqlx::query(
            "INSERT INTO meetings (id, organizer_id, name, time_zone, starts_at, ends_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'UTC', $4, $5, $6, $6)",
        )
        .bind(format!("m{i:02}"))
        .bind(&alice)
        .bind(format!("Meeting {i:02}"))
        .bind(to_millis(start))
        .bind(to_millis(start + chrono::Duration::minutes(30)))
        .bind(to_millis(now))
        .execute(&app.db)
        .await
        .unwrap();
    }
    let c = app.client();
    app.sign_in(&c, "alice", PASSWORD).await;
    let home = app.page(&c, "/").await;
    assert_eq!(texts(&home, ".meeting .name").len(), 20);
    assert_eq!(texts(&home, ".see-more"), vec!["See more"]);
    let p1 = app.page(&c, "/meetings").await;
    let names = texts(&p1, ".meeting .name");
    assert_eq!(names.len(), 50);
    assert_eq!(names[0], "Meeting 00");
    assert_eq!(texts(&p1, ".pager a"), vec!["Next page"]);
    let p2 = app.page(&c, "/meetings?page=2").await;
    let names = texts(&p2, ".meeting .name");
    assert_eq!(names.len(), 10);
    assert_eq!(names[9], "Meeting 59");
    assert_eq!(texts(&p2, ".pager a"), vec!["Previous page"]);
}
