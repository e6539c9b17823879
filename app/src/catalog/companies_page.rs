use super::{list_companies, CreateCompany};
use crate::components::{last_error, non_blank, EmptyState, ErrorBanner, FieldError, IfCan, LoadError, PageHeader};
use domain::users::Permission;
use leptos::prelude::*;

#[component]
pub fn CompaniesPage() -> impl IntoView {
    let q = RwSignal::new(String::new());
    let create = ServerAction::<CreateCompany>::new();
    let companies = Resource::new(move || (q.get(), create.version().get()), |(q, _)| list_companies(non_blank(q)));

    view! {
        <PageHeader title="Companies" subtitle="Customers you raise purchase orders for, with their tickets and projects." />
        <IfCan permission=Permission::ManageCatalog>
            <NewCompanyForm create />
        </IfCan>
        <div class="toolbar">
            <input class="search" type="search" placeholder="Search companies" aria-label="Search companies" bind:value=q />
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match companies.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState title="No companies found" text="Add a company, or search for another name." /> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="companies">
                            <thead><tr><th>"Name"</th><th>"Pax8 company"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| view! {
                                    <tr>
                                        <td><a href=format!("/companies/{}", c.id)>{c.name}</a></td>
                                        <td>{match c.pax8_company_id {
                                            Some(id) => view! { <code>{id}</code> }.into_any(),
                                            None => view! { <span class="muted">"Not linked"</span> }.into_any(),
                                        }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewCompanyForm(create: ServerAction<CreateCompany>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let pax8 = RwSignal::new(String::new());
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            pax8.set(String::new());
        }
    });
    view! {
        <form class="card inline-form" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(CreateCompany { name: name.get_untracked(), pax8_company_id: non_blank(pax8.get_untracked()) });
        }>
            <h2>"New company"</h2>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Name"<input name="name" bind:value=name /><FieldError error field="name" /></label>
                <label>"Pax8 company id " <span class="muted">"(optional)"</span><input name="pax8_company_id" bind:value=pax8 /><FieldError error field="pax8_company_id" /></label>
                <button class="button primary" type="submit" disabled=move || create.pending().get()>"Add company"</button>
            </div>
        </form>
    }
}
