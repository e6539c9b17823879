//! Raise a PO, or edit a draft or rejected one: target picker that searches
//! as you type, vendor, a line editor with running totals, notes.

use super::{get_po, CreatePo, UpdatePo};
use crate::components::{dollars, last_error, non_blank, ErrorBanner, FieldError, LoadError, PageHeader, PickerMatch, PickerMenu};
use crate::error::ApiError;
use crate::procurement::{pax8_product_requirements, Pax8Detail};
use crate::reference::{list_companies, list_contract_lines, list_products, list_projects, list_tickets, list_vendors};
use domain::money::{format_cents, parse_dollars};
use domain::purchase_orders::{rules, LineInput, PurchaseOrder};
use domain::reference::{Product, BILLING_TERMS};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_KEY: AtomicUsize = AtomicUsize::new(1);

#[derive(Clone, Copy)]
struct LineState {
    key: usize,
    product_id: RwSignal<String>,
    description: RwSignal<String>,
    quantity: RwSignal<String>,
    unit_cost: RwSignal<String>,
    contract_line_id: RwSignal<String>,
    billing_term: RwSignal<String>,
    commitment_term_id: RwSignal<String>,
    /// One `key=value, value` per text line.
    details: RwSignal<String>,
}

impl LineState {
    fn new() -> Self {
        Self::from(
            &LineInput {
                quantity: 1,
                ..Default::default()
            },
            true,
        )
    }

    fn from(l: &LineInput, blank_cost: bool) -> Self {
        LineState {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            product_id: RwSignal::new(l.product_id.map(|p| p.to_string()).unwrap_or_default()),
            description: RwSignal::new(l.description.clone()),
            quantity: RwSignal::new(l.quantity.to_string()),
            unit_cost: RwSignal::new(if blank_cost {
                String::new()
            } else {
                format_cents(l.unit_cost_cents).replace(',', "")
            }),
            contract_line_id: RwSignal::new(l.contract_line_id.map(|p| p.to_string()).unwrap_or_default()),
            billing_term: RwSignal::new(l.billing_term.clone().unwrap_or_default()),
            commitment_term_id: RwSignal::new(l.commitment_term_id.clone().unwrap_or_default()),
            details: RwSignal::new(domain::purchase_orders::format_details(&l.provisioning_details)),
        }
    }

    /// Cents of the line, if quantity and cost read as numbers.
    fn total(&self) -> Option<i64> {
        let q = self.quantity.get().trim().parse::<i64>().ok()?;
        rules::line_total(q, parse_dollars(&self.unit_cost.get())?)
    }

