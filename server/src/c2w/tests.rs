//! The C2W mesh against simulated web bridges and the Call Bridge
//! simulator, over real mutual TLS on loopback. Timers are short.

use super::protocol::RelayHandler;
use super::sim::WebBridgeSim;
use super::*;
use crate::admin::WebBridgeReport;
use crate::callbridge::sim::{CallBridgeSim, Seed, SimCredentials, SimHandle};
use crate::callbridge::CallBridgeClient;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// A key and its full chain (leaf, CA) for 127.0.0.1.
struct Leaf {
    key: PrivateKeyDer<'static>,
    chain: Vec<CertificateDer<'static>>,
}

fn leaf(ca: &Ca, name: &str) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = p.signed_by(&key, &**ca).unwrap();
    Leaf {
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        chain: vec![cert.der().clone(), ca.der().clone()],
    }
}

/// The test PKI: web bridges' CA, schedulers' CA, and a rogue CA.
struct Pki {
    bridges: Ca,
    schedulers: Ca,
    rogue: Ca,
}

impl Pki {
    fn new() -> Self {
        Self {
            bridges: ca("Web Bridge CA"),
            schedulers: ca("Scheduler CA"),
            rogue: ca("Rogue CA"),
        }
    }

    /// A web bridge certificate signed by `issuer`, trusting the schedulers.
    fn bridge_tls(&self, issuer: &Ca) -> std::sync::Arc<ServerConfig> {
        let l = leaf(issuer, "webbridge");
        tls::server_config(l.key, l.chain, &[self.schedulers.der().clone()]).unwrap()
    }

    /// A scheduler certificate signed by `issuer`, trusting the bridges.
    fn scheduler_tls(&self, issuer: &Ca) -> C2wTls {
        let l = leaf(issuer, "scheduler");
        C2wTls::from_der(l.key, l.chain, &[self.bridges.der().clone()]).unwrap()
    }
}

fn fast() -> C2wOptions {
    C2wOptions {
        heartbeat_interval: Duration::from_millis(100),
        heartbeat_timeout: Duration::from_millis(1000),
        connect_timeout: Duration::from_millis(1000),
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        refresh_interval: Duration::from_millis(200),
        node: "test-node".into(),
    }
}

async fn cb_sim() -> SimHandle {
    let sim = CallBridgeSim::start(
        Seed::source_document().unwrap(),
        SimCredentials::new("api", "pw"),
    )
    .await
    .unwrap();
    for wb in sim.objects("webBridges") {
        sim.remove_web_bridge(&wb.id).unwrap();
    }
    sim
}

struct NoRelay;

#[async_trait::async_trait]
impl RelayHandler for NoRelay {
    async fn handle(
        &self,
        _user: &RelayedUser,
        op: &str,
        _params: Value,
    ) -> Result<Value, RelayError> {
        Err(RelayError::unsupported(op))
    }
}

