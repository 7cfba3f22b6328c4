//! The scheduler and its Call Bridge over verified HTTPS: the whole suite
//! talks to the simulator on `https://cms.test:<port>` (resolved to
//! 127.0.0.1, certificate from the suite's test CA); a Call Bridge whose
//! certificate does not verify is refused with a clear error; a remote
//! `https://` URL is accepted and a remote `http://` one refused at start,
//! without any traffic leaving loopback.

use integration_tests::{callbridge_over_https, TestApp, TestPki, CALLBRIDGE_HOST};
use server::callbridge::{CallBridgeError, NodeState};
use server::config::ServeConfig;
use std::sync::Arc;

#[tokio::test]
async fn the_suite_talks_to_the_call_bridge_over_verified_https_on_a_host_name() {
    let app = TestApp::spawn().await;
    assert!(
        app.cb
            .base_url
            .starts_with(&format!("https://{CALLBRIDGE_HOST}:")),
        "{}",
        app.cb.base_url
    );
    let cb = &app.meetings.cb;
    assert_eq!(cb.config().base_url, app.cb.base_url);
    assert!(cb.config().tls.trust_bundle_pem.is_some());
    assert!(!cb.config().tls.accept_invalid_certs && !cb.config().tls.accept_invalid_hostnames);
    app.cb.clear_requests();
    let status = cb.system_status().await.expect("verified HTTPS works");
    assert!(status.software_version.is_some());
    assert!(
        app.cb
            .requests()
            .iter()
            .any(|r| r.path == "/api/v1/system/status"),
        "it went to the simulator"
    );
    // The wizard reads the organizer's templates over it.
    let client = app.signed_in_demo().await;
    let page = app.page(&client, "/schedule").await;
    assert!(page.contains("CoSpaceTemp-Scheduler"), "{page}");
}

async fn build(cfg: ServeConfig) -> Result<server::Application, server::StartError> {
    server::Application::build(cfg, Arc::new(server::clock::SystemClock)).await
}

/// A scheduler whose simulator serves `served`'s certificate on `host`
/// while the scheduler trusts `trusted`'s CA: what its client says.
async fn refused(served: &TestPki, trusted: &TestPki, host: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = ServeConfig::for_tests(dir.path().to_path_buf());
    callbridge_over_https(&mut cfg, dir.path(), served, trusted, host);
    let app = build(cfg).await.expect("builds: nothing is sent at start");
    let cb = app.state.meetings.cb.clone();
    let err = cb.system_status().await.unwrap_err();
    assert!(matches!(err, CallBridgeError::Certificate(_)), "{err:?}");
    cb.probe().await;
    let node = &cb.nodes()[0];
    assert_eq!(node.state, NodeState::Down);
    assert!(
        node.last_error.as_deref().unwrap().contains("certificate"),
        "{node:?}"
    );
    err.to_string()
}

#[tokio::test]
async fn a_call_bridge_certificate_from_another_ca_is_refused() {
    let other = TestPki::new(&[CALLBRIDGE_HOST]);
    let err = refused(&other, TestPki::suite(), CALLBRIDGE_HOST).await;
    assert!(err.contains("certificate was refused"), "{err}");
    // Another CA of the same name: its signature does not verify.
    assert!(err.contains("invalid peer certificate"), "{err}");
    assert!(err.contains("scheduler callbridge trust"), "{err}");
}

#[tokio::test]
async fn a_call_bridge_certificate_for_another_name_is_refused() {
    // Issued by the trusted CA, but for cms.test, served as other.test.
    let err = refused(TestPki::suite(), TestPki::suite(), "other.test").await;
    assert!(err.contains("certificate was refused"), "{err}");
    assert!(err.contains("other.test"), "{err}");
    assert!(err.contains("not valid for name"), "{err}");
}

fn remote(dir: &std::path::Path, url: &str) -> ServeConfig {
    let mut cfg = ServeConfig::for_tests(dir.to_path_buf());
    cfg.callbridge_simulator = false;
    cfg.callbridge_url = vec![url.into()];
    cfg.callbridge_password = Some("remote-secret".into());
    cfg
}

#[tokio::test]
async fn a_remote_https_call_bridge_is_accepted_and_a_remote_http_one_refused() {
    // Built, not run: no request is sent anywhere.
    let dir = tempfile::tempdir().unwrap();
    let app = build(remote(dir.path(), "https://cms1.example.com:445"))
        .await
        .expect("a remote https Call Bridge is accepted");
    let nodes = app.state.meetings.cb.nodes();
    assert_eq!(nodes[0].url, "https://cms1.example.com:445");
    assert_eq!(nodes[0].state, NodeState::Unknown);
    drop(app);
    let dir = tempfile::tempdir().unwrap();
    let err = match build(remote(dir.path(), "http://cms1.example.com")).await {
        Ok(_) => panic!("plain http to a remote host was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("--callbridge-url (SCHEDULER_CALLBRIDGE_URL)"),
        "{err}"
    );
    assert!(err.contains("use https://"), "{err}");
    assert!(!err.contains('\n'));
    assert!(!err.contains("remote-secret"));
}
