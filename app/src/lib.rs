//! The web app: pages, routes and server functions, rendered on the server
//! and hydrated in the browser.

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
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The page context of the current request, loaded once per page.
pub type PageCtx = Resource<Result<PageContext, ServerFnError>>;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let lang = api::ssr::request_auth().map(|a| a.lang).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let lang = i18n::Lang::default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
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
    let ctx: PageCtx = Resource::new_blocking(|| (), |_| api::load_page_context());
    provide_context(ctx);

    // Tests (and people) can tell when the page has become interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/cms-scheduler.css"/>
        <Title text="Meeting Scheduler"/>
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
                </Routes>
            </main>
        </Router>
    }
}
