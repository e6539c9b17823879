use super::list_pos;
use super::widgets::StatusBadge;
use crate::catalog::{get_company, list_companies, list_vendors};
use crate::components::when;
use crate::components::{boxed, dollars, non_blank, EmptyState, IfCan, LoadError, PageHeader, PickerMatch, PickerMenu};
use domain::purchase_orders::{PoStatus, PurchaseOrderSummary};
use domain::users::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn PurchaseOrdersPage() -> impl IntoView {
    let query = use_query_map();
    let initial = |k: &str| query.read_untracked().get(k).unwrap_or_default();
    let status = RwSignal::new(initial("status"));
    let company = RwSignal::new(initial("company_id"));
    let vendor = RwSignal::new(initial("vendor_id"));
    let q = RwSignal::new(initial("q"));
    let ticket = initial("ticket_id").parse::<i64>().ok();
    let project = initial("project_id").parse::<i64>().ok();
    let vendors = Resource::new(|| (), |_| boxed(list_vendors()));
    view! {
        <PageHeader title="Purchase orders" subtitle="Raise, approve and receive orders against a company, ticket or project.">
            <a class="button" data-testid="export-csv" download rel="external" href=move || export_href(&[
                ("status", status.get()),
                ("company_id", company.get()),
                ("vendor_id", vendor.get()),
                ("q", q.get()),
                ("ticket_id", ticket.map(|t| t.to_string()).unwrap_or_default()),
                ("project_id", project.map(|p| p.to_string()).unwrap_or_default()),
            ])>"Export CSV"</a>
            <IfCan permission=Permission::Create>
                <a class="button primary" href="/purchase-orders/new">"New purchase order"</a>
            </IfCan>
        </PageHeader>
        <div class="toolbar">
            <input class="search" type="search" placeholder="Search number, vendor, company, lines" aria-label="Search purchase orders" bind:value=q />
            <select aria-label="Status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                <option value="">"Any status"</option>
                {PoStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
            </select>
            {company_filter(company)}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let vs = vendors.await.unwrap_or_default();
                    view! {
                        <select aria-label="Vendor" on:change=move |ev| vendor.set(event_target_value(&ev)) prop:value=move || vendor.get()>
                            <option value="">"Any vendor"</option>
                            {vs.into_iter().map(|v| view! { <option value=v.id.to_string()>{v.name}</option> }).collect_view()}
                        </select>
                    }
                })}
            </Transition>
        </div>
        <PoTable
            status=Signal::derive(move || status.get())
            company_id=Signal::derive(move || company.get().parse().ok())
            vendor_id=Signal::derive(move || vendor.get().parse().ok())
            q=Signal::derive(move || q.get())
            ticket_id=ticket
            project_id=project
        />
    }
}

/// `/purchase-orders/export.csv` with the list's current filters.
fn export_href(filters: &[(&str, String)]) -> String {
    let query: Vec<String> = filters
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect();
    if query.is_empty() {
        "/purchase-orders/export.csv".into()
    } else {
        format!("/purchase-orders/export.csv?{}", query.join("&"))
    }
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn company_filter(company: RwSignal<String>) -> impl IntoView {
    view! { <CompanyFilter company /> }
}

/// The company filter: search as you type. An MSP has hundreds of clients;
/// a select holding every one of them would weigh on every load of the list.
#[component]
fn CompanyFilter(company: RwSignal<String>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    // The name of a company given in the address (`?company_id=`), in the browser.
    if let Ok(id) = company.get_untracked().parse::<i64>() {
        Effect::new(move |_| {
            leptos::task::spawn_local(async move {
                if let Ok(c) = get_company(id).await {
                    if text.get_untracked().is_empty() {
                        text.set(c.name);
                    }
                }
            });
        });
    }
    let open = RwSignal::new(false);
    let matches = Resource::new(
        move || (text.get(), open.get()),
        |(q, open)| async move {
            // Nothing asked for until something is typed.
            let Some(q) = non_blank(q).filter(|_| open) else {
                return Ok(Vec::new());
            };
            let found = list_companies(Some(q)).await?;
            Ok(found
                .into_iter()
                .take(8)
                .map(|c| PickerMatch {
                    id: c.id,
                    label: c.name,
                    company_id: c.id,
                })
                .collect())
        },
    );
    let clear = move || {
        company.set(String::new());
        text.set(String::new());
        open.set(false);
    };
    view! {
        <div class="picker filter-picker" on:focusout=move |ev| {
            // Closes when the focus leaves the picker (not when it moves to a match).
            use wasm_bindgen::JsCast;
            let inside = ev
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.closest(".filter-picker").ok().flatten().is_some());
            if !inside {
                open.set(false);
            }
        }>
            <input
                type="search"
                name="company_filter"
                autocomplete="off"
                aria-label="Company"
                placeholder="Any company"
                bind:value=text
                on:focus=move |_| open.set(true)
                on:input=move |_| {
                    // Typing starts a new choice: until one is picked, any company.
                    open.set(true);
                    company.set(String::new());
                }
                on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }
            />
            <Show when=move || !company.get().is_empty()>
                <button type="button" class="picker-clear" aria-label="Any company" on:click=move |_| clear()>"×"</button>
            </Show>
            <PickerMenu
                open
                matches
                empty=Signal::derive(move || if text.get().trim().is_empty() { "Type a company's name" } else { "No matches" })
                on_pick=Callback::new(move |m: PickerMatch| {
                    company.set(m.id.to_string());
                    text.set(m.label);
                })
            />
        </div>
    }
}

