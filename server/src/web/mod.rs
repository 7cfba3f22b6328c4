//! The HTTP side: the router, the shared state and the plain routes.

pub mod answers;
pub mod assets;
pub mod auth_routes;
pub mod backend;
pub mod cookies;
pub mod feed;
pub mod join;
pub mod metrics;
pub mod middleware;
pub mod observe;
pub mod plain;
pub mod rest;
pub mod wizard;

use crate::auth::directory::UserDirectory;
use crate::auth::ratelimit::LoginLimiter;
use crate::clock::Clock;
use crate::db::Db;
use app::api::ssr::BackendHandle;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub leptos_options: LeptosOptions,
    pub backend: BackendHandle,
    pub directory: Arc<dyn UserDirectory>,
    pub limiter: Arc<LoginLimiter>,
    pub clock: Arc<dyn Clock>,
    pub secure_cookies: bool,
    pub join_base_url: String,
    pub meetings: Arc<crate::meetings::Meetings>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(st: &AppState) -> Self {
        st.leptos_options.clone()
    }
}

async fn server_fn_handler(State(st): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    let backend = st.backend.clone();
    handle_server_fns_with_context(move || provide_context(backend.clone()), req).await
}

async fn health(State(st): State<AppState>) -> impl IntoResponse {
    if crate::db::ping(&st.db).await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database not responding")
    }
}

/// The app's routes, generated once per process. Generating them renders
/// the app with resource loading suppressed through a *process-wide* flag
/// (leptos_server's `SuppressResourceLoad`): a resource first polled on
/// another server in the same process during that window never resolves,
/// and its page never finishes (leptos issue 4773). Several servers share a
/// process in the integration tests and in a cluster test; one generation
/// keeps the window before any of them serves.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let backend = state.backend.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/auth/login", post(auth_routes::login))
        .route("/auth/logout", post(auth_routes::logout))
        .route("/join/go", get(join::go))
        .route("/answer/{token}", get(answers::show))
        .route("/answer", post(answers::record))
        .route("/feed/{file}", get(feed::serve))
        .route("/calendar-feed", get(feed::page_get).post(feed::page_renew))
        .route("/lang/{code}", get(auth_routes::set_lang))
        .route("/schedule", post(wizard::post_schedule))
        .route("/meetings/{id}/delete", post(wizard::post_delete))
        .route("/meetings/{id}/edit", post(wizard::post_edit))
        .route("/admin/cleanup", post(wizard::post_admin_cleanup))
        .route(
            "/meetings/{id}/occurrences/cancel",
            post(wizard::post_cancel_occurrence),
        )
        .route(
            "/meetings/{id}/occurrences/move",
            post(wizard::post_move_occurrence),
        )
        .route(
            "/meetings/{id}/occurrences/split",
            post(wizard::post_split_occurrence),
        )
        .route("/healthz", get(health))
        .merge(rest::routes())
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler).post(server_fn_handler),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::session,
        ))
        // The built JS, WASM and CSS: outside the session middleware.
        .nest_service(
            &format!("/{}", state.leptos_options.site_pkg_dir),
            assets::pkg_service(
                std::path::Path::new(&*state.leptos_options.site_root)
                    .join(&*state.leptos_options.site_pkg_dir),
            ),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(RequestBodyLimitLayer::new(1 << 20))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}
