//! The running service's side of the administration: the control socket,
//! the HTTPS listener, timed logging and the status report.
//!
//! [`Admin::bind`] (called by `Application::build`) sets up the control
//! socket; [`Admin::start`] (called by `Application::run_until`) serves it,
//! reads `scheduler.json` and applies it; [`RunningAdmin::shutdown`] stops
//! everything and removes the socket.

use super::config::{ConfigStore, SchedulerConfig};
use super::control::{
    C2wStatus, HttpsStatus, Request, Response, ServiceStatus, TimedLogEntry, MAX_LINE,
};
use super::https::{bind_addr, tls_config, HttpsServer};
use super::logging::{LogReload, TimedLogging};
use super::{AdminStartError, CONTROL_SOCKET};
use crate::db::Db;
use axum::Router;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many C2W links to web bridges are up, of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebBridgeCounts {
    pub up: usize,
    pub total: usize,
}

/// One C2W link as `scheduler status` and the administrator page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebBridgeLink {
    /// `host:port` of the web bridge.
    pub address: String,
    pub up: bool,
    /// The guid the bridge sent on its last connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// When the link last went UP or DOWN (or was first seen).
    pub since: chrono::DateTime<Utc>,
    /// Why the last attempt failed or the link went DOWN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How many times the link came UP.
    pub connections: u64,
}

/// The hook through which the C2W supervisor reports its links in
/// `scheduler status` (`C2W configured, N of M web bridges UP`, then one
/// line per web bridge).
pub trait WebBridgeReport: Send + Sync + 'static {
    fn links(&self) -> Vec<WebBridgeLink>;

    fn web_bridges(&self) -> WebBridgeCounts {
        let links = self.links();
        WebBridgeCounts {
            up: links.iter().filter(|l| l.up).count(),
            total: links.len(),
        }
    }
}

/// The administration side of a built, not yet running service.
pub struct Admin {
    inner: Arc<Inner>,
    control: std::os::unix::net::UnixListener,
}

/// A handle on the administration side, for the other parts of the service.
#[derive(Clone)]
pub struct AdminHandle {
    inner: Arc<Inner>,
}

/// An [`AdminHandle`] that does not keep the administration alive: for
/// what the router itself reaches (the pages' backend), since the
/// administration holds the router (a strong handle there would be a cycle
/// that never frees the service, its database pool included).
#[derive(Clone)]
pub struct WeakAdminHandle {
    inner: std::sync::Weak<Inner>,
}

impl WeakAdminHandle {
    /// The handle, while the administration lives.
    pub fn upgrade(&self) -> Option<AdminHandle> {
        self.inner.upgrade().map(|inner| AdminHandle { inner })
    }
}

/// The administration side of a running service.
pub struct RunningAdmin {
    inner: Arc<Inner>,
    tasks: Vec<JoinHandle<()>>,
}

struct Inner {
    store: ConfigStore,
    socket_path: PathBuf,
    socket_ino: u64,
    socket_uid: u32,
    router: Router,
    database_responsive_at_start: bool,
    logging: Arc<TimedLogging>,
    applied: tokio::sync::Mutex<Applied>,
    web_bridges: RwLock<Option<Arc<dyn WebBridgeReport>>>,
    /// The Call Bridge client, whose nodes `scheduler status` lists.
    callbridge: RwLock<Option<crate::callbridge::CallBridgeClient>>,
    /// Bumped each time a configuration has been applied (start, restart,
    /// enable, disable), so other parts (the C2W supervisor) can follow it.
    applied_generation: tokio::sync::watch::Sender<u64>,
}

#[derive(Default)]
struct Applied {
    config: SchedulerConfig,
    config_error: Option<String>,
    https: Option<(SocketAddr, HttpsServer)>,
    https_error: Option<String>,
}

