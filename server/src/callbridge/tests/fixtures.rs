//! The client against answers recorded from SPEC §7 (`fixtures/*.xml`:
//! compact XML, `total="0"` lists, failure details with 400 and with 404,
//! both spellings of `unrecognizedObject`, a page smaller than the limit,
//! lower-cased URIs), replayed by a tiny HTTP server that is not our
//! simulator, and read by the client's parse functions directly.

use crate::callbridge::client::{answer_error, location_id};
use crate::callbridge::model::{CallLeg, CoSpace, Page, SystemStatus};
use crate::callbridge::xml::{parse_failure, parse_list, parse_object};
use crate::callbridge::{
    create_meeting_space, delete_meeting_space, find_request_space, CallBridgeClient,
    CallBridgeConfig, CallBridgeError, Deletion, RetryPolicy, SpaceOrigin, SpaceRequest,
    SpaceSource,
};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::Duration;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/", $name, ".xml"))
    };
}

const SPACE: &str = "9f1c2a4e-7b3d-4c8e-a5f6-0d1e2f3a4b5c";
const TEMPLATE: &str = "19577d25-f7cf-4524-9a26-5fd418dd5f96";
const AMT: &str = "72d4029d-c70b-4b9c-a3d5-03f0800cf710";
const AM: &str = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a";
const MEMBER: &str = "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b";
const CALL: &str = "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

/// One recorded answer: to `method` on `target` (path and query exactly
/// as sent), `status`, headers and body.
#[derive(Clone)]
struct Exchange {
    method: &'static str,
    target: String,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
}

fn answer(
    method: &'static str,
    target: impl Into<String>,
    status: u16,
    body: &'static str,
) -> Exchange {
    Exchange {
        method,
        target: target.into(),
        status,
        headers: Vec::new(),
        body,
    }
}

/// A create's answer: 200, empty body, `Location`.
fn created(target: impl Into<String>, location: impl Into<String>) -> Exchange {
    Exchange {
        headers: vec![("location", location.into())],
        ..answer("POST", target, 200, "")
    }
}

/// A request the replay server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    content_type: Option<String>,
    body: String,
}

