//! The HTTPS listener: the service's router over TLS (rustls with the ring
//! provider, TLS 1.2 and 1.3), on the configured interface and port, in
//! addition to the plain loopback listener.
//!
//! TCP connections are accepted by one task; each TLS handshake runs in its
//! own task (with a time limit) so that a slow client holds up no one; the
//! finished streams are served by `axum::serve`. New certificates are put
//! in force without closing the socket ([`HttpsServer::set_tls`]).

use super::checks::{load_certs, load_key, provider};
use super::config::{CertPair, ConfigStore, Listen};
use axum::serve::ListenerExt;
use axum::Router;
use rustls::ServerConfig;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error(
        "unknown interface {name}; known interfaces: {known} (or give an IP address)",
        name = super::words::quote(.name)
    )]
    UnknownInterface { name: String, known: String },
    #[error(
        "interface {letter} maps to no interface of this host ({known}); give a Linux interface name or an IP address",
        letter = super::words::quote(.letter)
    )]
    NoSuchLetter { letter: String, known: String },
    #[error("interface {} has no usable address", super::words::quote(.0))]
    NoAddress(String),
    #[error("cannot list the network interfaces: {0}")]
    Interfaces(std::io::Error),
    #[error("{0}")]
    Certificates(String),
    #[error("bad TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The CMS interface names, `a` to `d`.
pub const INTERFACE_LETTERS: [&str; 4] = ["a", "b", "c", "d"];

