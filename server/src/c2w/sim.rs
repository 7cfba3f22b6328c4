//! A web bridge's C2W endpoint, for demos and tests: a WebSocket server over
//! TLS on its own port with its own certificate, requiring a client
//! certificate from its trust bundle, that sends its guid on connect,
//! answers heartbeats, and relays requests of its "web-app users" to the
//! connected scheduler(s).
//!
//! A simulator can be stopped and started again on the same port.

use super::protocol::{Envelope, Message, RelayError, RelayedUser};
use futures_util::{SinkExt, StreamExt};
use rustls::ServerConfig;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, thiserror::Error)]
pub enum WebBridgeSimError {
    #[error("the web bridge simulator cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("no scheduler is connected to this web bridge")]
    NoScheduler,
    #[error("the scheduler did not answer in time")]
    Timeout,
    #[error("the C2W connection closed before the answer")]
    Closed,
}

/// The answer a relayed request got.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayAnswer {
    pub ok: bool,
    pub result: Option<Value>,
    pub error: Option<RelayError>,
}

#[derive(Default)]
struct Shared {
    sessions: Mutex<HashMap<u64, mpsc::Sender<Envelope>>>,
    pending: Mutex<HashMap<String, oneshot::Sender<RelayAnswer>>>,
    refusals: Mutex<Vec<String>>,
    pushes: Mutex<Vec<(String, Value)>>,
    next_id: AtomicU64,
    connections: AtomicU64,
    heartbeats: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A simulated web bridge.
pub struct WebBridgeSim {
    pub addr: SocketAddr,
    pub guid: String,
    tls: Arc<ServerConfig>,
    shared: Arc<Shared>,
    shutdown: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WebBridgeSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebBridgeSim")
            .field("addr", &self.addr)
            .field("guid", &self.guid)
            .finish()
    }
}

impl WebBridgeSim {
    /// Starts on `127.0.0.1`, on a free port, with a new guid.
    pub async fn start(tls: Arc<ServerConfig>) -> Result<Self, WebBridgeSimError> {
        Self::start_on(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            tls,
            uuid::Uuid::new_v4().to_string(),
        )
        .await
    }

    pub async fn start_on(
        addr: SocketAddr,
        tls: Arc<ServerConfig>,
        guid: String,
    ) -> Result<Self, WebBridgeSimError> {
        let mut sim = Self {
            addr,
            guid,
            tls,
            shared: Arc::new(Shared::default()),
            shutdown: None,
            task: None,
        };
        sim.listen().await?;
        Ok(sim)
    }