impl Admin {
    /// Sets up the control socket `<data-dir>/control.sock` (a stale one is
    /// removed; a live one means another service runs on this data
    /// directory) and checks the database.
    pub async fn bind(data_dir: &Path, router: Router, db: &Db) -> Result<Self, AdminStartError> {
        let socket_path = data_dir.join(CONTROL_SOCKET);
        let err = |source: std::io::Error| AdminStartError::ControlSocket {
            path: socket_path.display().to_string(),
            source,
        };
        remove_stale_socket(&socket_path)?;
        let control = bind_private(data_dir, &socket_path).map_err(err)?;
        control.set_nonblocking(true).map_err(err)?;
        let meta = std::fs::metadata(&socket_path).map_err(err)?;
        let database_responsive_at_start =
            tokio::time::timeout(Duration::from_secs(5), crate::db::ping(db))
                .await
                .unwrap_or(false);
        Ok(Self {
            inner: Arc::new(Inner {
                store: ConfigStore::new(data_dir),
                socket_path,
                socket_ino: meta.ino(),
                socket_uid: meta.uid(),
                router,
                database_responsive_at_start,
                logging: Arc::new(TimedLogging::default()),
                applied: tokio::sync::Mutex::new(Applied::default()),
                web_bridges: RwLock::new(None),
                callbridge: RwLock::new(None),
                applied_generation: tokio::sync::watch::channel(0).0,
            }),
            control,
        })
    }

    /// Gives the service control of the process's log filter, for
    /// `timedLogging`. Without it, timed logging is recorded but changes
    /// nothing (the status says so).
    pub fn set_log_reload(&self, reload: LogReload) {
        self.inner.logging.set_reload(reload);
    }

    pub fn handle(&self) -> AdminHandle {
        AdminHandle {
            inner: self.inner.clone(),
        }
    }

    pub fn socket_path(&self) -> &Path {
        &self.inner.socket_path
    }

    /// Serves the control socket and applies the stored configuration.
    pub async fn start(self) -> RunningAdmin {
        let inner = self.inner;
        let mut tasks = Vec::new();
        match UnixListener::from_std(self.control) {
            Ok(listener) => tasks.push(tokio::spawn(serve_control(listener, inner.clone()))),
            Err(e) => tracing::error!("the control socket cannot be served: {e}"),
        }
        tasks.push(tokio::spawn(inner.logging.clone().run()));
        let response = inner.restart().await;
        if let Some(e) = response.error {
            tracing::error!("scheduler configuration: {e}");
        }
        RunningAdmin { inner, tasks }
    }
}

impl AdminHandle {
    /// A handle that does not keep the administration alive.
    pub fn downgrade(&self) -> WeakAdminHandle {
        WeakAdminHandle {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Lets `scheduler status` list the Call Bridges this client uses.
    pub fn set_callbridge(&self, client: crate::callbridge::CallBridgeClient) {
        *self
            .inner
            .callbridge
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(client);
    }

    /// Lets the C2W supervisor report its links in `scheduler status`.
    pub fn set_web_bridge_report(&self, report: Arc<dyn WebBridgeReport>) {
        *self
            .inner
            .web_bridges
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(report);
    }

    /// The C2W supervisor stopped: `scheduler status` no longer lists links.
    pub fn clear_web_bridge_report(&self) {
        *self
            .inner
            .web_bridges
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub async fn status(&self) -> ServiceStatus {
        self.inner.status().await
    }

    /// The configuration in force.
    pub async fn config(&self) -> SchedulerConfig {
        self.inner.applied.lock().await.config.clone()
    }

    /// Changes each time a configuration has been applied.
    pub fn config_applied(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.applied_generation.subscribe()
    }
}

impl RunningAdmin {
    pub fn handle(&self) -> AdminHandle {
        AdminHandle {
            inner: self.inner.clone(),
        }
    }

    /// Stops the HTTPS listener and the control socket.
    pub async fn shutdown(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        let https = self.inner.applied.lock().await.https.take();
        if let Some((_, server)) = https {
            server.stop().await;
        }
        self.inner.remove_socket();
    }
}

impl Drop for RunningAdmin {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Removes `path` if it is a socket nobody answers on.
fn remove_stale_socket(path: &Path) -> Result<(), AdminStartError> {
    let err = |source: std::io::Error| AdminStartError::ControlSocket {
        path: path.display().to_string(),
        source,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(e)),
    };
    if !meta.file_type().is_socket() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "exists and is not a socket",
        )));
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(AdminStartError::AlreadyRunning(path.display().to_string()));
    }
    std::fs::remove_file(path).map_err(err)
}

