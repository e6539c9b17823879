use super::{list_products, list_vendors, CreateProduct};
use crate::components::{dollars, last_error, non_blank, EmptyState, ErrorBanner, FieldError, IfCan, LoadError, PageHeader, PickerMenu};
use crate::procurement::{pax8_product_requirements, pax8_products, Pax8Product, Pax8Requirements};
use domain::catalog::{Vendor, BILLING_TERMS};
use domain::users::Permission;
use leptos::prelude::*;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let q = RwSignal::new(String::new());
    let vendor_filter = RwSignal::new(String::new());
    let create = ServerAction::<CreateProduct>::new();
    let vendors = Resource::new(|| (), |_| list_vendors());
    let products = Resource::new(
        move || (q.get(), vendor_filter.get(), create.version().get()),
        |(q, v, _)| list_products(v.parse().ok(), non_blank(q)),
    );
    view! {
        <PageHeader title="Products" subtitle="The catalog: hardware, and distributor SaaS with its Pax8 product id and terms." />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let vendors = vendors.await.unwrap_or_default();
                let for_form = vendors.clone();
                view! {
                    <IfCan permission=Permission::ManageCatalog>
                        <NewProductForm create vendors=for_form.clone() />
                    </IfCan>
                    <div class="toolbar">
                        <input class="search" type="search" placeholder="Search name or SKU" aria-label="Search products" bind:value=q />
                        <select aria-label="Vendor" on:change=move |ev| vendor_filter.set(event_target_value(&ev))>
                            <option value="">"All vendors"</option>
                            {vendors.iter().map(|v| view! { <option value=v.id.to_string()>{v.name.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let names: Vec<Vendor> = vendors.await.unwrap_or_default();
                match products.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState title="No products found" text="Add a product, or change the search." /> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="products">
                            <thead><tr><th>"Product"</th><th>"Vendor"</th><th class="num">"Unit cost"</th><th>"Distributor product"</th><th>"Terms"</th></tr></thead>
                            <tbody>{list.into_iter().map(|p| {
                                let vendor = names.iter().find(|v| v.id == p.vendor_id).map(|v| v.name.clone()).unwrap_or_default();
                                view! {
                                    <tr>
                                        <td>{p.name}<div class="muted small">{p.sku}</div></td>
                                        <td>{vendor}</td>
                                        <td class="num">{dollars(p.unit_cost_cents)}</td>
                                        <td>{p.distributor_product_id.map(|d| view! { <code>{d}</code> })}</td>
                                        <td>{p.billing_term.unwrap_or_default()}{p.commitment_term_id.map(|c| view! { <div class="muted small">"commitment "{c}</div> })}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewProductForm(create: ServerAction<CreateProduct>, vendors: Vec<Vendor>) -> impl IntoView {
    let vendor_id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let sku = RwSignal::new(String::new());
    let cost = RwSignal::new(String::new());
    let dist_id = RwSignal::new(String::new());
    let term = RwSignal::new(String::new());
    let commitment = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<crate::error::ApiError>);
    let server_error = last_error(create.value());
    let error = Signal::derive(move || local_error.get().or_else(|| server_error.get()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            for s in [name, sku, cost, dist_id, commitment] {
                s.set(String::new());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let Some(vendor_id) = vendor_id.get_untracked().parse::<i64>().ok() else {
            local_error.set(Some(domain::Error::validation("vendor_id", "Choose the product's vendor.").into()));
            return;
        };
        let Some(unit_cost_cents) = domain::money::parse_dollars(&cost.get_untracked()) else {
            local_error.set(Some(
                domain::Error::validation("unit_cost_cents", "Enter the unit cost in dollars, like 12.50.").into(),
            ));
            return;
        };
        create.dispatch(CreateProduct {
            vendor_id,
            name: name.get_untracked(),
            sku: sku.get_untracked(),
            unit_cost_cents,
            distributor_product_id: non_blank(dist_id.get_untracked()),
            billing_term: non_blank(term.get_untracked()),
            commitment_term_id: non_blank(commitment.get_untracked()),
            qbo_item_id: None,
        });
    };
    view! {
        <form class="card inline-form" on:submit=submit>
            <h2>"New product"</h2>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Vendor"
                    <select name="vendor_id" on:change=move |ev| vendor_id.set(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        {vendors.into_iter().map(|v| view! { <option value=v.id.to_string()>{v.name}</option> }).collect_view()}
                    </select>
                    <FieldError error field="vendor_id" />
                </label>
                <label>"Name"<input name="name" bind:value=name /><FieldError error field="name" /></label>
                <label>"SKU"<input name="sku" bind:value=sku /><FieldError error field="sku" /></label>
                <label>"Unit cost ($)"<input name="unit_cost" inputmode="decimal" placeholder="0.00" bind:value=cost /><FieldError error field="unit_cost_cents" /></label>
            </div>
            <details>
                <summary>"Distributor details (for SaaS from Pax8)"</summary>
                <Pax8ProductFields name sku dist_id term commitment error />
            </details>
            <button class="button primary" type="submit" disabled=move || create.pending().get()>"Add product"</button>
        </form>
    }
}

/// The Pax8 side of a product: search Pax8's products to fill the
/// distributor product id, then the product's billing and commitment terms
/// as Pax8 offers them, and the provisioning details its orders must carry.
#[component]
fn Pax8ProductFields(
    name: RwSignal<String>,
    sku: RwSignal<String>,
    dist_id: RwSignal<String>,
    term: RwSignal<String>,
    commitment: RwSignal<String>,
    error: Signal<Option<crate::error::ApiError>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    // Asked of Pax8 when a product is picked or its id typed (on change).
    let asked = RwSignal::new(String::new());
    let matches = Resource::new(
        move || (text.get(), open.get()),
        |(q, open)| async move {
            if !open {
                return Ok(Vec::new());
            }
            pax8_products(non_blank(q), None).await.map(|p| p.items)
        },
    );
    let requirements = Resource::new(
        move || asked.get(),
        |id| async move {
            match non_blank(id) {
                Some(id) => pax8_product_requirements(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <label for="pax8-product-search">"Find the Pax8 product"</label>
        <div class="picker">
            <input
                id="pax8-product-search"
                type="search"
                name="pax8_product_search"
                autocomplete="off"
                placeholder="Search Pax8 products by name"
                bind:value=text
                on:focus=move |_| open.set(true)
                on:input=move |_| open.set(true)
            />
            <PickerMenu
                open
                matches
                empty=Signal::stored("No Pax8 product matches")
                on_pick=Callback::new(move |p: Pax8Product| {
                    dist_id.set(p.id.clone());
                    if name.get_untracked().trim().is_empty() {
                        name.set(p.name.clone());
                    }
                    if let (true, Some(s)) = (sku.get_untracked().trim().is_empty(), p.sku.clone()) {
                        sku.set(s);
                    }
                    text.set(p.name);
                    commitment.set(String::new());
                    asked.set(p.id);
                })
            />
        </div>
        <div class="fields">
            <label>"Distributor product id"
                <input name="distributor_product_id" bind:value=dist_id on:change=move |_| asked.set(dist_id.get_untracked()) />
                <FieldError error field="distributor_product_id" />
            </label>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Asking Pax8…"</p> }>
            {move || Suspend::new(async move {
                let (req, failed) = match requirements.await {
                    Ok(r) => (r, None),
                    Err(e) => (None, Some(e.message().to_string())),
                };
                let req = req.unwrap_or_default();
                view! {
                    {failed.map(|m| view! { <p class="field-error" role="alert">{format!("Pax8's terms for this product could not be read: {m}")}</p> })}
                    <TermFields req=req.clone() term commitment error />
                    <RequiredDetailsList req />
                }
            })}
        </Transition>
    }
}

/// Billing term and commitment term: Pax8's own choices for the product
/// when known, else the usual billing terms and a free commitment id.
#[component]
fn TermFields(req: Pax8Requirements, term: RwSignal<String>, commitment: RwSignal<String>, error: Signal<Option<crate::error::ApiError>>) -> impl IntoView {
    let terms: Vec<String> = if req.billing_terms.is_empty() {
        BILLING_TERMS.iter().map(|t| t.to_string()).collect()
    } else {
        req.billing_terms.clone()
    };
    view! {
        <div class="fields">
            <label>"Billing term"
                <select name="billing_term" prop:value=move || term.get() on:change=move |ev| term.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {terms.into_iter().map(|t| {
                        let selected = term.get_untracked() == t;
                        view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                    }).collect_view()}
                </select>
                <FieldError error field="billing_term" />
            </label>
            {if req.commitments.is_empty() {
                view! { <label>"Commitment term id"<input name="commitment_term_id" bind:value=commitment /></label> }.into_any()
            } else {
                view! {
                    <label>"Commitment term"
                        <select name="commitment_term_id" data-testid="commitment-terms" prop:value=move || commitment.get() on:change=move |ev| commitment.set(event_target_value(&ev))>
                            <option value="">"None"</option>
                            {req.commitments.into_iter().map(|c| {
                                let selected = commitment.get_untracked() == c.id;
                                view! { <option value=c.id.clone() selected=selected>{format!("{} ({})", c.term, c.id)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            }}
        </div>
    }
}

/// The provisioning details Pax8 requires on every order of the product.
#[component]
fn RequiredDetailsList(req: Pax8Requirements) -> impl IntoView {
    (!req.details.is_empty()).then(|| {
        view! {
            <div class="requirements" data-testid="required-details">
                <p class="small"><strong>"Orders of it must carry these provisioning details:"</strong></p>
                <ul>
                    {req.details.into_iter().map(|d| view! {
                        <li>
                            {d.label}" " <code class="muted small">{d.key}</code>
                            {d.description.map(|t| view! { <div class="muted small">{t}</div> })}
                            {(!d.possible_values.is_empty()).then(|| view! { <div class="muted small">{format!("One of: {}", d.possible_values.join(", "))}</div> })}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        }
    })
}
