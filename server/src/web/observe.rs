//! Each request's id and measurement. Every request gets an id (a proxy's
//! `X-Request-Id` is kept when it is a plain token, otherwise a new UUID),
//! every log line written while it is served carries it (the `request`
//! span), and the answer names it in `X-Request-Id` so a person's report can
//! be found in the log. Its route, status and time go to the metrics.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// A proxy's id is kept only when it cannot forge a log line or hide in
/// one: 1 to 64 letters, digits, `-`, `_` or `.`.
fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A request being measured: when it came, and what labels it.
struct Measure {
    started: std::time::Instant,
    route: String,
    method: axum::http::Method,
}

/// The request's id, as the middleware settled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

pub async fn observe(mut req: Request, next: Next) -> Response {
    // What the metrics label the request by, when metrics are kept.
    let measured = crate::metrics::enabled().then(|| {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str)
            .to_owned();
        Measure {
            started: std::time::Instant::now(),
            route,
            method: req.method().clone(),
        }
    });
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let value = HeaderValue::from_str(&id).ok();
    if let Some(v) = &value {
        req.headers_mut().insert(HEADER, v.clone());
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut response = next.run(req).instrument(span).await;
    if let Some(v) = value {
        response.headers_mut().insert(HEADER, v);
    }
    if let Some(m) = measured {
        crate::metrics::http_request(
            &m.route,
            m.method.as_str(),
            response.status().as_u16(),
            m.started.elapsed(),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_plain_tokens_are_kept() {
        assert!(acceptable("3f2c-abc_1.2"));
        assert!(acceptable(&"a".repeat(64)));
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable("a b"));
        assert!(!acceptable("a\"}{\"admin\":true"));
        assert!(!acceptable("é"));
    }
}
