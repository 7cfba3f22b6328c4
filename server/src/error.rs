//! Internal errors: logged in full with an id; only the id reaches a browser.

use app::api::ssr::PublicError;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::fmt::Display;

/// A short id to find an error in the log.
pub fn error_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// Logs `err` under a new id and returns the error a browser may see.
pub fn internal(err: impl Display) -> PublicError {
    let id = error_id();
    tracing::error!(error_id = %id, "{err}");
    PublicError::Internal { id }
}

/// An HTML error page for plain (non-Leptos) routes.
pub fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/cms-scheduler.css\"></head>\
         <body><main id=\"main\"><div class=\"card\"><h1>{title}</h1><p role=\"alert\">{message}</p><a href=\"/\">Go to Home</a></div></main></body></html>",
        title = escape(title),
        message = escape(message),
    );
    (status, Html(body)).into_response()
}

/// Logs `err` and answers 500 with only the id.
pub fn internal_page(err: impl Display) -> Response {
    let public = internal(err);
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &public.to_string(),
    )
}

/// HTML text escaping: the web app's, for the server's own pages and mails.
pub use app::escape_html as escape;

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
