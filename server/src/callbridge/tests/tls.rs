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
    assert!(matches!(err, CallBridgeError::Unreachable(_)), "{err:?}");

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
    assert!(matches!(err, CallBridgeError::Unreachable(_)), "{err:?}");
    cfg.tls.accept_invalid_hostnames = true;
    let c = CallBridgeClient::new(cfg).unwrap();
    assert_eq!(c.web_bridges().await.unwrap().len(), 3);
}
