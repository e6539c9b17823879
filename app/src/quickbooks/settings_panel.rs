//! Settings → QuickBooks: connect by Intuit's OAuth (the company types the
//! server has keys for), the connected company and how it is set up
//! (country, currencies; read again on demand), disconnect, and the A/P and
//! expense accounts and tax code POs are booked with (picked from the
//! company's own lists).

use super::{ConnectQbo, DisconnectQbo, LoadQboLists, MapQboAccounts, RefreshQboCompany};
use crate::components::when;
use crate::components::{last_error, non_blank, ErrorBanner, FieldError, LoadError};
use domain::quickbooks::{Environment, QboCompany, QboMapping, QboStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The QuickBooks card. Its status is loaded by the Settings page with the
/// other settings (a resource created in here would be created inside the
/// page's suspense, and hydrate out of step with the server's page).
/// The fixed message for a code the OAuth callback sends back to Settings
/// (`?qbo_error=`): the page never shows text taken from the URL.
pub fn callback_message(code: &str) -> &'static str {
    match code {
        "not_admin" => "only an admin can connect QuickBooks.",
        "not_configured" => "QuickBooks is not configured on this server (see the README).",
        "access_denied" => "access was not allowed at Intuit.",
        "intuit_error" => "Intuit answered with an error; try again.",
        "state" => "the sign-in at Intuit expired or was started elsewhere; connect again.",
        _ => "the connection could not be completed; the server log has the details. Try again.",
    }
}

