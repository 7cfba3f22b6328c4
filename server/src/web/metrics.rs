//! `GET /metrics` in the Prometheus text format, on the listener of its own
//! that `--metrics-listen` opens (never on the public one). The values read
//! at scrape time (the database pool, the outbox's depth) are read here; the
//! rest is recorded where it happens (`crate::metrics`).

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

async fn scrape(State(st): State<AppState>) -> Response {
    crate::metrics::db_pool(st.db.size(), st.db.num_idle());
    match sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending'")
        .fetch_one(&st.db)
        .await
    {
        Ok(pending) => crate::metrics::outbox_depth(pending),
        Err(e) => tracing::warn!("metrics: the outbox's depth could not be read: {e}"),
    }
    match crate::metrics::render() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not recorded\n",
        )
            .into_response(),
    }
}
