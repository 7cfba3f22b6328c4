//! The space-creation saga against the (strict) simulator: success with the
//! documented API only, its round trips, idempotent retries, and
//! compensation after a fault at each step.

use super::{client, start_sim, DEMO_SPACE_ID, TEMPLATE_ID, TIMEOUT};
use crate::callbridge::saga::create_meeting_space_with;
use crate::callbridge::saga::{request_marker, space_uri};
use crate::callbridge::sim::{FaultAction, RequestMatcher, SimHandle, SimObject};
use crate::callbridge::{
    create_meeting_space, delete_meeting_space, CallBridgeError, Compensation, Deletion, Form,
    SagaCause, SagaStep, SpaceOrigin, SpaceRequest, SpaceSource, TemplateCache,
};
use std::time::Duration;

const JOIN: &str = "https://join.example.com";

fn request(id: &str) -> SpaceRequest {
    SpaceRequest {
        request_id: id.into(),
        name: "Test-XRP".into(),
        source: SpaceSource::Template {
            template_id: TEMPLATE_ID.into(),
        },
        uri_base: "Test-XRP".into(),
        web_bridge_url: JOIN.into(),
        owner_jid: Some("demo@example.com".into()),
        organizer_name: Some("Demo Organizer".into()),
    }
}

/// The round trips of a create from the seed's template (two access method
/// templates), organizer member: GET the template, GET its access method
/// templates and each of them, POST the coSpace, POST the member, POST each
/// access method. Nothing is read back: the saga chose the call IDs and
/// secrets it sent.
const CREATE_ROUND_TRIPS: u64 = 8;
/// The same with the template kept ([`TemplateCache`]): the four POSTs.
const CACHED_CREATE_ROUND_TRIPS: u64 = 4;

fn existing(id: &str, template: Option<&str>) -> SpaceRequest {
    SpaceRequest {
        source: SpaceSource::Existing {
            cospace_id: DEMO_SPACE_ID.into(),
            template_id: template.map(str::to_string),
        },
        ..request(id)
    }
}

/// The seeded demo space, untouched, and nothing else.
fn assert_only_seed_left(sim: &SimHandle, demo_before: &SimObject) {
    let spaces = sim.cospaces();
    assert_eq!(spaces.len(), 1, "left behind: {spaces:?}");
    assert_eq!(&spaces[0], demo_before);
    let ams = sim.all_access_methods();
    assert!(ams.is_empty(), "left behind: {ams:?}");
}

fn demo_space(sim: &SimHandle) -> SimObject {
    sim.cospaces()
        .into_iter()
        .find(|s| s.id == DEMO_SPACE_ID)
        .expect("seeded space")
}

