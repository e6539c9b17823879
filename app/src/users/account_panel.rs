use crate::auth::{ChangePassword, LogoutEverywhere};
use crate::components::{last_error, ErrorBanner, FieldError};
use leptos::prelude::*;

/// Your account: change your password (the current one required; your
/// other sessions end and your API tokens are revoked), or sign out on
/// every device.
#[component]
pub fn AccountPanel() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error = last_error(change.value());
    let everywhere_error = last_error(everywhere.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            current.set(String::new());
            new.set(String::new());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = everywhere.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    view! {
        <section class="card" data-testid="account">
            <h2>"Your account"</h2>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch(ChangePassword { current_password: current.get_untracked(), new_password: new.get_untracked() });
            }>
                {move || matches!(change.value().get(), Some(Ok(_))).then(|| view! {
                    <div class="banner success" role="status">"Password changed. Your other sessions ended and your API tokens were revoked."</div>
                })}
                <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
                <div class="fields">
                    <label>"Current password"<input type="password" name="current_password" autocomplete="current-password" bind:value=current /><FieldError error field="current_password" /></label>
                    <label>"New password"<input type="password" name="new_password" autocomplete="new-password" bind:value=new /><FieldError error field="new_password" /></label>
                    <button class="button primary" type="submit">"Change password"</button>
                </div>
            </form>
            <crate::notifications::EmailPreference />
            <ErrorBanner error=everywhere_error />
            <p class="muted small">"Signed in on a shared tablet and left it? End every session of yours, here too."</p>
            <button class="button" on:click=move |_| { everywhere.dispatch(LogoutEverywhere {}); }>"Sign out everywhere"</button>
        </section>
    }
}
