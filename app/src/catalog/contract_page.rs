use super::{get_company, get_contract, list_products, AddContractLine};
use crate::components::{dollars, last_error, ErrorBanner, FieldError, IfCan, LoadError, PageHeader};
use domain::catalog::{ContractLineStatus, Product};
use domain::users::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ContractPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let add = ServerAction::<AddContractLine>::new();
    let contract = Resource::new(
        move || (id.get(), add.version().get()),
        |(id, _)| async move {
            let c = get_contract(id).await?;
            let company = get_company(c.company_id).await?;
            Ok::<_, crate::error::ApiError>((c, company))
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contract.await {
                    Err(e) => view! { <PageHeader title="Contract" /><LoadError error=e /> }.into_any(),
                    Ok((c, company)) => view! {
                        <PageHeader title=c.name.clone() subtitle=format!("Contract for {}", company.name) />
                        <section class="card">
                            <h2>"Lines"</h2>
                            <table class="table" data-testid="contract-lines">
                                <thead><tr><th>"Description"</th><th class="num">"Qty"</th><th class="num">"Unit price"</th><th>"Status"</th><th>"Subscription"</th></tr></thead>
                                <tbody>{c.lines.into_iter().map(|l| view! {
                                    <tr>
                                        <td>{l.description}</td>
                                        <td class="num">{l.quantity}</td>
                                        <td class="num">{dollars(l.unit_price_cents)}</td>
                                        <td><span class=format!("badge status-{}", l.status.as_str())>{match l.status {
                                            ContractLineStatus::Pending => "Pending",
                                            ContractLineStatus::Active => "Active",
                                            ContractLineStatus::Cancelled => "Cancelled",
                                        }}</span>{l.activated_at.map(|a| view! { <div class="muted small">"since "{a.get(..10).unwrap_or_default().to_string()}</div> })}</td>
                                        <td>{l.subscription_id.map(|s| view! { <code>{s}</code> })}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
        <IfCan permission=Permission::ManageCatalog>
            <AddLineForm contract_id=id add />
        </IfCan>
    }
}

#[component]
fn AddLineForm(contract_id: Memo<i64>, add: ServerAction<AddContractLine>) -> impl IntoView {
    let products = Resource::new(|| (), |_| list_products(None, None));
    let product = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let quantity = RwSignal::new("1".to_string());
    let price = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<crate::error::ApiError>);
    let server_error = last_error(add.value());
    let error = Signal::derive(move || local_error.get().or_else(|| server_error.get()));
    let catalog = StoredValue::new(Vec::<Product>::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            description.set(String::new());
            price.set(String::new());
            quantity.set("1".into());
        }
    });
    let pick = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        product.set(v.clone());
        if let Some(p) = v.parse::<i64>().ok().and_then(|id| catalog.read_value().iter().find(|p| p.id == id).cloned()) {
            description.set(p.name.clone());
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let Ok(quantity) = quantity.get_untracked().trim().parse::<i64>() else {
            local_error.set(Some(
                domain::Error::validation("quantity", "Quantity must be a whole number of at least 1.").into(),
            ));
            return;
        };
        let Some(unit_price_cents) = domain::money::parse_dollars(&price.get_untracked()) else {
            local_error.set(Some(
                domain::Error::validation("unit_price_cents", "Enter the unit price in dollars, like 26.40.").into(),
            ));
            return;
        };
        add.dispatch(AddContractLine {
            contract_id: contract_id.get_untracked(),
            product_id: product.get_untracked().parse().ok(),
            description: description.get_untracked(),
            quantity,
            unit_price_cents,
        });
    };
    view! {
        <form class="card inline-form" on:submit=submit>
            <h2>"Add a line"</h2>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Product " <span class="muted">"(optional)"</span>
                    <select name="product_id" on:change=pick>
                        <option value="">"None"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let list = products.await.unwrap_or_default();
                                catalog.set_value(list.clone());
                                list.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()
                            })}
                        </Transition>
                    </select>
                </label>
                <label>"Description"<input name="description" bind:value=description /><FieldError error field="description" /></label>
                <label class="narrow">"Quantity"<input name="quantity" inputmode="numeric" bind:value=quantity /><FieldError error field="quantity" /></label>
                <label class="narrow">"Unit price ($)"<input name="unit_price" inputmode="decimal" bind:value=price /><FieldError error field="unit_price_cents" /></label>
                <button class="button primary" type="submit">"Add line"</button>
            </div>
        </form>
    }
}
