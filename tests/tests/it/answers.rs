//! Attendees' answers from the Accept / Tentative / Decline links of REAL
//! received invitations (aiosmtpd, as in `mail`): a GET records nothing (a
//! mail scanner may open it), the confirmation POST records once, a person
//! can change their mind, and a forged, altered, replayed or borrowed link
//! changes nothing and gets the one generic page. The organizer sees each
//! answer on the meeting page and the counts on the home page.

use crate::mail::{by_recipient, configure_smtp, free_port, require_python, schedule, SmtpSink};
use integration_tests::{form_field, texts, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

const GUEST: &str = "guest@partner.example";
const COLLEAGUE: &str = "colleague@example.com";

/// The answer links of a mail's text part, by the answer's word.
fn links(mail: &Value) -> HashMap<&'static str, String> {
    let text = mail["text"].as_str().unwrap();
    let mut out = HashMap::new();
    for (label, answer) in [
        ("Accept: ", "accepted"),
        ("Tentative: ", "tentative"),
        ("Decline: ", "declined"),
    ] {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("{label} in {text}"));
        out.insert(answer, line.trim().to_string());
    }
    out
}

/// The token at the end of an answer link.
fn token_of(link: &str) -> String {
    link.rsplit_once("/answer/").unwrap().1.to_string()
}

/// What a GET of an answer link answered.
struct Opened {
    status: StatusCode,
    body: String,
}

async fn open(c: &reqwest::Client, link: &str) -> Opened {
    let r = c.get(link).send().await.unwrap();
    Opened {
        status: r.status(),
        body: r.text().await.unwrap(),
    }
}

/// Posts the confirmation form of the page `page` (as a browser would).
async fn confirm(app: &TestApp, c: &reqwest::Client, page: &str) -> Opened {
    let csrf = form_field(page, "csrf").expect("csrf in the form");
    let token = form_field(page, "token").expect("token in the form");
    post_token(app, c, &csrf, &token).await
}

async fn post_token(app: &TestApp, c: &reqwest::Client, csrf: &str, token: &str) -> Opened {
    let r = c
        .post(app.url("/answer"))
        .form(&[("csrf", csrf), ("token", token)])
        .send()
        .await
        .unwrap();
    Opened {
        status: r.status(),
        body: r.text().await.unwrap(),
    }
}

