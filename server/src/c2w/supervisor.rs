//! The C2W supervisor: one link per web bridge the Call Bridge API lists.

use super::protocol::{Envelope, Message, RelayHandler};
use super::state::C2wState;
use super::tls::{self, C2wTls};
use super::C2wError;
use crate::callbridge::CallBridgeClient;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Timers of the supervisor and its links.
#[derive(Debug, Clone)]
pub struct C2wOptions {
    /// How often a heartbeat is sent on an UP link.
    pub heartbeat_interval: Duration,
    /// A link that received nothing for this long is DOWN.
    pub heartbeat_timeout: Duration,
    /// TCP connect, TLS and WebSocket handshakes, and the bridge's hello.
    pub connect_timeout: Duration,
    /// The first reconnect delay; doubled at each failure up to `backoff_max`,
    /// then jittered (a random delay between half and all of it).
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// How often the web bridge list is fetched again.
    pub refresh_interval: Duration,
    /// This node's name, sent in `hello.ack`.
    pub node: String,
}

impl Default for C2wOptions {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(10),
            heartbeat_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            refresh_interval: Duration::from_secs(60),
            node: uuid::Uuid::new_v4().to_string(),
        }
    }
}

struct Inner {
    cb: Arc<CallBridgeClient>,
    tls: C2wTls,
    handler: Arc<dyn RelayHandler>,
    opts: C2wOptions,
    state: Arc<C2wState>,
    pushes: broadcast::Sender<Envelope>,
}

/// A supervisor not yet started.
pub struct C2wSupervisor {
    inner: Arc<Inner>,
}

/// A running supervisor. Dropping it stops every link.
pub struct SupervisorHandle {
    inner: Arc<Inner>,
    refresh: Arc<Notify>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl C2wSupervisor {
    pub fn new(
        cb: Arc<CallBridgeClient>,
        tls: C2wTls,
        handler: Arc<dyn RelayHandler>,
        opts: C2wOptions,
    ) -> Self {
        let (pushes, _) = broadcast::channel(256);
        Self {
            inner: Arc::new(Inner {
                cb,
                tls,
                handler,
                opts,
                state: Arc::new(C2wState::default()),
                pushes,
            }),
        }
    }

    pub fn start(self) -> SupervisorHandle {
        let refresh = Arc::new(Notify::new());
        let (shutdown, stopped) = watch::channel(false);
        let task = tokio::spawn(supervise(self.inner.clone(), refresh.clone(), stopped));
        SupervisorHandle {
            inner: self.inner,
            refresh,
            shutdown,
            task: Some(task),
        }
    }
}

impl SupervisorHandle {
    pub fn state(&self) -> Arc<C2wState> {
        self.inner.state.clone()
    }

    /// Fetches the web bridge list now rather than at the next period.
    pub fn refresh_now(&self) {
        self.refresh.notify_one();
    }

    /// Sends a `push` to every UP web bridge.
    pub fn push(&self, event: &str, data: Value) {
        let _ = self.inner.pushes.send(Envelope::new(Message::Push {
            event: event.to_string(),
            data,
        }));
    }

