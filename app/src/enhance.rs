//! Progressive enhancement of plain forms: with JavaScript, a form posts in
//! the background and the page the server chose replaces this one without a
//! full reload ([`visit`]). Without JavaScript the same form posts normally
//! and the server answers with a redirect. The server tells the two apart by
//! the `x-requested-with: fetch` header and then answers `{"location": "..."}`.
//! [`scripted`] tells a page that it runs with JavaScript (to show only the
//! fields that apply), [`form_query`] reads a form as it would post, and
//! [`start`] marks the page as interactive once its islands are hydrated.

use leptos::ev::SubmitEvent;

pub const HEADER: &str = "x-requested-with";
pub const HEADER_VALUE: &str = "fetch";

/// The outcome of a background post: where to go, or what went wrong.
pub enum Posted {
    Location(String),
    Failed(String),
}

#[cfg(feature = "hydrate")]
pub async fn post_form(ev: SubmitEvent) -> Posted {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    async fn inner(ev: SubmitEvent) -> Result<Posted, wasm_bindgen::JsValue> {
        let form: web_sys::HtmlFormElement = ev.target().ok_or("no form")?.dyn_into()?;
        let data = web_sys::FormData::new_with_form(&form)?;
        if let Some(button) = ev.submitter() {
            if let (Some(name), Some(value)) =
                (button.get_attribute("name"), button.get_attribute("value"))
            {
                data.append_with_str(&name, &value)?;
            }
        }
        let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data)?;
        let headers = web_sys::Headers::new()?;
        headers.set("content-type", "application/x-www-form-urlencoded")?;
        headers.set(HEADER, HEADER_VALUE)?;
        headers.set("accept", "application/json")?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&params.to_string().into());
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let action = form.get_attribute("action").unwrap_or_else(|| "/".into());
        let window = web_sys::window().ok_or("no window")?;
        let resp: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&action, &init))
                .await?
                .dyn_into()?;
        let status = resp.status();
        let text = JsFuture::from(resp.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        if (200..300).contains(&status) {
            let location = js_sys::JSON::parse(&text)
                .ok()
                .and_then(|v| js_sys::Reflect::get(&v, &"location".into()).ok())
                .and_then(|v| v.as_string());
            return Ok(match location {
                Some(l) if l.starts_with('/') && !l.starts_with("//") => Posted::Location(l),
                _ => Posted::Failed(
                    "The scheduler sent an answer this page does not understand. Reload the page."
                        .into(),
                ),
            });
        }
        Ok(Posted::Failed(if status == 403 {
            "This form has expired. Reload the page and try again.".into()
        } else {
            format!("The scheduler answered with an error ({status}). Try again.")
        }))
    }
    match inner(ev).await {
        Ok(p) => p,
        Err(_) => Posted::Failed(
            "The scheduler could not be reached. Check your connection and try again.".into(),
        ),
    }
}

#[cfg(not(feature = "hydrate"))]
pub async fn post_form(_ev: SubmitEvent) -> Posted {
    Posted::Failed("forms are only posted in the background in a browser".into())
}

/// True once the page runs with JavaScript (after hydration); false while
/// rendered on the server, so that a page without JavaScript shows every
/// field.
pub fn scripted() -> leptos::prelude::RwSignal<bool> {
    use leptos::prelude::*;
    let js = RwSignal::new(false);
    // Effects run only in the browser.
    Effect::new(move |_| js.set(true));
    js
}

/// The fields of the form holding the event's target, URL-encoded as the
/// form would post them, without its CSRF token (the query is read-only).
/// None outside a browser.
#[cfg(feature = "hydrate")]
pub fn form_query(ev: &leptos::ev::Event) -> Option<String> {
    use wasm_bindgen::JsCast;
    let el: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let form: web_sys::HtmlFormElement = el.closest("form").ok()??.dyn_into().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    params.delete("csrf");
    Some(params.to_string().into())
}

