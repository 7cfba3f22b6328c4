//! Progressive enhancement of plain forms: with JavaScript, a form posts in
//! the background and the router moves to the page the server chose, without
//! a full reload. Without JavaScript the same form posts normally and the
//! server answers with a redirect. The server tells the two apart by the
//! `x-requested-with: fetch` header and then answers `{"location": "..."}`.
//! [`scripted`] tells a page that it runs with JavaScript (to show only the
//! fields that apply), [`form_query`] reads a form as it would post.

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
