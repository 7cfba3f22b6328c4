//! The scheduler's server half: configuration, persistence, sign-in, the web
//! app's backend and the HTTP service.

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod home;
pub mod web;

use crate::auth::directory::LocalDirectory;
use crate::auth::ratelimit::LoginLimiter;
use crate::clock::Clock;
use crate::config::ServeConfig;
use crate::web::AppState;
use app::api::ssr::BackendHandle;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the demo account: {0}")]
    Demo(#[from] auth::users::UserError),
}

/// A built, bound, not yet running scheduler.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub addr: SocketAddr,
    pub state: AppState,
}

impl Application {
    pub async fn build(cfg: ServeConfig, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let db = db::connect(&cfg.database_url(), &cfg.data_dir).await?;
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
        let leptos_options = LeptosOptions::builder()
            .output_name("cms-scheduler")
            .site_root(cfg.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let backend = home::SchedulerBackend {
            db: db.clone(),
            clock: clock.clone(),
        };
        let state = AppState {
            db: db.clone(),
            leptos_options,
            backend: BackendHandle(Arc::new(backend)),
            directory: Arc::new(LocalDirectory::new(db)),
            limiter: Arc::new(LoginLimiter::default()),
            clock,
            secure_cookies: cfg.secure_cookies,
            join_base_url: cfg.join_base_url.clone(),
        };
        let router = web::router(state.clone());
        Ok(Self {
            listener,
            router,
            addr,
            state,
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
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }
}