/// A page of POs for a filter, with "Show more" and the committed cost.
#[component]
pub fn PoTable(
    #[prop(into, optional)] status: Signal<String>,
    #[prop(into, optional)] company_id: Signal<Option<i64>>,
    #[prop(into, optional)] vendor_id: Signal<Option<i64>>,
    #[prop(into, optional)] q: Signal<String>,
    #[prop(default = None)] ticket_id: Option<i64>,
    #[prop(default = None)] project_id: Option<i64>,
) -> impl IntoView {
    // Extra pages loaded with "Show more", reset when the filter changes.
    let more = RwSignal::new(Vec::<PurchaseOrderSummary>::new());
    let next = RwSignal::new(None::<String>);
    let first = Resource::new(
        move || (status.get(), company_id.get(), vendor_id.get(), q.get()),
        move |(s, c, v, q)| boxed(list_pos(non_blank(s), c, v, ticket_id, project_id, non_blank(q), None, None)),
    );
    let load_more = Action::new(move |cursor: &String| {
        let cursor = cursor.clone();
        async move {
            list_pos(
                non_blank(status.get_untracked()),
                company_id.get_untracked(),
                vendor_id.get_untracked(),
                ticket_id,
                project_id,
                non_blank(q.get_untracked()),
                Some(cursor),
                None,
            )
            .await
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            more.update(|m| m.extend(page.items.clone()));
            next.set(page.next_cursor.clone());
        }
    });
    let filtered_by_owner = move || company_id.get().is_some() || ticket_id.is_some() || project_id.is_some();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match first.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! { <EmptyState title="No purchase orders" text="None match. Raise one, or change the filters." /> }.into_any(),
                    Ok(page) => {
                        more.set(Vec::new());
                        next.set(page.next_cursor.clone());
                        let committed = page.committed_cents;
                        view! {
                            <Show when=filtered_by_owner>
                                <p class="committed" data-testid="committed">"Committed cost: " <strong>{dollars(committed)}</strong> <span class="muted">" (approved and later)"</span></p>
                            </Show>
                            <table class="table po-table" data-testid="po-list">
                                <thead><tr><th>"Number"</th><th>"Status"</th><th>"Vendor"</th><th>"Company"</th><th>"Raised"</th><th class="num">"Total"</th></tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|p| view! { <PoRow p /> }).collect_view()}
                                    <For each=move || more.get() key=|p| p.id let:p><PoRow p /></For>
                                </tbody>
                            </table>
                            // Inside the Suspend, after `next` is set: the server
                            // renders it as hydration finds it (outside, the
                            // server drew no button for a list with a next page
                            // while the browser did, and hydration failed).
                            <Show when=move || next.get().is_some()>
                                <button class="button wide" data-testid="more" on:click=move |_| { if let Some(c) = next.get_untracked() { load_more.dispatch(c); } } disabled=move || load_more.pending().get()>
                                    "Show more"
                                </button>
                            </Show>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn PoRow(p: PurchaseOrderSummary) -> impl IntoView {
    view! {
        <tr>
            <td><a href=format!("/purchase-orders/{}", p.id)>{p.number}</a></td>
            <td><StatusBadge status=p.status /></td>
            <td>{p.vendor.name}</td>
            <td><a href=format!("/companies/{}", p.company.id)>{p.company.name}</a></td>
            <td>{when(&p.created_at)}<div class="muted small">{p.created_by.name}</div></td>
            <td class="num">{dollars(p.total_cents)}</td>
        </tr>
    }
}
