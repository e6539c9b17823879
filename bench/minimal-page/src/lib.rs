//! The smallest hydrating Leptos page: a button that counts. The reference
//! figure for the page-weight benchmark (see scripts/bench-web).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::HashedStylesheet;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="data:," />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <title>"Minimal Leptos page"</title>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    let count = RwSignal::new(0);
    // The same hydrated marker as NEXOS's shell (a frame and a macrotask
    // after the first effect), so that the benchmark times both alike.
    Effect::new(move |_| {
        request_animation_frame(|| {
            set_timeout(
                || {
                    if let Some(body) = document().body() {
                        let _ = body.set_attribute("data-hydrated", "true");
                    }
                },
                std::time::Duration::from_millis(0),
            )
        });
    });
    view! {
        <main>
            <h1>"Minimal Leptos page"</h1>
            <button data-testid="count" on:click=move |_| count.update(|n| *n += 1)>
                "Clicked " {move || count.get()} " times"
            </button>
        </main>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