/// Binds the socket in a fresh private directory, makes it 0600, then
/// moves it into place, so that nobody else can connect in between.
fn bind_private(data_dir: &Path, path: &Path) -> std::io::Result<std::os::unix::net::UnixListener> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let private = data_dir.join(format!(
        ".ctl{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&private);
    std::fs::DirBuilder::new().mode(0o700).create(&private)?;
    let temp = private.join("s");
    let result = (|| {
        let listener = std::os::unix::net::UnixListener::bind(&temp)?;
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&temp, path)?;
        Ok(listener)
    })();
    let _ = std::fs::remove_file(&temp);
    let _ = std::fs::remove_dir(&private);
    result
}

async fn serve_control(listener: UnixListener, inner: Arc<Inner>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let inner = inner.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle_connection(stream, &inner).await {
                        tracing::debug!("control connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::error!("control socket accept error: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn handle_connection(stream: UnixStream, inner: &Inner) -> std::io::Result<()> {
    // Only the socket's owner (or root) may talk to the service, whatever
    // the file's permissions have become.
    let peer = stream.peer_cred()?;
    if peer.uid() != inner.socket_uid && peer.uid() != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("uid {} may not use the control socket", peer.uid()),
        ));
    }
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(16 * MAX_LINE));
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(IDLE_TIMEOUT, reader.read_line(&mut line))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
        if n == 0 {
            return Ok(());
        }
        let response = if line.len() as u64 > MAX_LINE || !line.ends_with('\n') {
            Response {
                ok: false,
                error: Some("request line too long or not terminated".into()),
                status: None,
            }
        } else {
            match serde_json::from_str::<Request>(line.trim_end()) {
                Ok(req) => inner.handle(req).await,
                Err(e) => Response {
                    ok: false,
                    error: Some(format!("bad request: {e}")),
                    status: None,
                },
            }
        };
        let mut out = serde_json::to_string(&response).map_err(std::io::Error::other)?;
        out.push('\n');
        write.write_all(out.as_bytes()).await?;
        write.flush().await?;
        if !response.ok && response.status.is_none() {
            return Ok(());
        }
    }
}

impl Inner {
    async fn handle(&self, req: Request) -> Response {
        match req {
            Request::Status => Response {
                ok: true,
                error: None,
                status: Some(self.status().await),
            },
            Request::Restart => self.restart().await,
            Request::TimedLogging => self.reload_timed_logging().await,
        }
    }

    /// Re-reads the configuration and applies it.
    async fn restart(&self) -> Response {
        let result = match self.store.load() {
            Ok(config) => self.apply(config).await,
            Err(e) => {
                let e = e.to_string();
                self.applied.lock().await.config_error = Some(e.clone());
                Err(e)
            }
        };
        self.respond(result).await
    }

    async fn reload_timed_logging(&self) -> Response {
        let result = match self.store.load() {
            Ok(config) => {
                let mut applied = self.applied.lock().await;
                applied.config.timed_logging = config.timed_logging.clone();
                self.logging
                    .apply(&config.timed_logging, Utc::now())
                    .map_err(|e| format!("cannot change the log filter: {e}"))
            }
            Err(e) => Err(e.to_string()),
        };
        self.respond(result).await
    }

    async fn respond(&self, result: Result<(), String>) -> Response {
        Response {
            ok: result.is_ok(),
            error: result.err(),
            status: Some(self.status().await),
        }
    }