#[tokio::test]
async fn creates_a_space_with_one_access_method_per_template() {
    let sim = start_sim().await;
    let c = client(&sim);
    let space = create_meeting_space(&c, &request("req-ok")).await.unwrap();
    assert_eq!(space.origin, SpaceOrigin::Created);
    let uri = space_uri("Test-XRP", "req-ok");
    assert_eq!(space.uri.as_deref(), Some(uri.as_str()));
    assert_eq!(space.name.as_deref(), Some("Test-XRP"));
    let space_call_id = space.call_id.clone().unwrap();
    assert_eq!(
        space.join_url.as_deref(),
        Some(
            format!(
                "{JOIN}/meeting/{space_call_id}?secret={}",
                space.secret.as_deref().unwrap()
            )
            .as_str()
        )
    );
    let roles: Vec<&str> = space
        .access_methods
        .iter()
        .map(|r| r.role.as_str())
        .collect();
    assert_eq!(roles, vec!["ExternalAccessMeth", "InternalAccessMeth"]);
    let ext = &space.access_methods[0];
    assert_eq!(ext.uri.as_deref(), Some(format!("{uri}.guest").as_str()));
    let ext_call_id = ext.call_id.clone().unwrap();
    assert!(ext_call_id.len() == 9 && ext_call_id.chars().all(|c| c.is_ascii_digit()));
    let secret = ext.secret.clone().unwrap();
    assert_eq!(
        ext.join_url.as_deref(),
        Some(format!("{JOIN}/meeting/{ext_call_id}?secret={secret}").as_str())
    );
    let int = &space.access_methods[1];
    assert_eq!(int.uri.as_deref(), Some(format!("{uri}.host").as_str()));
    assert_eq!(int.call_id, None);
    // Without its own call ID, the link uses the space's, with the role's secret.
    assert_eq!(
        int.join_url.as_deref(),
        Some(
            format!(
                "{JOIN}/meeting/{space_call_id}?secret={}",
                int.secret.as_deref().unwrap()
            )
            .as_str()
        )
    );
    // What the simulator holds matches.
    let stored = sim
        .cospaces()
        .into_iter()
        .find(|s| s.id == space.cospace_id)
        .unwrap();
    assert_eq!(
        stored.get("cdrTag"),
        Some(request_marker("req-ok").as_str())
    );
    assert_eq!(stored.get("ownerJid"), Some("demo@example.com"));
    assert_eq!(stored.get("meetingScheduler"), Some("Demo Organizer"));
    // The template's profiles, copied (the seed's template has no dial-in
    // security profile).
    assert_eq!(
        stored.get("callProfile"),
        Some("19bb9c44-fb13-4acf-92fd-4bc333f745d8")
    );
    assert_eq!(
        stored.get("callLegProfile"),
        Some("157b2822-8c03-4684-8675-431823a7dc93")
    );
    assert_eq!(stored.get("dialInSecurityProfile"), None);
    let ams = sim.access_methods(&space.cospace_id);
    assert_eq!(ams.len(), 2);
    assert_eq!(
        ams[0].get("callLegProfile"),
        Some("092771c9-5c3e-43b2-89cb-0dff8294fa1d")
    );
    assert_eq!(
        ams[1].get("callLegProfile"),
        Some("2e287c15-8908-43cd-b725-12c4bb502578")
    );
    let members = sim.cospace_users(&space.cospace_id);
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].get("userJid"), Some("demo@example.com"));
    // Counted by the saga, and seen by the Call Bridge.
    assert_eq!(space.round_trips, CREATE_ROUND_TRIPS);
    assert_eq!(sim.requests().len() as u64, CREATE_ROUND_TRIPS);
    let paths: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| {
            let shape: Vec<&str> = r
                .path
                .split('/')
                .map(|s| if s.len() == 36 { "*" } else { s })
                .collect();
            format!("{} {}", r.method, shape.join("/"))
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            "GET /api/v1/coSpaceTemplates/*",
            "GET /api/v1/coSpaceTemplates/*/accessMethodTemplates?offset=0&limit=10",
            "GET /api/v1/coSpaceTemplates/*/accessMethodTemplates/*",
            "GET /api/v1/coSpaceTemplates/*/accessMethodTemplates/*",
            "POST /api/v1/coSpaces",
            "POST /api/v1/coSpaces/*/coSpaceUsers",
            "POST /api/v1/coSpaces/*/accessMethods",
            "POST /api/v1/coSpaces/*/accessMethods",
        ]
    );
    // What the saga answers is what the Call Bridge holds, though it read
    // nothing back.
    assert_eq!(stored.get("callId"), space.call_id.as_deref());
    assert_eq!(stored.get("secret"), space.secret.as_deref());
    assert_eq!(stored.get("uri"), space.uri.as_deref());
    for (am, role) in ams.iter().zip(&space.access_methods) {
        assert_eq!(am.id, role.access_method_id);
        assert_eq!(am.get("name"), Some(role.role.as_str()));
        assert_eq!(am.get("uri"), role.uri.as_deref());
        assert_eq!(am.get("callId"), role.call_id.as_deref());
        assert_eq!(am.get("secret"), role.secret.as_deref());
    }

    assert_eq!(
        delete_meeting_space(&c, &space.cospace_id).await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(
        delete_meeting_space(&c, &space.cospace_id).await.unwrap(),
        Deletion::AlreadyGone
    );
    assert_eq!(sim.cospaces().len(), 1);
    assert!(sim.all_access_methods().is_empty());
}

#[tokio::test]
async fn the_same_request_twice_makes_one_space() {
    let sim = start_sim().await;
    let c = client(&sim);
    let first = create_meeting_space(&c, &request("req-twice"))
        .await
        .unwrap();
    let again = create_meeting_space(&c, &request("req-twice"))
        .await
        .unwrap();
    assert_eq!(again.origin, SpaceOrigin::Recovered);
    assert_eq!(again.cospace_id, first.cospace_id);
    assert_eq!(again.access_methods, first.access_methods);
    assert_eq!(sim.cospaces().len(), 2);
    assert_eq!(sim.all_access_methods().len(), 2);
    assert_eq!(sim.cospace_users(&first.cospace_id).len(), 1, "one member");
    // Another request gets another space, same name and base notwithstanding.
    let other = create_meeting_space(&c, &request("req-other"))
        .await
        .unwrap();
    assert_ne!(other.cospace_id, first.cospace_id);
    assert_eq!(sim.cospaces().len(), 3);
}

