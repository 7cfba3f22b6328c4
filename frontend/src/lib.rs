//! The browser half: hydrates the islands of the server-rendered pages
//! (`#[island]` in the app crate; each is a function this module exports).

// The release build (no erase_components) nests the pages' view types
// deeper than rustc's default query depth of 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::enhance::start();
}
