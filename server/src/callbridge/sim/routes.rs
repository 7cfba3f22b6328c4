//! The simulator's HTTP API: `/api/v1/<collection>[/<id>[/<sub>[/<id>]]]`
//! behind HTTP Basic auth, XML answers, form-encoded writes.

use super::kinds::{self, Kind};
use super::store::{ApiFailure, ListQuery, Origin};
use super::{lock, Shared};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use std::sync::Arc;
use subtle::ConstantTimeEq;

type St = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/{c}", get(list_top).post(create_top))
        .route(
            "/api/v1/{c}/{id}",
            get(get_top).put(modify_top).delete(delete_top),
        )
        .route("/api/v1/{c}/{id}/{sub}", get(list_sub).post(create_sub))
        .route(
            "/api/v1/{c}/{id}/{sub}/{sid}",
            get(get_sub).put(modify_sub).delete(delete_sub),
        )
        .fallback(unknown)
        .layer(middleware::from_fn_with_state(shared.clone(), basic_auth))
        .with_state(shared)
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!(
        "{}:{}",
        shared.credentials.username,
        shared.credentials.password.expose()
    );
    decoded.ct_eq(expected.as_bytes()).into()
}

async fn basic_auth(State(shared): St, request: Request, next: Next) -> Response {
    if authorized(&shared, request.headers()) {
        next.run(request).await
    } else {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Call Bridge API\""),
        );
        response
    }
}

fn xml(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn failure(f: ApiFailure) -> Response {
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = f.body();
    if body.is_empty() {
        return status.into_response();
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn reply(result: Result<Response, ApiFailure>) -> Response {
    result.unwrap_or_else(failure)
}

fn created(location: String) -> Response {
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            let mut response = StatusCode::OK.into_response();
            response.headers_mut().insert(header::LOCATION, v);
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn unrecognised() -> ApiFailure {
    ApiFailure {
        status: 404,
        detail: Some(crate::callbridge::error::FailureDetail {
            reason: "unrecognisedObject".into(),
            parameter: None,
            error: None,
        }),
    }
}

async fn unknown() -> Response {
    failure(unrecognised())
}

fn parse_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, ApiFailure> {
    serde_urlencoded::from_bytes(raw).map_err(|_| ApiFailure {
        status: 400,
        detail: None,
    })
}

fn top(c: &str) -> Result<&'static Kind, ApiFailure> {
    kinds::top_kind(c).ok_or_else(unrecognised)
}

fn sub(c: &str, s: &str) -> Result<&'static Kind, ApiFailure> {
    top(c)?;
    kinds::sub_kind(c, s).ok_or_else(unrecognised)
}

fn query(raw: Option<String>) -> Result<ListQuery, ApiFailure> {
    ListQuery::parse(&parse_pairs(raw.unwrap_or_default().as_bytes())?)
}

type KindResult = Result<&'static Kind, ApiFailure>;

fn op_list(s: &Shared, kind: KindResult, parent: Option<&str>, q: Option<String>) -> Response {
    let run = || -> Result<Response, ApiFailure> {
        let kind = kind?;
        let q = query(q)?;
        lock(&s.store).list(kind, parent, &q).map(xml)
    };
    reply(run())
}

fn op_create(
    s: &Shared,
    kind: KindResult,
    parent: Option<&str>,
    body: &[u8],
    at: String,
) -> Response {
    let run = || -> Result<Response, ApiFailure> {
        let kind = kind?;
        let form = parse_pairs(body)?;
        let id = lock(&s.store).create(kind, parent, &form, Origin::Api, None)?;
        Ok(created(format!("{at}/{id}")))
    };
    reply(run())
}

fn op_get(s: &Shared, kind: KindResult, parent: Option<&str>, id: &str) -> Response {
    let run = || -> Result<Response, ApiFailure> { lock(&s.store).get(kind?, parent, id).map(xml) };
    reply(run())
}

fn op_modify(
    s: &Shared,
    kind: KindResult,
    parent: Option<&str>,
    id: &str,
    body: &[u8],
) -> Response {
    let run = || -> Result<Response, ApiFailure> {
        let kind = kind?;
        let form = parse_pairs(body)?;
        lock(&s.store).modify(kind, parent, id, &form, Origin::Api)?;
        Ok(StatusCode::OK.into_response())
    };
    reply(run())
}

fn op_delete(s: &Shared, kind: KindResult, parent: Option<&str>, id: &str) -> Response {
    let run = || -> Result<Response, ApiFailure> {
        lock(&s.store).delete(kind?, parent, id, Origin::Api)?;
        Ok(StatusCode::OK.into_response())
    };
    reply(run())
}

async fn list_top(State(s): St, Path(c): Path<String>, RawQuery(q): RawQuery) -> Response {
    op_list(&s, top(&c), None, q)
}

async fn create_top(State(s): St, Path(c): Path<String>, body: Bytes) -> Response {
    op_create(&s, top(&c), None, &body, format!("/api/v1/{c}"))
}

async fn get_top(State(s): St, Path((c, id)): Path<(String, String)>) -> Response {
    op_get(&s, top(&c), None, &id)
}

async fn modify_top(State(s): St, Path((c, id)): Path<(String, String)>, body: Bytes) -> Response {
    op_modify(&s, top(&c), None, &id, &body)
}

async fn delete_top(State(s): St, Path((c, id)): Path<(String, String)>) -> Response {
    op_delete(&s, top(&c), None, &id)
}

async fn list_sub(
    State(s): St,
    Path((c, id, sb)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    op_list(&s, sub(&c, &sb), Some(&id), q)
}

async fn create_sub(
    State(s): St,
    Path((c, id, sb)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    op_create(
        &s,
        sub(&c, &sb),
        Some(&id),
        &body,
        format!("/api/v1/{c}/{id}/{sb}"),
    )
}

async fn get_sub(
    State(s): St,
    Path((c, id, sb, sid)): Path<(String, String, String, String)>,
) -> Response {
    op_get(&s, sub(&c, &sb), Some(&id), &sid)
}

async fn modify_sub(
    State(s): St,
    Path((c, id, sb, sid)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    op_modify(&s, sub(&c, &sb), Some(&id), &sid, &body)
}

async fn delete_sub(
    State(s): St,
    Path((c, id, sb, sid)): Path<(String, String, String, String)>,
) -> Response {
    op_delete(&s, sub(&c, &sb), Some(&id), &sid)
}

/// An empty answer with `status` (fault injection).
pub(crate) fn status_only(status: u16) -> Response<Body> {
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