#[tokio::test]
async fn a_create_answered_too_late_is_found_not_repeated() {
    let sim = start_sim().await;
    let c = client(&sim);
    sim.fail_nth(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DelayAfterProcessing(TIMEOUT * 2),
    );
    let space = create_meeting_space(&c, &request("req-late"))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Recovered);
    assert_eq!(space.access_methods.len(), 2);
    assert_eq!(sim.cospaces().len(), 2, "exactly one space made");
    let posts = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/coSpaces")
        .count();
    assert_eq!(posts, 1);
    assert_eq!(sim.cospace_users(&space.cospace_id).len(), 1);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_not_repeated() {
    let sim = start_sim().await;
    let c = client(&sim);
    sim.fail_nth(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DropAfterProcessing,
    );
    let space = create_meeting_space(&c, &request("req-lost"))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Recovered);
    assert_eq!(sim.cospaces().len(), 2);
}

#[tokio::test]
async fn a_create_that_never_arrived_fails_cleanly_and_a_retry_works() {
    let sim = start_sim().await;
    let c = client(&sim);
    let demo = demo_space(&sim);
    sim.drop_next(1, RequestMatcher::new("POST /api/v1/coSpaces"));
    let err = create_meeting_space(&c, &request("req-retry"))
        .await
        .unwrap_err();
    assert_eq!(err.step, SagaStep::CreateCoSpace);
    assert!(matches!(
        err.cause,
        SagaCause::CallBridge(CallBridgeError::Unreachable(_))
    ));
    assert_eq!(err.compensation, Compensation::NothingToUndo);
    assert_only_seed_left(&sim, &demo);
    let space = create_meeting_space(&c, &request("req-retry"))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Created);
}

/// Injects a 500 at the `nth` request matching `spec`, runs the saga and
/// checks the failed step and that nothing is left behind.
async fn fault_at(spec: &str, nth: u32, step: SagaStep, undo_expected: bool) {
    let sim = start_sim().await;
    let c = client(&sim);
    let demo = demo_space(&sim);
    sim.fail_nth(nth, RequestMatcher::new(spec), FaultAction::Status(500));
    let err = create_meeting_space(&c, &request("req-fault"))
        .await
        .unwrap_err();
    assert_eq!(err.step, step, "{spec}: {err}");
    assert!(
        matches!(
            err.cause,
            SagaCause::CallBridge(CallBridgeError::UnexpectedStatus { status: 500, .. })
        ),
        "{spec}: {err}"
    );
    match (&err.compensation, undo_expected) {
        (Compensation::NothingToUndo, false) => {}
        (Compensation::Undone { deleted }, true) => {
            assert_eq!(deleted.len(), 1, "{deleted:?}");
            assert!(deleted[0].starts_with("/api/v1/coSpaces/"));
        }
        (other, _) => panic!("{spec}: unexpected compensation {other:?}"),
    }
    assert!(err.compensation.succeeded());
    assert_only_seed_left(&sim, &demo);
    assert_eq!(sim.pending_faults(), 0, "{spec}: the fault was not reached");
}

#[tokio::test]
async fn fault_reading_the_template() {
    fault_at(
        "GET /api/v1/coSpaceTemplates/*/accessMethodTemplates",
        1,
        SagaStep::ReadTemplate,
        false,
    )
    .await;
    fault_at(
        "GET /api/v1/coSpaceTemplates/*",
        1,
        SagaStep::ReadTemplate,
        false,
    )
    .await;
    fault_at(
        "GET /api/v1/coSpaceTemplates/*/accessMethodTemplates/*",
        2,
        SagaStep::ReadTemplate,
        false,
    )
    .await;
}