#[derive(Clone)]
struct Replay {
    exchanges: Arc<Vec<Exchange>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Replay {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn targets(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .map(|s| format!("{} {}", s.method, s.target))
            .collect()
    }
}

async fn serve(State(replay): State<Replay>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 16)
        .await
        .unwrap_or_default();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    replay.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        target: target.clone(),
        content_type: parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let Some(x) = replay
        .exchanges
        .iter()
        .find(|x| x.method == parts.method.as_str() && x.target == target)
    else {
        // A request no recording answers: a 418 the client maps to an
        // unexpected status, so the test fails on it.
        return (StatusCode::IM_A_TEAPOT, format!("no fixture for {target}")).into_response();
    };
    let mut response = (
        StatusCode::from_u16(x.status).unwrap(),
        x.body.trim_end().to_string(),
    )
        .into_response();
    if !x.body.is_empty() {
        response
            .headers_mut()
            .insert("content-type", "text/xml".parse().unwrap());
    }
    for (name, value) in &x.headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

/// Serves `exchanges` on loopback; the replay and a client for it.
async fn replay(exchanges: Vec<Exchange>) -> (Replay, CallBridgeClient) {
    let replay = Replay {
        exchanges: Arc::new(exchanges),
        seen: Arc::default(),
    };
    let app = axum::Router::new()
        .fallback(serve)
        .with_state(replay.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut cfg = CallBridgeConfig::new(format!("http://{addr}"), "api", "pw");
    cfg.timeout = Duration::from_secs(2);
    cfg.retry = RetryPolicy::none();
    (replay, CallBridgeClient::new(cfg).unwrap())
}

#[test]
fn the_recordings_are_compact_and_parse() {
    for body in [
        fixture!("cospaces_page_1"),
        fixture!("cospaces_empty"),
        fixture!("cospace"),
        fixture!("system_status"),
        fixture!("call_legs"),
        fixture!("failure_invalid_layout"),
    ] {
        assert!(body.starts_with("<?xml version=\"1.0\"?><"), "{body}");
        assert!(!body.contains('\n'), "{body}");
    }
    let page: Page<CoSpace> = parse_list(fixture!("cospaces_page_1"), "coSpace").unwrap();
    assert_eq!((page.total, page.items.len()), (3, 2));
    assert_eq!(page.items[1].secondary_uri.as_deref(), Some("8811"));
    let page: Page<CoSpace> = parse_list(fixture!("cospaces_empty"), "coSpace").unwrap();
    assert_eq!((page.total, page.items.len()), (0, 0));
    let space: CoSpace = parse_object(fixture!("cospace")).unwrap();
    assert_eq!(
        space.owner_id.as_deref(),
        Some("5c2f7b0e-3d1a-4e8b-9f60-1a2b3c4d5e6f")
    );
    assert_eq!(space.num_access_methods, Some(0));
    assert_eq!(space.meeting_scheduler.as_deref(), Some("Demo Organizer"));
    let status: SystemStatus = parse_object(fixture!("system_status")).unwrap();
    assert_eq!(status.software_version.as_deref(), Some("3.8.1"));
    assert_eq!(status.cluster_enabled, Some(true));
    assert_eq!(status.call_legs_active, Some(2));
    let legs: Page<CallLeg> = parse_list(fixture!("call_legs"), "callLeg").unwrap();
    assert_eq!(
        legs.items[1].remote_party.as_deref(),
        Some("bob@example.com")
    );
    let d = parse_failure(fixture!("failure_invalid_layout")).unwrap();
    assert_eq!(
        (
            d.reason.as_str(),
            d.parameter.as_deref(),
            d.error.as_deref()
        ),
        (
            "parameterError",
            Some("defaultLayout"),
            Some("invalidValue")
        )
    );
}

#[test]
fn answers_map_to_errors() {
    for (status, body) in [
        (404, fixture!("failure_cospace_does_not_exist")),
        (400, fixture!("failure_cospace_does_not_exist")),
        (404, fixture!("failure_unrecognized_object")),
        (400, fixture!("failure_unrecognized_object")),
        (404, fixture!("failure_unrecognised_object")),
        (400, fixture!("failure_unrecognised_object")),
        (404, ""),
    ] {
        let e = answer_error(status, body);
        assert!(e.is_not_found(), "{status} {body}: {e:?}");
    }
    assert!(matches!(
        answer_error(400, fixture!("failure_duplicate_uri")),
        CallBridgeError::DuplicateCoSpaceUri
    ));
    assert!(matches!(
        answer_error(401, ""),
        CallBridgeError::Unauthorized
    ));
    assert!(matches!(
        answer_error(500, "<html>oops</html>"),
        CallBridgeError::UnexpectedStatus { status: 500, .. }
    ));
    let id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    for location in [
        format!("/api/v1/coSpaces/{id}"),
        format!("/api/v1/coSpaces/{SPACE}/accessMethods/{id}"),
        format!("https://cms1.example.com:445/api/v1/coSpaces/{id}"),
        format!("/api/v1/coSpaces/{id}/"),
    ] {
        assert_eq!(location_id(&location).as_deref(), Some(id), "{location}");
    }
}

#[tokio::test]
async fn a_page_smaller_than_the_limit_and_an_empty_list() {
    let (replay, c) = replay(vec![
        answer(
            "GET",
            "/api/v1/coSpaces?offset=0&limit=10&filter=e",
            200,
            fixture!("cospaces_page_1"),
        ),
        answer(
            "GET",
            "/api/v1/coSpaces?offset=2&limit=10&filter=e",
            200,
            fixture!("cospaces_page_2"),
        ),
        answer(
            "GET",
            "/api/v1/coSpaces?offset=0&limit=10&filter=zzz",
            200,
            fixture!("cospaces_empty"),
        ),
    ])
    .await;
    let all = c.cospaces(Some("e")).await.unwrap();
    let names: Vec<_> = all.iter().filter_map(|s| s.name.as_deref()).collect();
    assert_eq!(names, vec!["Test-XRP", "Board room", "Weekly sync"]);
    assert!(c.cospaces(Some("zzz")).await.unwrap().is_empty());
    assert_eq!(replay.seen().len(), 3, "{:?}", replay.targets());
}

#[tokio::test]
async fn a_challenge_is_unauthorized_and_not_retried() {
    let challenge = Exchange {
        headers: vec![("www-authenticate", "Basic realm=\"acano\"".into())],
        ..answer("GET", "/api/v1/system/status", 401, "")
    };
    let (replay, c) = replay(vec![challenge]).await;
    let err = c.system_status().await.unwrap_err();
    assert!(matches!(err, CallBridgeError::Unauthorized), "{err:?}");
    assert_eq!(replay.seen().len(), 1);
}

#[tokio::test]
async fn missing_objects_answered_with_400_or_404_are_not_found() {
    let missing = fixture!("failure_cospace_does_not_exist");
    let (_, c) = replay(vec![
        answer("GET", "/api/v1/coSpaces/a", 404, missing),
        answer("GET", "/api/v1/coSpaces/b", 400, missing),
        answer(
            "GET",
            "/api/v1/coSpaces/c",
            404,
            fixture!("failure_unrecognized_object"),
        ),
        answer(
            "GET",
            "/api/v1/coSpaces/d",
            400,
            fixture!("failure_unrecognised_object"),
        ),
        answer("GET", "/api/v1/coSpaces/e", 404, ""),
        answer("DELETE", "/api/v1/coSpaces/b", 400, missing),
        answer("DELETE", "/api/v1/coSpaces/a", 200, ""),
    ])
    .await;
    for id in ["a", "b", "c", "d", "e"] {
        let err = c.cospace(id).await.unwrap_err();
        assert!(err.is_not_found(), "{id}: {err:?}");
    }
    assert_eq!(
        delete_meeting_space(&c, "b").await.unwrap(),
        Deletion::AlreadyGone
    );
    assert_eq!(
        delete_meeting_space(&c, "a").await.unwrap(),
        Deletion::Deleted
    );
}

#[tokio::test]
async fn a_lower_cased_uri_still_finds_the_request_space() {
    let (replay, c) = replay(vec![
        answer(
            "GET",
            "/api/v1/coSpaces?offset=0&limit=10&filter=Test-XRP-3FA9C2D1B7E4",
            200,
            fixture!("cospaces_page_1"),
        ),
        answer(
            "GET",
            "/api/v1/coSpaces?offset=2&limit=10&filter=Test-XRP-3FA9C2D1B7E4",
            200,
            fixture!("cospaces_empty"),
        ),
        answer(
            "GET",
            format!("/api/v1/coSpaces/{SPACE}"),
            200,
            fixture!("cospace"),
        ),
    ])
    .await;
    let found = find_request_space(&c, "Test-XRP-3FA9C2D1B7E4", "req-recorded")
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some(SPACE), "{:?}", replay.targets());
    // Another request's marker: not ours.
    let other = find_request_space(&c, "Test-XRP-3FA9C2D1B7E4", "req-other")
        .await
        .unwrap();
    assert_eq!(other, None);
}

#[tokio::test]
async fn status_calls_and_call_legs() {
    let (_, c) = replay(vec![
        answer(
            "GET",
            "/api/v1/system/status",
            200,
            fixture!("system_status"),
        ),
        answer(
            "GET",
            format!("/api/v1/calls?offset=0&limit=10&coSpaceFilter={SPACE}"),
            200,
            fixture!("calls"),
        ),
        answer(
            "GET",
            format!("/api/v1/calls/{CALL}/callLegs?offset=0&limit=10"),
            200,
            fixture!("call_legs"),
        ),
    ])
    .await;
    let status = c.system_status().await.unwrap();
    assert_eq!(status.software_version.as_deref(), Some("3.8.1"));
    assert_eq!(status.uptime_seconds, Some(1_836_107));
    let calls = c.calls(Some(SPACE)).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].co_space.as_deref(), Some(SPACE));
    let legs = c.call_legs_of(CALL).await.unwrap();
    let names: Vec<_> = legs.iter().filter_map(|l| l.name.as_deref()).collect();
    assert_eq!(names, vec!["Alice", "Bob"]);
}

