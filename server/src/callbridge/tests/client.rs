use super::{client, fast_config, start_sim, DEMO_SPACE_ID, PASSWORD, TEMPLATE_ID, USER};
use crate::callbridge::sim::{FaultAction, RequestMatcher, RequestOutcome, UNKNOWN_PARAMETER};
use crate::callbridge::{
    CallBridgeClient, CallBridgeError, Form, NewAccessMethod, NewAccessMethodTemplate, NewCoSpace,
    RetryPolicy,
};
use base64::Engine;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn space(name: &str, uri: &str) -> NewCoSpace {
    NewCoSpace {
        name: Some(name.into()),
        uri: Some(uri.into()),
        ..NewCoSpace::default()
    }
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_not_retried() {
    let sim = start_sim().await;
    let mut cfg = fast_config(&sim);
    cfg.password = "wrong".into();
    let c = CallBridgeClient::new(cfg).unwrap();
    let err = c.cospaces(None).await.unwrap_err();
    assert!(matches!(err, CallBridgeError::Unauthorized), "{err:?}");
    assert_eq!(sim.requests().len(), 1);
    assert_eq!(sim.requests()[0].outcome, RequestOutcome::Status(401));
}

#[tokio::test]
async fn unknown_objects_are_not_found() {
    let sim = start_sim().await;
    let c = client(&sim);
    match c.cospace("no-such-id").await.unwrap_err() {
        CallBridgeError::NotFound { object, reason } => {
            assert_eq!(object, "coSpace");
            assert_eq!(reason, "coSpaceDoesNotExist");
        }
        other => panic!("{other:?}"),
    }
    // An unknown parent in the path.
    match c.access_methods("no-such-id").await.unwrap_err() {
        CallBridgeError::NotFound { object, .. } => assert_eq!(object, "coSpace"),
        other => panic!("{other:?}"),
    }
    match c.access_method(DEMO_SPACE_ID, "nope").await.unwrap_err() {
        CallBridgeError::NotFound { object, .. } => assert_eq!(object, "accessMethod"),
        other => panic!("{other:?}"),
    }
    assert!(c
        .delete_cospace("no-such-id")
        .await
        .unwrap_err()
        .is_not_found());
    assert!(c.call("nope").await.unwrap_err().is_not_found());
    // A path the API does not have.
    assert!(c
        .get_object::<crate::callbridge::CoSpace>(&["noSuchThings", "x"])
        .await
        .unwrap_err()
        .is_not_found());
    // A reference to an unknown object in a parameter (400 on CMS).
    let err = c
        .create_cospace(&NewCoSpace {
            call_profile: Some("nope".into()),
            ..NewCoSpace::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::NotFound { object, .. } if object == "callProfile"),
        "{err:?}"
    );
}

#[tokio::test]
async fn duplicate_uris_are_refused() {
    let sim = start_sim().await;
    let c = client(&sim);
    let id = c.create_cospace(&space("One", "room.one")).await.unwrap();
    let err = c
        .create_cospace(&space("Two", "ROOM.one"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallBridgeError::DuplicateCoSpaceUri),
        "{err:?}"
    );
    // Access method URIs share the namespace.
    let err = c
        .create_access_method(
            &id,
            &NewAccessMethod {
                uri: Some("demo.organizer".into()),
                ..NewAccessMethod::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallBridgeError::DuplicateCoSpaceUri),
        "{err:?}"
    );
    // So do call IDs, with their own reason.
    let err = c
        .create_cospace(&NewCoSpace {
            call_id: Some("100200300".into()),
            ..NewCoSpace::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallBridgeError::DuplicateCoSpaceId),
        "{err:?}"
    );
    assert_eq!(sim.cospaces().len(), 2);
}

#[tokio::test]
async fn parameter_errors_carry_the_parameter() {
    let sim = start_sim().await;
    let c = client(&sim);
    match c
        .create_cospace(&space("Bad", "has space"))
        .await
        .unwrap_err()
    {
        CallBridgeError::ParameterError { parameter, error } => {
            assert_eq!(parameter, "uri");
            assert_eq!(error, "invalidValue");
        }
        other => panic!("{other:?}"),
    }
    for generator in ["guest", "$.$", "$.gu$est"] {
        let err = c
            .create_access_method_template(
                TEMPLATE_ID,
                &NewAccessMethodTemplate {
                    name: Some("Bad".into()),
                    uri_generator: Some(generator.into()),
                    ..NewAccessMethodTemplate::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CallBridgeError::ParameterError { parameter, .. } if parameter == "uriGenerator"),
            "{generator}: {err:?}"
        );
    }
    let err = c
        .modify_cospace(DEMO_SPACE_ID, &Form::new().set("nonMemberAccess", "maybe"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::ParameterError { parameter, .. } if parameter == "nonMemberAccess"),
        "{err:?}"
    );
    let err = c
        .modify_cospace(
            DEMO_SPACE_ID,
            &Form::new().set("defaultLayout", "everyoneBig"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::ParameterError { parameter, error } if parameter == "defaultLayout" && error == "invalidValue"),
        "{err:?}"
    );
    // Strict mode: a parameter the reference does not document.
    let err = c
        .modify_cospace(DEMO_SPACE_ID, &Form::new().set("noSuchField", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::ParameterError { parameter, error } if parameter == "noSuchField" && error == UNKNOWN_PARAMETER),
        "{err:?}"
    );
    // Users come from LDAP: the API cannot create them.
    let err = c
        .create(&["users"], &Form::new().set("userJid", "x@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::Failure { status: 400, reason } if reason == "invalidOperation"),
        "{err:?}"
    );
}

#[tokio::test]
async fn busy_is_retried_then_succeeds() {
    let sim = start_sim().await;
    let c = client(&sim);
    sim.busy_next(2, RequestMatcher::new("GET /api/v1/coSpaces"));
    let spaces = c.cospaces(None).await.unwrap();
    assert_eq!(spaces.len(), 1);
    let outcomes: Vec<_> = sim.requests().into_iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            RequestOutcome::Status(503),
            RequestOutcome::Status(503),
            RequestOutcome::Status(200)
        ]
    );
    // A 503 means "not processed": a POST is retried too, and creates once.
    sim.clear_requests();
    sim.busy_next(1, RequestMatcher::new("POST /api/v1/coSpaces"));
    c.create_cospace(&space("Retried", "retried"))
        .await
        .unwrap();
    assert_eq!(sim.requests().len(), 2);
    assert_eq!(sim.cospaces().len(), 2);
}