#[component]
pub fn QboSettings(status: Result<QboStatus, crate::error::ApiError>, disconnect: ServerAction<DisconnectQbo>) -> impl IntoView {
    let query = use_query_map();
    let returned = move || query.read().get("qbo").filter(|v| v == "connected");
    let returned_error = move || query.read().get("qbo_error");
    view! {
        <section class="card" data-testid="qbo-settings">
            <h2>"QuickBooks Online"</h2>
            {move || returned().map(|_| view! { <p class="ok" data-testid="qbo-connected-notice">"QuickBooks is connected."</p> })}
            {move || returned_error().map(|e| view! { <div class="banner error" role="alert">{format!("QuickBooks was not connected: {}", callback_message(&e))}</div> })}
            {match status {
                Err(e) => view! { <LoadError error=e /> }.into_any(),
                Ok(s) if !s.available => view! { <p class="muted">{s.reason.unwrap_or_default()}</p> }.into_any(),
                Ok(s) if s.connected => view! { <Connected s disconnect /> }.into_any(),
                Ok(s) => view! {
                    {s.reason.map(|r| view! { <div class="banner warn">{r}</div> })}
                    <Connect sandbox=s.sandbox environments=s.environments.clone() />
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Connect(sandbox: bool, environments: Vec<Environment>) -> impl IntoView {
    let connect = ServerAction::<ConnectQbo>::new();
    let first = environments.first().copied().unwrap_or_default();
    let environment = RwSignal::new(first.as_str().to_string());
    let error = last_error(connect.value());
    Effect::new(move |_| {
        if let Some(Ok(r)) = connect.value().get() {
            let _ = window().location().set_href(&r.authorize_url);
        }
    });
    view! {
        <p class="muted">
            "Not connected. Connecting sends you to Intuit to pick the company and allow access; you come back here after."
            {sandbox.then_some(" (Demo: Intuit is a local sandbox.)")}
        </p>
        <ErrorBanner error />
        <div class="fields">
            <label>"Company type"
                <select name="qbo_environment" on:change=move |ev| environment.set(event_target_value(&ev)) prop:value=move || environment.get()>
                    {environments.into_iter().map(|e| view! {
                        <option value=e.as_str()>{match e {
                            Environment::Production => "Production (your real books)",
                            Environment::Sandbox => "Sandbox (an Intuit test company)",
                        }}</option>
                    }).collect_view()}
                </select>
            </label>
            <button class="button primary" data-testid="qbo-connect" disabled=move || connect.pending().get()
                on:click=move |_| { connect.dispatch(ConnectQbo { environment: Some(environment.get_untracked()) }); }>
                "Connect QuickBooks"
            </button>
        </div>
    }
}

#[component]
fn Connected(s: QboStatus, disconnect: ServerAction<DisconnectQbo>) -> impl IntoView {
    let company = s.company_name.clone().unwrap_or_else(|| "a QuickBooks company".into());
    let disconnect_error = last_error(disconnect.value());
    view! {
        <p data-testid="qbo-company">
            "Connected to " <strong>{company}</strong> " (" {s.environment.label()} ", company id " {s.realm_id.clone().unwrap_or_default()} ")"
            {s.connected_at.clone().map(|t| format!(", since {}", when(&t)))} "."
        </p>
        <CompanySetup company=s.company.clone() />
        <ErrorBanner error=disconnect_error />
        <MappingForm mapping=s.mapping.clone() />
        <button class="button danger" data-testid="qbo-disconnect" on:click=move |_| { disconnect.dispatch(DisconnectQbo {}); }>"Disconnect"</button>
    }
}

fn describe(c: &QboCompany) -> String {
    format!(
        "{} company, books in {}, multicurrency {}{}",
        if c.country.is_empty() { "US" } else { c.country.as_str() },
        if c.home_currency.is_empty() { "?" } else { c.home_currency.as_str() },
        if c.multicurrency { "on" } else { "off" },
        if c.is_us() { "." } else { ": every line needs a tax code (below)." }
    )
}

/// What the company's Preferences and CompanyInfo said, and a button to read them again.
#[component]
fn CompanySetup(company: Option<QboCompany>) -> impl IntoView {
    let refresh = ServerAction::<RefreshQboCompany>::new();
    let error = last_error(refresh.value());
    let shown = move || match refresh.value().get() {
        Some(Ok(s)) => s.company,
        _ => company.clone(),
    };
    view! {
        <p class="muted" data-testid="qbo-company-settings">
            {move || shown().map(|c| describe(&c)).unwrap_or_else(|| "Company settings not read yet.".to_string())}
            " "
            <button class="button ghost" type="button" disabled=move || refresh.pending().get()
                on:click=move |_| { refresh.dispatch(RefreshQboCompany {}); }>"Refresh company settings"</button>
        </p>
        <ErrorBanner error />
    }
}

#[component]
fn MappingForm(mapping: QboMapping) -> impl IntoView {
    let save = ServerAction::<MapQboAccounts>::new();
    let lists = ServerAction::<LoadQboLists>::new();
    let ap = RwSignal::new(mapping.ap_account_id.unwrap_or_default());
    let expense = RwSignal::new(mapping.expense_account_id.unwrap_or_default());
    let tax = RwSignal::new(mapping.tax_code_id.unwrap_or_default());
    let error = last_error(save.value());
    let lists_error = last_error(lists.value());
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let accounts = move |payable: bool| {
        lists
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|l| l.accounts.into_iter().filter(|a| (a.kind == "Accounts Payable") == payable).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    view! {
        <form class="inline-form" data-testid="qbo-mapping" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(MapQboAccounts {
                ap_account_id: non_blank(ap.get_untracked()),
                expense_account_id: non_blank(expense.get_untracked()),
                tax_code_id: non_blank(tax.get_untracked()),
            });
        }>
            <p class="muted">"Purchase orders are booked to these accounts. Lines whose product is mapped to a QuickBooks item use the item instead. Vendors are mapped on the Vendors page."</p>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"A/P account id"<input name="ap_account_id" list="qbo-ap-accounts" bind:value=ap /><FieldError error field="ap_account_id" /></label>
                <label>"Expense account id"<input name="expense_account_id" list="qbo-expense-accounts" bind:value=expense /><FieldError error field="expense_account_id" /></label>
                <label>"Tax code id " <span class="muted">"(non-US companies)"</span><input name="tax_code_id" list="qbo-tax-codes" bind:value=tax /><FieldError error field="tax_code_id" /></label>
                <button class="button primary" type="submit">"Save mapping"</button>
                <Show when=saved><span class="ok">"Saved"</span></Show>
            </div>
            <datalist id="qbo-ap-accounts">{move || accounts(true).into_iter().map(|a| view! { <option value=a.id>{a.name}</option> }).collect_view()}</datalist>
            <datalist id="qbo-tax-codes">{move || lists.value().get().and_then(|r| r.ok()).map(|l| l.tax_codes.into_iter().map(|t| view! { <option value=t.id>{t.name}</option> }).collect_view())}</datalist>
            <datalist id="qbo-expense-accounts">{move || accounts(false).into_iter().map(|a| view! { <option value=a.id>{format!("{} ({})", a.name, a.kind)}</option> }).collect_view()}</datalist>
            <button class="button" type="button" on:click=move |_| { lists.dispatch(LoadQboLists {}); }>"Load accounts from QuickBooks"</button>
            {move || lists.value().get().and_then(|r| r.ok()).map(|l| view! {
                <p class="muted small" data-testid="qbo-lists">{format!("{} accounts, {} vendors, {} items loaded: pick accounts from the suggestions.", l.accounts.len(), l.vendors.len(), l.items.len())}</p>
                <details>
                    <summary>"QuickBooks vendor and item ids (for the Vendors and Products pages)"</summary>
                    <ul class="small">
                        {l.vendors.into_iter().map(|v| view! { <li>{format!("Vendor {} — id {}", v.name, v.id)}</li> }).collect_view()}
                        {l.items.into_iter().map(|i| view! { <li>{format!("Item {} — id {}", i.name, i.id)}</li> }).collect_view()}
                    </ul>
                </details>
            })}
            <ErrorBanner error=lists_error />
        </form>
    }
}
