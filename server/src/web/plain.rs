//! The server's own small pages outside the Leptos app (answer links, the
//! calendar feed's address): plain HTML that works without JavaScript, on a
//! phone, never cached (they carry or follow private links).

use super::AppState;
use crate::error::escape;
use app::i18n::Lang;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// What every plain page needs: its language and the style sheet.
#[derive(Debug, Clone)]
pub struct PageStyle {
    pub lang: Lang,
    /// The style sheet's address ([`super::assets::stylesheet_href`]).
    pub css: String,
}

/// A page titled `title` around `body` (already HTML).
pub fn page(status: StatusCode, style: &PageStyle, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main id=\"main\"><div class=\"card\"><h1>{title}</h1>\n{body}\n</div></main></body></html>",
        lang = style.lang.code(),
        title = escape(title),
        css = escape(&style.css),
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

/// The style of a plain page in `lang` on this server.
pub fn style(st: &AppState, lang: Lang) -> PageStyle {
    PageStyle {
        lang,
        css: super::assets::stylesheet_href(&st.leptos_options),
    }
}