/// Opens a link and confirms it: the answer recorded, as the page says it.
async fn answer(app: &TestApp, c: &reqwest::Client, link: &str) -> Opened {
    let page = open(c, link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    confirm(app, c, &page.body).await
}

/// Every stored answer: (meeting, e-mail, answer).
async fn stored(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT meeting_id, email, answer FROM attendee_answers ORDER BY meeting_id, email",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

fn recorded(page: &Opened) -> String {
    let doc = scraper::Html::parse_document(&page.body);
    let sel = scraper::Selector::parse(".answer-recorded").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("data-answer"))
        .unwrap_or_else(|| panic!("no recorded answer in {}", page.body))
        .to_string()
}

/// The fresh link to change one's answer offered after answering.
fn change_link(page: &Opened, answer: &str) -> String {
    let doc = scraper::Html::parse_document(&page.body);
    let sel = scraper::Selector::parse(&format!(".answer-change a[data-answer={answer}]")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("href"))
        .unwrap_or_else(|| panic!("no {answer} link in {}", page.body))
        .to_string()
}

#[tokio::test]
async fn attendees_answer_from_their_invitation_and_change_their_mind() {
    require_python();
    let app = TestApp::spawn().await;
    let port = free_port();
    let sink = SmtpSink::start(port);
    configure_smtp(&app, port);
    let organizer = app.signed_in_demo().await;
    let id = schedule(
        &app,
        &organizer,
        &[
            (GUEST, "ExternalAccessMeth"),
            (COLLEAGUE, "InternalAccessMeth"),
        ],
    )
    .await;
    let msgs = sink.messages(2).await;
    let guest_mail = by_recipient(&msgs, GUEST)[0];
    let colleague_mail = by_recipient(&msgs, COLLEAGUE)[0];
    // A client's own Accept button answers the organizer, as before.
    assert!(guest_mail["organizer"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case("mailto:demo.organizer@example.com"));
    let guest = links(guest_mail);
    let colleague = links(colleague_mail);
    for link in guest.values() {
        assert!(link.starts_with(&format!("{}/answer/", app.base)), "{link}");
        // The same links in the HTML part, and none in the calendar.
        assert!(guest_mail["html"].as_str().unwrap().contains(link.as_str()));
        assert!(!guest_mail["calendar"]
            .as_str()
            .unwrap()
            .contains("/answer/"));
    }
    assert_ne!(guest["accepted"], colleague["accepted"]);

    // A phone, signed in to nothing. Opening the link (as a mail scanner
    // does, twice) records nothing.
    let phone = app.client();
    for _ in 0..2 {
        let page = open(&phone, &guest["accepted"]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Accept this invitation?"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Weekly review; Q3, été"));
    }
    assert!(stored(&app).await.is_empty());
    let meeting_page = format!("/meetings/{id}");
    let page = app.page(&organizer, &meeting_page).await;
    assert_eq!(
        texts(&page, ".delivery .answer"),
        ["No answer yet", "No answer yet"]
    );

    // Confirmed: accepted.
    let page = open(&phone, &guest["accepted"]).await;
    let accepted = confirm(&app, &phone, &page.body).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(recorded(&accepted), "accepted");
    assert_eq!(
        stored(&app).await,
        [(id.clone(), GUEST.to_string(), "accepted".to_string())]
    );
    let page = app.page(&organizer, &meeting_page).await;
    assert_eq!(
        texts(&page, ".delivery .answer"),
        ["Accepted", "No answer yet"]
    );

    // The generic page, as a replay of the used link shows it.
    let csrf = form_field(&open(&phone, &guest["declined"]).await.body, "csrf").unwrap();
    let replay = post_token(&app, &phone, &csrf, &token_of(&guest["accepted"])).await;
    assert_eq!(replay.status, StatusCode::NOT_FOUND);
    assert!(replay.body.contains("This link cannot be used"));
    let generic = replay.body.clone();
    let reopened = open(&phone, &guest["accepted"]).await;
    assert_eq!(
        (reopened.status, reopened.body.as_str()),
        (StatusCode::NOT_FOUND, generic.as_str())
    );

    // Changing one's mind: decline from the mail...
    let declined = answer(&app, &phone, &guest["declined"]).await;
    assert_eq!(recorded(&declined), "declined");
    // ... the used Accept of the mail cannot bring it back ...
    let replay = open(&phone, &guest["accepted"]).await;
    assert_eq!(
        (replay.status, replay.body.as_str()),
        (StatusCode::NOT_FOUND, generic.as_str())
    );
    assert_eq!(stored(&app).await[0].2, "declined");
    // ... the fresh link of the answer page does.
    let again = change_link(&declined, "accepted");
    assert!(
        again.starts_with(&format!("{}/answer/", app.base)),
        "{again}"
    );
    let accepted = answer(&app, &phone, &again).await;
    assert_eq!(recorded(&accepted), "accepted");
    assert_eq!(stored(&app).await[0].2, "accepted");

    // Forged, altered, borrowed, or signed with another secret: the same
    // page, and nothing changes.
    let before = stored(&app).await;
    let token = token_of(&guest["tentative"]);
    let (payload, mac) = token.split_once('.').unwrap();
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 2;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // The guest's signature over the colleague's name: A answering for B.
    let fields = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    assert!(fields.contains(GUEST), "{fields}");
    let borrowed = format!("{}.{mac}", b64.encode(fields.replace(GUEST, COLLEAGUE)));
    let other_secret = server::auth::signed::sign(
        &[9u8; 32],
        "answer-v1",
        &fields.split('\n').collect::<Vec<_>>(),
    );
    let hostile = [
        altered,
        borrowed,
        other_secret,
        format!("{payload}.{}", b64.encode([0u8; 32])),
        "not-a-token".to_string(),
        "a..b".to_string(),
        "x".repeat(5000),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_string(),
    ];
    for t in &hostile {
        let got = open(&phone, &format!("{}/answer/{t}", app.base)).await;
        assert_eq!(
            (got.status, got.body.as_str()),
            (StatusCode::NOT_FOUND, generic.as_str()),
            "GET {t}"
        );
        let got = post_token(&app, &phone, &csrf, t).await;
        assert_eq!(
            (got.status, got.body.as_str()),
            (StatusCode::NOT_FOUND, generic.as_str()),
            "POST {t}"
        );
    }
    assert_eq!(stored(&app).await, before);

    // The colleague answers with their own link.
    let tentative = answer(&app, &app.client(), &colleague["tentative"]).await;
    assert_eq!(recorded(&tentative), "tentative");
    let page = app.page(&organizer, &meeting_page).await;
    assert_eq!(texts(&page, ".delivery .answer"), ["Accepted", "Tentative"]);
    assert_eq!(
        texts(&page, ".delivery .answer").len(),
        texts(&page, ".delivery .status").len()
    );
    // The home page counts them, in both languages.
    let home = app.page(&organizer, "/").await;
    let counts = texts(&home, ".meeting .answers");
    assert!(!counts.is_empty(), "{home}");
    assert!(
        counts.iter().all(|c| c == "1 accepted, 1 tentative"),
        "{counts:?}"
    );
    let r = organizer.get(app.url("/lang/fr")).send().await.unwrap();
    assert!(r.status().is_redirection() || r.status().is_success());
    let home = app.page(&organizer, "/").await;
    assert!(texts(&home, ".meeting .answers")
        .iter()
        .all(|c| c == "1 accepté, 1 peut-être"));

    // One occurrence moved: its mail's links answer the whole series.
    let csrf = form_field(&app.page(&organizer, &meeting_page).await, "csrf").unwrap();
    let r = organizer
        .post(app.url(&format!("/meetings/{id}/occurrences/move")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("original", "2030-06-19T10:00"),
            ("date", "2030-06-20"),
            ("from", "15:00"),
            ("to", "16:00"),
            ("name", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.text().await.unwrap());
    let msgs = sink.messages(4).await;
    let moved = by_recipient(&msgs[2..], GUEST)[0];
    assert_eq!(
        moved["recurrence_ids"].as_array().unwrap().len(),
        1,
        "{moved}"
    );
    let declined = answer(&app, &app.client(), &links(moved)["declined"]).await;
    assert_eq!(recorded(&declined), "declined");
    assert!(stored(&app)
        .await
        .contains(&(id.clone(), GUEST.to_string(), "declined".to_string())));
    let home = app.page(&organizer, "/").await;
    assert!(texts(&home, ".meeting .answers")
        .iter()
        .all(|c| c == "1 peut-être, 1 refusé"));

    // Deleting the meeting kills its links, with the same page.
    let r = organizer
        .post(app.url(&format!("/meetings/{id}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let gone = open(&phone, &guest["tentative"]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(gone.body.contains("This link cannot be used"));
    assert!(stored(&app).await.is_empty());
}