    /// The line as the API takes it; an error names the field.
    fn to_input(self, i: usize) -> Result<LineInput, ApiError> {
        let quantity = self.quantity.get_untracked().trim().parse::<i64>().map_err(|_| {
            ApiError(domain::Error::validation(
                format!("lines[{i}].quantity"),
                "Quantity must be a whole number of at least 1.",
            ))
        })?;
        let unit_cost_cents = parse_dollars(&self.unit_cost.get_untracked()).ok_or_else(|| {
            ApiError(domain::Error::validation(
                format!("lines[{i}].unit_cost_cents"),
                "Enter the unit cost in dollars, like 1199.00.",
            ))
        })?;
        let provisioning_details = domain::purchase_orders::parse_details(&self.details.get_untracked());
        Ok(LineInput {
            description: self.description.get_untracked(),
            quantity,
            unit_cost_cents,
            product_id: self.product_id.get_untracked().parse().ok(),
            contract_line_id: self.contract_line_id.get_untracked().parse().ok(),
            billing_term: non_blank(self.billing_term.get_untracked()),
            commitment_term_id: non_blank(self.commitment_term_id.get_untracked()),
            provisioning_details,
        })
    }
}

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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Company,
    Ticket,
    Project,
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

    let move_line = move |key: usize, delta: isize| {
        lines.update(|ls| {
            if let Some(i) = ls.iter().position(|l| l.key == key) {
                let j = i as isize + delta;
                if j >= 0 && (j as usize) < ls.len() {
                    ls.swap(i, j as usize);
                }
            }
        })
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
                        {
                            let index = Signal::derive(move || lines.get().iter().position(|l| l.key == line.key).unwrap_or(0));
                            let pick_product = move |ev: leptos::ev::Event| {
                                let v = event_target_value(&ev);
                                line.product_id.set(v.clone());
                                if let Some(p) = v.parse::<i64>().ok().and_then(|id| catalog.read_value().iter().find(|p| p.id == id).cloned()) {
                                    line.description.set(p.name.clone());
                                    line.unit_cost.set(format_cents(p.unit_cost_cents).replace(',', ""));
                                    line.billing_term.set(p.billing_term.clone().unwrap_or_default());
                                    line.commitment_term_id.set(p.commitment_term_id.clone().unwrap_or_default());
                                }
                            };
                            view! {
                                <div class="line" data-testid="line">
                                    <div class="line-head">
                                        <span class="line-no">{move || format!("Line {}", index.get() + 1)}</span>
                                        <span class="line-tools">
                                            <button type="button" class="icon-button" aria-label="Move line up" on:click=move |_| move_line(line.key, -1) disabled=move || index.get() == 0>"↑"</button>
                                            <button type="button" class="icon-button" aria-label="Move line down" on:click=move |_| move_line(line.key, 1) disabled=move || index.get() + 1 == lines.get().len()>"↓"</button>
                                            <button type="button" class="icon-button danger" aria-label="Remove line" on:click=move |_| lines.update(|ls| ls.retain(|l| l.key != line.key)) disabled=move || lines.get().len() == 1>"✕"</button>
                                        </span>
                                    </div>
                                    <div class="fields">
                                        <label>"Catalog product"
                                            <select name="product_id" on:change=pick_product prop:value=move || line.product_id.get()>
                                                <option value="">"Free line"</option>
                                                <Transition fallback=|| ()>
                                                    {move || Suspend::new(async move {
                                                        let list = products.await.unwrap_or_default();
                                                        catalog.set_value(list.clone());
                                                        list.into_iter().map(|p| {
                                                            let selected = line.product_id.get_untracked() == p.id.to_string();
                                                            view! { <option value=p.id.to_string() selected=selected>{format!("{} · {}", p.name, dollars(p.unit_cost_cents))}</option> }
                                                        }).collect_view()
                                                    })}
                                                </Transition>
                                            </select>
                                        </label>
                                        <label class="grow">"Description"<input name="description" bind:value=line.description /></label>
                                    </div>
                                    <div class="fields">
                                        <label class="narrow">"Quantity"<input name="quantity" inputmode="numeric" bind:value=line.quantity /></label>
                                        <label class="narrow">"Unit cost ($)"<input name="unit_cost" inputmode="decimal" placeholder="0.00" bind:value=line.unit_cost /><CatalogPrice line products /></label>
                                        <label>"Contract line " <span class="muted">"(optional)"</span>
                                            <select name="contract_line_id" on:change=move |ev| line.contract_line_id.set(event_target_value(&ev)) prop:value=move || line.contract_line_id.get()>
                                                <option value="">"None"</option>
                                                <Transition fallback=|| ()>
                                                    {move || Suspend::new(async move {
                                                        contract_lines.await.unwrap_or_default().into_iter().map(|c| {
                                                            let selected = line.contract_line_id.get_untracked() == c.id.to_string();
                                                            view! { <option value=c.id.to_string() selected=selected>{format!("{}: {} ×{} ({})", c.contract_name, c.description, c.quantity, c.status.as_str())}</option> }
                                                        }).collect_view()
                                                    })}
                                                </Transition>
                                            </select>
                                        </label>
                                        <div class="line-total">
                                            <span class="muted small">"Line total"</span>
                                            <strong data-testid="line-total">{move || line.total().map(dollars).unwrap_or_else(|| "—".into())}</strong>
                                        </div>
                                    </div>
                                    <LineErrors error index />
                                    <RequiredDetails line products />
                                    <details>
                                        <summary>"Distributor order details"</summary>
                                        <div class="fields">
                                            <label>"Billing term"
                                                <select name="billing_term" on:change=move |ev| line.billing_term.set(event_target_value(&ev)) prop:value=move || line.billing_term.get()>
                                                    <option value="">"—"</option>
                                                    {BILLING_TERMS.iter().map(|t| view! { <option value=*t>{*t}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            <label>"Commitment term id"<input name="commitment_term_id" bind:value=line.commitment_term_id /></label>
                                            <label class="grow">"Provisioning details " <span class="muted">"(one key=value per line; repeat the key for several values)"</span>
                                                <textarea name="provisioning_details" rows="2" bind:value=line.details></textarea>
                                            </label>
                                        </div>
                                    </details>
                                </div>
                            }
                        }
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

/// Errors that name a field of this line (`lines[i].…`).
#[component]
fn LineErrors(error: Signal<Option<ApiError>>, index: Signal<usize>) -> impl IntoView {
    move || {
        let prefix = format!("lines[{}].", index.get());
        error.get().filter(|e| e.field().is_some_and(|f| f.starts_with(&prefix))).map(|e| {
            let field = e.field().unwrap_or_default().to_string();
            view! { <p class="field-error" data-field=field>{e.message().to_string()}</p> }
        })
    }
}

/// Search as you type for the company, ticket or project.
#[component]
fn TargetPicker(kind: RwSignal<Kind>, target: RwSignal<Option<i64>>, target_label: RwSignal<String>, company_id: RwSignal<Option<i64>>) -> impl IntoView {
    let text = RwSignal::new(target_label.get_untracked());
    let open = RwSignal::new(false);
    Effect::new(move |_| text.set(target_label.get()));
    let matches = Resource::new(
        move || (kind.get(), text.get(), open.get()),
        |(k, q, open)| async move {
            if !open {
                return Ok(Vec::new());
            }
            let q = non_blank(q);
            let m = |id, label, company_id| PickerMatch { id, label, company_id };
            let items: Vec<PickerMatch> = match k {
                Kind::Company => list_companies(q).await?.into_iter().map(|c| m(c.id, c.name, c.id)).collect(),
                Kind::Ticket => list_tickets(None, q)
                    .await?
                    .into_iter()
                    .map(|t| m(t.id, format!("#{} {}", t.id, t.title), t.company_id))
                    .collect(),
                Kind::Project => list_projects(None, q).await?.into_iter().map(|p| m(p.id, p.name, p.company_id)).collect(),
            };
            Ok::<_, ApiError>(items.into_iter().take(8).collect::<Vec<_>>())
        },
    );
    let placeholder = move || match kind.get() {
        Kind::Company => "Search companies",
        Kind::Ticket => "Search tickets by title",
        Kind::Project => "Search projects",
    };
    view! {
        <div class="picker">
            <input
                type="search"
                name="target"
                autocomplete="off"
                aria-label=placeholder
                placeholder=placeholder
                bind:value=text
                on:focus=move |_| open.set(true)
                on:input=move |_| { open.set(true); target.set(None); company_id.set(None); }
            />
            <Show when=move || target.get().is_some()>
                <span class="picked" data-testid="picked">"✓ " {move || target_label.get()}</span>
            </Show>
            <PickerMenu
                open
                matches
                empty=Signal::stored("No matches")
                on_pick=Callback::new(move |m: PickerMatch| {
                    target.set(Some(m.id));
                    target_label.set(m.label);
                    company_id.set(Some(m.company_id));
                })
            />
        </div>
    }
}

/// The catalog's price beside a catalog line's unit cost, and "override"
/// when the line's differs: an override is recorded on the timeline and the
/// PO always goes to an approver. Drawn once the page runs in the browser
/// (the product list may not be there yet when the server renders).
#[component]
fn CatalogPrice(line: LineState, products: Resource<Result<Vec<Product>, ApiError>>) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        if !mounted.get() {
            return None;
        }
        let picked = line.product_id.get();
        let catalog = products
            .get()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|p| p.id.to_string() == picked))?
            .unit_cost_cents;
        let typed = parse_dollars(&line.unit_cost.get());
        let differs = typed.is_some_and(|t| t != catalog);
        Some(view! {
            <span class=if differs { "small override" } else { "muted small" } data-testid="catalog-price">
                {format!("Catalog {}{}", dollars(catalog), if differs { " · override: an approver decides" } else { "" })}
            </span>
        })
    }
}