fn supervisor(
    cb: &SimHandle,
    tls: C2wTls,
    handler: std::sync::Arc<dyn RelayHandler>,
) -> SupervisorHandle {
    let client = std::sync::Arc::new(CallBridgeClient::new(cb.client_config()).unwrap());
    C2wSupervisor::new(client, tls, handler, fast()).start()
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn bridges(pki: &Pki, cb: &SimHandle, n: usize) -> Vec<WebBridgeSim> {
    let mut out = Vec::new();
    for _ in 0..n {
        let sim = WebBridgeSim::start(pki.bridge_tls(&pki.bridges))
            .await
            .unwrap();
        cb.add_web_bridge(&sim.url()).unwrap();
        out.push(sim);
    }
    out
}

#[tokio::test]
async fn a_full_mesh_of_three_bridges_comes_up() {
    let pki = Pki::new();
    let cb = cb_sim().await;
    let sims = bridges(&pki, &cb, 3).await;
    let sup = supervisor(
        &cb,
        pki.scheduler_tls(&pki.schedulers),
        std::sync::Arc::new(NoRelay),
    );
    let state = sup.state();
    wait_until("3 UP", Duration::from_secs(5), || state.up_count() == 3).await;
    for sim in &sims {
        let b = state.get(&sim.address()).unwrap();
        assert!(b.up);
        assert_eq!(b.guid.as_deref(), Some(sim.guid.as_str()));
        assert_eq!(b.last_error, None);
    }
    let counts = state.web_bridges();
    assert_eq!((counts.up, counts.total), (3, 3));
    // Heartbeats flow.
    wait_until("heartbeats", Duration::from_secs(2), || {
        sims.iter().all(|s| s.heartbeats() >= 2)
    })
    .await;
    assert_eq!(state.up_count(), 3);
    sup.stop().await;
    wait_until("closed", Duration::from_secs(2), || {
        sims.iter().all(|s| s.connected() == 0)
    })
    .await;
}

/// Two web bridges and a supervisor with both links UP.
async fn two_bridges_up() -> (Pki, SimHandle, Vec<WebBridgeSim>, SupervisorHandle) {
    let pki = Pki::new();
    let cb = cb_sim().await;
    let sims = bridges(&pki, &cb, 2).await;
    let sup = supervisor(
        &cb,
        pki.scheduler_tls(&pki.schedulers),
        std::sync::Arc::new(NoRelay),
    );
    let state = sup.state();
    wait_until("2 UP", Duration::from_secs(5), || state.up_count() == 2).await;
    (pki, cb, sims, sup)
}

#[tokio::test]
async fn a_stopped_bridge_goes_down_and_comes_back_up_after_restart() {
    let (_pki, _cb, mut sims, sup) = two_bridges_up().await;
    let state = sup.state();
    let addr = sims[0].address();
    sims[0].stop().await;
    wait_until("DOWN", Duration::from_secs(3), || {
        state.get(&addr).is_some_and(|b| !b.up)
    })
    .await;
    let down = state.get(&addr).unwrap();
    assert!(down.last_error.is_some());
    assert_eq!(state.web_bridges().up, 1);
    // Let a few reconnects fail, then restart on the same port.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let restarted = Instant::now();
    sims[0].restart().await.unwrap();
    assert_eq!(sims[0].address(), addr);
    wait_until("UP again", Duration::from_secs(3), || {
        state.get(&addr).is_some_and(|b| b.up)
    })
    .await;
    let took = restarted.elapsed();
    eprintln!("c2w figure: reconnect after restart took {took:?} (backoff max 200 ms)");
    let up = state.get(&addr).unwrap();
    assert_eq!(up.connections, 2);
    assert_eq!(up.guid.as_deref(), Some(sims[0].guid.as_str()));
    assert_eq!(state.web_bridges().up, 2);
}

/// A bridge that flaps (stopped and restarted ten times, up for 30 to
/// 400 ms each time, sometimes less than a reconnect takes) ends UP with one
/// link, never two; the steady bridge beside it is never disturbed.
#[tokio::test]
async fn a_flapping_bridge_ends_up_with_one_link_and_the_others_stay_up() {
    let (_pki, _cb, mut sims, sup) = two_bridges_up().await;
    let state = sup.state();
    let (flapping, steady) = (sims[0].address(), sims[1].address());
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..10 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        sims[0].stop().await;
        tokio::time::sleep(Duration::from_millis(10 + seed % 150)).await;
        sims[0].restart().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30 + (seed >> 8) % 370)).await;
        assert!(
            state.get(&steady).is_some_and(|b| b.up),
            "the steady bridge stays UP"
        );
        assert!(sims[0].connected() <= 1, "never two links to one bridge");
    }
    wait_until("UP after flapping", Duration::from_secs(3), || {
        state.get(&flapping).is_some_and(|b| b.up) && sims[0].connected() == 1
    })
    .await;
    // Settled: still one link each, heartbeats flowing on the new one.
    let beats = sims[0].heartbeats();
    wait_until("heartbeats", Duration::from_secs(2), || {
        sims[0].heartbeats() >= beats + 2
    })
    .await;
    assert_eq!(sims[0].connected(), 1);
    assert_eq!(sims[1].connected(), 1);
    let steady_now = state.get(&steady).unwrap();
    assert_eq!(
        steady_now.connections, 1,
        "the steady bridge never reconnected"
    );
    let flapped = state.get(&flapping).unwrap();
    assert!(
        flapped.connections >= 2 && flapped.connections <= 11,
        "{}",
        flapped.connections
    );
    assert_eq!(state.web_bridges().up, 2);
    sup.stop().await;
}

