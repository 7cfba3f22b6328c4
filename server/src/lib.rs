//! The scheduler's server half: configuration, persistence, sign-in, the web
//! app's backend and the HTTP service.

pub mod address;
pub mod admin;
pub mod auth;
pub mod c2w;
pub mod callbridge;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod jobs;
pub mod mail;
pub mod meetings;
pub mod metrics;
pub mod present;
pub mod recurrence;
pub mod web;

use crate::auth::directory::Directories;
use crate::auth::ldap::LdapDirectory;
use crate::auth::ratelimit::LoginLimiter;
use crate::clock::Clock;
use crate::config::ServeConfig;
use crate::web::AppState;
use app::api::ssr::BackendHandle;
use axum::serve::ListenerExt;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    DatabaseUrl(#[from] config::SecretFileError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the demo account: {0}")]
    Demo(#[from] auth::users::UserError),
    #[error(transparent)]
    Admin(#[from] admin::AdminStartError),
    #[error("the Call Bridge simulator could not start: {0}")]
    Simulator(#[from] callbridge::sim::SimError),
    #[error("bad Call Bridge configuration: {0}")]
    CallBridge(#[from] callbridge::CallBridgeError),
    #[error("bad Call Bridge setting {0}")]
    CallBridgeSetting(#[from] callbridge::setup::SetupError),
    #[error("the demo web bridges could not start: {0}")]
    DemoWebBridges(#[from] demo::DemoBridgeError),
}

/// How often each Call Bridge is asked for its status.
pub const CALLBRIDGE_PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// A built, bound, not yet running scheduler.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    /// Where `/metrics` is served, when it is.
    pub metrics_addr: Option<SocketAddr>,
    router: axum::Router,
    pub addr: SocketAddr,
    pub state: AppState,
    /// The `scheduler` administration: control socket, HTTPS listener.
    pub admin: admin::Admin,
    /// The built-in Call Bridge simulator, when this process runs it.
    pub callbridge_sim: Option<callbridge::sim::SimHandle>,
    /// Demo mode's simulated web bridges (see [`demo::start_web_bridges`]).
    pub web_bridge_sims: Vec<c2w::sim::WebBridgeSim>,
}

impl Application {
    pub async fn build(cfg: ServeConfig, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        admin::check_plain_listen(cfg.listen, cfg.demo)?;
        let db = db::connect(&cfg.database_url()?, &cfg.data_dir).await?;
        if cfg.demo && demo::ensure_demo_user(&db, clock::to_millis(clock.now())).await? {
            tracing::info!("created the demo organizer account");
        }
        let listener =
            TcpListener::bind(cfg.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: cfg.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: cfg.listen,
            source,
        })?;
        let metrics_listener = match cfg.metrics_listen {
            Some(at) => {
                metrics::install();
                Some(
                    TcpListener::bind(at)
                        .await
                        .map_err(|source| StartError::Listen { addr: at, source })?,
                )
            }
            None => None,
        };
        let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());
        // scripts/build.sh names the JS, WASM and CSS by content hash and
        // writes their hashes into the site root (web::assets).
        let hash_file = web::assets::hash_file(std::path::Path::new(&cfg.site_root));
        let leptos_options = LeptosOptions::builder()
            .output_name("cms-scheduler")
            .site_root(cfg.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .hash_files(hash_file.is_some())
            .hash_file(match &hash_file {
                Some(file) => file.display().to_string().into(),
                None => web::assets::HASH_FILE.into(),
            })
            .build();
        let (cb_config, callbridge_sim) = if cfg.uses_simulator() {
            let password = auth::random_token();
            let seed = match &cfg.callbridge_seed {
                Some(file) => callbridge::sim::Seed::from_file(file),
                None => callbridge::sim::Seed::source_document(),
            }
            .map_err(callbridge::sim::SimError::from)?;
            let credentials = callbridge::sim::SimCredentials::new("scheduler", password);
            let sim = match &cfg.callbridge_simulator_tls {
                Some(cert) => {
                    let tls = callbridge::sim::SimTls::from_pem(
                        &cert.chain_pem,
                        &cert.key_pem,
                        &cert.host,
                    )?;
                    callbridge::sim::CallBridgeSim::start_https(
                        SocketAddr::from(([127, 0, 0, 1], 0)),
                        seed,
                        credentials,
                        tls,
                    )
                    .await?
                }
                None => callbridge::sim::CallBridgeSim::start(seed, credentials).await?,
            };
            tracing::info!("Call Bridge simulator listening on {}", sim.base_url);
            let mut cb_config = sim.client_config();
            if let Some(trust) = &cfg.callbridge_trust {
                cb_config.tls = callbridge::TlsOptions::with_trust_bundle_file(trust)?;
            }
            cb_config.resolve = callbridge::setup::resolve_overrides(&cfg.callbridge_resolve)?;
            (cb_config, Some(sim))
        } else {
            let store = admin::config::ConfigStore::new(&cfg.data_dir);
            let stored = store
                .load()
                .map_err(|e| callbridge::setup::SetupError {
                    setting: admin::config::CONFIG_FILE.to_string(),
                    message: e.to_string(),
                })?
                .callbridge;
            let env_password = std::env::var(callbridge::setup::PASSWORD_ENV).ok();
            let cb_config = callbridge::setup::client_config(&cfg, &stored, &store, env_password)?;
            (cb_config, None)
        };
        let web_bridge_sims = match (&callbridge_sim, cfg.demo) {
            (Some(sim), true) => demo::start_web_bridges(&cfg.data_dir, sim).await?,
            _ => Vec::new(),
        };
        let cb = Arc::new(callbridge::CallBridgeClient::new(cb_config)?);
        let mail = Arc::new(mail::Mailer::new(
            db.clone(),
            clock.clone(),
            cfg.data_dir.clone(),
            cfg.demo,
        ));
        mail.set_public_url(
            cfg.public_url
                .as_deref()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or(&format!("http://{addr}")),
        );
        let writer = db::group::GroupWriter::start(&db)
            .await
            .map_err(db::DbError::from)?;
        let meetings = Arc::new(meetings::Meetings {
            db: db.clone(),
            writer,
            clock: clock.clone(),
            cb,
            join_base_url: cfg.join_base_url.clone(),
            mail,
            directory: Default::default(),
            live: Default::default(),
        });
        let admin_slot = Arc::new(std::sync::OnceLock::new());
        let backend = web::backend::SchedulerBackend {
            db: db.clone(),
            meetings: meetings.clone(),
            admin: admin_slot.clone(),
        };
        let state = AppState {
            db: db.clone(),
            leptos_options,
            backend: BackendHandle(Arc::new(backend)),
            directory: Arc::new(Directories::new(
                db,
                LdapDirectory::new(admin::config::ConfigStore::new(&cfg.data_dir)),
                clock.clone(),
            )),
            limiter: Arc::new(LoginLimiter::default()),
            clock,
            secure_cookies: cfg.secure_cookies,
            join_base_url: cfg.join_base_url.clone(),
            meetings,
        };
        let router = web::router(state.clone());
        let admin = admin::Admin::bind(&cfg.data_dir, router.clone(), &state.db).await?;
        let _ = admin_slot.set(admin.handle().downgrade());
        admin.handle().set_callbridge((*state.meetings.cb).clone());
        Ok(Self {
            listener,
            metrics_listener,
            metrics_addr,
            router,
            addr,
            state,
            admin,
            callbridge_sim,
            web_bridge_sims,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let web_bridge_sims = self.web_bridge_sims;
        // The control socket and, when enabled, the HTTPS listener.
        let data_dir = self.admin.socket_path().parent().map(|d| d.to_path_buf());
        let admin = self.admin.start().await;
        // The C2W mesh to the web bridges, when enabled and configured; it
        // follows `scheduler restart` / `enable` / `disable`.
        let (stop_c2w, c2w_stopped) = tokio::sync::watch::channel(false);
        let c2w = data_dir.map(|dir| {
            tokio::spawn(c2w::follow_configuration(
                admin.handle(),
                dir,
                self.state.meetings.clone(),
                c2w_stopped,
            ))
        });
        // The invitation e-mail outbox worker.
        let (stop_mail, mail_stopped) = tokio::sync::watch::channel(false);
        let mail_worker = tokio::spawn(self.state.meetings.mail.clone().run(mail_stopped));
        // The 01:15 GMT cleanup of temporary spaces (one node at a time).
        let node = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let cleanup = tokio::spawn(jobs::cleanup::run_daily(
            self.state.db.clone(),
            self.state.meetings.cb.clone(),
            self.state.clock.clone(),
            node,
        ));
        // Each Call Bridge's state and version, and the first one back in
        // use once it recovers.
        let (stop_probe, probe_stopped) = tokio::sync::watch::channel(false);
        let probe = tokio::spawn(
            (*self.state.meetings.cb)
                .clone()
                .watch(CALLBRIDGE_PROBE_EVERY, probe_stopped),
        );
        // Half-made spaces of a node that died mid-creation.
        let recover = tokio::spawn(jobs::recover::run_periodic(
            self.state.db.clone(),
            self.state.meetings.cb.clone(),
            self.state.clock.clone(),
        ));
        // Prometheus metrics, on their own listener.
        let metrics = self.metrics_listener.map(|listener| {
            let router = web::metrics::router(self.state.clone());
            tokio::spawn(async move {
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!("metrics listener: {e}");
                }
            })
        });
        // TCP_NODELAY: a response whose body follows its head in a second
        // write (every file ServeDir streams) would otherwise wait for the
        // client's delayed ACK, about 40 ms, under Nagle's algorithm.
        let served = axum::serve(
            self.listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            }),
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop_c2w.send(true);
        if let Some(c2w) = c2w {
            if let Err(e) = c2w.await {
                tracing::error!("C2W supervisor task: {e}");
            }
        }
        drop(web_bridge_sims);
        cleanup.abort();
        recover.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        let _ = stop_probe.send(true);
        let _ = probe.await;
        admin.shutdown().await;
        let _ = stop_mail.send(true);
        if let Err(e) = mail_worker.await {
            tracing::error!("mail outbox worker: {e}");
        }
        served
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }
}