/// The provisioning details Pax8 requires for the line's product (its
/// catalog product's distributor product id), an input each. They are kept
/// in the line's provisioning details, as the text below them shows.
#[component]
fn RequiredDetails(line: LineState, products: Resource<Result<Vec<Product>, ApiError>>) -> impl IntoView {
    let distributor_product = Memo::new(move |_| {
        let picked = line.product_id.get();
        products
            .get()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|p| p.id.to_string() == picked))
            .and_then(|p| p.distributor_product_id)
    });
    // In the browser only: it follows the product list, which the server
    // may not have yet when it renders the line.
    let requirements = LocalResource::new(move || {
        let id = distributor_product.get();
        async move {
            match id {
                Some(id) => pax8_product_requirements(id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    // Drawn only once the page runs in the browser: the server and the
    // hydrating browser both render nothing here, so they agree (a Suspense
    // over a browser-only resource made hydration panic on the edit page).
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        mounted.get().then(|| view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match requirements.await {
                    Err(e) => Some(view! { <p class="muted small">{format!("What Pax8 requires for this product could not be read: {}", e.message())}</p> }.into_any()),
                    Ok(Some(r)) if !r.details.is_empty() => Some(view! {
                        <fieldset class="requirements" data-testid="required-details">
                            <legend>"Pax8 requires"</legend>
                            <div class="fields">
                                {r.details.into_iter().map(|d| view! { <DetailInput line d /> }).collect_view()}
                            </div>
                        </fieldset>
                    }.into_any()),
                    Ok(_) => None,
                }
            })}
        </Transition>
    })
    }
}

