//! The scheduler's REST API for integrations: JSON under `/api/v1/`,
//! authenticated by an API token (`Authorization: Bearer ...`) or the web
//! session (then state-changing calls need the `x-csrf-token` header).
//! Described by `/api/v1/openapi.json`.

use super::AppState;
use crate::auth::users::{SignedIn, UserRecord};
use crate::meetings::api::{ApiError, MeetingInput, MAX_LIST};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/meetings", get(list).post(create))
        .route(
            "/api/v1/meetings/{id}",
            get(read).put(update).delete(remove),
        )
        .route("/api/v1/meetings/{id}/occurrences", get(occurrences))
        .route(
            "/api/v1/meetings/{id}/occurrences/{original}",
            axum::routing::put(move_occurrence).delete(cancel_occurrence),
        )
        .route(
            "/api/v1/meetings/{id}/occurrences/{original}/split",
            axum::routing::post(split_occurrence),
        )
        .route("/api/v1/templates", get(templates))
        .route("/api/v1/spaces", get(spaces))
        .route(
            "/api/v1/{*rest}",
            get(not_found)
                .post(not_found)
                .put(not_found)
                .delete(not_found),
        )
}

/// `{"error": {"code": ..., "message": ...}}` with `status`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

pub fn unauthenticated() -> Response {
    let mut r = error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Sign in, or send a valid API token as 'Authorization: Bearer <token>'.",
    );
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

pub fn internal(err: impl std::fmt::Display) -> Response {
    let public = crate::error::internal(err);
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        &public.to_string(),
    )
}

fn api_error(e: ApiError) -> Response {
    let status = match &e {
        ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::CallBridge(_) => StatusCode::BAD_GATEWAY,
        ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut body = json!({ "error": { "code": e.code(), "message": e.to_string() } });
    if let Some(field) = e.field() {
        body["error"]["field"] = json!(field);
    }
    (status, Json(body)).into_response()
}

/// The caller, as the session middleware found them for this request.
/// (The error is the finished HTTP answer, handed straight back.)
#[allow(clippy::result_large_err)]
fn user_of(auth: &SignedIn) -> Result<UserRecord, Response> {
    auth.0.clone().ok_or_else(unauthenticated)
}

#[allow(clippy::result_large_err)]
fn parse_input(body: &Bytes) -> Result<MeetingInput, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            &format!("The body is not a valid meeting: {e}"),
        )
    })
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "notFound", "No such API route.")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    from_time: Option<String>,
    until_time: Option<String>,
    max_meetings: Option<u32>,
    offset: Option<u32>,
}

#[allow(clippy::result_large_err)]
fn time_param(
    name: &str,
    value: Option<&str>,
    default: DateTime<Utc>,
) -> Result<DateTime<Utc>, Response> {
    match value {
        None => Ok(default),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                error(
                    StatusCode::BAD_REQUEST,
                    "badRequest",
                    &format!("{name} must be an RFC 3339 date-time, e.g. 2026-11-25T10:00:00Z"),
                )
            }),
    }
}

/// What every list query has: a time range and a maximum, under the name
/// that query gives it.
trait RangedQuery {
    /// The maximum's parameter name (`maxMeetings`).
    const MAX_NAME: &'static str;
    fn starts(&self) -> Option<&str>;
    fn ends(&self) -> Option<&str>;
    fn max(&self) -> Option<u32>;
}

impl RangedQuery for ListQuery {
    const MAX_NAME: &'static str = "maxMeetings";
    fn starts(&self) -> Option<&str> {
        self.from_time.as_deref()
    }
    fn ends(&self) -> Option<&str> {
        self.until_time.as_deref()
    }
    fn max(&self) -> Option<u32> {
        self.max_meetings
    }
}

