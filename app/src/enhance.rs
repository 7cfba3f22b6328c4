//! Progressive enhancement of plain forms: with JavaScript, a form posts in
//! the background and the page the server chose replaces this one without a
//! full reload ([`visit`]). Without JavaScript the same form posts normally
//! and the server answers with a redirect. The server tells the two apart by
//! the `x-requested-with: fetch` header and then answers `{"location": "..."}`.
//! [`scripted`] tells a page that it runs with JavaScript (to show only the
//! fields that apply), [`form_query`] reads a form as it would post, and
//! [`start`] marks the page as interactive once its islands are hydrated and
//! from then on shows links to other pages of the site with [`visit`] too.

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
/// new history entry, and its islands are hydrated. When the answer is not
/// an HTML page, or anything fails, the browser simply goes there.
#[cfg(feature = "hydrate")]
pub async fn visit(location: &str) {
    show(location, true).await
}

#[cfg(not(feature = "hydrate"))]
pub async fn visit(_location: &str) {}

/// [`visit`]; `push` false for Back and Forward (the entry exists).
#[cfg(feature = "hydrate")]
async fn show(location: &str, push: bool) {
    let n = VISITS.with(|v| {
        v.set(v.get() + 1);
        v.get()
    });
    match show_in_place(location, push, n).await {
        Ok(()) => {}
        Err(_) => {
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign(location);
            }
        }
    }
}

#[cfg(feature = "hydrate")]
async fn show_in_place(location: &str, push: bool, n: u32) -> Result<(), wasm_bindgen::JsValue> {
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
    let html_page = resp
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.starts_with("text/html"));
    if !html_page {
        return Err("not a page".into());
    }
    let url = resp.url();
    let html = JsFuture::from(resp.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    // A later visit started meanwhile: it shows its own page.
    if VISITS.with(|v| v.get()) != n {
        return Ok(());
    }
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
    let history = window.history()?;
    if push {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))?;
        window.scroll_to_with_x_and_y(0.0, 0.0);
    } else {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))?;
    }
    SHOWN.with(|s| *s.borrow_mut() = here(&window));
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

#[cfg(feature = "hydrate")]
thread_local! {
    /// The path and query of the page shown (see [`start`]).
    static SHOWN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    /// How many visits were started: only the latest one shows its page.
    static VISITS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
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

/// The page a click on a link should show with [`visit`], as the router of
/// a single-page app would: a plain left click on a link to another page of
/// this site. Not a link with a target, `download` or `rel="external"` (the
/// language switch, the calendar feed), nor one to a fragment of this page.
#[cfg(feature = "hydrate")]
fn link_to_visit(ev: &web_sys::MouseEvent) -> Option<String> {
    use wasm_bindgen::JsCast;

    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.ctrl_key()
        || ev.shift_key()
        || ev.alt_key()
    {
        return None;
    }
    let el: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let link = el.closest("a[href]").ok()??;
    if link.get_attribute("target").is_some_and(|t| !t.is_empty())
        || link.has_attribute("download")
        || link
            .get_attribute("rel")
            .is_some_and(|r| r.split_ascii_whitespace().any(|w| w == "external"))
    {
        return None;
    }
    let window = web_sys::window()?;
    let location = window.location();
    let url =
        web_sys::Url::new_with_base(&link.get_attribute("href")?, &location.href().ok()?).ok()?;
    if url.origin() != location.origin().ok()? {
        return None;
    }
    let path = format!("{}{}", url.pathname(), url.search());
    if path == here(&window) && !url.hash().is_empty() {
        return None;
    }
    Some(path)
}

/// Called by the browser side once the islands script has loaded the WASM,
/// right before it hydrates the page's islands: sets `data-hydrated` on the
/// body once they are (tests, and people, can tell the page is
/// interactive); from then on links to other pages of the site are shown
/// with [`visit`], and so are Back and Forward to an entry it made (a change
/// of the fragment alone shows nothing new).
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
    let on_click = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(|ev: web_sys::MouseEvent| {
        if let Some(path) = link_to_visit(&ev) {
            ev.prevent_default();
            leptos::task::spawn_local(async move { show(&path, true).await });
        }
    });
    let _ = window.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_click.forget();
    let on_popstate = Closure::<dyn FnMut()>::new(|| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let now = here(&window);
        if SHOWN.with(|s| *s.borrow() != now) {
            leptos::task::spawn_local(async move { show(&now, false).await });
        }
    });
    let _ =
        window.add_event_listener_with_callback("popstate", on_popstate.as_ref().unchecked_ref());
    on_popstate.forget();
}
