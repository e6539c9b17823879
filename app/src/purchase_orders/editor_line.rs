//! A line of the PO editor: its state, its row, the catalog price beside
//! its cost, and the provisioning details Pax8 requires for its product.

use crate::components::{dollars, non_blank};
use crate::error::ApiError;
use crate::procurement::{pax8_product_requirements, Pax8Detail};
use domain::catalog::{CompanyContractLine, Product, BILLING_TERMS};
use domain::money::{format_cents, parse_dollars};
use domain::purchase_orders::{rules, LineInput};
use leptos::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_KEY: AtomicUsize = AtomicUsize::new(1);

#[derive(Clone, Copy)]
pub(super) struct LineState {
    pub(super) key: usize,
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
    pub(super) fn new() -> Self {
        Self::from(
            &LineInput {
                quantity: 1,
                ..Default::default()
            },
            true,
        )
    }

    pub(super) fn from(l: &LineInput, blank_cost: bool) -> Self {
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
    pub(super) fn total(&self) -> Option<i64> {
        let q = self.quantity.get().trim().parse::<i64>().ok()?;
        rules::line_total(q, parse_dollars(&self.unit_cost.get())?)
    }

    /// The line as the API takes it; an error names the field.
    pub(super) fn to_input(self, i: usize) -> Result<LineInput, ApiError> {
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
            change: None,
        })
    }
}

/// One line of the editor: product (from the PO vendor's catalog) or a
/// free line, quantity, unit cost beside the catalog's, contract line,
/// its total, its errors and what Pax8 requires.
#[component]
pub(super) fn LineRow(
    line: LineState,
    lines: RwSignal<Vec<LineState>>,
    catalog: StoredValue<Vec<Product>>,
    products: Resource<Result<Vec<Product>, ApiError>>,
    contract_lines: Resource<Result<Vec<CompanyContractLine>, ApiError>>,
    subscribed: Resource<Result<Vec<domain::subscriptions::Subscription>, ApiError>>,
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
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
            <AlreadySubscribed line subscribed />
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

/// The company already has an active subscription of this line's product:
/// ordering it makes a second one (possible, on purpose), where changing
/// that subscription's seats is what is usually meant.
#[component]
fn AlreadySubscribed(line: LineState, subscribed: Resource<Result<Vec<domain::subscriptions::Subscription>, ApiError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let subs = subscribed.await.unwrap_or_default();
                let product = line.product_id.get().parse::<i64>().ok();
                subs.into_iter().find(|s| product.is_some() && s.product_id == product).map(|s| view! {
                    <p class="banner warn small" data-testid="already-subscribed">
                        {format!("{} already has {} seats of {} (subscription {}). This line orders a second subscription; to add seats to the one it has, ", s.company_name, s.quantity, s.product_name, s.distributor_subscription_id)}
                        <a class="in-text" href=format!("/companies/{}#subscriptions-title", s.company_id) data-testid="change-instead">"change its seats instead"</a>
                        " (a change order)."
                    </p>
                })
            })}
        </Transition>
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
