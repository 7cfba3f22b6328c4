//! The session and CSRF middleware that every request passes through.

use super::{cookies, AppState};
use crate::auth::{csrf, is_token_shaped, random_token, session};
use crate::clock::to_millis;
use crate::error;
use app::api::ssr::{RequestAuth, SessionUser};
use app::i18n::Lang;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Largest form body read to find the CSRF token.
const MAX_FORM: usize = 1 << 20;

/// Pages a guest may not see: they are sent to sign in first.
fn requires_sign_in(path: &str) -> bool {
    path == "/"
        || path == "/schedule"
        || path == "/meetings"
        || path.starts_with("/meetings/")
        || path == "/calendar-feed"
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Resolves the session cookie into the signed-in user, makes sure the
/// browser has a CSRF cookie, refuses state-changing requests without the
/// matching token, and sends guests to the sign-in page.
pub async fn session(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let now = to_millis(st.clock.now());
    let headers = req.headers();
    // An API client with a token: no cookies, no CSRF (nothing is ambient).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let user = match (&bearer, cookies::get(headers, session::COOKIE)) {
        (Some(token), _) => match crate::auth::tokens::lookup(&st.db, token, now).await {
            Ok(Some(user)) => Some(user),
            Ok(None) => return super::rest::unauthenticated(),
            Err(e) => return super::rest::internal(format!("token lookup: {e}")),
        },
        (None, Some(token)) => match session::lookup(&st.db, &token, now).await {
            Ok(user) => user,
            Err(e) => return error::internal_page(format!("session lookup: {e}")),
        },
        (None, None) => None,
    };
    // A directory person is asked about again after the re-check interval:
    // removed from the directory, they are signed out here.
    let user = match user {
        Some(u) => match st.directory.recheck(u, now).await {
            Ok(Some(u)) => Some(u),
            Ok(None) if bearer.is_some() => return super::rest::unauthenticated(),
            Ok(None) => None,
            Err(e) => return error::internal_page(format!("directory re-check: {e}")),
        },
        None => None,
    };
    let (csrf_token, fresh_csrf) = match cookies::get(headers, csrf::COOKIE) {
        Some(t) if is_token_shaped(&t) => (t, false),
        _ => (random_token(), true),
    };

    let mut req = req;
    if is_unsafe(req.method()) && bearer.is_none() {
        let (checked, ok) = check_csrf(req, &csrf_token).await;
        req = match checked {
            Ok(r) => r,
            Err(resp) => return resp,
        };
        if !ok {
            tracing::warn!(path = %req.uri().path(), "refused a request without a valid CSRF token");
            if req.uri().path().starts_with("/api/v1/") {
                return super::rest::error(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "A request authenticated by the session cookie needs the x-csrf-token header.",
                );
            }
            if req.uri().path() == "/auth/login" {
                return with_csrf_cookie(
                    Redirect::to("/login?error=csrf").into_response(),
                    &csrf_token,
                    fresh_csrf,
                    &st,
                );
            }
            return error::page(
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form has expired or did not come from this site. Reload the page and try again.",
            );
        }
    }

    let path = req.uri().path().to_owned();
    if user.is_none() && req.method() == Method::GET && requires_sign_in(&path) {
        let target = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => path.clone(),
        };
        let location = format!("/login?next={}", urlencode(&target));
        return with_csrf_cookie(
            Redirect::to(&location).into_response(),
            &csrf_token,
            fresh_csrf,
            &st,
        );
    }

    let lang = request_lang(req.headers());
    req.extensions_mut()
        .insert(crate::auth::users::SignedIn(user.clone()));
    req.extensions_mut().insert(RequestAuth {
        user: user.map(|u| SessionUser {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            time_zone: u.time_zone,
            is_admin: u.is_admin,
        }),
        csrf: csrf_token.clone(),
        lang,
    });
    let resp = next.run(req).await;
    with_csrf_cookie(resp, &csrf_token, fresh_csrf, &st)
}

/// The signed-in person of a plain (non-Leptos) route, read again from the
/// database, or the answer to send instead: to the sign-in page (coming
/// back to `back_to` when given) for nobody or an account that is gone.
pub async fn signed_in_user(
    st: &AppState,
    auth: &RequestAuth,
    back_to: Option<&str>,
) -> Result<crate::auth::users::UserRecord, Response> {
    let sign_in = || match back_to {
        Some(path) => Redirect::to(&format!("/login?next={}", urlencode(path))).into_response(),
        None => Redirect::to("/login").into_response(),
    };
    let Some(user) = &auth.user else {
        return Err(sign_in());
    };
    match crate::auth::users::find_by_id(&st.db, &user.id).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(sign_in()),
        Err(e) => Err(error::internal_page(format!("load user: {e}"))),
    }
}

/// The `lang` cookie set by the switcher, else the browser's Accept-Language.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    cookies::get(headers, LANG_COOKIE)
        .and_then(|c| Lang::from_code(&c))
        .unwrap_or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
                .unwrap_or_default()
        })
}

pub const LANG_COOKIE: &str = "lang";

fn with_csrf_cookie(mut resp: Response, token: &str, fresh: bool, st: &AppState) -> Response {
    let already = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.starts_with("csrf=")));
    if fresh && !already {
        resp.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(csrf::COOKIE, token, None, st.secure_cookies),
        );
    }
    resp
}

/// Reads the token from the `x-csrf-token` header or, for a form, from its
/// `csrf` field (the body is buffered and handed on unchanged).
async fn check_csrf(req: Request, expected: &str) -> (Result<Request, Response>, bool) {
    if let Some(v) = req.headers().get(csrf::HEADER) {
        let ok = v.to_str().is_ok_and(|v| csrf::matches(expected, v));
        return (Ok(req), ok);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (Ok(req), false);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => {
            return (
                Err(error::page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request too large",
                    "The form is too large.",
                )),
                false,
            )
        }
    };
    let ok = csrf::token_in_form(&bytes).is_some_and(|t| csrf::matches(expected, &t));
    (Ok(Request::from_parts(parts, Body::from(bytes))), ok)
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_paths() {
        assert!(requires_sign_in("/"));
        assert!(requires_sign_in("/schedule"));
        assert!(requires_sign_in("/meetings/abc"));
        assert!(requires_sign_in("/calendar-feed"));
        assert!(!requires_sign_in("/feed/x.ics"));
        assert!(!requires_sign_in("/answer/x"));
        assert!(!requires_sign_in("/login"));
        assert!(!requires_sign_in("/join"));
        assert!(!requires_sign_in("/pkg/cms-scheduler.js"));
    }

    #[test]
    fn urlencodes_a_path() {
        assert_eq!(
            urlencode("/meetings?x=1&y=2"),
            "%2Fmeetings%3Fx%3D1%26y%3D2"
        );
    }
}
