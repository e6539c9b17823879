use super::{list_users, CreateUser, UpdateUser};
use crate::components::{last_error, ErrorBanner, FieldError, LoadError};
use domain::users::{Role, User};
use leptos::prelude::*;

fn role_options(selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == selected>{r.label()}</option> })
        .collect_view()
}

/// Admins create users, change roles and deactivate accounts.
#[component]
pub fn UsersPanel() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let users = Resource::new(move || (create.version().get(), update.version().get()), |_| list_users());
    let update_error = last_error(update.value());
    let ready = crate::components::hydrated_flag();
    view! {
        <section class="card" data-testid="users" data-ready=ready>
            <h2>"Users"</h2>
            <NewUserForm create />
            <ErrorBanner error=update_error />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) => view! {
                            <table class="table">
                                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th></th></tr></thead>
                                <tbody>{l.into_iter().map(|u| view! { <UserRow u update /> }).collect_view()}</tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserRow(u: User, update: ServerAction<UpdateUser>) -> impl IntoView {
    let id = u.id;
    let active = u.active;
    let email = u.email.clone();
    view! {
        <tr class:inactive=!active data-email=email>
            <td>{u.name}</td>
            <td>{u.email}</td>
            <td>
                <select aria-label="Role" on:change=move |ev| { update.dispatch(UpdateUser { id, name: None, role: Some(event_target_value(&ev)), active: None, password: None }); }>
                    {role_options(u.role)}
                </select>
            </td>
            <td>{if active { view! { <span class="badge status-active">"Active"</span> } } else { view! { <span class="badge status-cancelled">"Deactivated"</span> } }}</td>
            <td class="row-actions">
                <button class="button ghost" on:click=move |_| { update.dispatch(UpdateUser { id, name: None, role: None, active: Some(!active), password: None }); }>
                    {if active { "Deactivate" } else { "Reactivate" }}
                </button>
            </td>
        </tr>
    }
}

#[component]
fn NewUserForm(create: ServerAction<CreateUser>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new("technician".to_string());
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            for s in [email, name, password] {
                s.set(String::new());
            }
        }
    });
    view! {
        <form class="inline-form" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(CreateUser { email: email.get_untracked(), name: name.get_untracked(), password: password.get_untracked(), role: role.get_untracked() });
        }>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Name"<input name="user_name" bind:value=name /><FieldError error field="name" /></label>
                <label>"Email"<input name="user_email" type="email" bind:value=email /><FieldError error field="email" /></label>
                <label>"Password"<input name="user_password" type="password" autocomplete="new-password" bind:value=password /><FieldError error field="password" /></label>
                <label>"Role"<select name="user_role" on:change=move |ev| role.set(event_target_value(&ev))>{role_options(Role::Technician)}</select></label>
                <button class="button primary" type="submit">"Add user"</button>
            </div>
        </form>
    }
}