    async fn listen(&mut self) -> Result<(), WebBridgeSimError> {
        let addr = self.addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| WebBridgeSimError::Bind { addr, source })?;
        self.addr = listener
            .local_addr()
            .map_err(|source| WebBridgeSimError::Bind { addr, source })?;
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(
            listener,
            TlsAcceptor::from(self.tls.clone()),
            self.guid.clone(),
            self.addr,
            self.shared.clone(),
            rx,
        ));
        self.shutdown = Some(tx);
        self.task = Some(task);
        tracing::info!(target: "c2w::sim", "webbridge simulator {} listening (guid {})", self.addr, self.guid);
        Ok(())
    }

    /// `https://127.0.0.1:<port>`, as the Call Bridge API lists it.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Closes the port and every C2W connection.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // Sessions see the shutdown signal and close; wait until they did.
        for _ in 0..200 {
            if lock(&self.shared.sessions).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Starts again on the same port, with the same guid.
    pub async fn restart(&mut self) -> Result<(), WebBridgeSimError> {
        self.stop().await;
        self.listen().await
    }

    /// How many schedulers are connected now.
    pub fn connected(&self) -> usize {
        lock(&self.shared.sessions).len()
    }

    /// How many C2W connections were accepted in all.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Heartbeats received from schedulers.
    pub fn heartbeats(&self) -> u64 {
        self.shared.heartbeats.load(Ordering::Relaxed)
    }

    /// Why connections were refused (TLS errors), in order.
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.shared.refusals).clone()
    }

    /// The pushes received: (event, data).
    pub fn pushes(&self) -> Vec<(String, Value)> {
        lock(&self.shared.pushes).clone()
    }

    /// Relays a request of a signed-in web-app user to a connected
    /// scheduler and waits for its answer.
    pub async fn relay(
        &self,
        user: RelayedUser,
        op: &str,
        params: Value,
        wait: Duration,
    ) -> Result<RelayAnswer, WebBridgeSimError> {
        let session = lock(&self.shared.sessions)
            .values()
            .next()
            .cloned()
            .ok_or(WebBridgeSimError::NoScheduler)?;
        let id = format!("r{}", self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.pending).insert(id.clone(), tx);
        let sent = session
            .send(Envelope::new(Message::Request {
                id: id.clone(),
                user,
                op: op.to_string(),
                params,
            }))
            .await;
        if sent.is_err() {
            lock(&self.shared.pending).remove(&id);
            return Err(WebBridgeSimError::Closed);
        }
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(WebBridgeSimError::Closed),
            Err(_) => {
                lock(&self.shared.pending).remove(&id);
                Err(WebBridgeSimError::Timeout)
            }
        }
    }
}

impl Drop for WebBridgeSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    guid: String,
    me: SocketAddr,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(serve(
                        stream,
                        peer,
                        acceptor.clone(),
                        guid.clone(),
                        me,
                        shared.clone(),
                        stopped.clone(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(target: "c2w::sim", "webbridge {me}: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = stopped.changed() => break,
        }
    }
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    guid: String,
    me: SocketAddr,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let refuse = |why: String| {
        tracing::warn!(target: "c2w::sim", "webbridge {me}: refused C2W connection from {peer}: {why}");
        lock(&shared.refusals).push(why);
    };
    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return refuse(format!("TLS handshake failed: {e}")),
        Err(_) => return refuse("TLS handshake timed out".into()),
    };
    let ws = match tokio_tungstenite::accept_async(tls).await {
        Ok(ws) => ws,
        Err(e) => return refuse(format!("WebSocket handshake failed: {e}")),
    };
    shared.connections.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = ws.split();
    let hello = Envelope::new(Message::Hello { guid });
    if sink.send(WsMessage::text(hello.to_text())).await.is_err() {
        return;
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel::<Envelope>(64);
    lock(&shared.sessions).insert(id, tx);
    loop {
        let out = tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(WsMessage::Text(t))) => match Envelope::parse(t.as_str()) {
                    Ok(env) => on_message(&shared, env.msg),
                    Err(e) => {
                        tracing::warn!(target: "c2w::sim", "webbridge {me}: bad frame: {e}");
                        None
                    }
                },
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => None,
            },
            Some(env) = rx.recv() => Some(env),
            _ = stopped.changed() => {
                let _ = sink.send(WsMessage::Close(None)).await;
                break;
            }
        };
        if let Some(env) = out {
            if sink.send(WsMessage::text(env.to_text())).await.is_err() {
                break;
            }
        }
    }
    lock(&shared.sessions).remove(&id);
}

fn on_message(shared: &Shared, msg: Message) -> Option<Envelope> {
    match msg {
        Message::Heartbeat { seq } => {
            shared.heartbeats.fetch_add(1, Ordering::Relaxed);
            Some(Envelope::new(Message::HeartbeatAck { seq }))
        }
        Message::Response {
            id,
            ok,
            result,
            error,
        } => {
            if let Some(tx) = lock(&shared.pending).remove(&id) {
                let _ = tx.send(RelayAnswer { ok, result, error });
            }
            None
        }
        Message::Push { event, data } => {
            lock(&shared.pushes).push((event, data));
            None
        }
        _ => None,
    }
}
