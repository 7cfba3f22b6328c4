//! Faults of the Call Bridge during creation, deletion and cleanup: after
//! each, no meeting lost, no half-made or duplicate space, no duplicate mail.

use integration_tests::{get_json, post_json, TestApp, TEMPLATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::callbridge::sim::{FaultAction, FaultRule, RequestMatcher};
use server::clock::Clock;
use std::time::Duration;

async fn setup() -> (TestApp, String, reqwest::Client) {
    let app = TestApp::spawn().await;
    let (_, token) = app.demo_organizer("UTC").await;
    (app, token, reqwest::Client::new())
}

fn meeting(name: &str, request_id: &str) -> Value {
    json!({
        "name": name, "templateId": TEMPLATE, "start": "2030-06-12T10:00",
        "durationMinutes": 30, "timeZone": "UTC", "requestId": request_id,
        "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
    })
}

/// POSTs a new meeting through the API; the response.
async fn create(
    app: &TestApp,
    http: &reqwest::Client,
    token: &str,
    body: Value,
) -> reqwest::Response {
    post_json(http, app.url("/api/v1/meetings"), token, &body).await
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&app.db).await.unwrap();
    n
}

#[tokio::test]
async fn a_lost_answer_while_creating_then_a_retry_makes_one_space_and_one_mail() {
    let (app, token, http) = setup().await;
    let spaces = app.cb.cospaces().len();
    // The Call Bridge makes the coSpace but the answer never arrives.
    app.cb.add_fault(FaultRule::next(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DropAfterProcessing,
    ));
    let first = create(&app, &http, &token, meeting("Lost answer", "lost-answer-1")).await;
    // Whatever the first attempt answered, the client retries with the same
    // request id: one meeting, one space, one invitation.
    let retry = create(&app, &http, &token, meeting("Lost answer", "lost-answer-1")).await;
    assert!(
        retry.status() == StatusCode::CREATED || retry.status() == StatusCode::OK,
        "first {}, retry {}",
        first.status(),
        retry.status()
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meetings").await, 1);
    assert_eq!(app.cb.cospaces().len(), spaces + 1, "one space");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM mail_outbox").await,
        1,
        "one invitation"
    );
}

