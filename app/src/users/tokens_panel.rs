use super::{list_tokens, CreateToken, RevokeToken};
use crate::components::{last_error, ErrorBanner, FieldError, LoadError};
use leptos::prelude::*;

/// The user's own API tokens: create (shown once) and revoke.
#[component]
pub fn TokensPanel() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    // Admins may list everyone's tokens (and revoke any).
    let all = RwSignal::new(false);
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get(), all.get()),
        |(_, _, all)| list_tokens(Some(all)),
    );
    let session = crate::session::use_session();
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let error = last_error(create.value());
    let revoke_error = last_error(revoke.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            days.set(String::new());
        }
    });
    let ready = crate::components::hydrated_flag();
    view! {
        <section class="card" data-testid="tokens" data-ready=ready>
            <h2>"API tokens"</h2>
            <p class="muted">"Scripts call the API with " <code>"Authorization: Bearer <token>"</code> " and act as you, with your role."</p>
            {move || create.value().get().and_then(|r| r.ok()).map(|t| view! {
                <div class="banner success" role="status">
                    <p>"Copy this token now; it is not shown again."</p>
                    <code class="secret" data-testid="new-token">{t.token}</code>
                </div>
            })}
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                let d = days.get_untracked();
                let expires_in_days = if d.trim().is_empty() { None } else { Some(d.trim().parse::<i64>().unwrap_or(0)) };
                create.dispatch(CreateToken { name: name.get_untracked(), expires_in_days });
            }>
                <div class="fields">
                    <label>"Token name"<input name="token_name" placeholder="e.g. nightly export" bind:value=name /><FieldError error field="name" /></label>
                    <label class="narrow">"Expires in (days)"<input name="expires_in_days" inputmode="numeric" placeholder="never" bind:value=days /><FieldError error field="expires_in_days" /></label>
                    <button class="button primary" type="submit">"Create token"</button>
                </div>
            </form>
            <ErrorBanner error=revoke_error />
            <Show when=move || session.can(domain::users::Permission::Admin)>
                <label class="check"><input type="checkbox" name="all_tokens" bind:checked=all />"Everyone's tokens"</label>
            </Show>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No tokens."</p> }.into_any(),
                        Ok(l) => view! {
                            <table class="table">
                                <thead><tr><th>"Name"</th><th>"Whose"</th><th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th></th></tr></thead>
                                <tbody>{l.into_iter().map(|t| {
                                    let id = t.id;
                                    view! {
                                        <tr>
                                            <td>{t.name}</td>
                                            <td>{t.user.map(|u| u.name).unwrap_or_default()}</td>
                                            <td>{t.created_at.get(..16).unwrap_or_default().replace('T', " ")}</td>
                                            <td>{t.last_used_at.map(|u| u.get(..16).unwrap_or_default().replace('T', " ")).unwrap_or_else(|| "never".into())}</td>
                                            <td>{t.expires_at.map(|u| u.get(..10).unwrap_or_default().to_string()).unwrap_or_else(|| "never".into())}</td>
                                            <td class="row-actions"><button class="button danger ghost" on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