impl RangedQuery for OccurrenceQuery {
    const MAX_NAME: &'static str = "maxOccurrences";
    fn starts(&self) -> Option<&str> {
        self.from_time.as_deref()
    }
    fn ends(&self) -> Option<&str> {
        self.until_time.as_deref()
    }
    fn max(&self) -> Option<u32> {
        self.max_occurrences
    }
}

/// `fromTime` (default now), `untilTime` (default a year after it, and after
/// it) and a maximum (1 to MAX_LIST, default 100) of a list query.
#[allow(clippy::result_large_err)]
fn range_and_max<Q: RangedQuery>(now: DateTime<Utc>, q: &Q) -> Result<ListRange, Response> {
    let from = time_param("fromTime", q.starts(), now)?;
    let until = time_param("untilTime", q.ends(), from + chrono::Duration::days(365))?;
    if until <= from {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "untilTime must be after fromTime",
        ));
    }
    let max = q.max().unwrap_or(100);
    if max == 0 || max > MAX_LIST {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            &format!("{} must be between 1 and {MAX_LIST}", Q::MAX_NAME),
        ));
    }
    Ok(ListRange { from, until, max })
}

/// The time range and the maximum of a list query.
struct ListRange {
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    max: u32,
}

/// The start of every list request: the signed-in person, a query that
/// parsed and its range, or the error answer.
#[allow(clippy::result_large_err)]
async fn list_request<Q: RangedQuery>(
    st: &AppState,
    auth: &SignedIn,
    query: Result<Query<Q>, axum::extract::rejection::QueryRejection>,
) -> Result<ListRequest<Q>, Response> {
    let user = user_of(auth)?;
    let Ok(Query(q)) = query else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "Bad query parameters.",
        ));
    };
    let range = range_and_max(st.clock.now(), &q)?;
    Ok(ListRequest {
        user,
        query: q,
        range,
    })
}

/// Who asks for a list, what they asked, and the range it names.
struct ListRequest<Q> {
    user: UserRecord,
    query: Q,
    range: ListRange,
}

async fn list(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let ListRequest {
        user,
        query: q,
        range: ListRange { from, until, max },
    } = match list_request(&st, &auth, query).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let offset = q.offset.unwrap_or(0);
    match st
        .meetings
        .list_api_page(&user, from, until, max + 1, offset)
        .await
    {
        Ok(mut meetings) => {
            let more = meetings.len() > max as usize;
            meetings.truncate(max as usize);
            let next = more.then(|| offset + max);
            Json(json!({ "meetings": meetings, "nextOffset": next })).into_response()
        }
        Err(e) => api_error(e),
    }
}

async fn read(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.get_api(&user, &id).await {
        Ok(m) => Json(m).into_response(),
        Err(e) => api_error(e),
    }
}

