//! Sign-in, sessions, CSRF and the home page, against the running server.

use integration_tests::{form_field, location, texts, TestApp, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn a_guest_is_sent_to_sign_in_and_can_still_join() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?next=%2F");
    let r = c.get(app.url("/schedule")).send().await.unwrap();
    assert_eq!(location(&r), "/login?next=%2Fschedule");

    let login = app.page(&c, "/login").await;
    assert!(login.contains("Sign in"));
    assert!(
        login.contains("href=\"/join\""),
        "guests see Join a meeting"
    );

    let join = c.get(app.url("/join")).send().await.unwrap();
    assert_eq!(join.status(), StatusCode::OK);
    let r = c
        .get(app.url("/join/go?q=123%20456%20789"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "https://join.example.com/meeting/123456789");
    let r = c
        .get(app.url("/join/go?q=https%3A%2F%2Fevil.example%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/join?error=invalid");
}

#[tokio::test]
async fn wrong_password_gives_a_clear_error_and_no_session() {
    let app = TestApp::spawn().await;
    app.add_user("alice", "Alice Martin", "Europe/Paris").await;
    let c = app.client();
    let r = app.sign_in(&c, "alice", "not her password").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&r).starts_with("/login?error=invalid"),
        "{}",
        location(&r)
    );
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|v| !v.to_str().unwrap().starts_with("sid=")));
    let page = app.page(&c, &location(&r)).await;
    assert_eq!(
        texts(&page, "[role=alert]"),
        vec!["Incorrect username or password."]
    );
    // An unknown user gets the very same answer.
    let r = app.sign_in(&c, "mallory", "whatever").await;
    assert!(location(&r).starts_with("/login?error=invalid"));
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_shows_home_and_sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    app.add_user("alice", "Alice Martin", "Europe/Paris").await;
    let c = app.client();
    let r = app.sign_in(&c, "Alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    let sid = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("sid="))
        .expect("a session cookie");
    assert!(
        sid.contains("HttpOnly") && sid.contains("SameSite=Lax"),
        "{sid}"
    );
    assert!(!sid.contains("Secure"), "plain HTTP in tests: {sid}");

    let home = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert_eq!(texts(&html, "h1"), vec!["Alice Martin's Home"]);
    assert!(texts(&html, ".last-login")[0].contains("first sign-in"));
    assert!(html.contains("Join a meeting") && html.contains("Schedule meeting"));
    assert_eq!(
        texts(&html, "h2"),
        vec!["My scheduled meetings", "My spaces"]
    );
    assert!(texts(&html, ".empty")[0].starts_with("You have no upcoming meetings"));

    // Sign out needs the CSRF token...
    let r = c
        .post(app.url("/auth/logout"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK,
        "still signed in"
    );
    // ...which the page carries.
    let csrf = form_field(&html, "csrf").expect("sign-out form token");
    let r = c
        .post(app.url("/auth/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login");
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");

    // The next sign-in shows when the previous one was.
    app.clock.advance(chrono::Duration::hours(2));
    app.sign_in(&c, "alice", PASSWORD).await;
    let html = app.page(&c, "/").await;
    let last = &texts(&html, ".last-login")[0];
    assert!(
        last.starts_with("Last login ") && last.contains(" at "),
        "{last}"
    );
}

#[tokio::test]
async fn sign_in_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    app.add_user("alice", "Alice Martin", "UTC").await;
    let c = app.client();
    let r = c
        .post(app.url("/auth/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login?error=csrf");
    let r = c
        .post(app.url("/auth/login"))
        .form(&[
            ("csrf", "forged-forged-forged-forged-forged-forged-f"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login?error=csrf");
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    app.add_user("bob", "Bob", "UTC").await;
    let c = app.client();
    for _ in 0..5 {
        let r = app.sign_in(&c, "bob", "guess").await;
        assert!(location(&r).starts_with("/login?error=invalid"));
    }
    let r = app.sign_in(&c, "bob", PASSWORD).await;
    let loc = location(&r);
    assert!(loc.starts_with("/login?error=locked&retry="), "{loc}");
    let page = app.page(&c, &loc).await;
    assert!(texts(&page, "[role=alert]")[0].starts_with("Too many failed sign-in attempts"));
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_planted_session_cookie_is_never_adopted() {
    let app = TestApp::spawn().await;
    app.add_user("carol", "Carol", "UTC").await;
    let c = app.client();
    let planted = "A".repeat(43);
    c.get(app.url("/login"))
        .header("cookie", format!("sid={planted}"))
        .send()
        .await
        .unwrap();
    let r = app.sign_in(&c, "carol", PASSWORD).await;
    let sid = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("sid="))
        .unwrap();
    assert!(!sid.contains(&planted));
}

#[tokio::test]
async fn server_functions_need_a_session() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.get(app.url("/api/home_data")).send().await.unwrap();
    assert!(!r.status().is_success(), "{}", r.status());
    let body = r.text().await.unwrap();
    assert!(body.contains("You need to sign in."), "{body}");
    let r = c.get(app.url("/api/page_context")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains("\"user\":null"), "{body}");
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;
    let r = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}
