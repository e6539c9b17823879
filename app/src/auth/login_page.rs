use super::Login;
use crate::components::{last_error, ErrorBanner, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = ServerAction::<Login>::new();
    let error = last_error(action.value());
    let query = use_query_map();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            // Only a path on this site: never an open redirect.
            let next = super::safe_next(query.read_untracked().get("next").as_deref());
            let _ = window().location().set_href(&next);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(Login {
            email: email.get_untracked(),
            password: password.get_untracked(),
        });
    };
    view! {
        <Title text="Sign in" />
        <main class="login">
            <form class="card login-card" on:submit=submit>
                <p class="brand-mark">"NEXOS"</p>
                <h1>"Sign in to Purchasing"</h1>
                <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required bind:value=email />
                </label>
                <FieldError error field="email" />
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required bind:value=password />
                </label>
                <FieldError error field="password" />
                <button class="button primary wide" type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
