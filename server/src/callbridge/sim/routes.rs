//! The simulator's HTTP API: `/api/v1/<node>[/<id>[/<sub>[/<id>]]]` and
//! `/api/v1/system/status` behind HTTP Basic auth, answered as a CMS does:
//! node names in any case, trailing slashes, form bodies whatever their
//! `Content-Type` says, compact XML as `text/xml`, creates as 200 with an
//! empty body and a relative `Location`.

use super::kinds::{self, Kind};
use super::store::{ApiFailure, ListQuery, Origin, UNKNOWN_PARAMETER};
use super::{lock, Shared};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use std::sync::Arc;
use subtle::ConstantTimeEq;

type St = State<Arc<Shared>>;

/// The challenge a CMS sends without (valid) credentials.
pub(crate) const CHALLENGE: &str = "Basic realm=\"acano\"";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(dispatch)
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
            HeaderValue::from_static(CHALLENGE),
        );
        response
    }
}

fn xml(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

fn failure(f: ApiFailure) -> Response {
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = f.body();
    if body.is_empty() {
        return status.into_response();
    }
    (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

fn created(location: String) -> Result<Response, ApiFailure> {
    let v = HeaderValue::from_str(&location).map_err(|_| ApiFailure {
        status: 500,
        detail: None,
    })?;
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(header::LOCATION, v);
    Ok(response)
}

fn unrecognised() -> ApiFailure {
    ApiFailure::reason(404, "unrecognisedObject")
}

fn method_not_allowed() -> ApiFailure {
    ApiFailure {
        status: 405,
        detail: None,
    }
}

fn parse_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, ApiFailure> {
    serde_urlencoded::from_bytes(raw).map_err(|_| ApiFailure {
        status: 400,
        detail: None,
    })
}

/// `%XX` escapes of a path segment decoded (ids are plain, but a client may
/// escape anything).
fn decode_segment(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a request goes, once the path is read.
enum Target {
    Status,
    Top(&'static Kind),
    TopObject(&'static Kind, String),
    Sub(&'static Kind, String),
    SubObject(&'static Kind, String, String),
    /// `/users/<id>/usercoSpaces`: the coSpaces the user is a member of.
    UserCoSpaces(String),
    /// `/calls/<id>/callLegs`: the objects whose field equals the parent id.
    View {
        parent: &'static Kind,
        parent_id: String,
        kind: &'static Kind,
        field: &'static str,
    },
}

fn target(path: &str) -> Result<Target, ApiFailure> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode_segment)
        .collect();
    let rest = match segments.as_slice() {
        [api, v1, rest @ ..]
            if api.eq_ignore_ascii_case("api") && v1.eq_ignore_ascii_case("v1") =>
        {
            rest
        }
        _ => return Err(unrecognised()),
    };
    let top = |c: &str| kinds::top_kind(c).ok_or_else(unrecognised);
    Ok(match rest {
        [s, st] if s.eq_ignore_ascii_case("system") && st.eq_ignore_ascii_case("status") => {
            Target::Status
        }
        [c] => Target::Top(top(c)?),
        [c, id] => Target::TopObject(top(c)?, id.clone()),
        [c, id, sub] => {
            let parent = top(c)?;
            if parent.collection == "users" && sub.eq_ignore_ascii_case("usercoSpaces") {
                return Ok(Target::UserCoSpaces(id.clone()));
            }
            match kinds::sub_kind(parent.collection, sub) {
                Some(kind) => Target::Sub(kind, id.clone()),
                None => match kinds::view(parent.collection, sub) {
                    Some((kind, field)) => Target::View {
                        parent,
                        parent_id: id.clone(),
                        kind,
                        field,
                    },
                    None => return Err(unrecognised()),
                },
            }
        }
        [c, id, sub, sid] => {
            let parent = top(c)?;
            let kind = kinds::sub_kind(parent.collection, sub).ok_or_else(unrecognised)?;
            Target::SubObject(kind, id.clone(), sid.clone())
        }
        _ => return Err(unrecognised()),
    })
}

async fn dispatch(State(s): St, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(b) => b,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let query = parts.uri.query().unwrap_or("").to_string();
    handle(&s, &parts.method, parts.uri.path(), &query, &body).unwrap_or_else(failure)
}

fn handle(
    s: &Shared,
    method: &Method,
    path: &str,
    raw_query: &str,
    body: &Bytes,
) -> Result<Response, ApiFailure> {
    let target = target(path)?;
    let query = parse_pairs(raw_query.as_bytes())?;
    let mut store = lock(&s.store);
    let strict = store.strict;
    let is_list = matches!(
        (&target, method),
        (
            Target::Top(_) | Target::Sub(..) | Target::View { .. } | Target::UserCoSpaces(_),
            &Method::GET
        )
    );
    // Only lists take query parameters.
    if strict && !is_list {
        if let Some((name, _)) = query.first() {
            return Err(ApiFailure::parameter(name, UNKNOWN_PARAMETER));
        }
    }
    match (target, method.clone()) {
        (Target::Status, Method::GET) => Ok(xml(store.status())),
        (Target::Top(kind), Method::GET) => {
            let q = ListQuery::parse(kind, &query, strict)?;
            store.list(kind, None, &q).map(xml)
        }
        (Target::Top(kind), Method::POST) => {
            let id = store.create(kind, None, &parse_pairs(body)?, Origin::Api, None)?;
            created(format!("/api/v1/{}/{id}", kind.collection))
        }
        (Target::TopObject(kind, id), Method::GET) => store.get(kind, None, &id).map(xml),
        (Target::TopObject(kind, id), Method::PUT) => {
            store.modify(kind, None, &id, &parse_pairs(body)?, Origin::Api)?;
            Ok(StatusCode::OK.into_response())
        }
        (Target::TopObject(kind, id), Method::DELETE) => {
            store.delete(kind, None, &id, Origin::Api)?;
            Ok(StatusCode::OK.into_response())
        }
        (Target::Sub(kind, pid), Method::GET) => {
            let q = ListQuery::parse(kind, &query, strict)?;
            store.list(kind, Some(&pid), &q).map(xml)
        }
        (Target::Sub(kind, pid), Method::POST) => {
            let id = store.create(kind, Some(&pid), &parse_pairs(body)?, Origin::Api, None)?;
            let parent = kind.parent.unwrap_or_default();
            created(format!("/api/v1/{parent}/{pid}/{}/{id}", kind.collection))
        }
        (
            Target::View {
                parent,
                parent_id,
                kind,
                field,
            },
            Method::GET,
        ) => {
            store.check_exists(parent, &parent_id)?;
            let mut q = ListQuery::parse(kind, &query, strict)?;
            q.equal.push((field, parent_id));
            store.list(kind, None, &q).map(xml)
        }
        (Target::UserCoSpaces(user), Method::GET) => {
            let q = ListQuery::parse(&kinds::USER_COSPACES, &query, strict)?;
            store.user_cospaces(&user, &q).map(xml)
        }
        (Target::SubObject(kind, pid, id), Method::GET) => {
            store.get(kind, Some(&pid), &id).map(xml)
        }
        (Target::SubObject(kind, pid, id), Method::PUT) => {
            store.modify(kind, Some(&pid), &id, &parse_pairs(body)?, Origin::Api)?;
            Ok(StatusCode::OK.into_response())
        }
        (Target::SubObject(kind, pid, id), Method::DELETE) => {
            store.delete(kind, Some(&pid), &id, Origin::Api)?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(method_not_allowed()),
    }
}

/// An empty answer with `status` (fault injection).
pub(crate) fn status_only(status: u16) -> Response<Body> {
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
