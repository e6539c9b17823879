#![recursion_limit = "256"]
//! The browser entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazily loaded routes (their code may be in wasm chunks of
    // their own, see app::shell), so hydration waits for the page's chunk.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("the page has a body");
        let owner = leptos::mount::hydrate_from_async(body, app::App).await;
        owner.forget();
        app::shell::mark_hydrated();
    });
}