#[tokio::test]
async fn busy_gives_up_after_the_bounded_attempts() {
    let sim = start_sim().await;
    let c = client(&sim);
    sim.busy_next(100, RequestMatcher::any());
    let started = Instant::now();
    let err = c.web_bridges().await.unwrap_err();
    assert!(
        matches!(err, CallBridgeError::Busy { attempts: 3 }),
        "{err:?}"
    );
    assert_eq!(sim.requests().len(), 3);
    assert!(started.elapsed() < Duration::from_secs(2));
    // No retry at all with RetryPolicy::none().
    sim.clear_requests();
    let mut cfg = fast_config(&sim);
    cfg.retry = RetryPolicy::none();
    let err = CallBridgeClient::new(cfg)
        .unwrap()
        .web_bridges()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallBridgeError::Busy { attempts: 1 }),
        "{err:?}"
    );
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn a_slow_reply_times_out() {
    let sim = start_sim().await;
    let mut cfg = fast_config(&sim);
    cfg.retry = RetryPolicy::none();
    let c = CallBridgeClient::new(cfg).unwrap();
    sim.set_delay(Some(Duration::from_millis(900)));
    let started = Instant::now();
    let err = c.cospaces(None).await.unwrap_err();
    assert!(matches!(err, CallBridgeError::Timeout(_)), "{err:?}");
    assert!(err.is_ambiguous());
    assert!(started.elapsed() < Duration::from_millis(800));
    sim.set_delay(None);
    assert_eq!(c.cospaces(None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_timed_out_get_is_retried_but_a_post_is_not() {
    let sim = start_sim().await;
    let c = client(&sim);
    sim.fail_nth(
        1,
        RequestMatcher::new("GET /api/v1/coSpaces/*"),
        FaultAction::Delay(Duration::from_millis(600)),
    );
    let s = c.cospace(DEMO_SPACE_ID).await.unwrap();
    assert_eq!(s.uri.as_deref(), Some("demo.organizer"));
    // The POST was applied but answered too late: not retried (it would
    // create a second coSpace).
    sim.fail_nth(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DelayAfterProcessing(Duration::from_millis(600)),
    );
    let err = c.create_cospace(&space("Late", "late")).await.unwrap_err();
    assert!(matches!(err, CallBridgeError::Timeout(_)), "{err:?}");
    let posts = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sim.cospaces().len(), 2);
}

#[tokio::test]
async fn a_dropped_connection_is_unreachable() {
    let sim = start_sim().await;
    let c = client(&sim);
    // A POST is not retried after a hang-up: nothing created here.
    sim.drop_next(5, RequestMatcher::new("POST /api/v1/coSpaces"));
    let err = c
        .create_cospace(&space("Dropped", "dropped"))
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Unreachable(_)), "{err:?}");
    assert_eq!(sim.requests().len(), 1);
    assert_eq!(sim.requests()[0].outcome, RequestOutcome::Dropped);
    assert_eq!(sim.cospaces().len(), 1);
    sim.clear_faults();
    // A GET is retried after a hang-up...
    sim.clear_requests();
    sim.drop_next(1, RequestMatcher::new("GET /**"));
    assert_eq!(c.web_bridges().await.unwrap().len(), 3);
    assert_eq!(sim.requests().len(), 2);
    // ...within the bounded attempts.
    sim.drop_next(100, RequestMatcher::new("GET /**"));
    let err = c.web_bridges().await.unwrap_err();
    assert!(matches!(err, CallBridgeError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut cfg = crate::callbridge::CallBridgeConfig::new(
        format!("http://127.0.0.1:{port}"),
        USER,
        PASSWORD,
    );
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(5),
        multiplier: 2,
    };
    let err = CallBridgeClient::new(cfg)
        .unwrap()
        .cospaces(None)
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn lists_are_paged_until_total() {
    let sim = start_sim().await;
    let c = client(&sim);
    for i in 0..25 {
        c.create_cospace(&space(&format!("Paged {i:02}"), &format!("paged.{i:02}")))
            .await
            .unwrap();
    }
    // The Call Bridge may answer fewer than `limit`: the client goes on.
    sim.set_max_page_size(4);
    sim.clear_requests();
    let all = c.cospaces(Some("PAGED")).await.unwrap();
    let names: Vec<String> = all.iter().filter_map(|s| s.name.clone()).collect();
    let expected: Vec<String> = (0..25).map(|i| format!("Paged {i:02}")).collect();
    assert_eq!(names, expected);
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 7, "{paths:?}");
    assert!(paths[0].contains("offset=0") && paths[0].contains("limit=10"));
    assert!(paths[1].contains("offset=4"));
    assert!(paths[6].contains("offset=24"));
    let page = c.cospaces_page(20, 3, Some("paged")).await.unwrap();
    assert_eq!(page.total, 25);
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.items[0].name.as_deref(), Some("Paged 20"));
    // Without filter the seeded space counts too.
    assert_eq!(c.cospaces_page(0, 1, None).await.unwrap().total, 26);
}