#[tokio::test]
async fn bridges_added_later_are_connected_and_removed_ones_dropped() {
    let pki = Pki::new();
    let cb = cb_sim().await;
    let first = bridges(&pki, &cb, 1).await;
    let sup = supervisor(
        &cb,
        pki.scheduler_tls(&pki.schedulers),
        std::sync::Arc::new(NoRelay),
    );
    let state = sup.state();
    wait_until("1 UP", Duration::from_secs(5), || state.up_count() == 1).await;
    let later = WebBridgeSim::start(pki.bridge_tls(&pki.bridges))
        .await
        .unwrap();
    let id = cb.add_web_bridge(&later.url()).unwrap();
    // Picked up by the periodic refresh (200 ms here).
    wait_until("2 UP", Duration::from_secs(5), || state.up_count() == 2).await;
    assert_eq!(later.connected(), 1);
    cb.remove_web_bridge(&id).unwrap();
    sup.refresh_now();
    wait_until("removed", Duration::from_secs(3), || {
        state.get(&later.address()).is_none()
    })
    .await;
    wait_until("link closed", Duration::from_secs(3), || {
        later.connected() == 0
    })
    .await;
    assert_eq!(state.web_bridges().total, 1);
    assert_eq!(first[0].connected(), 1);
}

#[tokio::test]
async fn an_untrusted_bridge_certificate_is_refused() {
    let pki = Pki::new();
    let cb = cb_sim().await;
    let rogue = WebBridgeSim::start(pki.bridge_tls(&pki.rogue))
        .await
        .unwrap();
    cb.add_web_bridge(&rogue.url()).unwrap();
    let sup = supervisor(
        &cb,
        pki.scheduler_tls(&pki.schedulers),
        std::sync::Arc::new(NoRelay),
    );
    let state = sup.state();
    wait_until("an error", Duration::from_secs(5), || {
        state
            .get(&rogue.address())
            .is_some_and(|b| b.last_error.is_some())
    })
    .await;
    let b = state.get(&rogue.address()).unwrap();
    assert!(!b.up);
    let err = b.last_error.unwrap();
    assert!(
        err.contains("TLS handshake") && err.contains("certificate"),
        "{err}"
    );
    assert_eq!(rogue.connections(), 0);
}

#[tokio::test]
async fn an_untrusted_scheduler_certificate_is_refused() {
    let pki = Pki::new();
    let cb = cb_sim().await;
    let sims = bridges(&pki, &cb, 1).await;
    let sup = supervisor(
        &cb,
        pki.scheduler_tls(&pki.rogue),
        std::sync::Arc::new(NoRelay),
    );
    let state = sup.state();
    wait_until("a refusal", Duration::from_secs(5), || {
        !sims[0].refusals().is_empty()
            && state
                .get(&sims[0].address())
                .is_some_and(|b| b.last_error.is_some())
    })
    .await;
    let why = sims[0].refusals().remove(0);
    assert!(why.contains("certificate"), "{why}");
    let b = state.get(&sims[0].address()).unwrap();
    assert!(!b.up, "{b:?}");
    assert_eq!(sims[0].connections(), 0);
}

