//! Raise a PO, or edit a draft or rejected one: target picker that searches
//! as you type, vendor, a line editor with running totals, notes.

use super::editor_line::{LineRow, LineState};
use super::target_picker::{Kind, TargetPicker};
use super::{get_po, CreatePo, UpdatePo};
use crate::catalog::{list_contract_lines, list_products, list_vendors};
use crate::components::{dollars, last_error, non_blank, ErrorBanner, FieldError, LoadError, PageHeader};
use crate::error::ApiError;
use domain::catalog::Product;
use domain::purchase_orders::{rules, LineInput, PurchaseOrder};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn NewPoPage() -> impl IntoView {
    view! {
        <PageHeader title="New purchase order" />
        <Editor existing=None />
    }
}

#[component]
pub fn EditPoPage() -> impl IntoView {
    let params = use_params_map();
    let po = Resource::new(move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0), get_po);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match po.await {
                    Err(e) => view! { <PageHeader title="Edit purchase order" /><LoadError error=e /> }.into_any(),
                    Ok(po) => {
                        // An approved PO nothing followed yet is revised: saving withdraws its approval.
                        let revising = po.status == domain::purchase_orders::PoStatus::Approved;
                        view! {
                            <PageHeader title=format!("{} {}", if revising { "Revise" } else { "Edit" }, po.number) />
                            {revising.then(|| view! {
                                <div class="banner warn" data-testid="revising">
                                    "This purchase order is approved. Saving a change withdraws the approval: it goes back to draft, or to an approver when you submit it."
                                </div>
                            })}
                            <Editor existing=Some(po) />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Editor(existing: Option<PurchaseOrder>) -> impl IntoView {
    let (kind0, target0, label0, company0) = match &existing {
        Some(po) => match (&po.ticket, &po.project) {
            (Some(t), _) => (Kind::Ticket, Some(t.id), t.name.clone(), Some(po.company.id)),
            (_, Some(p)) => (Kind::Project, Some(p.id), p.name.clone(), Some(po.company.id)),
            _ => (Kind::Company, Some(po.company.id), po.company.name.clone(), Some(po.company.id)),
        },
        None => (Kind::Company, None, String::new(), None),
    };
    let kind = RwSignal::new(kind0);
    let target = RwSignal::new(target0);
    let target_label = RwSignal::new(label0);
    let company_id = RwSignal::new(company0);
    let vendor = RwSignal::new(existing.as_ref().map(|p| p.vendor.id.to_string()).unwrap_or_default());
    let notes = RwSignal::new(existing.as_ref().map(|p| p.notes.clone()).unwrap_or_default());
    let lines = RwSignal::new(match &existing {
        Some(po) => po
            .lines
            .iter()
            .map(|l| {
                let input = LineInput {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_cost_cents: l.unit_cost_cents,
                    product_id: l.product_id,
                    contract_line_id: l.contract_line_id,
                    billing_term: l.billing_term.clone(),
                    commitment_term_id: l.commitment_term_id.clone(),
                    provisioning_details: l.provisioning_details.clone(),
                    change: None,
                };
                LineState::from(&input, false)
            })
            .collect(),
        None => vec![LineState::new()],
    });
    let id_version = existing.as_ref().map(|p| (p.id, p.version));

    let vendors = Resource::new(|| (), |_| list_vendors());
    let products = Resource::new(
        move || vendor.get(),
        |v| async move {
            match v.parse::<i64>() {
                Ok(id) => list_products(Some(id), None).await,
                Err(_) => Ok(Vec::new()),
            }
        },
    );
    let contract_lines = Resource::new(
        move || company_id.get(),
        |c| async move {
            match c {
                Some(id) => list_contract_lines(id).await,
                None => Ok(Vec::new()),
            }
        },
    );
    // What the company already subscribes to: a new line of the same
    // product makes a second subscription, so the line says so.
    let subscribed = Resource::new(
        move || company_id.get(),
        |c| async move {
            match c {
                Some(id) => crate::subscriptions::list_subscriptions(Some(id), Some("active".into())).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let catalog = StoredValue::new(Vec::<Product>::new());

    let create = ServerAction::<CreatePo>::new();
    let update = ServerAction::<UpdatePo>::new();
    let local_error = RwSignal::new(None::<ApiError>);
    let create_error = last_error(create.value());
    let update_error = last_error(update.value());
    let error = Signal::derive(move || local_error.get().or_else(|| create_error.get()).or_else(|| update_error.get()));
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    Effect::new(move |_| {
        let done = create.value().get().and_then(|r| r.ok()).or_else(|| update.value().get().and_then(|r| r.ok()));
        if let Some(po) = done {
            let navigate = leptos_router::hooks::use_navigate();
            navigate(&format!("/purchase-orders/{}", po.id), Default::default());
        }
    });

    let total = Signal::derive(move || rules::po_total(lines.get().iter().map(|l| (1, l.total().unwrap_or(0)))).unwrap_or(0));

    let save = move |submit: bool| {
        local_error.set(None);
        let Ok(vendor_id) = vendor.get_untracked().parse::<i64>() else {
            local_error.set(Some(ApiError(domain::Error::validation("vendor_id", "Choose a vendor."))));
            return;
        };
        let Some(target_id) = target.get_untracked() else {
            local_error.set(Some(ApiError(domain::Error::validation(
                "company_id",
                "Choose what the PO is for: a company, ticket or project.",
            ))));
            return;
        };
        let mut input = Vec::new();
        for (i, l) in lines.get_untracked().into_iter().enumerate() {
            match l.to_input(i) {
                Ok(li) => input.push(li),
                Err(e) => {
                    local_error.set(Some(e));
                    return;
                }
            }
        }
        // The same rules the server applies, for instant feedback.
        if let Err(e) = rules::validate_lines(&input) {
            local_error.set(Some(ApiError(e)));
            return;
        }
        let k = kind.get_untracked();
        let (company_id, ticket_id, project_id) = match k {
            Kind::Company => (Some(target_id), None, None),
            Kind::Ticket => (None, Some(target_id), None),
            Kind::Project => (None, None, Some(target_id)),
        };
        let notes = non_blank(notes.get_untracked());
        match id_version {
            Some((id, version)) => {
                update.dispatch(UpdatePo {
                    id,
                    version,
                    vendor_id,
                    company_id,
                    ticket_id,
                    project_id,
                    lines: input,
                    notes,
                    submit: Some(submit),
                });
            }
            None => {
                create.dispatch(CreatePo {
                    vendor_id,
                    company_id,
                    ticket_id,
                    project_id,
                    lines: input,
                    notes,
                    submit: Some(submit),
                });
            }
        }
    };

    view! {
        <form class="po-editor" on:submit=move |ev| { ev.prevent_default(); save(true); }>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none() || e.field() == Some("lines"))) />
            <section class="card">
                <h2>"Raised against"</h2>
                <div class="segmented" role="radiogroup" aria-label="Raised against">
                    {[(Kind::Company, "Company"), (Kind::Ticket, "Ticket"), (Kind::Project, "Project")].into_iter().map(|(k, label)| view! {
                        <button type="button" role="radio" class="segment" aria-checked=move || (kind.get() == k).to_string()
                            on:click=move |_| { if kind.get_untracked() != k { kind.set(k); target.set(None); target_label.set(String::new()); company_id.set(None); } }>
                            {label}
                        </button>
                    }).collect_view()}
                </div>
                <TargetPicker kind target target_label company_id />
                <FieldError error field="company_id" />
                <FieldError error field="ticket_id" />
                <FieldError error field="project_id" />
                <div class="fields">
                    <label>"Vendor"
                        <select name="vendor_id" prop:value=move || vendor.get() on:change=move |ev| vendor.set(event_target_value(&ev))>
                            <option value="">"Choose…"</option>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    vendors.await.unwrap_or_default().into_iter().map(|v| {
                                        let selected = vendor.get_untracked() == v.id.to_string();
                                        let label = match v.distributor { Some(d) => format!("{} ({})", v.name, d.label()), None => v.name };
                                        view! { <option value=v.id.to_string() selected=selected>{label}</option> }
                                    }).collect_view()
                                })}
                            </Transition>
                        </select>
                        <FieldError error field="vendor_id" />
                    </label>
                </div>
            </section>

            <section class="card">
                <h2>"Lines"</h2>
                <div class="lines" data-testid="lines">
                    <For each=move || lines.get() key=|l| l.key let:line>
                        <LineRow line lines catalog products contract_lines subscribed error />
                    </For>
                </div>
                <div class="lines-foot">
                    <button type="button" class="button" on:click=move |_| lines.update(|ls| ls.push(LineState::new()))>"+ Add line"</button>
                    <div class="po-total">"Total " <strong data-testid="po-total">{move || dollars(total.get())}</strong></div>
                </div>
            </section>

            <section class="card">
                <label>"Notes"<textarea name="notes" rows="3" bind:value=notes></textarea></label>
                <FieldError error field="notes" />
            </section>

            <div class="form-actions">
                <button type="button" class="button" disabled=move || pending.get() on:click=move |_| save(false)>"Save draft"</button>
                <button type="submit" class="button primary" disabled=move || pending.get()>"Submit for approval"</button>
            </div>
        </form>
    }
}