/// The Linux interface a CMS letter stands for: the non-loopback
/// interfaces sorted by name, `a` the first, `b` the second... `None` for a
/// word that is not a letter `a`-`d`; an error for a letter past the last
/// interface.
pub fn letter_interface(letter: &str, names: &[&str]) -> Option<Result<String, HttpsError>> {
    let index = INTERFACE_LETTERS.iter().position(|l| *l == letter)?;
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    Some(match sorted.get(index) {
        Some(n) => Ok((*n).to_owned()),
        None => Err(HttpsError::NoSuchLetter {
            letter: letter.to_owned(),
            known: if sorted.is_empty() {
                "this host has no interface but loopback".into()
            } else {
                sorted
                    .iter()
                    .zip(INTERFACE_LETTERS)
                    .map(|(n, l)| format!("{l} = {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
    })
}

/// The address to bind for an interface name (a Linux name, or a CMS
/// letter `a`-`d` when no interface has that name, see
/// [`letter_interface`]) or an IP literal: the interface's first IPv4
/// address, else its first global IPv6 address.
pub fn resolve_interface(name: &str) -> Result<IpAddr, HttpsError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(ip);
    }
    let interfaces = if_addrs::get_if_addrs().map_err(HttpsError::Interfaces)?;
    let name = if interfaces.iter().any(|i| i.name == name) {
        name.to_owned()
    } else {
        let others: Vec<&str> = interfaces
            .iter()
            .filter(|i| !i.is_loopback())
            .map(|i| i.name.as_str())
            .collect();
        match letter_interface(name, &others) {
            Some(mapped) => mapped?,
            None => name.to_owned(),
        }
    };
    let name = name.as_str();
    let ips: Vec<IpAddr> = interfaces
        .iter()
        .filter(|i| i.name == name)
        .map(|i| i.ip())
        .collect();
    if ips.is_empty() {
        let mut known: Vec<&str> = interfaces.iter().map(|i| i.name.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        return Err(HttpsError::UnknownInterface {
            name: name.to_owned(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    }
    ips.iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| {
            ips.iter().find(|ip| match ip {
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
                IpAddr::V4(_) => false,
            })
        })
        .copied()
        .ok_or_else(|| HttpsError::NoAddress(name.to_owned()))
}

/// The socket address for `https listen`.
pub fn bind_addr(listen: &Listen) -> Result<SocketAddr, HttpsError> {
    Ok(SocketAddr::new(
        resolve_interface(&listen.interface)?,
        listen.port,
    ))
}

/// The rustls server configuration for a key and full-chain file pair.
pub fn tls_config(store: &ConfigStore, pair: &CertPair) -> Result<Arc<ServerConfig>, HttpsError> {
    let chain = load_certs(&store.resolve(&pair.cert)).map_err(HttpsError::Certificates)?;
    let key = load_key(&store.resolve(&pair.key)).map_err(HttpsError::Certificates)?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A running HTTPS listener.
pub struct HttpsServer {
    addr: SocketAddr,
    tls: watch::Sender<Arc<ServerConfig>>,
    accept_task: JoinHandle<()>,
    serve_task: JoinHandle<()>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.accept_task.abort();
        self.serve_task.abort();
    }
}

impl std::fmt::Debug for HttpsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl HttpsServer {
    /// Binds `addr` and serves `router` over TLS.
    pub async fn start(
        addr: SocketAddr,
        tls: Arc<ServerConfig>,
        router: Router,
    ) -> Result<Self, HttpsError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| HttpsError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| HttpsError::Bind { addr, source })?;
        let (tls_tx, tls_rx) = watch::channel(tls);
        let (conn_tx, conn_rx) = mpsc::channel(64);
        let accept_task = tokio::spawn(accept_loop(listener, tls_rx, conn_tx));
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let tls_listener = TlsListener {
            incoming: conn_rx,
            local,
        }
        // TCP_NODELAY, as on the plain listener (lib.rs).
        .tap_io(|tls: &mut TlsStream<TcpStream>| {
            let _ = tls.get_ref().0.set_nodelay(true);
        });
        let serve_task = tokio::spawn(async move {
            let served = axum::serve(
                tls_listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = shutdown_rx.await;
            })
            .await;
            if let Err(e) = served {
                tracing::error!("the HTTPS listener stopped: {e}");
            }
        });
        tracing::info!("HTTPS listening on {local}");
        Ok(Self {
            addr: local,
            tls: tls_tx,
            accept_task,
            serve_task,
            shutdown: Some(shutdown),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// New certificates for the connections to come.
    pub fn set_tls(&self, tls: Arc<ServerConfig>) {
        self.tls.send_replace(tls);
    }

    /// Closes the socket, lets the requests in flight finish (a few
    /// seconds at most), then stops.
    pub async fn stop(mut self) {
        self.accept_task.abort();
        let _ = (&mut self.accept_task).await;
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if tokio::time::timeout(DRAIN_TIMEOUT, &mut self.serve_task)
            .await
            .is_err()
        {
            self.serve_task.abort();
            let _ = (&mut self.serve_task).await;
        }
        tracing::info!("HTTPS listener on {} stopped", self.addr);
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: watch::Receiver<Arc<ServerConfig>>,
    out: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Per-connection errors (reset before accept) are harmless;
                // others (out of file descriptors) call for a pause.
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionRefused
                ) {
                    tracing::error!("HTTPS accept error: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                continue;
            }
        };
        let acceptor = TlsAcceptor::from(tls.borrow().clone());
        let out = out.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = out.send((stream, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
            }
        });
    }
}

/// The TLS streams whose handshake is done, for `axum::serve`.
struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(conn) => conn,
            // The accept loop is gone: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_resolve_to_themselves() {
        assert_eq!(
            resolve_interface("127.0.0.1").unwrap(),
            IpAddr::from([127, 0, 0, 1])
        );
        assert_eq!(
            resolve_interface("::1").unwrap(),
            "::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn letters_map_to_the_non_loopback_interfaces_sorted_by_name() {
        let names = ["eth1", "ens3", "eth0", "eth0"];
        let map = |l: &str| letter_interface(l, &names).map(|r| r.map_err(|e| e.to_string()));
        assert_eq!(map("a"), Some(Ok("ens3".into())));
        assert_eq!(map("b"), Some(Ok("eth0".into())));
        assert_eq!(map("c"), Some(Ok("eth1".into())));
        let err = map("d").unwrap().unwrap_err();
        assert_eq!(
            err,
            "interface 'd' maps to no interface of this host (a = ens3, b = eth0, c = eth1); give a Linux interface name or an IP address"
        );
        assert_eq!(map("e"), None);
        assert_eq!(map("eth0"), None);
        let err = letter_interface("a", &[]).unwrap().unwrap_err().to_string();
        assert!(err.contains("no interface but loopback"), "{err}");
    }

    #[test]
    fn a_letter_resolves_on_this_host_like_its_interface() {
        let interfaces = if_addrs::get_if_addrs().unwrap();
        let mut others: Vec<&str> = interfaces
            .iter()
            .filter(|i| !i.is_loopback())
            .map(|i| i.name.as_str())
            .collect();
        others.sort_unstable();
        others.dedup();
        if INTERFACE_LETTERS
            .iter()
            .any(|l| interfaces.iter().any(|i| i.name == *l))
        {
            return; // a Linux name wins over a letter: nothing to compare
        }
        match others.first() {
            Some(first) => {
                assert_eq!(resolve_interface("a").ok(), resolve_interface(first).ok())
            }
            None => assert!(resolve_interface("a").is_err()),
        }
        if let Some(letter) = INTERFACE_LETTERS.get(others.len()) {
            assert!(resolve_interface(letter).is_err());
        }
    }

    #[test]
    fn loopback_interface_resolves_and_unknown_ones_list_the_known() {
        let lo = if_addrs::get_if_addrs()
            .unwrap()
            .into_iter()
            .find(|i| i.is_loopback())
            .expect("a loopback interface");
        assert!(resolve_interface(&lo.name).unwrap().is_loopback());
        let err = resolve_interface("nosuchif0").unwrap_err().to_string();
        assert!(
            err.starts_with("unknown interface 'nosuchif0'; known interfaces: "),
            "{err}"
        );
        assert!(err.contains(&lo.name), "{err}");
    }
}
