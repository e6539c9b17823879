use super::{list_subscriptions, SyncSubscriptions};
use crate::components::{last_error, ErrorBanner, IfCan, LoadError};
use domain::subscriptions::{Subscription, SubscriptionStatus};
use domain::users::Permission;
use leptos::prelude::*;

/// A company's subscriptions: product, seats, terms, commitment end,
/// status, and drift where Pax8's seat count is not ours.
#[component]
pub fn CompanySubscriptions(company_id: Signal<i64>) -> impl IntoView {
    let sync = ServerAction::<SyncSubscriptions>::new();
    let subs = Resource::new(move || (company_id.get(), sync.version().get()), |(id, _)| list_subscriptions(Some(id), None));
    let error = last_error(sync.value());
    view! {
        <section class="card" aria-labelledby="subscriptions-title">
            <h2 id="subscriptions-title">"Subscriptions"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match subs.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted" data-testid="subscriptions-empty">"No subscriptions known yet: they appear when a dispatch provisions one, or after a sync with Pax8."</p> }.into_any(),
                        Ok(l) => view! { <SubscriptionTable subs=l /> }.into_any(),
                    }
                })}
            </Transition>
            <IfCan permission=Permission::Dispatch>
                <div class="form-actions left">
                    <button class="button" type="button" data-testid="sync-subscriptions" disabled=move || sync.pending().get()
                        on:click=move |_| { sync.dispatch(SyncSubscriptions { company_id: company_id.get_untracked() }); }>
                        {move || if sync.pending().get() { "Reading Pax8…" } else { "Sync with Pax8" }}
                    </button>
                    {move || sync.value().get().and_then(|r| r.ok()).map(|o| view! {
                        <span class="muted" role="status" data-testid="sync-outcome">{format!("{} imported, {} updated, {} with other seats at Pax8", o.imported, o.updated, o.drifted)}</span>
                    })}
                </div>
                <ErrorBanner error=Signal::derive(move || error.get()) />
            </IfCan>
        </section>
    }
}

fn status_class(s: SubscriptionStatus) -> &'static str {
    match s {
        SubscriptionStatus::Active => "badge status-active",
        SubscriptionStatus::Pending | SubscriptionStatus::WaitingForDetails | SubscriptionStatus::PendingCancel => "badge status-pending",
        SubscriptionStatus::Cancelled => "badge status-cancelled",
    }
}

#[component]
fn SubscriptionTable(subs: Vec<Subscription>) -> impl IntoView {
    view! {
            <table class="table" data-testid="subscriptions">
                <thead><tr>
                    <th scope="col">"Product"</th>
                    <th scope="col" class="num">"Seats"</th>
                    <th scope="col">"Term"</th>
                    <th scope="col">"Commitment ends"</th>
                    <th scope="col">"Status"</th>
                </tr></thead>
                <tbody>
                    {subs.into_iter().map(|s| {
                        let term = s.billing_term.clone().unwrap_or_else(|| "—".into());
                        let term = match &s.commitment_term { Some(c) => format!("{term} · {c} commitment"), None => term };
                        let ends = s.commitment_end.as_deref().map(|e| e.get(..10).unwrap_or(e).to_string()).unwrap_or_else(|| "—".into());
                        view! {
                            <tr data-testid="subscription-row">
                                <td>{s.product_name.clone()}<div class="muted small"><code>{s.distributor_subscription_id.clone()}</code>
                                    {s.po_id.map(|po| view! { " · "<a class="in-text" href=format!("/purchase-orders/{po}")>"ordered by PO"</a> })}</div></td>
                                <td class="num" data-testid="subscription-seats">{s.quantity}
                                    {s.drift.as_ref().map(|d| view! {
                                        <div class="banner warn small" data-testid="subscription-drift">{format!("Pax8 shows {} (changed at Pax8, seen {})", d.distributor_quantity, d.seen_at.get(..10).unwrap_or(&d.seen_at))}</div>
                                    })}
                                </td>
                                <td>{term}</td>
                                <td>{ends}</td>
                                <td><span class=status_class(s.status)>{s.status.label()}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
    }
}