#[cfg(not(feature = "hydrate"))]
pub fn form_query(_ev: &leptos::ev::Event) -> Option<String> {
    None
}

/// Shows the page at `location` (a path on this site) without a full reload:
/// the server renders it as for any request, its body replaces this one's
/// children (the `<body>` element and its `data-hydrated` stay), the title
/// and language follow, the address bar gets its URL (after redirects) as a
/// new history entry, and its islands are hydrated. When anything fails the
/// browser simply goes there.
#[cfg(feature = "hydrate")]
pub async fn visit(location: &str) {
    if visit_in_place(location).await.is_err() {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(location);
        }
    }
}

#[cfg(feature = "hydrate")]
async fn visit_in_place(location: &str) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let headers = web_sys::Headers::new()?;
    headers.set("accept", "text/html")?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(location, &init))
        .await?
        .dyn_into()?;
    if !resp.ok() {
        return Err("the page did not load".into());
    }
    let url = resp.url();
    let html = JsFuture::from(resp.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let page =
        web_sys::DomParser::new()?.parse_from_string(&html, web_sys::SupportedType::TextHtml)?;
    let new_body = page.body().ok_or("no body in the page")?;
    let body = document.body().ok_or("no body")?;
    let moved = document.create_document_fragment();
    while let Some(child) = new_body.first_child() {
        moved.append_child(&child)?;
    }
    document.set_title(&page.title());
    if let (Some(root), Some(lang)) = (
        document.document_element(),
        page.document_element()
            .and_then(|e| e.get_attribute("lang")),
    ) {
        root.set_attribute("lang", &lang)?;
    }
    body.replace_children_with_node_1(&moved);
    window
        .history()?
        .push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))?;
    SHOWN.with(|s| *s.borrow_mut() = here(&window));
    window.scroll_to_with_x_and_y(0.0, 0.0);
    // The islands script's own entry (island_script.js in leptos), set once
    // the module is loaded.
    let hydrate_island: js_sys::Function =
        js_sys::Reflect::get(&window, &"__hydrateIsland".into())?.dyn_into()?;
    let islands = body.query_selector_all("leptos-island")?;
    for i in 0..islands.length() {
        let Some(island) = islands.item(i) else {
            continue;
        };
        let Some(name) = island
            .dyn_ref::<web_sys::Element>()
            .and_then(|e| e.get_attribute("data-component"))
        else {
            continue;
        };
        hydrate_island.call2(&wasm_bindgen::JsValue::NULL, &island, &name.into())?;
    }
    Ok(())
}

#[cfg(not(feature = "hydrate"))]
pub async fn visit(_location: &str) {}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The path and query of the page shown (see [`start`]).
    static SHOWN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

#[cfg(feature = "hydrate")]
fn here(window: &web_sys::Window) -> String {
    let location = window.location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// Called by the browser side once the islands script has loaded the WASM,
/// right before it hydrates the page's islands: sets `data-hydrated` on the
/// body once they are (tests, and people, can tell the page is
/// interactive), and reloads the page when Back or Forward lands on an
/// entry [`visit`] made (the body shown is another page's; a change of the
/// fragment alone keeps it).
#[cfg(feature = "hydrate")]
pub fn start() {
    use wasm_bindgen::{closure::Closure, JsCast};

    let Some(window) = web_sys::window() else {
        return;
    };
    SHOWN.with(|s| *s.borrow_mut() = here(&window));
    // The islands are hydrated in promise callbacks (microtasks) after this
    // returns; a timeout runs after all of them.
    let mark = Closure::once_into_js(|| {
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let _ = window.set_timeout_with_callback(mark.unchecked_ref());
    let on_popstate = Closure::<dyn FnMut()>::new(|| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let now = here(&window);
        if SHOWN.with(|s| *s.borrow() != now) {
            let _ = window.location().reload();
        }
    });
    let _ =
        window.add_event_listener_with_callback("popstate", on_popstate.as_ref().unchecked_ref());
    on_popstate.forget();
}
