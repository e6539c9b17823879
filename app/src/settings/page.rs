use super::{get_settings, UpdateSettings};
use crate::components::{dollars, last_error, ErrorBanner, FieldError, IfCan, LoadError, PageHeader};
use crate::users::{AccountPanel, TokensPanel, UsersPanel};
use domain::settings::SettingsView;
use domain::users::Permission;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <PageHeader title="Settings" />
        // One admin block: resources created inside two sibling suspense
        // blocks would be numbered in whichever order they resolve, and
        // hydration would then mismatch the server's page.
        <IfCan permission=Permission::Admin>
            <ApprovalSettings />
            <UsersPanel />
            <crate::notifications::NotificationsPanel />
        </IfCan>
        <AccountPanel />
        <TokensPanel />
    }
}

#[component]
fn ApprovalSettings() -> impl IntoView {
    let update = ServerAction::<UpdateSettings>::new();
    let disconnect = ServerAction::<crate::quickbooks::DisconnectQbo>::new();
    let settings = Resource::new(move || update.version().get(), |_| get_settings());
    let qbo = Resource::new(move || disconnect.version().get(), |_| crate::quickbooks::get_qbo_status());
    view! {
        <section class="card">
            <h2>"Approvals"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(s) => {
                            let qbo_status = qbo.await;
                            let pax8 = s.pax8_configured;
                            let key = s.encryption_configured;
                            view! {
                                <ApprovalForm s update />
                                {key.then(|| view! { <crate::procurement::Pax8Settings configured=pax8 /> <crate::quickbooks::QboSettings status=qbo_status disconnect /> })}
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ApprovalForm(s: SettingsView, update: ServerAction<UpdateSettings>) -> impl IntoView {
    let limit = RwSignal::new(domain::money::format_cents(s.auto_approve_limit_cents).replace(',', ""));
    let signature = RwSignal::new(s.require_signature);
    let qbo = RwSignal::new(s.qbo_auto_push);
    let preflight = RwSignal::new(s.pax8_preflight);
    let self_approval = RwSignal::new(s.allow_self_approval);
    let second = RwSignal::new(domain::money::format_cents(s.second_approval_limit_cents).replace(',', ""));
    let idle = RwSignal::new(s.session_idle_hours.to_string());
    let local_error = RwSignal::new(None::<crate::error::ApiError>);
    let server_error = last_error(update.value());
    let error = Signal::derive(move || local_error.get().or_else(|| server_error.get()));
    let saved = move || matches!(update.value().get(), Some(Ok(_)));
    let current = s.auto_approve_limit_cents;
    view! {
        <form class="inline-form" on:submit=move |ev| {
            ev.prevent_default();
            local_error.set(None);
            match (domain::money::parse_dollars(&limit.get_untracked()), domain::money::parse_dollars(&second.get_untracked())) {
                (Some(c), Some(second)) => { update.dispatch(UpdateSettings { auto_approve_limit_cents: Some(c), require_signature: Some(signature.get_untracked()), qbo_auto_push: Some(qbo.get_untracked()), pax8_preflight: Some(preflight.get_untracked()), allow_self_approval: Some(self_approval.get_untracked()), second_approval_limit_cents: Some(second), session_idle_hours: idle.get_untracked().trim().parse().ok().or(Some(0)) }); }
                (None, _) => local_error.set(Some(domain::Error::validation("auto_approve_limit_cents", "Enter the limit in dollars, like 500.00 (0 turns auto-approval off).").into())),
                (_, None) => local_error.set(Some(domain::Error::validation("second_approval_limit_cents", "Enter the limit in dollars, like 5000.00 (0 turns the second approval off).").into())),
            }
        }>
            <p class="muted">{if current == 0 { "Auto-approval is off: every PO waits for an approver.".to_string() } else { format!("POs under {} are approved automatically on submit.", dollars(current)) }}</p>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label>"Auto-approve limit ($)"<input name="auto_approve_limit" inputmode="decimal" bind:value=limit /><FieldError error field="auto_approve_limit_cents" /></label>
                <label>"Second approval above ($)"<input name="second_approval_limit" inputmode="decimal" bind:value=second /><FieldError error field="second_approval_limit_cents" /></label>
                <label>"Sign out after idle (hours)"<input name="session_idle_hours" inputmode="numeric" bind:value=idle /><FieldError error field="session_idle_hours" /></label>
                <label class="check"><input type="checkbox" name="require_signature" bind:checked=signature />"Approvers must sign"</label>
                <label class="check"><input type="checkbox" name="allow_self_approval" bind:checked=self_approval />"Allow approving one's own POs (one-person teams)"</label>
                <label class="check"><input type="checkbox" name="qbo_auto_push" bind:checked=qbo />"Push to QuickBooks on approval"</label>
                <label class="check"><input type="checkbox" name="pax8_preflight" bind:checked=preflight />"Check each order with Pax8 before sending it"</label>
                <button class="button primary" type="submit">"Save"</button>
                <Show when=saved><span class="ok">"Saved"</span></Show>
            </div>
            <p class="muted small">
                "Encryption key: " {if s.encryption_configured { "configured" } else { "not configured (procurement is unavailable; see the README)" }}
            </p>
        </form>
    }
}