async fn create(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let input = match parse_input(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match st.meetings.create_api(&user, input).await {
        Ok(m) => {
            let location = format!("/api/v1/meetings/{}", m.id);
            let mut r = (StatusCode::CREATED, Json(m)).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(e) => api_error(e),
    }
}

async fn update(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let input = match parse_input(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match st.meetings.update_api(&user, &id, input).await {
        Ok(m) => Json(m).into_response(),
        Err(e) => api_error(e),
    }
}

async fn remove(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.delete_api(&user, &id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => api_error(e),
    }
}

fn occurrence_error(e: crate::meetings::occurrences::OccurrenceError) -> Response {
    use crate::meetings::occurrences::OccurrenceError;
    match e {
        OccurrenceError::NotFound => api_error(ApiError::NotFound),
        OccurrenceError::Invalid(message) => api_error(ApiError::Invalid {
            field: "original".into(),
            message,
        }),
        OccurrenceError::Internal(p) => api_error(ApiError::from(p)),
    }
}

/// The `{original}` path part, `YYYY-MM-DDTHH:MM`.
#[allow(clippy::result_large_err)]
fn original_param(original: &str) -> Result<chrono::NaiveDateTime, Response> {
    crate::db::series::parse_original(original).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "The occurrence is named by its original local start, YYYY-MM-DDTHH:MM.",
        )
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceQuery {
    from_time: Option<String>,
    until_time: Option<String>,
    max_occurrences: Option<u32>,
}

/// GET /api/v1/meetings/{id}/occurrences
async fn occurrences(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path(id): Path<String>,
    query: Result<Query<OccurrenceQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let ListRequest {
        user,
        range: ListRange { from, until, max },
        ..
    } = match list_request(&st, &auth, query).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    match st
        .meetings
        .list_occurrences(&user, &id, from, until, max as usize)
        .await
    {
        Ok(list) => Json(json!({ "occurrences": list })).into_response(),
        Err(e) => occurrence_error(e),
    }
}

/// DELETE /api/v1/meetings/{id}/occurrences/{original}
async fn cancel_occurrence(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path((id, original)): Path<(String, String)>,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let original = match original_param(&original) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match st.meetings.cancel_occurrence(&user, &id, original).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => occurrence_error(e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OccurrenceInput {
    /// New local start in the meeting's zone, YYYY-MM-DDTHH:MM.
    start: String,
    duration_minutes: i64,
    name: Option<String>,
}

/// PUT /api/v1/meetings/{id}/occurrences/{original}
async fn move_occurrence(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path((id, original)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let original = match original_param(&original) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let input: OccurrenceInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "badRequest",
                &format!("The body is not a valid occurrence: {e}"),
            )
        }
    };
    let name = input
        .name
        .clone()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let moved = st
        .meetings
        .move_occurrence_local(
            &user,
            &id,
            original,
            &input.start,
            input.duration_minutes,
            input.name,
        )
        .await;
    let (start, end) = match moved {
        Ok(times) => times,
        Err(e) => return occurrence_error(e),
    };
    let name = match name {
        Some(n) => n,
        None => match st.meetings.get_api(&user, &id).await {
            Ok(m) => m.name,
            Err(e) => return api_error(e),
        },
    };
    Json(crate::meetings::occurrences::OccurrenceOut {
        original: crate::db::series::format_original(original),
        start,
        end,
        name,
        changed: true,
    })
    .into_response()
}

/// POST /api/v1/meetings/{id}/occurrences/{original}/split
async fn split_occurrence(
    State(st): State<AppState>,
    Extension(auth): Extension<SignedIn>,
    Path((id, original)): Path<(String, String)>,
) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let original = match original_param(&original) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let new_id = match st.meetings.split_following(&user, &id, original).await {
        Ok(n) => n,
        Err(e) => return occurrence_error(e),
    };
    match st.meetings.get_api(&user, &new_id).await {
        Ok(m) => {
            let mut r = (StatusCode::CREATED, Json(m)).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/meetings/{new_id}")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(e) => api_error(e),
    }
}

async fn templates(State(st): State<AppState>, Extension(auth): Extension<SignedIn>) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.choices(&user).await {
        Ok(c) => Json(json!({ "templates": c.templates.iter().map(|t| json!({
            "id": t.id, "name": t.name, "description": t.description, "roles": t.roles,
        })).collect::<Vec<_>>() }))
        .into_response(),
        Err(e) => api_error(ApiError::CallBridge(
            crate::error::internal(format!("templates: {e}")).to_string(),
        )),
    }
}

async fn spaces(State(st): State<AppState>, Extension(auth): Extension<SignedIn>) -> Response {
    let user = match user_of(&auth) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.choices(&user).await {
        Ok(c) => Json(json!({ "spaces": c.spaces.iter().map(|s| json!({
            "id": s.id, "name": s.name, "uri": s.uri, "joinUrl": s.join_url,
        })).collect::<Vec<_>>() }))
        .into_response(),
        Err(e) => api_error(ApiError::CallBridge(
            crate::error::internal(format!("spaces: {e}")).to_string(),
        )),
    }
}