#[tokio::test]
async fn filters_match_name_or_uri_case_insensitively() {
    let sim = start_sim().await;
    let c = client(&sim);
    c.create_cospace(&space("Alpha Team", "room.one"))
        .await
        .unwrap();
    c.create_cospace(&space("Beta", "beta.alpha"))
        .await
        .unwrap();
    c.create_cospace(&space("Gamma", "gamma")).await.unwrap();
    let names = |v: Vec<crate::callbridge::CoSpace>| -> Vec<String> {
        v.into_iter().filter_map(|s| s.name).collect()
    };
    assert_eq!(
        names(c.cospaces(Some("ALPHA")).await.unwrap()),
        vec!["Alpha Team", "Beta"]
    );
    assert_eq!(
        names(c.cospaces(Some("team")).await.unwrap()),
        vec!["Alpha Team"]
    );
    assert_eq!(
        names(c.cospaces(Some("Room.")).await.unwrap()),
        vec!["Alpha Team"]
    );
    let page = c.cospaces_page(0, 10, Some("zzz")).await.unwrap();
    assert_eq!((page.total, page.items.len()), (0, 0));
    assert_eq!(c.users(Some("DEMO@")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn create_modify_unset_delete() {
    let sim = start_sim().await;
    let c = client(&sim);
    let id = c
        .create_cospace(&NewCoSpace {
            name: Some("Board".into()),
            uri: Some("board".into()),
            passcode: Some("4321".into()),
            cdr_tag: Some("tag".into()),
            ..NewCoSpace::default()
        })
        .await
        .unwrap();
    assert_eq!(sim.cospaces()[1].id, id);
    let s = c.cospace(&id).await.unwrap();
    assert_eq!(s.passcode.as_deref(), Some("4321"));
    assert!(s.secret.is_some(), "the Call Bridge chose a secret");
    c.modify_cospace(
        &id,
        &Form::new().set("name", "Board room").unset("passcode"),
    )
    .await
    .unwrap();
    let s = c.cospace(&id).await.unwrap();
    assert_eq!(s.name.as_deref(), Some("Board room"));
    assert_eq!(s.passcode, None);
    assert_eq!(s.cdr_tag.as_deref(), Some("tag"));
    assert_eq!(s.auto_generated, Some(false));
    let am = c
        .create_access_method(
            &id,
            &NewAccessMethod {
                name: Some("Guest".into()),
                uri: Some("board.guest".into()),
                call_id: Some("555000111".into()),
                ..NewAccessMethod::default()
            },
        )
        .await
        .unwrap();
    let a = c.access_method(&id, &am).await.unwrap();
    assert_eq!(a.call_id.as_deref(), Some("555000111"));
    let old_secret = a.secret.clone().unwrap();
    c.modify_access_method(&id, &am, &Form::new().set("regenerateSecret", "true"))
        .await
        .unwrap();
    let a = c.access_method(&id, &am).await.unwrap();
    assert_ne!(a.secret.as_deref(), Some(old_secret.as_str()));
    c.delete_cospace(&id).await.unwrap();
    assert_eq!(sim.cospaces().len(), 1);
    assert!(
        sim.access_methods(&id).is_empty(),
        "access methods go with the space"
    );
}

#[tokio::test]
async fn templates_users_bridges_profiles_from_the_seed() {
    let sim = start_sim().await;
    let c = client(&sim);
    let templates = c.cospace_templates(None).await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].id, TEMPLATE_ID);
    assert_eq!(templates[0].name.as_deref(), Some("CoSpaceTemp-Scheduler"));
    assert_eq!(
        templates[0].description.as_deref(),
        Some("CST-External/Internal Access")
    );
    assert_eq!(templates[0].num_access_method_templates, Some(2));
    let t = c.cospace_template(TEMPLATE_ID).await.unwrap();
    assert_eq!(
        t.call_profile.as_deref(),
        Some("19bb9c44-fb13-4acf-92fd-4bc333f745d8")
    );
    let amts = c.access_method_templates(TEMPLATE_ID).await.unwrap();
    let summary: Vec<_> = amts
        .iter()
        .map(|a| {
            (
                a.name.clone().unwrap(),
                a.uri_generator.clone().unwrap(),
                a.generate_unique_call_id,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("ExternalAccessMeth".into(), "$.guest".into(), Some(true)),
            ("InternalAccessMeth".into(), "$.host".into(), None),
        ]
    );
    let ext = c
        .access_method_template(TEMPLATE_ID, &amts[0].id)
        .await
        .unwrap();
    assert_eq!(
        ext.call_leg_profile.as_deref(),
        Some("092771c9-5c3e-43b2-89cb-0dff8294fa1d")
    );

    let user = c.user_by_jid("DEMO@example.com").await.unwrap().unwrap();
    assert_eq!(user.name.as_deref(), Some("Demo Organizer"));
    assert!(c.user_by_jid("demo@example").await.unwrap().is_none());
    let mine = c.templates_of_user(&user.id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, TEMPLATE_ID);
    let assignments = c.user_cospace_templates(&user.id).await.unwrap();
    c.unassign_cospace_template(&user.id, &assignments[0].id)
        .await
        .unwrap();
    assert!(c.templates_of_user(&user.id).await.unwrap().is_empty());
    c.assign_cospace_template(&user.id, TEMPLATE_ID)
        .await
        .unwrap();
    assert_eq!(c.templates_of_user(&user.id).await.unwrap().len(), 1);

    let bridges = c.web_bridges().await.unwrap();
    let addresses: Vec<String> = bridges.iter().filter_map(|b| b.address()).collect();
    assert_eq!(
        addresses,
        vec![
            "10.106.80.34:8443",
            "10.106.80.47:8443",
            "10.106.80.48:8443"
        ]
    );
    let wb = c.web_bridge(&bridges[0].id).await.unwrap();
    assert_eq!(wb.url.as_deref(), Some("https://10.106.80.34:8443"));
    // Web bridges added or removed later show up.
    let new = sim.add_web_bridge("https://10.106.80.49:8443").unwrap();
    assert_eq!(c.web_bridges().await.unwrap().len(), 4);
    sim.remove_web_bridge(&new).unwrap();
    assert_eq!(c.web_bridges().await.unwrap().len(), 3);

    let profiles = c.call_profiles().await.unwrap();
    assert_eq!(profiles[0].participant_limit, Some(100));
    assert_eq!(
        c.call_profile(&profiles[0].id)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Scheduler meetings")
    );
    let legs = c.call_leg_profiles().await.unwrap();
    assert_eq!(legs.len(), 3);
    assert_eq!(
        c.call_leg_profile(&legs[1].id)
            .await
            .unwrap()
            .needs_activation,
        Some(true)
    );
}

#[tokio::test]
async fn a_template_parameter_on_a_cospace_is_not_the_api() {
    let sim = start_sim().await;
    let c = client(&sim);
    let templated = Form::new()
        .set("uri", "test-xrp")
        .set("coSpaceTemplate", TEMPLATE_ID);
    // Strict (the test suites): refused, nothing made.
    let err = c.create(&["coSpaces"], &templated).await.unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::ParameterError { parameter, error } if parameter == "coSpaceTemplate" && error == UNKNOWN_PARAMETER),
        "{err:?}"
    );
    assert_eq!(sim.cospaces().len(), 1);
    // Lenient (as a real Call Bridge may be): silently ignored, so the
    // space has no access methods at all.
    sim.set_strict(false);
    let id = c.create(&["coSpaces"], &templated).await.unwrap();
    assert!(c.access_methods(&id).await.unwrap().is_empty());
    let space = c.cospace(&id).await.unwrap();
    assert_eq!(space.num_access_methods, Some(0));
    assert_eq!(space.call_profile, None);
    // Unknown list parameters are refused in strict mode only.
    let page = c
        .page::<crate::callbridge::CoSpace>(&["coSpaces"], 0, 10, &[("sortBy", "name")])
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    sim.set_strict(true);
    let err = c
        .page::<crate::callbridge::CoSpace>(&["coSpaces"], 0, 10, &[("sortBy", "name")])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallBridgeError::ParameterError { parameter, .. } if parameter == "sortBy"),
        "{err:?}"
    );
}

