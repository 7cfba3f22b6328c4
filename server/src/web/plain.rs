//! The server's own small pages outside the Leptos app (answer links, the
//! calendar feed's address): plain HTML that works without JavaScript, on a
//! phone, never cached (they carry or follow private links).

use crate::error::escape;
use app::i18n::Lang;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// A page titled `title` around `body` (already HTML).
pub fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/cms-scheduler.css\"></head>\
         <body><main id=\"main\"><div class=\"card\"><h1>{title}</h1>\n{body}\n</div></main></body></html>",
        lang = lang.code(),
        title = escape(title),
    );
    let mut resp = (status, Html(html)).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}
