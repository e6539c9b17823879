use super::{list_products, list_vendors, CreateProduct};
use crate::components::{dollars, last_error, non_blank, EmptyState, ErrorBanner, FieldError, IfCan, LoadError, PageHeader};
use domain::reference::{Vendor, BILLING_TERMS};
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
                <div class="fields">
                    <label>"Distributor product id"<input name="distributor_product_id" bind:value=dist_id /></label>
                    <label>"Billing term"
                        <select name="billing_term" on:change=move |ev| term.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {BILLING_TERMS.iter().map(|t| view! { <option value=*t>{*t}</option> }).collect_view()}
                        </select>
                        <FieldError error field="billing_term" />
                    </label>
                    <label>"Commitment term id"<input name="commitment_term_id" bind:value=commitment /></label>
                </div>
            </details>
            <button class="button primary" type="submit" disabled=move || create.pending().get()>"Add product"</button>
        </form>
    }
}