#[tokio::test]
async fn members_of_a_space() {
    let sim = start_sim().await;
    let c = client(&sim);
    let id = c
        .create_cospace(&space("Members", "members"))
        .await
        .unwrap();
    assert!(c.cospace_users(&id, None).await.unwrap().is_empty());
    let member = c.add_cospace_user(&id, "DEMO@example.com").await.unwrap();
    let members = c.cospace_users(&id, Some("demo@")).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].id, member);
    assert_eq!(members[0].user_jid.as_deref(), Some("DEMO@example.com"));
    let user = c.user_by_jid("demo@example.com").await.unwrap().unwrap();
    assert_eq!(members[0].user_id.as_deref(), Some(user.id.as_str()));
    // Not twice, and only users the Call Bridge knows.
    assert!(c.add_cospace_user(&id, "demo@example.com").await.is_err());
    let err = c
        .add_cospace_user(&id, "nobody@example.com")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    c.delete_cospace_user(&id, &member).await.unwrap();
    assert!(c.cospace_users(&id, None).await.unwrap().is_empty());
    assert!(c
        .delete_cospace_user(&id, &member)
        .await
        .unwrap_err()
        .is_not_found());
    // Members go with their space.
    c.add_cospace_user(&id, "demo@example.com").await.unwrap();
    c.delete_cospace(&id).await.unwrap();
    assert!(sim.cospace_users(&id).is_empty());
}

