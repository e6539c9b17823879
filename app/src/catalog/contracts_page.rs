use super::{list_companies, list_contracts, CreateContract};
use crate::components::{last_error, EmptyState, ErrorBanner, FieldError, IfCan, LoadError, PageHeader};
use domain::users::Permission;
use leptos::prelude::*;

#[component]
pub fn ContractsPage() -> impl IntoView {
    let create = ServerAction::<CreateContract>::new();
    let contracts = Resource::new(move || create.version().get(), |_| list_contracts(None));
    view! {
        <PageHeader title="Contracts" subtitle="Customer contracts. Provisioning a SaaS order activates the contract line it is linked to." />
        <IfCan permission=Permission::ManageCatalog>
            <NewContractForm create />
        </IfCan>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contracts.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <EmptyState title="No contracts yet" text="Add a contract for a company, then its lines." /> }.into_any(),
                    Ok(l) => view! {
                        <table class="table" data-testid="contracts">
                            <thead><tr><th>"Contract"</th><th>"Company"</th><th class="num">"Lines"</th><th class="num">"Pending"</th></tr></thead>
                            <tbody>{l.into_iter().map(|c| view! {
                                <tr>
                                    <td><a href=format!("/contracts/{}", c.id)>{c.name}</a></td>
                                    <td><a href=format!("/companies/{}", c.company_id)>{c.company_name}</a></td>
                                    <td class="num">{c.line_count}</td>
                                    <td class="num">{c.pending_lines}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewContractForm(create: ServerAction<CreateContract>) -> impl IntoView {
    let companies = Resource::new(|| (), |_| list_companies(None));
    let company = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<crate::error::ApiError>);
    let server_error = last_error(create.value());
    let error = Signal::derive(move || local_error.get().or_else(|| server_error.get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
        }
    });
    view! {
        <form class="card inline-form" on:submit=move |ev| {
            ev.prevent_default();
            local_error.set(None);
            match company.get_untracked().parse::<i64>() {
                Ok(company_id) => { create.dispatch(CreateContract { company_id, name: name.get_untracked() }); }
                Err(_) => local_error.set(Some(domain::Error::validation("company_id", "Choose the company.").into())),
            }
        }>
            <h2>"New contract"</h2>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Company"
                    <select name="company_id" on:change=move |ev| company.set(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                companies.await.unwrap_or_default().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()
                            })}
                        </Transition>
                    </select>
                    <FieldError error field="company_id" />
                </label>
                <label>"Name"<input name="name" bind:value=name /><FieldError error field="name" /></label>
                <button class="button primary" type="submit" disabled=move || create.pending().get()>"Add contract"</button>
            </div>
        </form>
    }
}
