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
    assert_eq!(r.headers()["content-type"], "text/xml");
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("<?xml version=\"1.0\"?><webBridges"),
        "{body}"
    );
    assert!(!body.contains('\n'), "compact: {body}");
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
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"acano\"");
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/coSpaces", sim.base_url))
        .basic_auth(USER, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// What real clients send and a CMS accepts (SPEC §7).
#[tokio::test]
async fn takes_input_as_a_cms_does() {
    let sim = start_sim().await;
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}{path}", sim.base_url))
            .basic_auth(USER, Some(PASSWORD))
    };
    // Node names in any case, a trailing slash.
    for path in [
        "/api/v1/cospaces",
        "/api/v1/COSPACES/",
        "/api/v1/coSpaces/",
        "/api/v1/calllegs",
        "/api/v1/System/Status",
    ] {
        let r = send(reqwest::Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // `x-www-form-urlencoded` without `application/`, and a canonical
    // relative Location whatever the case asked.
    let r = send(reqwest::Method::POST, "/api/v1/cospaces/")
        .header("content-type", "x-www-form-urlencoded")
        .body("name=Lenient&uri=lenient")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/api/v1/coSpaces/"), "{location}");
    assert_eq!(location.len(), "/api/v1/coSpaces/".len() + 36);
    assert!(r.text().await.unwrap().is_empty());
    let id = location.rsplit('/').next().unwrap();
    assert_eq!(
        sim.cospaces()
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.get("uri").map(str::to_string))
            .as_deref(),
        Some("lenient")
    );
    // An empty POST body: a coSpace with nothing set.
    let r = send(reqwest::Method::POST, "/api/v1/coSpaces")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.cospaces().len(), 3);
    // An access method's Location.
    let r = send(
        reqwest::Method::POST,
        &format!("/api/v1/coSpaces/{id}/accessMethods"),
    )
    .form(&[("uri", "Lenient.Guest"), ("scope", "public")])
    .send()
    .await
    .unwrap();
    let am = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        am.starts_with(&format!("/api/v1/coSpaces/{id}/accessMethods/")),
        "{am}"
    );
    let body = send(reqwest::Method::GET, &am)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("<uri>lenient.guest</uri>"), "{body}");
    // Enumerated values are checked.
    let r = send(reqwest::Method::PUT, &location)
        .form(&[("defaultLayout", "everyoneBig")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.text().await.unwrap(),
        "<?xml version=\"1.0\"?><failureDetails><parameterError parameter=\"defaultLayout\" error=\"invalidValue\" /></failureDetails>"
    );
    // A detail answer shows numAccessMethods and ownerId.
    let r = send(reqwest::Method::PUT, &location)
        .form(&[("ownerJid", "demo@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = send(reqwest::Method::GET, &location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("<numAccessMethods>1</numAccessMethods>"),
        "{body}"
    );
    assert!(
        body.contains("<ownerId>5c2f7b0e-3d1a-4e8b-9f60-1a2b3c4d5e6f</ownerId>"),
        "{body}"
    );
    let body = send(reqwest::Method::GET, "/api/v1/coSpaceTemplates")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("<numAccessMethodTemplates>2</numAccessMethodTemplates>"),
        "{body}"
    );
    // Pages are capped below a large limit; total counts them all.
    let body = send(reqwest::Method::GET, "/api/v1/coSpaces?limit=1000")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("<coSpaces total=\"3\">"), "{body}");
    sim.set_max_page_size(2);
    let body = send(reqwest::Method::GET, "/api/v1/coSpaces?limit=1000")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body.matches("<coSpace id=").count(), 2, "{body}");
    assert!(body.contains("<coSpaces total=\"3\">"), "{body}");
    // An empty list.
    let body = send(reqwest::Method::GET, "/api/v1/calls")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "<?xml version=\"1.0\"?><calls total=\"0\"></calls>");
    // An unknown node.
    let r = send(reqwest::Method::GET, "/api/v1/noSuchNodes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("<unrecognisedObject"));
}

#[tokio::test]
async fn strict_mode_refuses_undocumented_parameters() {
    let sim = start_sim().await;
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}{path}", sim.base_url))
            .basic_auth(USER, Some(PASSWORD))
    };
    let refused = |parameter: &str| {
        format!(
            "<?xml version=\"1.0\"?><failureDetails><parameterError parameter=\"{parameter}\" error=\"{}\" /></failureDetails>",
            crate::callbridge::sim::UNKNOWN_PARAMETER
        )
    };
    for (method, path, form, parameter) in [
        (
            reqwest::Method::POST,
            "/api/v1/coSpaces".to_string(),
            &[("coSpaceTemplate", super::TEMPLATE_ID)][..],
            "coSpaceTemplate",
        ),
        // A PUT-only action on a create.
        (
            reqwest::Method::POST,
            "/api/v1/coSpaces".to_string(),
            &[("regenerateSecret", "true")][..],
            "regenerateSecret",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/coSpaces?sortBy=name".to_string(),
            &[][..],
            "sortBy",
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/coSpaces/{}?verbose=true", super::DEMO_SPACE_ID),
            &[][..],
            "verbose",
        ),
    ] {
        let r = send(method, &path).form(form).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.text().await.unwrap(), refused(parameter), "{path}");
    }
    assert_eq!(sim.cospaces().len(), 1);
    // The documented filters pass.
    let r = send(
        reqwest::Method::GET,
        &format!(
            "/api/v1/calls?coSpaceFilter={}&offset=0&limit=5",
            super::DEMO_SPACE_ID
        ),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // Lenient, the same requests are served and the extras ignored.
    sim.set_strict(false);
    let r = send(reqwest::Method::POST, "/api/v1/coSpaces")
        .form(&[
            ("uri", "ignored.extra"),
            ("coSpaceTemplate", super::TEMPLATE_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = send(reqwest::Method::GET, "/api/v1/coSpaces?sortBy=name")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
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