#[tokio::test]
async fn a_cospace_shows_its_owner_and_access_method_count() {
    let sim = start_sim().await;
    let c = client(&sim);
    let id = c
        .create_cospace(&NewCoSpace {
            name: Some("Owned".into()),
            uri: Some("Owned.Space".into()),
            owner_jid: Some("demo@example.com".into()),
            meeting_scheduler: Some("Demo Organizer".into()),
            ..NewCoSpace::default()
        })
        .await
        .unwrap();
    c.create_access_method(
        &id,
        &NewAccessMethod {
            name: Some("Guest".into()),
            uri: Some("Owned.Guest".into()),
            ..NewAccessMethod::default()
        },
    )
    .await
    .unwrap();
    let s = c.cospace(&id).await.unwrap();
    let user = c.user_by_jid("demo@example.com").await.unwrap().unwrap();
    assert_eq!(s.owner_id.as_deref(), Some(user.id.as_str()));
    assert_eq!(s.num_access_methods, Some(1));
    assert_eq!(s.meeting_scheduler.as_deref(), Some("Demo Organizer"));
    // URIs read back lower-cased.
    assert_eq!(s.uri.as_deref(), Some("owned.space"));
    let am = &c.access_methods(&id).await.unwrap()[0];
    assert_eq!(am.uri.as_deref(), Some("owned.guest"));
}

