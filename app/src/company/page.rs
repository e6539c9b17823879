use crate::catalog::{get_company, list_contracts, list_projects, list_tickets, CreateProject, CreateTicket, UpdateCompany};
use crate::components::{last_error, non_blank, ErrorBanner, FieldError, IfCan, LoadError, PageHeader, PickerMenu};
use crate::procurement::{pax8_companies, Pax8Company};
use domain::users::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn CompanyPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let update = ServerAction::<UpdateCompany>::new();
    let company = Resource::new(move || (id.get(), update.version().get()), |(id, _)| get_company(id));

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match company.await {
                    Err(e) => view! { <PageHeader title="Company" /><LoadError error=e /> }.into_any(),
                    Ok(c) => view! {
                        <PageHeader title=c.name.clone() subtitle="Company" />
                        <section class="card">
                            <h2>"Pax8 link"</h2>
                            <p>{match c.pax8_company_id.clone() {
                                Some(p) => view! { "Linked to Pax8 company " <code data-testid="pax8-id">{p}</code> }.into_any(),
                                None => view! { <span class="muted" data-testid="pax8-id">"Not linked to Pax8: SaaS orders for this company cannot be dispatched until it is."</span> }.into_any(),
                            }}</p>
                            <IfCan permission=Permission::ManageCatalog>
                                <Pax8LinkForm id=c.id current=c.pax8_company_id.clone().unwrap_or_default() update />
                            </IfCan>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
        <div class="grid-2">
            <TicketsCard company_id=id />
            <ProjectsCard company_id=id />
        </div>
        <crate::subscriptions::CompanySubscriptions company_id=Signal::derive(move || id.get()) />
        <ContractsCard company_id=id />
        <crate::reports::CompanySpend company_id=Signal::derive(move || id.get()) />
        <section class="card">
            <h2>"Purchase orders"</h2>
            <crate::purchase_orders::PoTable company_id=Signal::derive(move || Some(id.get())) />
        </section>
    }
}

/// Links the company to its Pax8 company: search Pax8's companies by name
/// (only Active ones can be picked: Pax8 refuses orders for the others),
/// or type the id.
#[component]
fn Pax8LinkForm(id: i64, current: String, update: ServerAction<UpdateCompany>) -> impl IntoView {
    let value = RwSignal::new(current.clone());
    let picked = RwSignal::new(None::<Pax8Company>);
    let text = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let error = last_error(update.value());
    let matches = Resource::new(
        move || (text.get(), open.get()),
        |(q, open)| async move {
            if !open {
                return Ok(Vec::new());
            }
            pax8_companies(non_blank(q)).await.map(|l| l.into_iter().take(20).collect::<Vec<_>>())
        },
    );
    // The linked company as Pax8 has it (its status decides whether orders
    // go through). Asked from the browser once the page runs there: read
    // during the server's render, inside the company's own Suspense, it made
    // the page fail to hydrate.
    let linked = LocalResource::new(move || {
        let current = current.clone();
        async move {
            if current.is_empty() {
                return None;
            }
            pax8_companies(None).await.ok()?.into_iter().find(|c| c.id == current)
        }
    });
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        {move || mounted.get().then(|| view! {
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    linked.await.map(|c| if c.orderable {
                        view! { <p data-testid="pax8-linked">"At Pax8: "<strong>{c.name}</strong>" · "{c.status.unwrap_or_default()}</p> }.into_any()
                    } else {
                        view! { <p class="banner warn" data-testid="pax8-linked">{format!("At Pax8: {} is {}. Pax8 refuses orders for it until it is Active.", c.name, c.status.unwrap_or_else(|| "without a status".into()))}</p> }.into_any()
                    })
                })}
            </Transition>
        })}
        <form class="inline-form" on:submit=move |ev| {
            ev.prevent_default();
            update.dispatch(UpdateCompany { id, name: None, pax8_company_id: Some(value.get_untracked()) });
        }>
            <label for="pax8-company-search">"Find the Pax8 company"</label>
            <div class="picker">
                <input
                    id="pax8-company-search"
                    type="search"
                    name="pax8_company_search"
                    autocomplete="off"
                    placeholder="Search Pax8 companies by name"
                    bind:value=text
                    on:focus=move |_| open.set(true)
                    on:input=move |_| open.set(true)
                />
                <PickerMenu
                    open
                    matches
                    empty=Signal::stored("No Pax8 company matches")
                    on_pick=Callback::new(move |c: Pax8Company| {
                        value.set(c.id.clone());
                        text.set(c.name.clone());
                        picked.set(Some(c));
                    })
                />
            </div>
            {move || picked.get().map(|c| view! {
                <p class="picked" data-testid="pax8-picked">"✓ "{c.name}" · "{c.status.unwrap_or_default()}" "<code class="muted small">{c.id}</code></p>
            })}
            <details>
                <summary>"Enter the Pax8 company id by hand"</summary>
                <div class="fields">
                    <label>"Pax8 company id"<input name="pax8_company_id" bind:value=value placeholder="blank to unlink" on:input=move |_| picked.set(None) /></label>
                </div>
            </details>
            <FieldError error field="pax8_company_id" />
            <div class="form-actions left">
                <button class="button primary" type="submit">"Save link"</button>
            </div>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
        </form>
    }
}