    async fn apply(&self, config: SchedulerConfig) -> Result<(), String> {
        let mut applied = self.applied.lock().await;
        let mut errors = Vec::new();
        if let Err(e) = self.logging.apply(&config.timed_logging, Utc::now()) {
            errors.push(format!("cannot change the log filter: {e}"));
        }
        applied.https_error = None;
        let wanted = match (&config.https.listen, &config.https.certs) {
            (Some(listen), Some(certs)) if config.enabled => Some(
                bind_addr(listen)
                    .and_then(|addr| Ok((addr, tls_config(&self.store, certs)?)))
                    .map_err(|e| e.to_string()),
            ),
            _ => None,
        };
        match wanted {
            None => {
                if let Some((_, old)) = applied.https.take() {
                    old.stop().await;
                }
            }
            Some(Err(e)) => {
                if let Some((_, old)) = applied.https.take() {
                    old.stop().await;
                }
                applied.https_error = Some(e);
            }
            Some(Ok((addr, tls))) => match applied.https.take() {
                Some((current, server)) if current == addr => {
                    server.set_tls(tls);
                    tracing::info!("HTTPS certificates reloaded");
                    applied.https = Some((current, server));
                }
                old => {
                    // Bind the new address before letting the old one go;
                    // if the old one holds it, let go first and retry.
                    let router = self.router.clone();
                    match HttpsServer::start(addr, tls.clone(), router.clone()).await {
                        Ok(server) => {
                            if let Some((_, old)) = old {
                                old.stop().await;
                            }
                            applied.https = Some((addr, server));
                        }
                        Err(first) => {
                            let retried = match old {
                                Some((_, old)) => {
                                    old.stop().await;
                                    HttpsServer::start(addr, tls, router).await
                                }
                                None => Err(first),
                            };
                            match retried {
                                Ok(server) => applied.https = Some((addr, server)),
                                Err(e) => applied.https_error = Some(e.to_string()),
                            }
                        }
                    }
                }
            },
        }
        if let Some(e) = &applied.https_error {
            tracing::error!("HTTPS listener: {e}");
            errors.push(format!("HTTPS listener: {e}"));
        }
        applied.config = config;
        applied.config_error = None;
        drop(applied);
        self.applied_generation.send_modify(|g| *g += 1);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    async fn status(&self) -> ServiceStatus {
        let now = Utc::now();
        let applied = self.applied.lock().await;
        let links = self
            .web_bridges
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|r| r.links());
        let web_bridges = links.as_ref().map(|l| WebBridgeCounts {
            up: l.iter().filter(|l| l.up).count(),
            total: l.len(),
        });
        ServiceStatus {
            pid: std::process::id(),
            enabled: applied.config.enabled,
            database_responsive_at_start: self.database_responsive_at_start,
            https: HttpsStatus {
                configured: applied.config.https.is_configured(),
                listening: applied.https.as_ref().map(|(_, s)| s.addr().to_string()),
                error: applied.https_error.clone(),
            },
            c2w: C2wStatus {
                configured: applied.config.c2w.is_configured(),
                web_bridges,
                links: links.unwrap_or_default(),
            },
            email_configured: applied.config.email.server.is_some(),
            timed_logging: self
                .logging
                .snapshot(now)
                .into_iter()
                .map(|(subsystem, until)| TimedLogEntry { subsystem, until })
                .collect(),
            log_control: self.logging.has_control(),
            config_error: applied.config_error.clone(),
            callbridges: self
                .callbridge
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .map(|c| c.nodes())
                .unwrap_or_default(),
        }
    }

    /// Removes the control socket if it is still the one this service made.
    fn remove_socket(&self) {
        if std::fs::symlink_metadata(&self.socket_path).is_ok_and(|m| m.ino() == self.socket_ino) {
            let _ = std::fs::remove_file(&self.socket_path);
        }
    }
}