#[tokio::test]
async fn system_status() {
    let sim = start_sim().await;
    let c = client(&sim);
    let status = c.system_status().await.unwrap();
    assert!(status.software_version.is_some_and(|v| !v.is_empty()));
    assert_eq!(status.activated, Some(true));
    assert_eq!(status.call_legs_active, Some(0));
    let call = sim.start_call(DEMO_SPACE_ID).unwrap();
    sim.join_call(&call, "Alice", "alice@example.com").unwrap();
    assert_eq!(c.system_status().await.unwrap().call_legs_active, Some(1));
}

#[tokio::test]
async fn live_spaces_show_as_active_calls() {
    let sim = start_sim().await;
    let c = client(&sim);
    assert!(c.calls(None).await.unwrap().is_empty());
    let call_id = sim.start_call(DEMO_SPACE_ID).unwrap();
    let calls = c.calls(None).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].co_space.as_deref(), Some(DEMO_SPACE_ID));
    assert_eq!(calls[0].name.as_deref(), Some("Demo Organizer's space"));
    assert_eq!(c.calls(Some(DEMO_SPACE_ID)).await.unwrap().len(), 1);
    assert!(c.calls(Some("other")).await.unwrap().is_empty());
    let call = c.call(&call_id).await.unwrap();
    assert!(call.duration_seconds.is_some());
    assert!(call.call_correlator.is_some());
    assert_eq!(call.num_call_legs, Some(0));
    // Participants join.
    let alice = sim
        .join_call(&call_id, "Alice", "alice@example.com")
        .unwrap();
    sim.join_call(&call_id, "Bob", "bob@example.com").unwrap();
    let call = c.call(&call_id).await.unwrap();
    assert_eq!(call.num_call_legs, Some(2));
    assert_eq!(call.num_participants_local, Some(2));
    let legs = c.call_legs_of(&call_id).await.unwrap();
    let names: Vec<_> = legs.iter().filter_map(|l| l.name.clone()).collect();
    assert_eq!(names, vec!["Alice", "Bob"]);
    assert_eq!(legs[0].call.as_deref(), Some(call_id.as_str()));
    assert_eq!(c.call_legs(Some("bob@")).await.unwrap().len(), 1);
    let leg = c.call_leg(&alice).await.unwrap();
    assert_eq!(leg.remote_party.as_deref(), Some("alice@example.com"));
    let people = c.participants_of(&call_id).await.unwrap();
    assert_eq!(people.len(), 2);
    assert!(c.call_legs_of("nope").await.unwrap_err().is_not_found());
    sim.leave_call(&alice).unwrap();
    assert_eq!(c.call_legs_of(&call_id).await.unwrap().len(), 1);
    assert_eq!(c.participants_of(&call_id).await.unwrap().len(), 1);
    sim.end_call(&call_id).unwrap();
    assert!(c.calls(None).await.unwrap().is_empty());
    assert!(c.call_legs(None).await.unwrap().is_empty());
    assert!(sim.objects("participants").is_empty());
    assert!(sim.start_call("nope").is_err());
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
pub(super) struct Captured(pub(super) Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_and_answers_are_logged_without_the_password() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = start_sim().await;
    let c = client(&sim);
    c.cospaces(Some("demo")).await.unwrap();
    c.create_cospace(&space("Logged", "logged")).await.unwrap();
    let _ = c.cospace("nope").await;
    let mut cfg = fast_config(&sim);
    cfg.password = "Another-Secret-Pw".into();
    let _ = CallBridgeClient::new(cfg).unwrap().web_bridges().await;
    let debug_of_config = format!("{:?} {:?}", fast_config(&sim), c);

    let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(out.contains("callbridge"), "{out}");
    assert!(out.contains("request") && out.contains("response"), "{out}");
    assert!(
        out.contains("/api/v1/coSpaces?offset=0&limit=10&filter=demo"),
        "{out}"
    );
    assert!(
        out.contains("coSpaceDoesNotExist"),
        "answers are logged: {out}"
    );
    assert!(out.contains("status=401"), "{out}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    for secret in [PASSWORD, "Another-Secret-Pw", basic.as_str()] {
        assert!(!out.contains(secret), "{secret} leaked in the logs");
        assert!(
            !debug_of_config.contains(secret),
            "{secret} leaked in Debug"
        );
    }
}
