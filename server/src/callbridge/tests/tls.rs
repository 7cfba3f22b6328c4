//! The client over HTTPS (rustls with ring): trust bundle, self-signed
//! certificates, host names. A TLS front end forwards to the simulator.

use super::{fast_config, start_sim};
use crate::callbridge::sim::SimHandle;
use crate::callbridge::{CallBridgeClient, CallBridgeConfig, CallBridgeError, RetryPolicy};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

/// A TLS listener on 127.0.0.1 with a self-signed certificate for `names`,
/// forwarding to the simulator. Answers its address and the certificate PEM.
async fn tls_front(sim: &SimHandle, names: &[&str]) -> (SocketAddr, String) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    let pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let backend = sim.addr;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    if let Ok(mut upstream) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                    }
                }
            });
        }
    });
    (addr, pem)
}

fn https_config(sim: &SimHandle, addr: SocketAddr) -> CallBridgeConfig {
    let mut cfg = fast_config(sim);
    cfg.base_url = format!("https://127.0.0.1:{}", addr.port());
    cfg.retry = RetryPolicy::none();
    cfg
}

#[tokio::test]
async fn a_trust_bundle_is_required_and_enough() {
    let sim = start_sim().await;
    let (addr, pem) = tls_front(&sim, &["127.0.0.1"]).await;

    let cfg = https_config(&sim, addr);
    let err = CallBridgeClient::new(cfg.clone())
        .unwrap()
        .web_bridges()
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Certificate(_)), "{err:?}");

    let mut trusted = cfg.clone();
    trusted.tls.trust_bundle_pem = Some(pem.into_bytes());
    let c = CallBridgeClient::new(trusted).unwrap();
    assert_eq!(c.web_bridges().await.unwrap().len(), 3);

    let mut lax = cfg.clone();
    lax.tls.accept_invalid_certs = true;
    let c = CallBridgeClient::new(lax).unwrap();
    assert_eq!(c.web_bridges().await.unwrap().len(), 3);

    let mut bad = cfg;
    bad.tls.trust_bundle_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(
        CallBridgeClient::new(bad),
        Err(CallBridgeError::Config(_))
    ));
}

#[tokio::test]
async fn a_certificate_for_another_name_needs_accept_invalid_hostnames() {
    let sim = start_sim().await;
    let (addr, pem) = tls_front(&sim, &["cms1.example.com"]).await;
    let mut cfg = https_config(&sim, addr);
    cfg.tls.trust_bundle_pem = Some(pem.into_bytes());
    let err = CallBridgeClient::new(cfg.clone())
        .unwrap()
        .web_bridges()
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Certificate(_)), "{err:?}");
    cfg.tls.accept_invalid_hostnames = true;
    let c = CallBridgeClient::new(cfg).unwrap();
    assert_eq!(c.web_bridges().await.unwrap().len(), 3);
}

/// A CA and a server certificate it signs for `names`: (CA PEM, chain PEM,
/// key PEM).
fn ca_and_server_cert(names: &[&str]) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

async fn https_sim(names: &[&str], host: &str) -> (SimHandle, String) {
    use crate::callbridge::sim::{CallBridgeSim, Seed, SimCredentials, SimTls};
    let (ca, chain, key) = ca_and_server_cert(names);
    let sim = CallBridgeSim::start_https(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Seed::source_document().unwrap(),
        SimCredentials::new(super::USER, super::PASSWORD),
        SimTls::from_pem(&chain, &key, host).unwrap(),
    )
    .await
    .unwrap();
    sim.set_strict(true);
    (sim, ca)
}

/// The simulator itself over HTTPS on a host name, its certificate issued
/// by a CA the administrator gives as the trust bundle: verified, host name
/// checked.
#[tokio::test]
async fn the_simulator_serves_https_verified_against_a_trust_bundle() {
    let (sim, ca) = https_sim(&["localhost"], "localhost").await;
    assert!(
        sim.base_url.starts_with("https://localhost:"),
        "{}",
        sim.base_url
    );
    let mut cfg = fast_config(&sim);
    cfg.retry = RetryPolicy::none();
    // No trust bundle: refused.
    let err = CallBridgeClient::new(cfg.clone())
        .unwrap()
        .system_status()
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Certificate(_)), "{err:?}");
    // Another CA: refused.
    let (other_ca, _, _) = ca_and_server_cert(&["localhost"]);
    let mut wrong = cfg.clone();
    wrong.tls.trust_bundle_pem = Some(other_ca.into_bytes());
    let err = CallBridgeClient::new(wrong)
        .unwrap()
        .system_status()
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Certificate(_)), "{err:?}");
    // The CA that issued it: a whole create works over HTTPS.
    let mut trusted = cfg;
    trusted.tls.trust_bundle_pem = Some(ca.into_bytes());
    let c = CallBridgeClient::new(trusted).unwrap();
    assert!(c.system_status().await.unwrap().software_version.is_some());
    let id = c
        .create_cospace(&crate::callbridge::NewCoSpace {
            uri: Some("over.tls".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(sim.cospaces().iter().any(|s| s.id == id));
}

#[tokio::test]
async fn a_simulator_certificate_for_another_host_is_refused() {
    let (sim, ca) = https_sim(&["cms1.example.com"], "localhost").await;
    let mut cfg = fast_config(&sim);
    cfg.retry = RetryPolicy::none();
    cfg.tls.trust_bundle_pem = Some(ca.into_bytes());
    let err = CallBridgeClient::new(cfg)
        .unwrap()
        .system_status()
        .await
        .unwrap_err();
    assert!(matches!(err, CallBridgeError::Certificate(_)), "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}

/// A Call Bridge on another host (`https://cms1.example.com`), its name
/// resolved to loopback by the client's host override so that no traffic
/// leaves this host: accepted, verified and used; plain `http://` to it is
/// refused before anything is sent.
#[tokio::test]
async fn a_remote_host_name_is_used_over_verified_https_and_refused_over_http() {
    let (sim, ca) = https_sim(&["cms1.example.com"], "cms1.example.com").await;
    assert!(sim.base_url.starts_with("https://cms1.example.com:"));
    let mut cfg = fast_config(&sim);
    cfg.retry = RetryPolicy::none();
    cfg.tls.trust_bundle_pem = Some(ca.into_bytes());
    cfg.resolve =
        vec![crate::callbridge::HostOverride::parse("cms1.example.com=127.0.0.1").unwrap()];
    let c = CallBridgeClient::new(cfg.clone()).unwrap();
    assert!(c.system_status().await.unwrap().software_version.is_some());
    assert!(!sim.requests().is_empty());
    let mut plain = cfg;
    plain.base_url = sim.base_url.replace("https://", "http://");
    let err = CallBridgeClient::new(plain).unwrap_err();
    assert!(matches!(err, CallBridgeError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("use https://"), "{err}");
}
