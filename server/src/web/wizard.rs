//! The wizard's and the meeting page's form posts. Each answers with a
//! redirect (plain form) or `{"location": ...}` (background post, see
//! `app::enhance`).

use super::AppState;
use crate::auth::users::{self, UserRecord};
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
    let Some(user) = &auth.user else {
        return Err(Redirect::to("/login").into_response());
    };
    match users::find_by_id(&st.db, &user.id).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error::internal_page(format!("load user: {e}"))),
    }
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
