//! The wizard's and the meeting page's form posts. Each answers with a
//! redirect (plain form) or `{"location": ...}` (background post, see
//! `app::enhance`).

use super::AppState;
use crate::auth::users::UserRecord;
use crate::error;
use crate::meetings::Next;
use app::api::ssr::{PublicError, RequestAuth};
use app::enhance;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::{Extension, Form};
use std::collections::HashMap;

fn go(headers: &HeaderMap, location: &str) -> Response {
    let background = headers
        .get(enhance::HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == enhance::HEADER_VALUE);
    if background {
        Json(serde_json::json!({ "location": location })).into_response()
    } else {
        Redirect::to(location).into_response()
    }
}

async fn signed_in(st: &AppState, auth: &RequestAuth) -> Result<UserRecord, Response> {
    super::middleware::signed_in_user(st, auth, None).await
}

fn public_error_page(e: PublicError) -> Response {
    let status = match e {
        PublicError::NotFound => StatusCode::NOT_FOUND,
        PublicError::AdminsOnly => StatusCode::FORBIDDEN,
        PublicError::Invalid(_) => StatusCode::BAD_REQUEST,
        PublicError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error::page(status, "Meeting", &e.to_string())
}

/// POST /schedule: one step of the wizard.
pub async fn post_schedule(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.wizard_post(&user, &form, auth.lang).await {
        Ok(Next::Draft(l) | Next::To(l)) => go(&headers, &l),
        Err(PublicError::Invalid(message)) => {
            tracing::info!("wizard post refused: {message}");
            go(&headers, "/schedule?expired=1")
        }
        Err(e) => public_error_page(e),
    }
}

/// POST /meetings/{id}/delete (after the confirmation page).
pub async fn post_delete(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.delete(&user, &id).await {
        Ok(()) => go(&headers, "/?deleted=1"),
        Err(PublicError::Invalid(message)) => {
            let location = format!(
                "/meetings/{}?error={}",
                super::middleware::urlencode(&id),
                super::middleware::urlencode(&message)
            );
            go(&headers, &location)
        }
        Err(e) => public_error_page(e),
    }
}

/// POST /meetings/{id}/edit: opens the wizard on a copy of the meeting.
pub async fn post_edit(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match st.meetings.edit_draft(&user, &id).await {
        Ok(location) => go(&headers, &location),
        Err(e) => public_error_page(e),
    }
}

/// Where an occurrence form goes back to on an error: the meeting page with
/// the message, and the move form with what was typed.
fn occurrence_back(id: &str, form: &HashMap<String, String>, message: &str) -> String {
    use super::middleware::urlencode;
    let mut location = format!(
        "/meetings/{}?occurrence={}&error={}",
        urlencode(id),
        urlencode(form.get("original").map(String::as_str).unwrap_or("")),
        urlencode(message)
    );
    if form.contains_key("date") {
        location.push_str("&move=1");
        for key in ["date", "from", "to", "name"] {
            if let Some(v) = form.get(key) {
                location.push_str(&format!("&{key}={}", urlencode(v)));
            }
        }
    }
    location
}

/// Where an occurrence form goes when it is done (`location`), or its error.
fn occurrence_result(
    headers: &HeaderMap,
    id: &str,
    form: &HashMap<String, String>,
    result: Result<String, crate::meetings::occurrences::OccurrenceError>,
) -> Response {
    use crate::meetings::occurrences::OccurrenceError;
    match result {
        Ok(location) => go(headers, &location),
        Err(OccurrenceError::Invalid(message)) => go(headers, &occurrence_back(id, form, &message)),
        Err(OccurrenceError::NotFound) => public_error_page(PublicError::NotFound),
        Err(OccurrenceError::Internal(e)) => public_error_page(e),
    }
}

/// The meeting page saying what was just done (`?cancelled=1`, `?moved=1`).
fn meeting_done(id: &str, done: &str) -> String {
    format!("/meetings/{}?{done}=1", super::middleware::urlencode(id))
}

fn original_of(
    form: &HashMap<String, String>,
) -> Result<chrono::NaiveDateTime, crate::meetings::occurrences::OccurrenceError> {
    form.get("original")
        .and_then(|o| crate::db::series::parse_original(o))
        .ok_or_else(|| {
            crate::meetings::occurrences::OccurrenceError::Invalid(
                "No occurrence was chosen.".into(),
            )
        })
}

/// POST /meetings/{id}/occurrences/cancel: cancels one occurrence.
pub async fn post_cancel_occurrence(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = match original_of(&form) {
        Ok(original) => st.meetings.cancel_occurrence(&user, &id, original).await,
        Err(e) => Err(e),
    };
    let result = result.map(|()| meeting_done(&id, "cancelled"));
    occurrence_result(&headers, &id, &form, result)
}

/// POST /meetings/{id}/occurrences/move: moves (and renames) one occurrence;
/// `date`, `from` and `to` are in the meeting's zone, a `to` at or before
/// `from` ends the next day.
pub async fn post_move_occurrence(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    use crate::meetings::occurrences::OccurrenceError;
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let result = match original_of(&form) {
        Err(e) => Err(e),
        Ok(original) => {
            let (from, to) = (
                app::timeform::parse_hm(&field("from")),
                app::timeform::parse_hm(&field("to")),
            );
            match (from, to) {
                (Some(from), Some(to)) => {
                    let mut minutes = i64::from(to) - i64::from(from);
                    if minutes <= 0 {
                        minutes += 24 * 60;
                    }
                    let start = format!("{}T{}", field("date"), app::timeform::fmt_hm(from));
                    let name = Some(field("name")).filter(|n| !n.is_empty());
                    st.meetings
                        .move_occurrence_local(&user, &id, original, &start, minutes, name)
                        .await
                        .map(|_| meeting_done(&id, "moved"))
                }
                _ => Err(OccurrenceError::Invalid(
                    "Enter the times as HH:MM (for example 09:30).".into(),
                )),
            }
        }
    };
    occurrence_result(&headers, &id, &form, result)
}

/// POST /meetings/{id}/occurrences/split: "this and following" — the series
/// ends before this occurrence and the wizard opens on the new one.
pub async fn post_split_occurrence(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    use crate::meetings::occurrences::OccurrenceError;
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = match original_of(&form) {
        Ok(original) => match st.meetings.split_following(&user, &id, original).await {
            // The wizard opens on the new meeting.
            Ok(new_id) => st
                .meetings
                .edit_draft(&user, &new_id)
                .await
                .map_err(OccurrenceError::Internal),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    occurrence_result(&headers, &id, &form, result)
}

/// POST /admin/cleanup: an administrator runs the daily cleanup of
/// temporary spaces now (SPEC §6). Same job, same lease: if another node is
/// running it, this one says so and does nothing.
pub async fn post_admin_cleanup(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(&st, &auth).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !user.is_admin {
        return public_error_page(PublicError::AdminsOnly);
    }
    let node = format!("admin-{}", uuid::Uuid::new_v4().simple());
    tracing::info!(target: "jobs", admin = %user.username, "cleanup run on demand");
    match crate::jobs::cleanup::run_once(&st.db, &st.meetings.cb, st.clock.now(), &node).await {
        Ok(Some(r)) => go(
            &headers,
            &format!(
                "/admin?cleanup=done&examined={}&deleted={}&failed={}&kept={}",
                r.examined, r.deleted, r.failed, r.kept
            ),
        ),
        Ok(None) => go(&headers, "/admin?cleanup=busy"),
        Err(e) => public_error_page(crate::error::internal(format!("cleanup on demand: {e}"))),
    }
}
