//! Settings → Pax8: client id and secret (stored encrypted, never shown
//! again) and a connection test.

use super::{ConfigurePax8, TestPax8};
use crate::components::{last_error, ErrorBanner, FieldError};
use leptos::prelude::*;

#[component]
pub fn Pax8Settings(configured: bool) -> impl IntoView {
    let configure = ServerAction::<ConfigurePax8>::new();
    let test = ServerAction::<TestPax8>::new();
    let client_id = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let error = last_error(configure.value());
    let test_error = last_error(test.value());
    let saved = move || matches!(configure.value().get(), Some(Ok(_)));
    Effect::new(move |_| {
        if let Some(Ok(_)) = configure.value().get() {
            secret.set(String::new());
        }
    });
    view! {
        <section class="card" data-testid="pax8-settings">
            <h2>"Pax8"</h2>
            <p class="muted">{if configured { "Connected: credentials are stored encrypted. Enter new ones to replace them." } else { "Not connected. Enter the API client id and secret from Pax8's Integrations page." }}</p>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); configure.dispatch(ConfigurePax8 { client_id: client_id.get_untracked(), client_secret: secret.get_untracked() }); }>
                <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
                <div class="fields">
                    <label>"Client id"<input name="pax8_client_id" autocomplete="off" bind:value=client_id /><FieldError error field="client_id" /></label>
                    <label>"Client secret"<input name="pax8_client_secret" type="password" autocomplete="off" bind:value=secret /><FieldError error field="client_secret" /></label>
                    <button class="button primary" type="submit">"Save"</button>
                    <Show when=saved><span class="ok">"Saved"</span></Show>
                </div>
            </form>
            <button class="button" on:click=move |_| { test.dispatch(TestPax8 {}); }>"Test connection"</button>
            {move || matches!(test.value().get(), Some(Ok(_))).then(|| view! { <span class="ok" data-testid="pax8-ok">" Connected to Pax8."</span> })}
            <ErrorBanner error=test_error />
        </section>
    }
}