    /// Stops every link and the supervisor.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SupervisorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Aborts the link tasks it holds when dropped (also when the supervisor
/// task is aborted).
#[derive(Default)]
struct Links(BTreeMap<String, JoinHandle<()>>);

impl Drop for Links {
    fn drop(&mut self) {
        for task in self.0.values() {
            task.abort();
        }
    }
}

async fn supervise(inner: Arc<Inner>, refresh: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
    let mut links = Links::default();
    let mut first = true;
    loop {
        refresh_links(&inner, &mut links, first).await;
        first = false;
        tokio::select! {
            _ = tokio::time::sleep(inner.opts.refresh_interval) => {}
            _ = refresh.notified() => {}
            _ = stopped.changed() => break,
        }
    }
    for (addr, task) in std::mem::take(&mut links.0) {
        task.abort();
        let _ = task.await;
        inner.state.remove(&addr);
    }
}

async fn refresh_links(inner: &Arc<Inner>, links: &mut Links, first: bool) {
    let list = match inner.cb.web_bridges().await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(target: "c2w", "C2WSupervisor - getWebBridges failed: {e}");
            return;
        }
    };
    let mut wanted = BTreeMap::new();
    for wb in &list {
        match wb.address() {
            Some(addr) => {
                wanted.insert(addr, wb.id.clone());
            }
            None => tracing::warn!(
                target: "c2w",
                "C2WSupervisor - webBridge {} has no usable url ({:?}); skipped",
                wb.id,
                wb.url
            ),
        }
    }
    let added: Vec<(String, String)> = wanted
        .iter()
        .filter(|(addr, _)| !links.0.contains_key(*addr))
        .map(|(a, i)| (a.clone(), i.clone()))
        .collect();
    let removed: Vec<String> = links
        .0
        .keys()
        .filter(|addr| !wanted.contains_key(*addr))
        .cloned()
        .collect();
    if first || !added.is_empty() || !removed.is_empty() {
        tracing::info!(target: "c2w", "C2WSupervisor - getWebBridges - totalCount={}", list.len());
        tracing::info!(target: "c2w", "C2WSupervisor - getWebBridges - added={}", added.len());
    } else {
        tracing::debug!(target: "c2w", "C2WSupervisor - getWebBridges - totalCount={}", list.len());
    }
    if !removed.is_empty() {
        tracing::info!(target: "c2w", "C2WSupervisor - getWebBridges - removed={}", removed.len());
    }
    for addr in removed {
        if let Some(task) = links.0.remove(&addr) {
            task.abort();
            let _ = task.await;
        }
        inner.state.remove(&addr);
        tracing::info!(target: "c2w", "C2WSupervisor - C2W connection for webbridge {addr} removed");
    }
    for (addr, id) in added {
        inner.state.insert(&id, &addr);
        let task = tokio::spawn(link(inner.clone(), addr.clone()));
        links.0.insert(addr, task);
    }
}

/// The reconnect delay after `failures` consecutive failures: exponential,
/// capped, with "equal jitter" (between half and all of it).
pub fn backoff(opts: &C2wOptions, failures: u32) -> Duration {
    let base = opts
        .backoff_initial
        .saturating_mul(1u32 << failures.min(20))
        .min(opts.backoff_max);
    let half = base / 2;
    let jitter = rand::thread_rng().gen_range(0..=half.as_millis().max(1) as u64);
    half + Duration::from_millis(jitter)
}

