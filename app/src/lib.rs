//! The web app: pages, routes and server functions, rendered on the server.
//! In the browser only the islands (`#[island]`: the wizard's form and
//! fields, the toast, the copy buttons) are hydrated; every other part of a
//! page stays the server's HTML (see docs/building.md, "Islands").

// The release WASM build (no erased view types) nests deeper than the default
// 128 when it computes the layouts of the pages' views.
#![recursion_limit = "256"]

mod admin;
pub mod api;
pub mod enhance;
pub mod i18n;
mod meeting;
pub mod model;
mod pages;
pub mod timeform;
mod wizard;

use crate::model::PageContext;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The page context of the current request (who is signed in, the CSRF token,
/// the language). The server knows it before rendering; it is a plain value
/// in the context, never a resource: no `<Suspense>` waits on it (one
/// resource read by the header's and the page's `<Suspense>` could leave a
/// streamed response unfinished, leptos issue 4851). Islands get what they
/// need of it as props.
pub fn page_context() -> PageContext {
    use_context::<PageContext>().unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn current_page_context() -> PageContext {
    api::ssr::request_auth()
        .map(|auth| auth.page_context())
        .unwrap_or_default()
}

/// Pages are rendered on the server only; the browser never renders [`App`].
#[cfg(not(feature = "ssr"))]
fn current_page_context() -> PageContext {
    PageContext::default()
}

/// The page's `<title>`. leptos_meta 0.8.7 writes the title into the server's
/// HTML without escaping it, so a meeting named `</title><script>…` would
/// run script in every browser that opens its page: the text is escaped
/// (the browser decodes it). Titles are only rendered on the server.
#[component]
pub fn SafeTitle(#[prop(into)] text: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let text = escape_html(&text);
    view! { <Title text/> }
}

/// `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = current_page_context().lang;
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                // The names carry content hashes when the build wrote a hash
                // file (scripts/build.sh; see server::web::assets).
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(current_page_context());

    view! {
        <SafeTitle text="Meeting Scheduler"/>
        <Router>
            <pages::Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <pages::NotFound/> }>
                    <Route path=path!("/") view=pages::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/join") view=pages::JoinPage/>
                    <Route path=path!("/schedule") view=wizard::SchedulePage ssr=SsrMode::Async/>
                    <Route path=path!("/meetings") view=pages::MeetingsListPage ssr=SsrMode::Async/>
                    <Route path=path!("/meetings/:id") view=meeting::MeetingPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=admin::AdminPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html() {
        assert_eq!(
            super::escape_html(r#"</title><script>alert('x' & "y")</script>"#),
            "&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }
}
