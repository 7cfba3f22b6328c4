//! An in-process Call Bridge simulator: HTTP or HTTPS on a local address,
//! behaving like a CMS on the API the scheduler uses (SPEC §7), with objects
//! in memory, a seed, a strict mode, an inspection and live-call API for
//! tests and runtime fault injection.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use server::callbridge::sim::{CallBridgeSim, Seed, SimCredentials};
//! let sim = CallBridgeSim::start(Seed::source_document()?, SimCredentials::new("api", "pw")).await?;
//! let client = server::callbridge::CallBridgeClient::new(sim.client_config())?;
//! # Ok(()) }
//! ```

pub mod faults;
mod kinds;
mod routes;
pub mod seed;
mod store;

pub use faults::{FaultAction, FaultRule, RequestMatcher};
pub use seed::{Seed, SeedError, SeedObject, DEFAULT_SEED_JSON};
pub use store::{ApiFailure, SimObject, UNKNOWN_PARAMETER};

use super::config::{CallBridgeConfig, Password};
use faults::Faults;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use store::{Origin, Store};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// The API user the simulator accepts.
#[derive(Debug, Clone)]
pub struct SimCredentials {
    pub username: String,
    pub password: Password,
}

impl SimCredentials {
    pub fn new(username: impl Into<String>, password: impl Into<Password>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// HTTPS for the simulator: the certificate chain and key it serves, and
/// the host name its `base_url` uses (one the certificate names).
#[derive(Clone)]
pub struct SimTls {
    config: Arc<rustls::ServerConfig>,
    host: String,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTls").field("host", &self.host).finish()
    }
}

impl SimTls {
    /// From a PEM certificate chain (leaf first) and its PEM private key.
    pub fn from_pem(chain_pem: &str, key_pem: &str, host: &str) -> Result<Self, SimError> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |e: &dyn std::fmt::Display| SimError::Tls(e.to_string());
        let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        if chain.is_empty() {
            return Err(SimError::Tls("no certificate in the chain".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| bad(&e))?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(&e))?;
        Ok(Self {
            config: Arc::new(config),
            host: host.to_string(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("the simulator cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the simulator's TLS setup failed: {0}")]
    Tls(String),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("the simulator refused: HTTP {} {:?}", .0.status, .0.detail)]
    Refused(ApiFailure),
}

/// How one request ended, for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    Status(u16),
    /// The connection was closed without an answer (fault injection).
    Dropped,
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub outcome: RequestOutcome,
}

pub(crate) struct Shared {
    /// Shared by the nodes of a simulated cluster (one database).
    store: Arc<Mutex<Store>>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RequestRecord>>,
    credentials: SimCredentials,
}

/// Locks, ignoring poisoning (a panicking test must not wedge the others).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts simulators.
pub struct CallBridgeSim;

impl CallBridgeSim {
    /// Starts on `127.0.0.1`, on a free port.
    pub async fn start(seed: Seed, credentials: SimCredentials) -> Result<SimHandle, SimError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), seed, credentials).await
    }

    /// Starts on `addr` (e.g. a fixed port for a demo).
    pub async fn start_on(
        addr: SocketAddr,
        seed: Seed,
        credentials: SimCredentials,
    ) -> Result<SimHandle, SimError> {
        Self::listen(addr, seed, credentials, None).await
    }

    /// Starts on `addr` serving HTTPS only; `base_url` is
    /// `https://<tls host>:<port>`.
    pub async fn start_https(
        addr: SocketAddr,
        seed: Seed,
        credentials: SimCredentials,
        tls: SimTls,
    ) -> Result<SimHandle, SimError> {
        Self::listen(addr, seed, credentials, Some(tls)).await
    }

    async fn listen(
        addr: SocketAddr,
        seed: Seed,
        credentials: SimCredentials,
        tls: Option<SimTls>,
    ) -> Result<SimHandle, SimError> {
        let mut store = Store::default();
        seed.load_into(&mut store)?;
        Self::serve(addr, Arc::new(Mutex::new(store)), credentials, tls).await
    }

    async fn serve(
        addr: SocketAddr,
        store: Arc<Mutex<Store>>,
        credentials: SimCredentials,
        tls: Option<SimTls>,
    ) -> Result<SimHandle, SimError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let shared = Arc::new(Shared {
            store,
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(Vec::new()),
            credentials: credentials.clone(),
        });
        let router = routes::router(shared.clone());
        let (shutdown, stopped) = watch::channel(false);
        let base_url = match &tls {
            Some(t) => format!("https://{}:{}", t.host, local.port()),
            None => format!("http://{local}"),
        };
        let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.config));
        tokio::spawn(accept_loop(
            listener,
            acceptor,
            shared.clone(),
            router,
            stopped,
        ));
        tracing::info!(target: "callbridge::sim", url = %base_url, "Call Bridge simulator listening");
        Ok(SimHandle {
            base_url,
            addr: local,
            credentials,
            shared,
            shutdown,
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (shared, router, stopped) = (shared.clone(), router.clone(), stopped.clone());
                    match tls.clone() {
                        None => {
                            tokio::spawn(serve_connection(stream, shared, router, stopped));
                        }
                        Some(acceptor) => {
                            tokio::spawn(async move {
                                match acceptor.accept(stream).await {
                                    Ok(tls) => serve_connection(tls, shared, router, stopped).await,
                                    Err(e) => tracing::debug!(target: "callbridge::sim", error = %e, "TLS handshake failed"),
                                }
                            });
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(target: "callbridge::sim", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = stopped.changed() => break,
        }
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct HangUp;

impl std::fmt::Display for HangUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for HangUp {}

async fn serve_connection<S>(
    stream: S,
    shared: Arc<Shared>,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        serve_request(shared.clone(), router.clone(), req)
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

async fn serve_request(
    shared: Arc<Shared>,
    router: axum::Router,
    req: hyper::Request<Incoming>,
) -> Result<axum::response::Response, HangUp> {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let record = |outcome: RequestOutcome| {
        lock(&shared.requests).push(RequestRecord {
            method: method.to_string(),
            path: path.clone(),
            outcome,
        });
    };
    let (delay, actions) = {
        let mut f = lock(&shared.faults);
        (f.delay, f.on_request(&method, &path))
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut after = Vec::new();
    for action in actions {
        match action {
            FaultAction::Delay(d) => tokio::time::sleep(d).await,
            FaultAction::Busy => {
                record(RequestOutcome::Status(503));
                return Ok(routes::status_only(503));
            }
            FaultAction::Status(s) => {
                record(RequestOutcome::Status(s));
                return Ok(routes::status_only(s));
            }
            FaultAction::Drop => {
                record(RequestOutcome::Dropped);
                return Err(HangUp);
            }
            a @ (FaultAction::DropAfterProcessing | FaultAction::DelayAfterProcessing(_)) => {
                after.push(a)
            }
        }
    }
    let response = match router.oneshot(req.map(axum::body::Body::new)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    // Recorded before any late delay, so tests see the effect at once.
    let drop_it = after.contains(&FaultAction::DropAfterProcessing);
    record(if drop_it {
        RequestOutcome::Dropped
    } else {
        RequestOutcome::Status(response.status().as_u16())
    });
    for action in after {
        if let FaultAction::DelayAfterProcessing(d) = action {
            tokio::time::sleep(d).await;
        }
    }
    if drop_it {
        return Err(HangUp);
    }
    Ok(response)
}

/// A running simulator. Dropping it stops it.
pub struct SimHandle {
    /// `http://127.0.0.1:<port>`, or `https://<host>:<port>`.
    pub base_url: String,
    pub addr: SocketAddr,
    credentials: SimCredentials,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl SimHandle {
    /// A client configuration for this simulator (its URL and credentials).
    pub fn client_config(&self) -> CallBridgeConfig {
        CallBridgeConfig::new(
            self.base_url.clone(),
            self.credentials.username.clone(),
            self.credentials.password.clone(),
        )
    }

    /// Another Call Bridge of the same cluster: its own listener (on a
    /// free loopback port), faults and request log, the same objects (a CMS
    /// cluster's Call Bridges share one database), the same API user.
    pub async fn start_node(&self, tls: Option<SimTls>) -> Result<SimHandle, SimError> {
        CallBridgeSim::serve(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            self.shared.store.clone(),
            self.credentials.clone(),
            tls,
        )
        .await
    }

    /// Stops accepting and closes idle connections.
    pub fn stop(self) {
        drop(self)
    }

    // ---- inspection ------------------------------------------------------------

    /// Every object of a collection (`coSpaces`, `accessMethods`,
    /// `coSpaceUsers`, `calls`, `callLegs`, `participants`, `webBridges`,
    /// `users`, `userCoSpaceTemplates`, `coSpaceTemplates`,
    /// `accessMethodTemplates`, `callProfiles`, `callLegProfiles`).
    pub fn objects(&self, collection: &str) -> Vec<SimObject> {
        lock(&self.shared.store).all(collection)
    }

    pub fn cospaces(&self) -> Vec<SimObject> {
        self.objects("coSpaces")
    }

    /// The access methods of one coSpace.
    pub fn access_methods(&self, cospace_id: &str) -> Vec<SimObject> {
        self.objects("accessMethods")
            .into_iter()
            .filter(|a| a.parent.as_deref() == Some(cospace_id))
            .collect()
    }

    /// The members (`coSpaceUsers`) of one coSpace.
    pub fn cospace_users(&self, cospace_id: &str) -> Vec<SimObject> {
        self.objects("coSpaceUsers")
            .into_iter()
            .filter(|a| a.parent.as_deref() == Some(cospace_id))
            .collect()
    }

    /// Every access method of every coSpace.
    pub fn all_access_methods(&self) -> Vec<SimObject> {
        self.objects("accessMethods")
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// The most objects a list page holds (default 10), whatever `limit` asks.
    pub fn set_max_page_size(&self, n: usize) {
        lock(&self.shared.store).max_page_size = n.max(1);
    }

    /// Strict mode: a parameter the CMS API reference does not document for
    /// the node (in a form or a query) is refused with `parameterError`
    /// `unknownParameter`, where a real Call Bridge may silently ignore it.
    /// Off by default; the test suites turn it on.
    pub fn set_strict(&self, strict: bool) {
        lock(&self.shared.store).strict = strict;
    }

    // ---- live state --------------------------------------------------------------

    /// Makes a coSpace live: an active call appears in `/api/v1/calls`.
    pub fn start_call(&self, cospace_id: &str) -> Result<String, SimError> {
        lock(&self.shared.store)
            .create(
                &kinds::CALLS,
                None,
                &[("coSpace".to_string(), cospace_id.to_string())],
                Origin::Internal,
                None,
            )
            .map_err(SimError::Refused)
    }

    /// Ends an active call (its call legs and participants go with it).
    pub fn end_call(&self, call_id: &str) -> Result<(), SimError> {
        lock(&self.shared.store)
            .delete(&kinds::CALLS, None, call_id, Origin::Internal)
            .map_err(SimError::Refused)
    }

    /// Someone joins an active call: a call leg (`name`, `remoteParty`) and
    /// its participant appear in `/callLegs`, `/participants` and under
    /// `/calls/<id>`. Answers the call leg's id.
    pub fn join_call(
        &self,
        call_id: &str,
        name: &str,
        remote_party: &str,
    ) -> Result<String, SimError> {
        lock(&self.shared.store)
            .create(
                &kinds::CALL_LEGS,
                None,
                &[
                    ("call".to_string(), call_id.to_string()),
                    ("name".to_string(), name.to_string()),
                    ("remoteParty".to_string(), remote_party.to_string()),
                ],
                Origin::Internal,
                None,
            )
            .map_err(SimError::Refused)
    }

    /// A participant hangs up: its call leg (and participant) go.
    pub fn leave_call(&self, call_leg_id: &str) -> Result<(), SimError> {
        lock(&self.shared.store)
            .delete(&kinds::CALL_LEGS, None, call_leg_id, Origin::Internal)
            .map_err(SimError::Refused)
    }

    /// Adds a web bridge (as an administrator would); answers its id.
    pub fn add_web_bridge(&self, url: &str) -> Result<String, SimError> {
        lock(&self.shared.store)
            .create(
                &kinds::WEB_BRIDGES,
                None,
                &[("url".to_string(), url.to_string())],
                Origin::Internal,
                None,
            )
            .map_err(SimError::Refused)
    }

    pub fn remove_web_bridge(&self, id: &str) -> Result<(), SimError> {
        lock(&self.shared.store)
            .delete(&kinds::WEB_BRIDGES, None, id, Origin::Internal)
            .map_err(SimError::Refused)
    }

    // ---- fault injection -----------------------------------------------------------

    /// Delays every request by `delay` before processing it (`None`: no delay).
    pub fn set_delay(&self, delay: Option<Duration>) {
        lock(&self.shared.faults).delay = delay;
    }

    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.shared.faults).add(rule);
    }

    /// Answers 503 to the next `n` requests matching `matcher`.
    pub fn busy_next(&self, n: u32, matcher: RequestMatcher) {
        self.add_fault(FaultRule::next(n, matcher, FaultAction::Busy));
    }

    /// Closes the connection without answering the next `n` matching requests.
    pub fn drop_next(&self, n: u32, matcher: RequestMatcher) {
        self.add_fault(FaultRule::next(n, matcher, FaultAction::Drop));
    }

    /// Applies `action` to the `nth` request matching `matcher` from now on.
    pub fn fail_nth(&self, nth: u32, matcher: RequestMatcher, action: FaultAction) {
        self.add_fault(FaultRule::nth(nth, matcher, action));
    }

    /// Removes every fault rule and the delay.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Fault rules not yet used up.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.faults).pending()
    }
}
