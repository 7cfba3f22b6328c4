//! The simulator's wire format, checked with a plain HTTP client.

use super::{start_sim, PASSWORD, USER};
use crate::callbridge::sim::{
    CallBridgeSim, FaultAction, RequestMatcher, RequestOutcome, Seed, SimCredentials,
};

async fn raw(
    sim: &crate::callbridge::sim::SimHandle,
    method: reqwest::Method,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url))
        .basic_auth(USER, Some(PASSWORD));
    if let Some(form) = form {
        r = r.form(form);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn speaks_the_cms_wire_format() {
    let sim = start_sim().await;
    let r = raw(
        &sim,
        reqwest::Method::GET,
        "/api/v1/webBridges?limit=2",
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<?xml"), "{body}");
    assert!(body.contains("<webBridges total=\"3\">"), "{body}");
    assert_eq!(body.matches("<webBridge id=").count(), 2, "{body}");
    assert!(
        body.contains("<url>https://10.106.80.34:8443</url>"),
        "{body}"
    );

    let r = raw(
        &sim,
        reqwest::Method::POST,
        "/api/v1/coSpaces",
        Some(&[("name", "Wire & <format>"), ("uri", "wire")]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/api/v1/coSpaces/"), "{location}");
    assert!(r.text().await.unwrap().is_empty());
    let body = raw(&sim, reqwest::Method::GET, &location, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("<name>Wire &amp; &lt;format&gt;</name>"),
        "{body}"
    );
    assert!(
        !body.contains("<passcode>"),
        "unset fields are absent: {body}"
    );

    // An empty value unsets.
    let r = raw(&sim, reqwest::Method::PUT, &location, Some(&[("uri", "")])).await;
    assert_eq!(r.status(), 200);
    let id = location.rsplit('/').next().unwrap();
    let stored = sim.cospaces().into_iter().find(|s| s.id == id).unwrap();
    assert_eq!(stored.get("uri"), None);
    assert_eq!(stored.get("name"), Some("Wire & <format>"));

    let r = raw(
        &sim,
        reqwest::Method::POST,
        "/api/v1/coSpaces",
        Some(&[("uri", "demo.organizer")]),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.text().await.unwrap(),
        "<?xml version=\"1.0\"?><failureDetails><duplicateCoSpaceUri /></failureDetails>"
    );
    let r = raw(&sim, reqwest::Method::GET, "/api/v1/coSpaces/nope", None).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("<coSpaceDoesNotExist"));
}

#[tokio::test]
async fn requires_basic_auth() {
    let sim = start_sim().await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/coSpaces", sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/coSpaces", sim.base_url))
        .basic_auth(USER, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_drop_after_processing_keeps_the_effect() {
    let sim = start_sim().await;
    sim.fail_nth(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DropAfterProcessing,
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/coSpaces", sim.base_url))
        .basic_auth(USER, Some(PASSWORD))
        .form(&[("uri", "kept")])
        .send()
        .await;
    assert!(r.is_err(), "no answer expected");
    assert!(sim.cospaces().iter().any(|s| s.get("uri") == Some("kept")));
    assert_eq!(sim.requests()[0].outcome, RequestOutcome::Dropped);
    assert_eq!(sim.pending_faults(), 0);
    // A fixed status, without processing.
    sim.fail_nth(
        2,
        RequestMatcher::new("GET /api/v1/**"),
        FaultAction::Status(500),
    );
    let get = || raw(&sim, reqwest::Method::GET, "/api/v1/coSpaces", None);
    assert_eq!(get().await.status(), 200);
    assert_eq!(get().await.status(), 500);
    assert_eq!(get().await.status(), 200);
}

#[tokio::test]
async fn seeds_from_files_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(
        &path,
        r#"{"coSpaces": [{"name": "Only", "uri": "only", "accessMethods": [{"name": "A", "uri": "only.a"}]}],
            "calls": []}"#,
    )
    .unwrap();
    let sim = CallBridgeSim::start(
        Seed::from_file(&path).unwrap(),
        SimCredentials::new(USER, PASSWORD),
    )
    .await
    .unwrap();
    assert_eq!(sim.cospaces().len(), 1);
    assert_eq!(sim.access_methods(&sim.cospaces()[0].id).len(), 1);
    assert!(sim.objects("webBridges").is_empty());

    let dup = Seed::from_json(r#"{"coSpaces": [{"uri": "x"}, {"uri": "X"}]}"#).unwrap();
    let err = CallBridgeSim::start(dup, SimCredentials::new(USER, PASSWORD))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("duplicateCoSpaceUri"), "{err}");
    assert!(Seed::from_file(&dir.path().join("missing.json")).is_err());
}
