//! POST /auth/login and POST /auth/logout (plain forms: they work without
//! JavaScript). The CSRF token was checked by the middleware.

use super::middleware::urlencode;
use super::{cookies, AppState};
use crate::auth::directory::DirectoryError;
use crate::auth::{csrf, random_token, session};
use crate::clock::to_millis;
use crate::error;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Instant;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub next: String,
}

/// Only local paths: never an open redirect to another site.
pub fn safe_local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if local {
        next
    } else {
        "/"
    }
}

/// Where to go after signing in: a local path, never back to sign-in.
pub fn safe_next(next: &str) -> &str {
    match safe_local_path(next) {
        p if p.starts_with("/login") => "/",
        p => p,
    }
}

fn back_to_login(code: &str, next: &str, extra: &str) -> Response {
    let next = safe_next(next);
    Redirect::to(&format!(
        "/login?error={code}{extra}&next={}",
        urlencode(next)
    ))
    .into_response()
}

pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let username = form.username.trim();
    if username.is_empty() || form.password.is_empty() {
        return back_to_login("missing", &form.next, "");
    }
    let ip = peer.ip();
    if let Err(wait) = st.limiter.check(ip, username, Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        tracing::warn!(%ip, username, "sign-in refused: too many failures");
        crate::metrics::sign_in("locked");
        return back_to_login("locked", &form.next, &format!("&retry={minutes}"));
    }
    let user = match st.directory.authenticate(username, &form.password).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            st.limiter.record_failure(ip, username, Instant::now());
            tracing::info!(%ip, username, "sign-in failed: wrong username or password");
            crate::metrics::sign_in("refused");
            if st.limiter.check(ip, username, Instant::now()).is_err() {
                crate::metrics::lockout();
            }
            return back_to_login("invalid", &form.next, "");
        }
        Err(DirectoryError::Directory(e)) => {
            // The person is told to try later; the cause is logged with an id.
            let id = error::error_id();
            tracing::error!(%ip, username, error_id = %id, "sign-in failed, the directory cannot be reached: {e}");
            crate::metrics::sign_in("unavailable");
            return back_to_login("directory", &form.next, "");
        }
        Err(e) => return error::internal_page(e),
    };
    st.limiter.record_success(username);
    let now = to_millis(st.clock.now());
    let token = match session::create(&st.db, &user.id, now).await {
        Ok(t) => t,
        Err(e) => return error::internal_page(format!("create session: {e}")),
    };
    if let Err(e) = crate::auth::users::record_login(&st.db, &user.id, now).await {
        return error::internal_page(format!("record login: {e}"));
    }
    tracing::info!(user = %user.username, %ip, "signed in");
    crate::metrics::sign_in("ok");
    let mut resp = Redirect::to(safe_next(&form.next)).into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookies::set(
            session::COOKIE,
            &token,
            Some(session::LIFETIME_MS / 1000),
            st.secure_cookies,
        ),
    );
    // A new CSRF token for the new session.
    h.append(
        header::SET_COOKIE,
        cookies::set(csrf::COOKIE, &random_token(), None, st.secure_cookies),
    );
    resp
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LangQuery {
    pub next: String,
}

/// GET /lang/{code}?next=/path: remembers the chosen language for a year.
pub async fn set_lang(
    State(st): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Response {
    let mut resp = Redirect::to(safe_local_path(&q.next)).into_response();
    if let Some(lang) = app::i18n::Lang::from_code(&code) {
        resp.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(
                super::middleware::LANG_COOKIE,
                lang.code(),
                Some(365 * 24 * 3600),
                st.secure_cookies,
            ),
        );
    }
    resp
}

pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookies::get(&headers, session::COOKIE) {
        if let Err(e) = session::delete(&st.db, &token).await {
            return error::internal_page(format!("delete session: {e}"));
        }
    }
    let mut resp = Redirect::to("/login").into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookies::set(session::COOKIE, "", Some(0), st.secure_cookies),
    );
    h.append(
        header::SET_COOKIE,
        cookies::set(csrf::COOKIE, &random_token(), None, st.secure_cookies),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/schedule"), "/schedule");
        assert_eq!(safe_next("/meetings?page=2"), "/meetings?page=2");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/login?error=x"), "/");
    }
}
