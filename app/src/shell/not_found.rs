use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="not-found">
            <p class="brand-mark">"NEXOS"</p>
            <h1>"Page not found"</h1>
            <p class="muted">"There is nothing at this address. It may have moved, or the link is mistyped."</p>
            <a class="button primary" href="/purchase-orders">"Go to purchase orders"</a>
        </main>
    }
}