/// A whole create against recorded answers: the requests, their forms (no
/// template parameter, the template's profiles copied, `meetingScheduler`,
/// the member, the call IDs and secrets it chose), and what the saga makes
/// of the answers (ids from relative `Location`s).
#[tokio::test]
async fn the_saga_against_recorded_answers() {
    let (replay, c) = replay(vec![
        answer(
            "GET",
            format!("/api/v1/coSpaceTemplates/{TEMPLATE}"),
            200,
            fixture!("cospace_template"),
        ),
        answer(
            "GET",
            format!("/api/v1/coSpaceTemplates/{TEMPLATE}/accessMethodTemplates?offset=0&limit=10"),
            200,
            fixture!("access_method_templates"),
        ),
        answer(
            "GET",
            format!("/api/v1/coSpaceTemplates/{TEMPLATE}/accessMethodTemplates/{AMT}"),
            200,
            fixture!("access_method_template"),
        ),
        created("/api/v1/coSpaces", format!("/api/v1/coSpaces/{SPACE}")),
        created(
            format!("/api/v1/coSpaces/{SPACE}/coSpaceUsers"),
            format!("/api/v1/coSpaces/{SPACE}/coSpaceUsers/{MEMBER}"),
        ),
        created(
            format!("/api/v1/coSpaces/{SPACE}/accessMethods"),
            format!("/api/v1/coSpaces/{SPACE}/accessMethods/{AM}"),
        ),
    ])
    .await;
    let request = SpaceRequest {
        request_id: "req-recorded".into(),
        name: "Test-XRP".into(),
        source: SpaceSource::Template {
            template_id: TEMPLATE.into(),
        },
        uri_base: "Test-XRP".into(),
        web_bridge_url: "https://join.example.com".into(),
        owner_jid: Some("demo@example.com".into()),
        organizer_name: Some("Demo Organizer".into()),
    };
    let space = create_meeting_space(&c, &request).await.unwrap();
    assert_eq!(space.origin, SpaceOrigin::Created);
    assert_eq!(space.cospace_id, SPACE);
    assert_eq!(space.round_trips, 6, "{:?}", replay.targets());
    let seen = replay.seen();
    let form = |i: usize| -> Vec<(String, String)> {
        assert_eq!(
            seen[i].content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        serde_urlencoded::from_str(&seen[i].body).unwrap()
    };
    let value = |f: &[(String, String)], k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let cospace = form(3);
    let names: Vec<&str> = cospace.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "name",
            "uri",
            "callId",
            "secret",
            "cdrTag",
            "ownerJid",
            "callProfile",
            "callLegProfile",
            "dialInSecurityProfile",
            "meetingScheduler",
            "requireCallId"
        ]
    );
    // The call ID and secret the saga chose are the join link's: nothing
    // is read back.
    let (call_id, secret) = (value(&cospace, "callId"), value(&cospace, "secret"));
    assert!(call_id.len() == 9 && call_id.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(secret.len(), 22);
    assert_eq!(
        space.join_url.as_deref(),
        Some(format!("https://join.example.com/meeting/{call_id}?secret={secret}").as_str())
    );
    let uri = crate::callbridge::space_uri("Test-XRP", "req-recorded");
    assert_eq!(value(&cospace, "uri"), uri);
    assert_eq!(value(&cospace, "cdrTag"), "scheduler:req-recorded");
    assert_eq!(value(&cospace, "meetingScheduler"), "Demo Organizer");
    assert_eq!(
        value(&cospace, "dialInSecurityProfile"),
        "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    );
    assert_eq!(
        form(4),
        vec![("userJid".to_string(), "demo@example.com".to_string())]
    );
    let am = form(5);
    assert_eq!(value(&am, "name"), "ExternalAccessMeth");
    // `$` replaced by the coSpace's URI.
    assert_eq!(value(&am, "uri"), format!("{uri}.Guest"));
    assert_eq!(value(&am, "callId").len(), 9);
    assert_eq!(value(&am, "secret").len(), 22);
    assert_eq!(
        value(&am, "callLegProfile"),
        "092771c9-5c3e-43b2-89cb-0dff8294fa1d"
    );
    let ext = &space.access_methods[0];
    assert_eq!(ext.access_method_id, AM);
    assert_eq!(ext.uri, Some(format!("{uri}.Guest")));
    assert_eq!(
        ext.join_url.as_deref(),
        Some(
            format!(
                "https://join.example.com/meeting/{}?secret={}",
                value(&am, "callId"),
                value(&am, "secret")
            )
            .as_str()
        )
    );
}