/// Keeps one web bridge's link up until aborted.
async fn link(inner: Arc<Inner>, addr: String) {
    let mut failures = 0u32;
    loop {
        tracing::info!(target: "c2w", "C2WService - Connecting to webBridge={addr}");
        let (went_up, error) = session(&inner, &addr).await;
        let was_up = inner.state.set_down(&addr, Some(error.to_string()));
        if was_up {
            tracing::warn!(
                target: "c2w",
                "C2WSupervisor - C2W connection for webbridge {addr} DOWN: {error}"
            );
            crate::metrics::c2w_link_change("down");
            crate::metrics::c2w_links(inner.state.up_count(), inner.state.snapshot().len());
        } else {
            tracing::warn!(target: "c2w", "C2WService - webBridge={addr}: {error}");
        }
        if went_up {
            failures = 0;
        }
        let delay = backoff(&inner.opts, failures);
        failures = failures.saturating_add(1);
        tracing::debug!(target: "c2w", "C2WService - webBridge={addr}: reconnecting in {delay:?}");
        tokio::time::sleep(delay).await;
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

/// The largest C2W message or frame taken from a web bridge.
pub const MAX_MESSAGE: usize = 1 << 20;

/// A link carries small JSON control messages: a small read buffer (the
/// default, 128 KiB, is held by every one of the links a node keeps, one
/// per web bridge), each message written at once, and a bound on what a
/// web bridge may send.
fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

async fn connect(inner: &Inner, addr: &str) -> Result<Ws, C2wError> {
    let t = inner.opts.connect_timeout;
    let name = tls::server_name(addr).ok_or_else(|| C2wError::Address(addr.to_string()))?;
    let tcp = timeout(t, TcpStream::connect(addr))
        .await
        .map_err(|_| C2wError::Timeout(addr.to_string()))?
        .map_err(|source| C2wError::Connect {
            addr: addr.to_string(),
            source,
        })?;
    let _ = tcp.set_nodelay(true);
    let stream = timeout(
        t,
        TlsConnector::from(inner.tls.client.clone()).connect(name, tcp),
    )
    .await
    .map_err(|_| C2wError::Timeout(addr.to_string()))?
    .map_err(|source| C2wError::Handshake {
        addr: addr.to_string(),
        source,
    })?;
    let (ws, _) = timeout(
        t,
        tokio_tungstenite::client_async_with_config(
            format!("wss://{addr}/c2w"),
            stream,
            Some(ws_config()),
        ),
    )
    .await
    .map_err(|_| C2wError::Timeout(addr.to_string()))?
    .map_err(|e| C2wError::WebSocket {
        addr: addr.to_string(),
        source: Box::new(e),
    })?;
    Ok(ws)
}

fn protocol(addr: &str, message: impl Into<String>) -> C2wError {
    C2wError::Protocol {
        addr: addr.to_string(),
        message: message.into(),
    }
}

/// One connection: answers whether it came UP, and why it ended.
async fn session(inner: &Arc<Inner>, addr: &str) -> (bool, C2wError) {
    let ws = match connect(inner, addr).await {
        Ok(ws) => ws,
        Err(e) => return (false, e),
    };
    let (mut sink, mut stream) = ws.split();
    // The bridge speaks first: its guid.
    let guid = match timeout(inner.opts.connect_timeout, stream.next()).await {
        Err(_) => return (false, C2wError::Timeout(addr.to_string())),
        Ok(None) => return (false, protocol(addr, "closed before hello")),
        Ok(Some(Err(e))) => {
            return (
                false,
                C2wError::WebSocket {
                    addr: addr.to_string(),
                    source: Box::new(e),
                },
            )
        }
        Ok(Some(Ok(WsMessage::Text(text)))) => match Envelope::parse(text.as_str()) {
            Ok(Envelope {
                msg: Message::Hello { guid },
                ..
            }) if uuid::Uuid::parse_str(&guid).is_ok() => guid,
            _ => {
                return (
                    false,
                    protocol(addr, "the first frame is not a hello with a guid"),
                )
            }
        },
        Ok(Some(Ok(_))) => return (false, protocol(addr, "the first frame is not text")),
    };
    tracing::info!(target: "c2w", "C2WService - Received guid {guid} from webbridge {addr}");
    let greeting = [
        Message::HelloAck {
            node: inner.opts.node.clone(),
        },
        Message::SchedulingAvailable { available: true },
    ];
    for msg in greeting {
        if let Err(e) = sink.send(text(Envelope::new(msg))).await {
            return (
                false,
                C2wError::WebSocket {
                    addr: addr.to_string(),
                    source: Box::new(e),
                },
            );
        }
    }
    inner.state.set_up(addr, &guid);
    tracing::info!(target: "c2w", "C2WSupervisor - C2W connection for webbridge {addr} UP");
    crate::metrics::c2w_link_change("up");
    crate::metrics::c2w_links(inner.state.up_count(), inner.state.snapshot().len());
    (true, run_up(inner, addr, sink, stream).await)
}

fn text(e: Envelope) -> WsMessage {
    WsMessage::text(e.to_text())
}

async fn run_up(
    inner: &Arc<Inner>,
    addr: &str,
    mut sink: futures_util::stream::SplitSink<Ws, WsMessage>,
    mut stream: futures_util::stream::SplitStream<Ws>,
) -> C2wError {
    let mut pushes = inner.pushes.subscribe();
    let (out_tx, mut out_rx) = mpsc::channel::<Envelope>(64);
    let mut heartbeat = tokio::time::interval(inner.opts.heartbeat_interval);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    heartbeat.tick().await;
    let mut last_rx = Instant::now();
    let mut seq = 0u64;
    let ws_err = |e| C2wError::WebSocket {
        addr: addr.to_string(),
        source: Box::new(e),
    };
    loop {
        let outgoing = tokio::select! {
            frame = stream.next() => {
                last_rx = Instant::now();
                match frame {
                    None => return protocol(addr, "connection closed"),
                    Some(Err(e)) => return ws_err(e),
                    Some(Ok(WsMessage::Close(_))) => return protocol(addr, "closed by the web bridge"),
                    Some(Ok(WsMessage::Text(t))) => match Envelope::parse(t.as_str()) {
                        Ok(env) => on_message(inner, addr, env.msg, &out_tx),
                        Err(e) => {
                            tracing::warn!(target: "c2w", "C2WService - webBridge={addr}: bad frame: {e}");
                            None
                        }
                    },
                    Some(Ok(_)) => None,
                }
            }
            _ = heartbeat.tick() => {
                if last_rx.elapsed() > inner.opts.heartbeat_timeout {
                    return C2wError::Timeout(addr.to_string());
                }
                seq += 1;
                Some(Envelope::new(Message::Heartbeat { seq }))
            }
            Some(env) = out_rx.recv() => Some(env),
            push = pushes.recv() => match push {
                Ok(env) => Some(env),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(target: "c2w", "C2WService - webBridge={addr}: {n} pushes dropped");
                    None
                }
                Err(broadcast::error::RecvError::Closed) => None,
            },
        };
        if let Some(env) = outgoing {
            if let Err(e) = sink.send(text(env)).await {
                return ws_err(e);
            }
        }
    }
}

/// Handles one frame from an UP bridge; answers what to send back at once.
fn on_message(
    inner: &Arc<Inner>,
    addr: &str,
    msg: Message,
    out: &mpsc::Sender<Envelope>,
) -> Option<Envelope> {
    match msg {
        Message::Heartbeat { seq } => Some(Envelope::new(Message::HeartbeatAck { seq })),
        Message::HeartbeatAck { .. } => None,
        Message::Request {
            id,
            user,
            op,
            params,
        } => {
            let inner = inner.clone();
            let out = out.clone();
            let addr = addr.to_string();
            tokio::spawn(async move {
                tracing::debug!(target: "c2w", "C2WService - webBridge={addr}: request {id} {op}");
                let answer = inner.handler.handle(&user, &op, params.clone()).await;
                let msg = match answer {
                    Ok(result) => {
                        if let Some(event) = change_event(&op, &params, &result, &user) {
                            let _ = inner.pushes.send(Envelope::new(event));
                        }
                        Message::Response {
                            id,
                            ok: true,
                            result: Some(result),
                            error: None,
                        }
                    }
                    Err(error) => Message::Response {
                        id,
                        ok: false,
                        result: None,
                        error: Some(error),
                    },
                };
                let _ = out.send(Envelope::new(msg)).await;
            });
            None
        }
        other => {
            tracing::debug!(target: "c2w", "C2WService - webBridge={addr}: ignored {other:?}");
            None
        }
    }
}

/// The push that follows a successful change.
fn change_event(
    op: &str,
    params: &Value,
    result: &Value,
    user: &super::protocol::RelayedUser,
) -> Option<Message> {
    let kind = match op {
        "meetings.create" => "created",
        "meetings.update" => "updated",
        "meetings.delete" => "deleted",
        _ => return None,
    };
    let id = result
        .get("id")
        .or_else(|| params.get("id"))
        .cloned()
        .unwrap_or(Value::Null);
    Some(Message::Push {
        event: "meetings.changed".into(),
        data: json!({ "change": kind, "id": id, "user": user }),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let opts = C2wOptions {
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            ..C2wOptions::default()
        };
        for _ in 0..50 {
            let d0 = backoff(&opts, 0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d3 = backoff(&opts, 3);
            assert!(d3 >= Duration::from_millis(400) && d3 <= Duration::from_millis(800));
            let d30 = backoff(&opts, 30);
            assert!(d30 >= Duration::from_millis(500) && d30 <= Duration::from_millis(1000));
        }
    }
}