#[component]
fn TicketsCard(company_id: Memo<i64>) -> impl IntoView {
    let create = ServerAction::<CreateTicket>::new();
    let tickets = Resource::new(move || (company_id.get(), create.version().get()), |(id, _)| list_tickets(Some(id), None));
    let title = RwSignal::new(String::new());
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            title.set(String::new());
        }
    });
    view! {
        <section class="card">
            <h2>"Tickets"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tickets.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No tickets."</p> }.into_any(),
                        Ok(l) => view! { <ul class="plain-list" data-testid="tickets">{l.into_iter().map(|t| view! { <li><span class="muted">"#"{t.id}" "</span>{t.title}" "<a class="small" href=format!("/purchase-orders?ticket_id={}", t.id)>"POs"</a></li> }).collect_view()}</ul> }.into_any(),
                    }
                })}
            </Transition>
            <IfCan permission=Permission::ManageCatalog>
                <form class="inline-form" on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateTicket { company_id: company_id.get_untracked(), title: title.get_untracked() });
                }>
                    <div class="fields">
                        <label>"New ticket"<input name="ticket_title" placeholder="Title" bind:value=title /></label>
                        <button class="button" type="submit">"Add ticket"</button>
                    </div>
                    <FieldError error field="title" />
                    <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
                </form>
            </IfCan>
        </section>
    }
}

#[component]
fn ProjectsCard(company_id: Memo<i64>) -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let projects = Resource::new(move || (company_id.get(), create.version().get()), |(id, _)| list_projects(Some(id), None));
    let name = RwSignal::new(String::new());
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
        }
    });
    view! {
        <section class="card">
            <h2>"Projects"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match projects.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No projects."</p> }.into_any(),
                        Ok(l) => view! { <ul class="plain-list" data-testid="projects">{l.into_iter().map(|p| view! { <li>{p.name}" "<a class="small" href=format!("/purchase-orders?project_id={}", p.id)>"POs"</a></li> }).collect_view()}</ul> }.into_any(),
                    }
                })}
            </Transition>
            <IfCan permission=Permission::ManageCatalog>
                <form class="inline-form" on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateProject { company_id: company_id.get_untracked(), name: name.get_untracked() });
                }>
                    <div class="fields">
                        <label>"New project"<input name="project_name" placeholder="Name" bind:value=name /></label>
                        <button class="button" type="submit">"Add project"</button>
                    </div>
                    <FieldError error field="name" />
                    <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
                </form>
            </IfCan>
        </section>
    }
}

#[component]
fn ContractsCard(company_id: Memo<i64>) -> impl IntoView {
    let contracts = Resource::new(move || company_id.get(), |id| list_contracts(Some(id)));
    view! {
        <section class="card">
            <h2>"Contracts"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match contracts.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No contracts."</p> }.into_any(),
                        Ok(l) => view! { <ul class="plain-list">{l.into_iter().map(|c| view! {
                            <li><a href=format!("/contracts/{}", c.id)>{c.name}</a><span class="muted">" · "{c.line_count}" lines, "{c.pending_lines}" pending"</span></li>
                        }).collect_view()}</ul> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