#[tokio::test]
async fn a_relayed_request_creates_a_real_meeting() {
    let pki = Pki::new();
    let cb = cb_sim().await;
    let (db, dir) = crate::db::test_db().await;
    crate::auth::users::create(
        &db,
        crate::auth::users::NewUser {
            username: "demo",
            display_name: "Demo Organizer",
            email: "demo.organizer@example.com",
            password: None,
            time_zone: "Europe/Paris",
            jid: Some("demo@example.com"),
        },
        0,
    )
    .await
    .unwrap();
    let client = std::sync::Arc::new(CallBridgeClient::new(cb.client_config()).unwrap());
    let clock: std::sync::Arc<dyn crate::clock::Clock> =
        std::sync::Arc::new(crate::clock::SystemClock);
    let mail = std::sync::Arc::new(crate::mail::Mailer::new(
        db.clone(),
        clock.clone(),
        dir.path(),
        false,
    ));
    let meetings = std::sync::Arc::new(crate::meetings::Meetings {
        writer: crate::db::group::GroupWriter::start(&db).await.unwrap(),
        db,
        clock,
        mail,
        cb: client.clone(),
        join_base_url: "https://join.example.com".into(),
        directory: Default::default(),
        live: Default::default(),
    });
    let sims = bridges(&pki, &cb, 2).await;
    let sup = C2wSupervisor::new(
        client,
        pki.scheduler_tls(&pki.schedulers),
        std::sync::Arc::new(MeetingsRelay::new(meetings.clone())),
        fast(),
    )
    .start();
    let state = sup.state();
    wait_until("2 UP", Duration::from_secs(5), || state.up_count() == 2).await;
    let spaces_before = cb.cospaces().len();
    let wait = Duration::from_secs(10);
    let created = sims[0]
        .relay(
            RelayedUser::Username("demo".into()),
            "meetings.create",
            json!({ "meeting": {
                "name": "C2W planning",
                "templateId": "19577d25-f7cf-4524-9a26-5fd418dd5f96",
                "start": "2030-06-12T10:00",
                "durationMinutes": 45,
                "timeZone": "Europe/Paris",
                "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}],
                "requestId": "c2w-1"
            }}),
            wait,
        )
        .await
        .unwrap();
    assert!(created.ok, "{created:?}");
    let result = created.result.unwrap();
    let id = result["id"].as_str().unwrap().to_string();
    assert_eq!(result["name"], "C2W planning");
    assert_eq!(cb.cospaces().len(), spaces_before + 1);
    // The same user by e-mail, through the other bridge, sees it.
    let listed = sims[1]
        .relay(
            RelayedUser::Email("Demo.Organizer@example.com".into()),
            "meetings.list",
            json!({ "from": "2030-06-01T00:00:00Z", "until": "2030-07-01T00:00:00Z" }),
            wait,
        )
        .await
        .unwrap();
    assert!(listed.ok, "{listed:?}");
    let list = listed.result.unwrap();
    assert_eq!(list["meetings"][0]["id"], id.as_str());
    // Every bridge hears of the change.
    wait_until("pushes", Duration::from_secs(3), || {
        sims.iter().all(|s| {
            s.pushes().iter().any(|(e, d)| {
                e == "meetings.changed" && d["id"] == id.as_str() && d["user"]["username"] == "demo"
            })
        })
    })
    .await;
    // Errors come back with a code.
    let unknown = sims[0]
        .relay(
            RelayedUser::Username("nobody".into()),
            "meetings.list",
            json!({}),
            wait,
        )
        .await
        .unwrap();
    assert!(!unknown.ok);
    assert_eq!(unknown.error.unwrap().code, "unknownUser");
    let join = sims[0]
        .relay(
            RelayedUser::Username("demo".into()),
            "join.resolve",
            json!({ "link": "123 456 789" }),
            wait,
        )
        .await
        .unwrap();
    assert_eq!(
        join.result.unwrap()["url"],
        "https://join.example.com/meeting/123456789"
    );
    let deleted = sims[1]
        .relay(
            RelayedUser::Username("demo".into()),
            "meetings.delete",
            json!({ "id": id }),
            wait,
        )
        .await
        .unwrap();
    assert!(deleted.ok, "{deleted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_holds_a_mesh_of_100_bridges() {
    const N: usize = 100;
    let pki = Pki::new();
    let cb = cb_sim().await;
    let tls = pki.bridge_tls(&pki.bridges);
    let mut sims = Vec::new();
    for _ in 0..N {
        let sim = WebBridgeSim::start(tls.clone()).await.unwrap();
        cb.add_web_bridge(&sim.url()).unwrap();
        sims.push(sim);
    }
    let started = Instant::now();
    let sup = supervisor(
        &cb,
        pki.scheduler_tls(&pki.schedulers),
        std::sync::Arc::new(NoRelay),
    );
    let state = sup.state();
    wait_until("100 UP", Duration::from_secs(30), || state.up_count() == N).await;
    eprintln!(
        "c2w figure: {N} bridges UP in {:?} (one node)",
        started.elapsed()
    );
    // Still all up after several heartbeat periods.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(state.up_count(), N);
    assert!(sims.iter().all(|s| s.heartbeats() >= 2));
}