/// A second create of the same request finds the space again and reads it
/// (a space it made itself it does not read back); a 500 at the `nth`
/// request matching `spec` in that second run fails `step` and removes the
/// space.
async fn recovered_fault_at(spec: &str, nth: u32, step: SagaStep) {
    let sim = start_sim().await;
    let c = client(&sim);
    let demo = demo_space(&sim);
    create_meeting_space(&c, &request("req-again"))
        .await
        .unwrap();
    sim.fail_nth(nth, RequestMatcher::new(spec), FaultAction::Status(500));
    let err = create_meeting_space(&c, &request("req-again"))
        .await
        .unwrap_err();
    assert_eq!(err.step, step, "{spec}: {err}");
    match &err.compensation {
        Compensation::Undone { deleted } => {
            assert_eq!(deleted.len(), 1, "{deleted:?}");
            assert!(deleted[0].starts_with("/api/v1/coSpaces/"));
        }
        other => panic!("{spec}: unexpected compensation {other:?}"),
    }
    assert_only_seed_left(&sim, &demo);
    assert_eq!(sim.pending_faults(), 0, "{spec}: the fault was not reached");
}

#[tokio::test]
async fn a_template_kept_costs_no_reads() {
    let sim = start_sim().await;
    let c = client(&sim);
    let kept = TemplateCache::default();
    let first = create_meeting_space_with(&c, &kept, &request("req-kept-1"))
        .await
        .unwrap();
    assert_eq!(first.round_trips, CREATE_ROUND_TRIPS);
    sim.clear_requests();
    let second = create_meeting_space_with(&c, &kept, &request("req-kept-2"))
        .await
        .unwrap();
    assert_eq!(second.round_trips, CACHED_CREATE_ROUND_TRIPS);
    assert!(
        sim.requests().iter().all(|r| r.method == "POST"),
        "{:?}",
        sim.requests()
    );
    assert_eq!(second.access_methods.len(), 2);
    assert_ne!(second.cospace_id, first.cospace_id);
    // Forgotten, it is read again.
    kept.clear();
    let third = create_meeting_space_with(&c, &kept, &request("req-kept-3"))
        .await
        .unwrap();
    assert_eq!(third.round_trips, CREATE_ROUND_TRIPS);
}

#[tokio::test]
async fn fault_creating_the_space() {
    fault_at("POST /api/v1/coSpaces", 1, SagaStep::CreateCoSpace, false).await;
}

#[tokio::test]
async fn fault_reading_a_space_found_again() {
    // The first GET of the coSpace is the check of its marker.
    recovered_fault_at("GET /api/v1/coSpaces/*", 2, SagaStep::ReadCoSpace).await;
}

#[tokio::test]
async fn fault_adding_the_member() {
    fault_at(
        "POST /api/v1/coSpaces/*/coSpaceUsers",
        1,
        SagaStep::AddMember,
        true,
    )
    .await;
}

#[tokio::test]
async fn fault_creating_each_access_method() {
    for (nth, role) in [(1, "ExternalAccessMeth"), (2, "InternalAccessMeth")] {
        fault_at(
            "POST /api/v1/coSpaces/*/accessMethods",
            nth,
            SagaStep::CreateAccessMethod { role: role.into() },
            true,
        )
        .await;
    }
}

/// A member added to a space found again is removed on failure, the space
/// with it; one already there is not added twice.
#[tokio::test]
async fn a_recovered_space_gets_its_member_once() {
    let sim = start_sim().await;
    let c = client(&sim);
    let first = create_meeting_space(&c, &request("req-member"))
        .await
        .unwrap();
    let member = sim.cospace_users(&first.cospace_id).remove(0);
    c.delete_cospace_user(&first.cospace_id, &member.id)
        .await
        .unwrap();
    let again = create_meeting_space(&c, &request("req-member"))
        .await
        .unwrap();
    assert_eq!(again.origin, SpaceOrigin::Recovered);
    assert_eq!(sim.cospace_users(&first.cospace_id).len(), 1);
    sim.clear_requests();
    create_meeting_space(&c, &request("req-member"))
        .await
        .unwrap();
    assert!(
        !sim.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/coSpaceUsers")),
        "{:?}",
        sim.requests()
    );
    assert_eq!(sim.cospace_users(&first.cospace_id).len(), 1);
}

/// Without a Call Bridge JID for the organizer: no ownerJid, no member.
#[tokio::test]
async fn an_organizer_unknown_to_the_call_bridge_is_no_member() {
    let sim = start_sim().await;
    let c = client(&sim);
    let req = SpaceRequest {
        owner_jid: None,
        organizer_name: None,
        ..request("req-no-owner")
    };
    let space = create_meeting_space(&c, &req).await.unwrap();
    assert!(sim.cospace_users(&space.cospace_id).is_empty());
    assert_eq!(space.round_trips, CREATE_ROUND_TRIPS - 1);
    let stored = sim
        .cospaces()
        .into_iter()
        .find(|s| s.id == space.cospace_id)
        .unwrap();
    assert_eq!(stored.get("ownerJid"), None);
    assert_eq!(stored.get("meetingScheduler"), None);
}