/// One required provisioning detail of a line: a choice when Pax8 lists
/// the values (one for `Single-Value`, boxes to tick for `Multi-Value`),
/// else text. Values are kept whole: Pax8's choices contain commas.
#[component]
fn DetailInput(line: LineState, d: Pax8Detail) -> impl IntoView {
    let key = StoredValue::new(d.key.clone());
    let values = move || {
        domain::purchase_orders::parse_details(&line.details.get())
            .into_iter()
            .find(|x| x.key == key.get_value())
            .map(|x| x.values)
            .unwrap_or_default()
    };
    let value = move || values().into_iter().next().unwrap_or_default();
    let set_all = move |values: Vec<String>| {
        line.details.update(|text| {
            let mut all = domain::purchase_orders::parse_details(text);
            let values: Vec<String> = values.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            all.retain(|x| x.key != key.get_value() || !values.is_empty());
            match all.iter_mut().find(|x| x.key == key.get_value()) {
                Some(x) => x.values = values,
                None if !values.is_empty() => all.push(domain::purchase_orders::ProvisioningDetail { key: key.get_value(), values }),
                None => {}
            }
            *text = domain::purchase_orders::format_details(&all);
        })
    };
    let set = move |v: String| set_all(vec![v]);
    let toggle = move |v: String, on: bool| {
        let mut now = values();
        now.retain(|x| *x != v);
        if on {
            now.push(v);
        }
        set_all(now);
    };
    let single_choice = d.value_type.eq_ignore_ascii_case("single-value") && !d.possible_values.is_empty();
    let hint = d.description.clone().unwrap_or_default();
    let multi_choice = d.value_type.eq_ignore_ascii_case("multi-value") && !d.possible_values.is_empty();
    if multi_choice {
        return view! {
            <fieldset class="grow">
                <legend>{d.label.clone()}</legend>
                {d.possible_values.iter().map(|v| {
                    let v = StoredValue::new(v.clone());
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                name=format!("detail_{}", d.key)
                                prop:checked=move || values().contains(&v.get_value())
                                on:change=move |ev| toggle(v.get_value(), event_target_checked(&ev))
                            />
                            {v.get_value()}
                        </label>
                    }
                }).collect_view()}
                {(!hint.is_empty()).then(|| view! { <span class="muted small">{hint.clone()}</span> })}
            </fieldset>
        }
        .into_any();
    }
    view! {
        <label class="grow">{d.label.clone()}
            {if single_choice {
                view! {
                    <select name=format!("detail_{}", d.key) prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        {d.possible_values.iter().map(|v| view! { <option value=v.clone()>{v.clone()}</option> }).collect_view()}
                    </select>
                }.into_any()
            } else {
                view! {
                    <input
                        name=format!("detail_{}", d.key)
                        prop:value=value
                        on:change=move |ev| set(event_target_value(&ev))
                    />
                }.into_any()
            }}
            {(!hint.is_empty()).then(|| view! { <span class="muted small">{hint}</span> })}
        </label>
    }
    .into_any()
}
