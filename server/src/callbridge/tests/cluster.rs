//! A CMS cluster: two simulated Call Bridges sharing one set of objects.
//! The client uses the first healthy one, moves to the next on 503, a dead
//! node or a lost answer, comes back when the first recovers, and never
//! repeats a POST whose answer was lost on the other node: the saga's
//! idempotency check (find by URI and cdrTag) decides.

use super::{fast_config, start_sim, PASSWORD};
use crate::callbridge::sim::{FaultAction, FaultRule, RequestMatcher, SimHandle};
use crate::callbridge::{
    create_meeting_space, CallBridgeClient, NodeState, SpaceOrigin, SpaceRequest, SpaceSource,
};
use std::time::Duration;

fn request(id: &str) -> SpaceRequest {
    SpaceRequest {
        request_id: id.into(),
        name: "Test-XRP".into(),
        source: SpaceSource::Template {
            template_id: super::TEMPLATE_ID.into(),
        },
        uri_base: "Test-XRP".into(),
        web_bridge_url: "https://join.example.com".into(),
        owner_jid: Some("demo@example.com".into()),
        organizer_name: Some("Demo Organizer".into()),
    }
}

async fn two_nodes() -> (SimHandle, SimHandle) {
    let first = start_sim().await;
    let second = first.start_node(None).await.expect("second node");
    second.set_strict(true);
    (first, second)
}

fn cluster_client(first: &SimHandle, second: &SimHandle, recheck: Duration) -> CallBridgeClient {
    let mut cfg = fast_config(first);
    cfg.other_urls = vec![second.base_url.clone()];
    cfg.recheck_after = recheck;
    CallBridgeClient::new(cfg).expect("client")
}

fn posts(sim: &SimHandle, path: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

#[tokio::test]
async fn the_nodes_share_their_objects() {
    let (first, second) = two_nodes().await;
    let c = CallBridgeClient::new(fast_config(&second)).unwrap();
    let id = c
        .create_cospace(&crate::callbridge::NewCoSpace {
            uri: Some("shared.space".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(first.cospaces().iter().any(|s| s.id == id));
}

#[tokio::test]
async fn a_busy_first_node_hands_over_and_takes_back_once_it_recovers() {
    let (first, second) = two_nodes().await;
    let c = cluster_client(&first, &second, Duration::from_millis(150));
    first.busy_next(1000, RequestMatcher::any());
    c.probe().await;
    let nodes = c.nodes();
    assert_eq!(nodes[0].state, NodeState::Down);
    assert!(nodes[0].last_error.as_deref().unwrap().contains("503"));
    assert_eq!(nodes[1].state, NodeState::Up);
    assert!(nodes[1].software_version.is_some(), "{nodes:?}");
    // A create goes to the second at once (a 503 was not processed).
    let space = create_meeting_space(&c, &request("req-busy"))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Created);
    assert_eq!(posts(&second, "/api/v1/coSpaces"), 1);
    assert!(c.nodes()[1].in_use);
    // The first recovers: once the recheck time is over, it is used again.
    first.clear_faults();
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.clear_requests();
    c.cospaces(None).await.unwrap();
    assert!(!first.requests().is_empty());
    let nodes = c.nodes();
    assert!(nodes[0].in_use, "{nodes:?}");
    assert_eq!(nodes[0].state, NodeState::Up);
}

#[tokio::test]
async fn a_dead_first_node_is_passed_over_and_the_probe_says_so() {
    let (first, second) = two_nodes().await;
    let c = cluster_client(&first, &second, Duration::from_secs(60));
    let first_url = first.base_url.clone();
    first.stop();
    let space = create_meeting_space(&c, &request("req-dead"))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Created);
    assert!(second.cospaces().iter().any(|s| s.id == space.cospace_id));
    c.probe().await;
    let nodes = c.nodes();
    assert_eq!(nodes[0].url, first_url);
    assert_eq!(nodes[0].state, NodeState::Down);
    assert!(!nodes[0].in_use);
    assert!(nodes[1].in_use);
    assert!(nodes[0].last_error.is_some());
}

/// The first node applies the POST /coSpaces, its answer is lost, and it
/// answers 503 to everything after: the client must not POST the coSpace
/// again on the second node; the saga finds it there by URI and cdrTag.
#[tokio::test]
async fn a_lost_post_is_never_repeated_on_the_other_node() {
    let (first, second) = two_nodes().await;
    let c = cluster_client(&first, &second, Duration::from_secs(60));
    first.fail_nth(
        1,
        RequestMatcher::new("POST /api/v1/coSpaces"),
        FaultAction::DropAfterProcessing,
    );
    // GET the template, its access method templates and each of the two,
    // POST coSpace: then 503s.
    first.add_fault(FaultRule {
        matcher: RequestMatcher::any(),
        skip: 5,
        times: 1000,
        action: FaultAction::Busy,
    });
    let before = first.cospaces().len();
    let space = create_meeting_space(&c, &request("req-lost"))
        .await
        .unwrap();
    assert_eq!(space.origin, SpaceOrigin::Recovered);
    assert_eq!(first.cospaces().len(), before + 1, "one coSpace, not two");
    assert_eq!(posts(&first, "/api/v1/coSpaces"), 1);
    assert_eq!(posts(&second, "/api/v1/coSpaces"), 0, "never repeated");
    // The rest of the saga ran on the second node.
    assert!(second
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path.starts_with("/api/v1/coSpaces?")));
    assert_eq!(space.access_methods.len(), 2);
    assert!(c.nodes()[1].in_use);
}

#[tokio::test]
async fn failover_logs_and_reports_carry_no_password() {
    let captured = super::client::Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (first, second) = two_nodes().await;
    let c = cluster_client(&first, &second, Duration::from_secs(60));
    first.busy_next(5, RequestMatcher::any());
    c.web_bridges().await.unwrap();
    first.stop();
    c.probe().await;
    let mut wrong = fast_config(&second);
    wrong.password = "Wr0ng-Secret-Pw".into();
    let w = CallBridgeClient::new(wrong).unwrap();
    let err = w.cospaces(None).await.unwrap_err();
    w.probe().await;
    let report = format!(
        "{:?} {:?} {} {}",
        c.nodes(),
        w.nodes(),
        err,
        crate::admin::cli::callbridge_lines(&w.nodes()).join("\n")
    );
    let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(out.contains("Call Bridge DOWN"), "{out}");
    assert!(report.contains("401"), "{report}");
    for secret in [PASSWORD, "Wr0ng-Secret-Pw"] {
        assert!(!out.contains(secret), "{secret} in the logs");
        assert!(!report.contains(secret), "{secret} in a report");
    }
}