#[tokio::test]
async fn a_slow_call_bridge_still_creates_once() {
    let (app, token, http) = setup().await;
    let spaces = app.cb.cospaces().len();
    app.cb.add_fault(FaultRule::next(
        3,
        RequestMatcher::new("**"),
        FaultAction::Delay(Duration::from_millis(700)),
    ));
    let r = create(&app, &http, &token, meeting("Slow", "slow-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(app.cb.cospaces().len(), spaces + 1);
}

#[tokio::test]
async fn a_refused_deletion_keeps_the_meeting_and_a_retry_sends_one_cancellation() {
    let (app, token, http) = setup().await;
    let r = create(&app, &http, &token, meeting("Keep me", "keep-1")).await;
    let m: Value = r.json().await.unwrap();
    let url = app.url(&format!("/api/v1/meetings/{}", m["id"].as_str().unwrap()));
    let spaces = app.cb.cospaces().len();
    // 503 on every try of the deletion, then a dropped connection.
    app.cb
        .busy_next(20, RequestMatcher::new("DELETE /api/v1/coSpaces/*"));
    let r = http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    app.cb.add_fault(FaultRule::next(
        20,
        RequestMatcher::new("DELETE /api/v1/coSpaces/*"),
        FaultAction::Drop,
    ));
    let r = http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    // Nothing lost, nothing told yet.
    assert_eq!(
        http.get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.cb.cospaces().len(), spaces);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'cancel'"
        )
        .await,
        0
    );
    // The Call Bridge is back: deleted, and one cancellation.
    app.cb.clear_faults();
    let r = http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.cb.cospaces().len(), spaces - 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'cancel'"
        )
        .await,
        1
    );
    assert_eq!(
        http.delete(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// The Call Bridge makes the coSpace but the answer is lost, and the look
/// for it fails too; the client gives up. The intent stays, and the
/// recovery sweep removes the space (found by the chaos test: the intent
/// was forgotten and the space left for ever).
#[tokio::test]
async fn a_lost_answer_and_a_failed_lookup_leave_the_space_to_the_sweep() {
    let (app, token, http) = setup().await;
    // A first meeting: the node now holds its copy of the Call Bridge's
    // spaces, so the next creation sends no list request before its POST
    // (the saga looks for an earlier attempt only when the POST fails).
    let r = create(&app, &http, &token, meeting("Warm-up", "warm-up-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let spaces = app.cb.cospaces().len();
    app.cb.add_fault(FaultRule::next(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DropAfterProcessing,
    ));
    // Every look for it after the POST is busy.
    app.cb.add_fault(FaultRule {
        matcher: RequestMatcher::new("GET /api/v1/coSpaces"),
        skip: 0,
        times: 100,
        action: FaultAction::Busy,
    });
    let r = create(&app, &http, &token, meeting("Given up", "given-up-1")).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    app.cb.clear_faults();
    assert_eq!(app.cb.cospaces().len(), spaces + 1, "made, answer lost");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meetings").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM space_intents").await, 1);
    let later = app.clock.now() + chrono::Duration::minutes(11);
    server::jobs::recover::sweep(&app.db, &app.meetings.cb, later)
        .await
        .unwrap();
    assert_eq!(app.cb.cospaces().len(), spaces, "swept");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM space_intents").await, 0);
}

/// While the Call Bridge misbehaves the meeting's own data stays editable:
/// an update does not need the Call Bridge (the roles fall back to those in
/// use), and it sends one update mail.
#[tokio::test]
async fn an_update_while_the_call_bridge_is_down_saves_and_mails_once() {
    let (app, token, http) = setup().await;
    let r = create(&app, &http, &token, meeting("Before", "update-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    let url = app.url(&format!("/api/v1/meetings/{}", m["id"].as_str().unwrap()));
    for action in [FaultAction::Busy, FaultAction::Drop] {
        app.cb.clear_faults();
        app.cb
            .add_fault(FaultRule::next(1000, RequestMatcher::any(), action));
        let name = format!(
            "After {}",
            count(&app, "SELECT COUNT(*) FROM mail_outbox").await
        );
        let mut body = meeting(&name, "ignored");
        body["start"] = json!("2030-06-13T11:00");
        let r = http
            .put(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        let v: Value = get_json(&http, &url, &token).await;
        assert_eq!(v["name"], name.as_str());
        assert_eq!(v["start"], "2030-06-13T11:00:00Z");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'update'"
        )
        .await,
        2,
        "one update mail per change"
    );
}

/// A small xorshift: the chaos below is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Default)]
struct UserOutcome {
    /// Meetings the client was told were made, by id.
    created: Vec<String>,
    /// Meetings the client was told were deleted.
    deleted: Vec<String>,
    /// Meetings whose deletion failed on every try: the client tries
    /// again once the Call Bridge is back.
    undeleted: Vec<String>,
    /// Request ids that never got an answer saying they were made: the
    /// client either retries them later or gives up on them.
    unsure: Vec<String>,
    /// Meeting id and the name the last successful update gave it.
    renamed: Vec<(String, String)>,
    calls: usize,
    failures: usize,
}

/// Many users create, rename and delete meetings while the Call Bridge
/// answers 503, drops connections before or after doing the work, and is
/// slow, at random. Afterwards (the Call Bridge healthy again, clients that
/// want to retrying once, and the recovery sweep run): every meeting a
/// client was told about is there with its space, every deleted one is gone
/// with its space, no coSpace is left without a meeting, and every mail was
/// written once. `CHAOS_USERS`, `CHAOS_SECONDS` and `CHAOS_SEED` make it
/// longer (bench/faults.sh).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_on_the_call_bridge_loses_nothing_and_leaves_nothing_behind() {
    let users = std::env::var("CHAOS_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6u64);
    let seconds = std::env::var("CHAOS_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4u64);
    let seed = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_c4a0_u64);
    let (app, token, _) = setup().await;
    let app = std::sync::Arc::new(app);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let spaces_before: std::collections::BTreeSet<String> =
        app.cb.cospaces().into_iter().map(|o| o.id).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);

    // The chaos: every 10–60 ms, the next one to five matching requests
    // fail in one of five ways (the Call Bridge client's own retries absorb
    // most single faults).
    let chaos_app = app.clone();
    let chaos = tokio::spawn(async move {
        let cb = &chaos_app.cb;
        let mut rng = Rng(seed);
        let mut injected = 0u32;
        while std::time::Instant::now() < deadline {
            let matcher = match rng.below(6) {
                0 => "POST /api/v1/coSpaces",
                1 => "POST /api/v1/coSpaces/*/accessMethods",
                2 => "GET /api/v1/coSpaces/**",
                3 => "DELETE /api/v1/coSpaces/*",
                4 => "GET /api/v1/coSpaceTemplates/**",
                _ => "**",
            };
            let action = match rng.below(5) {
                0 => FaultAction::Busy,
                1 => FaultAction::Drop,
                2 => FaultAction::DropAfterProcessing,
                3 => FaultAction::Delay(Duration::from_millis(300)),
                _ => FaultAction::DelayAfterProcessing(Duration::from_millis(300)),
            };
            cb.add_fault(FaultRule::next(
                1 + rng.below(5) as u32,
                RequestMatcher::new(matcher),
                action,
            ));
            injected += 1;
            tokio::time::sleep(Duration::from_millis(10 + rng.below(50))).await;
        }
        injected
    });

    let mut tasks = Vec::new();
    for u in 0..users {
        let http = http.clone();
        let token = token.clone();
        let base = app.url("/api/v1/meetings");
        tasks.push(tokio::spawn(async move {
            let mut out = UserOutcome::default();
            let mut rng = Rng(seed ^ (u + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut n = 0;
            while std::time::Instant::now() < deadline {
                n += 1;
                // Create, trying the same request id twice at most.
                let request_id = format!("chaos-{u}-{n}");
                let mut body = meeting(&format!("Chaos {u}-{n}"), &request_id);
                body["start"] = json!(format!(
                    "2031-{:02}-{:02}T{:02}:00",
                    1 + n % 12,
                    1 + u % 28,
                    8 + n % 9
                ));
                let mut made = None;
                for _ in 0..2 {
                    out.calls += 1;
                    match http
                        .post(&base)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => {
                            let v: Value = r.json().await.unwrap();
                            made = Some(v["id"].as_str().unwrap().to_string());
                            break;
                        }
                        _ => out.failures += 1,
                    }
                }
                match made {
                    Some(id) => out.created.push(id),
                    None => out.unsure.push(request_id),
                }
                // Rename a live meeting now and then.
                let live: Vec<&String> = out
                    .created
                    .iter()
                    .filter(|id| !out.deleted.contains(id) && !out.undeleted.contains(id))
                    .collect();
                if !live.is_empty() && rng.below(3) == 0 {
                    let id = live[rng.below(live.len() as u64) as usize].clone();
                    let name = format!("Renamed {u}-{n}");
                    let mut body = meeting(&name, "ignored");
                    body["start"] =
                        json!(format!("2031-{:02}-{:02}T07:00", 1 + n % 12, 1 + u % 28));
                    out.calls += 1;
                    match http
                        .put(format!("{base}/{id}"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(r) if r.status() == StatusCode::OK => out.renamed.push((id, name)),
                        _ => out.failures += 1,
                    }
                }
                // Delete one now and then, retrying up to three times.
                let live: Vec<String> = out
                    .created
                    .iter()
                    .filter(|id| !out.deleted.contains(id) && !out.undeleted.contains(id))
                    .cloned()
                    .collect();
                if !live.is_empty() && rng.below(4) == 0 {
                    let id = live[rng.below(live.len() as u64) as usize].clone();
                    let mut done = false;
                    for _ in 0..3 {
                        out.calls += 1;
                        match http
                            .delete(format!("{base}/{id}"))
                            .bearer_auth(&token)
                            .send()
                            .await
                        {
                            Ok(r) if r.status() == StatusCode::NO_CONTENT => {
                                out.deleted.push(id.clone());
                                done = true;
                                break;
                            }
                            _ => out.failures += 1,
                        }
                    }
                    if !done {
                        out.undeleted.push(id.clone());
                    }
                }
            }
            out
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let injected = chaos.await.unwrap();
    app.cb.clear_faults();

    // Afterwards: clients retry every other unsure creation once; the
    // others are abandoned, and the recovery sweep must clear what they
    // left on the Call Bridge.
    let mut created: Vec<String> = Vec::new();
    let mut deleted: Vec<String> = Vec::new();
    let mut abandoned: Vec<String> = Vec::new();
    let mut renamed = std::collections::BTreeMap::new();
    let (mut calls, mut failures) = (0, 0);
    for (u, out) in outcomes.into_iter().enumerate() {
        calls += out.calls;
        failures += out.failures;
        created.extend(out.created);
        deleted.extend(out.deleted);
        for id in out.undeleted {
            let r = http
                .delete(app.url(&format!("/api/v1/meetings/{id}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "retry deleting {id}");
            deleted.push(id);
        }
        renamed.extend(out.renamed);
        for (k, request_id) in out.unsure.into_iter().enumerate() {
            if (u + k) % 2 == 1 {
                abandoned.push(request_id);
                continue;
            }
            let n: String = request_id.rsplit('-').next().unwrap().to_string();
            let mut body = meeting(&format!("Chaos {u}-{n}"), &request_id);
            let n: u64 = n.parse().unwrap();
            body["start"] = json!(format!(
                "2031-{:02}-{:02}T{:02}:00",
                1 + n % 12,
                1 + u as u64 % 28,
                8 + n % 9
            ));
            let r = create(&app, &http, &token, body).await;
            assert!(
                r.status().is_success(),
                "retry of {request_id}: {}",
                r.status()
            );
            let v: Value = r.json().await.unwrap();
            created.push(v["id"].as_str().unwrap().to_string());
        }
    }
    let now = app.clock.now() + chrono::Duration::minutes(11);
    server::jobs::recover::sweep(&app.db, &app.meetings.cb, now)
        .await
        .unwrap();

    // Abandoned request ids: either made after all (the answer was lost on
    // every try) or not at all; never half.
    for request_id in &abandoned {
        let made: Option<(String,)> =
            sqlx::query_as("SELECT id FROM meetings WHERE request_id = $1")
                .bind(request_id)
                .fetch_optional(&app.db)
                .await
                .unwrap();
        if let Some((id,)) = made {
            created.push(id);
        }
    }
    let live: Vec<&String> = created.iter().filter(|id| !deleted.contains(id)).collect();
    let in_db = count(&app, "SELECT COUNT(*) FROM meetings").await;
    assert_eq!(in_db as usize, live.len(), "no meeting lost, none unknown");
    let read = |id: String| {
        http.get(app.url(&format!("/api/v1/meetings/{id}")))
            .bearer_auth(&token)
            .send()
    };
    for id in &live {
        let r = read(id.to_string()).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{id} is there");
        if let Some(name) = renamed.get(*id) {
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["name"], name.as_str(), "{id} keeps its last name");
        }
    }
    for id in &deleted {
        let r = read(id.to_string()).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{id} is gone");
    }
    // The Call Bridge holds exactly the live meetings' spaces.
    let spaces_now: std::collections::BTreeSet<String> = app
        .cb
        .cospaces()
        .into_iter()
        .map(|o| o.id)
        .filter(|id| !spaces_before.contains(id))
        .collect();
    let in_use: Vec<(String,)> =
        sqlx::query_as("SELECT s.cospace_id FROM meetings m JOIN spaces s ON s.id = m.space_id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let in_use: std::collections::BTreeSet<String> = in_use.into_iter().map(|(c,)| c).collect();
    assert_eq!(spaces_now, in_use, "no half-made or leftover space");
    let leftover = count(&app, "SELECT COUNT(*) FROM space_intents").await;
    assert_eq!(leftover, 0, "every creation settled");
    // Each mail once: one invitation per meeting and guest, one
    // cancellation per deleted meeting and guest.
    let dup = count(
        &app,
        "SELECT COUNT(*) FROM (SELECT meeting_id, recipient, kind FROM mail_outbox \
         WHERE kind <> 'update' GROUP BY meeting_id, recipient, kind HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(dup, 0, "no duplicate invitation or cancellation");
    let invites = count(
        &app,
        "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'invite'",
    )
    .await;
    let cancels = count(
        &app,
        "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'cancel'",
    )
    .await;
    assert_eq!(
        invites as usize,
        created.len(),
        "one invitation per meeting"
    );
    assert_eq!(
        cancels as usize,
        deleted.len(),
        "one cancellation per deletion"
    );
    eprintln!(
        "chaos: {users} users, {seconds} s, {injected} faults injected, {calls} calls, \
         {failures} failed and retried, {} meetings made, {} deleted, {} abandoned",
        created.len(),
        deleted.len(),
        abandoned.len()
    );
}