#[tokio::test]
async fn fault_reading_each_access_method_of_a_space_found_again() {
    for (nth, role) in [(1, "ExternalAccessMeth"), (2, "InternalAccessMeth")] {
        recovered_fault_at(
            "GET /api/v1/coSpaces/*/accessMethods/*",
            nth,
            SagaStep::ReadAccessMethod { role: role.into() },
        )
        .await;
    }
}

#[tokio::test]
async fn a_recovered_space_is_completed_and_undone_on_failure() {
    let sim = start_sim().await;
    let c = client(&sim);
    let demo = demo_space(&sim);
    let first = create_meeting_space(&c, &request("req-complete"))
        .await
        .unwrap();
    let ext = &first.access_methods[0];
    // Someone cleared the external access method's secret and call ID.
    c.modify_access_method(
        &first.cospace_id,
        &ext.access_method_id,
        &Form::new().unset("secret").unset("callId"),
    )
    .await
    .unwrap();
    let again = create_meeting_space(&c, &request("req-complete"))
        .await
        .unwrap();
    let ext2 = &again.access_methods[0];
    assert!(ext2.secret.is_some() && ext2.call_id.is_some(), "{ext2:?}");
    assert!(ext2.join_url.as_deref().unwrap().contains("?secret="));

    // Same again with a fault at the completing PUT: the space made for this
    // request is removed, nothing else.
    c.modify_access_method(
        &first.cospace_id,
        &ext.access_method_id,
        &Form::new().unset("secret"),
    )
    .await
    .unwrap();
    sim.fail_nth(
        1,
        RequestMatcher::new("PUT /api/v1/coSpaces/*/accessMethods/*"),
        FaultAction::Status(500),
    );
    let err = create_meeting_space(&c, &request("req-complete"))
        .await
        .unwrap_err();
    assert_eq!(
        err.step,
        SagaStep::CompleteAccessMethod {
            role: "ExternalAccessMeth".into()
        }
    );
    assert!(matches!(err.compensation, Compensation::Undone { .. }));
    assert_only_seed_left(&sim, &demo);
}

#[tokio::test]
async fn an_existing_space_gets_missing_access_methods() {
    let sim = start_sim().await;
    let c = client(&sim);
    let demo = demo_space(&sim);
    let space = create_meeting_space(&c, &existing("req-existing", Some(TEMPLATE_ID)))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Existing);
    assert_eq!(space.cospace_id, DEMO_SPACE_ID);
    assert_eq!(space.uri.as_deref(), Some("demo.organizer"));
    let uris: Vec<_> = space
        .access_methods
        .iter()
        .map(|r| r.uri.clone().unwrap())
        .collect();
    assert_eq!(uris, vec!["demo.organizer.guest", "demo.organizer.host"]);
    assert!(space.access_methods[0].call_id.is_some());
    assert_eq!(demo_space(&sim), demo, "the space itself is not modified");
    // A second time reuses them.
    let again = create_meeting_space(&c, &existing("req-existing-2", Some(TEMPLATE_ID)))
        .await
        .unwrap();
    assert_eq!(again.access_methods, space.access_methods);
    assert_eq!(sim.access_methods(DEMO_SPACE_ID).len(), 2);
    // Without a template: the space's access methods as they are.
    let plain = create_meeting_space(&c, &existing("req-plain", None))
        .await
        .unwrap();
    assert_eq!(plain.access_methods, space.access_methods);
    assert_eq!(
        plain.join_url.as_deref(),
        Some("https://join.example.com/meeting/100200300?secret=DemoSpaceSecret0000001")
    );
}

