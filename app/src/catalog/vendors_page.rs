use super::{list_vendors, CreateVendor, UpdateVendor};
use crate::components::{last_error, non_blank, EmptyState, ErrorBanner, FieldError, IfCan, LoadError, PageHeader};
use domain::catalog::{Distributor, Vendor};
use domain::users::Permission;
use leptos::prelude::*;

fn distributor_options(selected: Option<Distributor>) -> impl IntoView {
    view! {
        <option value="" selected=selected.is_none()>"Not a distributor"</option>
        {Distributor::ALL.into_iter().map(|d| view! { <option value=d.as_str() selected=selected == Some(d)>{d.label()}</option> }).collect_view()}
    }
}

#[component]
pub fn VendorsPage() -> impl IntoView {
    let create = ServerAction::<CreateVendor>::new();
    let update = ServerAction::<UpdateVendor>::new();
    let vendors = Resource::new(move || (create.version().get(), update.version().get()), |_| list_vendors());
    let update_error = last_error(update.value());
    view! {
        <PageHeader title="Vendors" subtitle="Who you buy from. Distributors (Pax8 and others) can provision SaaS; only Pax8 is provisionable today." />
        <IfCan permission=Permission::ManageCatalog>
            <NewVendorForm create />
        </IfCan>
        <ErrorBanner error=update_error />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match vendors.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState title="No vendors yet" text="Add the distributors and suppliers you order from." /> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="vendors">
                            <thead><tr><th>"Name"</th><th>"Distributor"</th><th>"QuickBooks vendor"</th><th></th></tr></thead>
                            <tbody>{list.into_iter().map(|v| view! { <VendorRow v update /> }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn VendorRow(v: Vendor, update: ServerAction<UpdateVendor>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let distributor = RwSignal::new(v.distributor.map(|d| d.as_str().to_string()).unwrap_or_default());
    let qbo = RwSignal::new(v.qbo_vendor_id.clone().unwrap_or_default());
    let id = v.id;
    let session = crate::session::use_session();
    view! {
        <tr>
            <td>{v.name.clone()}</td>
            <Show when=move || editing.get() fallback=move || view! {
                <td>{match v.distributor {
                    Some(d) => view! { <span class=format!("badge dist-{}", d.as_str())>{d.label()}</span> }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}</td>
                <td>{v.qbo_vendor_id.clone().unwrap_or_else(|| "—".into())}</td>
            }>
                <td><select aria-label="Distributor" on:change=move |ev| distributor.set(event_target_value(&ev))>{distributor_options(Distributor::parse(&distributor.get_untracked()))}</select></td>
                <td><QboVendorPicker name=v.name.clone() value=qbo /></td>
            </Show>
            <td class="row-actions">
                <Show when=move || session.can(Permission::ManageCatalog)>
                    <Show when=move || editing.get() fallback=move || view! { <button class="button ghost" on:click=move |_| editing.set(true)>"Edit"</button> }>
                        <button class="button primary" on:click=move |_| {
                            update.dispatch(UpdateVendor { id, name: None, distributor: Some(distributor.get_untracked()), qbo_vendor_id: Some(qbo.get_untracked()) });
                            editing.set(false);
                        }>"Save"</button>
                        <button class="button ghost" on:click=move |_| editing.set(false)>"Cancel"</button>
                    </Show>
                </Show>
            </td>
        </tr>
    }
}

#[component]
fn NewVendorForm(create: ServerAction<CreateVendor>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let distributor = RwSignal::new(String::new());
    let qbo = RwSignal::new(String::new());
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            qbo.set(String::new());
        }
    });
    view! {
        <form class="card inline-form" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(CreateVendor { name: name.get_untracked(), distributor: non_blank(distributor.get_untracked()), qbo_vendor_id: non_blank(qbo.get_untracked()) });
        }>
            <h2>"New vendor"</h2>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Name"<input name="name" bind:value=name /><FieldError error field="name" /></label>
                <label>"Distributor"<select name="distributor" on:change=move |ev| distributor.set(event_target_value(&ev))>{distributor_options(None)}</select><FieldError error field="distributor" /></label>
                <label>"QuickBooks vendor id " <span class="muted">"(optional)"</span><input name="qbo_vendor_id" bind:value=qbo /></label>
                <button class="button primary" type="submit" disabled=move || create.pending().get()>"Add vendor"</button>
            </div>
        </form>
    }
}

/// Picks the QuickBooks vendor a vendor maps to: search-as-you-type over the
/// connected company's vendors (all of them, every page), with the one whose
/// name matches offered first.
#[component]
fn QboVendorPicker(name: String, value: RwSignal<String>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let picked = RwSignal::new(String::new());
    let name = StoredValue::new(name);
    let choices = Resource::new(
        move || text.get(),
        move |q| crate::quickbooks::search_qbo_vendors(non_blank(q), Some(name.get_value())),
    );
    let pick = move |id: String, label: String| {
        value.set(id);
        picked.set(label);
        open.set(false);
    };
    let shown = move || {
        let id = value.get();
        match (id.is_empty(), picked.get()) {
            (true, _) => "No QuickBooks vendor".to_string(),
            (false, l) if l.is_empty() => format!("id {id}"),
            (false, l) => format!("{l} (id {id})"),
        }
    };
    view! {
        <div class="picker" data-testid="qbo-vendor-picker">
            <input type="search" aria-label="QuickBooks vendor" placeholder="Search QuickBooks vendors" autocomplete="off"
                bind:value=text on:focus=move |_| open.set(true) on:input=move |_| open.set(true) />
            <span class="picked" data-testid="qbo-vendor-picked">"✓ " {shown}</span>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match choices.await {
                        Err(e) => view! { <p class="field-error">{e.message().to_string()}</p> }.into_any(),
                        Ok(c) => view! {
                            {c.suggestion.map(|s| {
                                let (id, label) = (s.id.clone(), s.name.clone());
                                view! {
                                    <button type="button" class="button ghost small" data-testid="qbo-vendor-suggestion"
                                        on:click=move |_| pick(id.clone(), label.clone())>{format!("Use {} (same name)", s.name)}</button>
                                }
                            })}
                            <Show when=move || open.get()>
                                <ul class="picker-menu" role="listbox">
                                    {if c.vendors.is_empty() {
                                        view! { <li class="muted picker-empty">"No QuickBooks vendor matches"</li> }.into_any()
                                    } else {
                                        c.vendors.clone().into_iter().map(|v| {
                                            let (id, label) = (v.id.clone(), v.name.clone());
                                            view! {
                                                <li role="option">
                                                    <button type="button" class="picker-item" on:click=move |_| pick(id.clone(), label.clone())>{v.name.clone()}</button>
                                                </li>
                                            }
                                        }).collect_view().into_any()
                                    }}
                                </ul>
                            </Show>
                        }.into_any(),
                    }
                })}
            </Transition>
            <button type="button" class="button ghost small" on:click=move |_| pick(String::new(), String::new())>"Clear"</button>
        </div>
    }
}
