//! The browser half: hydrates the server-rendered pages.

// The release build (no erase_components) nests the pages' view types
// deeper than rustc's default query depth of 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