#[tokio::test]
async fn a_fault_in_an_existing_space_removes_only_what_was_added() {
    let sim = start_sim().await;
    let c = client(&sim);
    let demo = demo_space(&sim);
    // The second access method cannot be created.
    sim.fail_nth(
        2,
        RequestMatcher::new("POST /api/v1/coSpaces/*/accessMethods"),
        FaultAction::Status(500),
    );
    let err = create_meeting_space(&c, &existing("req-ex-fault", Some(TEMPLATE_ID)))
        .await
        .unwrap_err();
    assert_eq!(
        err.step,
        SagaStep::CreateAccessMethod {
            role: "InternalAccessMeth".into()
        }
    );
    match &err.compensation {
        Compensation::Undone { deleted } => {
            assert_eq!(deleted.len(), 1);
            assert!(deleted[0].contains("/accessMethods/"), "{deleted:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_only_seed_left(&sim, &demo);

    // Reading the template of the first access method fails: nothing added yet.
    sim.fail_nth(
        1,
        RequestMatcher::new("GET /api/v1/coSpaceTemplates/*/accessMethodTemplates/*"),
        FaultAction::Status(500),
    );
    let err = create_meeting_space(&c, &existing("req-ex-fault2", Some(TEMPLATE_ID)))
        .await
        .unwrap_err();
    assert_eq!(err.step, SagaStep::ReadTemplate);
    assert_eq!(err.compensation, Compensation::NothingToUndo);
    assert_only_seed_left(&sim, &demo);

    // An unknown existing space.
    let mut req = existing("req-ex-unknown", Some(TEMPLATE_ID));
    req.source = SpaceSource::Existing {
        cospace_id: "nope".into(),
        template_id: None,
    };
    let err = create_meeting_space(&c, &req).await.unwrap_err();
    assert_eq!(err.step, SagaStep::ReadCoSpace);
    assert!(matches!(
        err.cause,
        SagaCause::CallBridge(CallBridgeError::NotFound { .. })
    ));
    assert_eq!(err.compensation, Compensation::NothingToUndo);
}

#[tokio::test]
async fn a_failed_undo_is_reported_with_what_is_left() {
    let sim = start_sim().await;
    let c = client(&sim);
    sim.fail_nth(
        2,
        RequestMatcher::new("POST /api/v1/coSpaces/*/accessMethods"),
        FaultAction::Status(500),
    );
    sim.busy_next(100, RequestMatcher::new("DELETE /**"));
    let err = create_meeting_space(&c, &request("req-undo-fails"))
        .await
        .unwrap_err();
    assert_eq!(
        err.step,
        SagaStep::CreateAccessMethod {
            role: "InternalAccessMeth".into()
        }
    );
    let left = match &err.compensation {
        Compensation::Failed {
            left_behind, error, ..
        } => {
            assert!(error.contains("busy"), "{error}");
            left_behind.clone()
        }
        other => panic!("{other:?}"),
    };
    assert!(!err.compensation.succeeded());
    assert!(err.to_string().contains("left behind"), "{err}");
    assert_eq!(left.len(), 1);
    assert_eq!(sim.cospaces().len(), 2);
    sim.clear_faults();
    let id = left[0].rsplit('/').next().unwrap();
    assert_eq!(
        delete_meeting_space(&c, id).await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(sim.cospaces().len(), 1);
}

#[tokio::test]
async fn a_uri_held_by_someone_else_is_not_adopted() {
    let sim = start_sim().await;
    let c = client(&sim);
    let uri = space_uri("Test-XRP", "req-foreign");
    let foreign = c
        .create_cospace(&crate::callbridge::NewCoSpace {
            name: Some("Not ours".into()),
            uri: Some(uri.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let before = sim.cospaces();
    let err = create_meeting_space(&c, &request("req-foreign"))
        .await
        .unwrap_err();
    assert_eq!(err.step, SagaStep::CreateCoSpace);
    assert!(matches!(err.cause, SagaCause::UriTaken { .. }), "{err}");
    assert_eq!(err.compensation, Compensation::NothingToUndo);
    assert_eq!(sim.cospaces(), before);
    assert!(sim.cospaces().iter().any(|s| s.id == foreign));
}

#[tokio::test]
async fn invalid_requests_send_nothing() {
    let sim = start_sim().await;
    let c = client(&sim);
    let bad = [
        SpaceRequest {
            name: " ".into(),
            ..request("r")
        },
        SpaceRequest {
            request_id: String::new(),
            ..request("r")
        },
        SpaceRequest {
            request_id: "x".repeat(200),
            ..request("r")
        },
        SpaceRequest {
            web_bridge_url: "join.example.com".into(),
            ..request("r")
        },
        SpaceRequest {
            web_bridge_url: "https://join.example.com/?a=b".into(),
            ..request("r")
        },
    ];
    for req in bad {
        let err = create_meeting_space(&c, &req).await.unwrap_err();
        assert_eq!(err.step, SagaStep::Validate);
        assert!(matches!(err.cause, SagaCause::InvalidRequest(_)));
    }
    assert!(sim.requests().is_empty());
    tokio::time::sleep(Duration::from_millis(1)).await;
}
