use super::{list_subscriptions, RaiseChange, SyncSubscriptions};
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
                    <th scope="col"><span class="sr-only">"Change"</span></th>
                </tr></thead>
                <tbody>
                    {subs.into_iter().map(|s| {
                        let term = s.billing_term.clone().unwrap_or_else(|| "—".into());
                        let term = match &s.commitment_term { Some(c) => format!("{term} · {c} commitment"), None => term };
                        let ends = s.commitment_end.as_deref().map(|e| e.get(..10).unwrap_or(e).to_string()).unwrap_or_else(|| "—".into());
                        view! {
                            <tr data-testid="subscription-row" id=format!("subscription-{}", s.id)>
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
                                <td>{(s.status == SubscriptionStatus::Active).then(|| view! {
                                    <IfCan permission=Permission::Create>
                                        <ChangeSubscription id=s.id seats=s.drift.as_ref().map(|d| d.distributor_quantity).unwrap_or(s.quantity) product=s.product_name.clone() />
                                    </IfCan>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
    }
}

/// What the person is about to raise for one subscription.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Raising {
    Nothing,
    Seats,
    Cancel,
}

/// "Change seats" and "Cancel" for one subscription: each raises a change
/// order (a draft PO) and opens it, to be checked and submitted for
/// approval like any PO.
#[component]
fn ChangeSubscription(id: i64, seats: i64, product: String) -> impl IntoView {
    let raising = RwSignal::new(Raising::Nothing);
    let to = RwSignal::new(seats.to_string());
    let on = RwSignal::new(String::new());
    let create = ServerAction::<RaiseChange>::new();
    let local = RwSignal::new(None::<crate::error::ApiError>);
    let failed = last_error(create.value());
    let error = Signal::derive(move || local.get().or_else(|| failed.get()));
    Effect::new(move |_| {
        if let Some(Ok(po)) = create.value().get() {
            leptos_router::hooks::use_navigate()(&format!("/purchase-orders/{}", po.id), Default::default());
        }
    });
    let raise = move |cancel: bool| {
        local.set(None);
        let quantity = match cancel {
            true => None,
            false => match to.get_untracked().trim().parse::<i64>() {
                Ok(q) => Some(q),
                Err(_) => {
                    local.set(Some(
                        domain::Error::validation("lines[0].change.quantity", "Enter the number of seats to have, like 12.").into(),
                    ));
                    return;
                }
            },
        };
        let cancel_date = Some(on.get_untracked()).filter(|d| cancel && !d.trim().is_empty());
        create.dispatch(RaiseChange {
            subscription_id: id,
            quantity,
            cancel: Some(cancel),
            cancel_date,
            submit: Some(false),
        });
    };
    let seats_id = format!("seats-{id}");
    let date_id = format!("cancel-on-{id}");
    let label = product.clone();
    view! {
        <div class="subscription-actions" data-testid="subscription-actions">
            {move || match raising.get() {
                Raising::Nothing => view! {
                    <button class="button small" type="button" data-testid="change-seats" aria-label=format!("Change seats of {label}")
                        on:click=move |_| raising.set(Raising::Seats)>"Change seats"</button>
                    <button class="button small" type="button" data-testid="cancel-subscription" aria-label=format!("Cancel {label}")
                        on:click=move |_| raising.set(Raising::Cancel)>"Cancel"</button>
                }.into_any(),
                Raising::Seats => view! {
                    <label for=seats_id.clone() class="small">"Seats to have"</label>
                    <input id=seats_id.clone() class="seats-input" type="number" min="1" inputmode="numeric" data-testid="new-seats"
                        prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) />
                    <button class="button small primary" type="button" data-testid="raise-change" disabled=move || create.pending().get()
                        on:click=move |_| raise(false)>"Raise change order"</button>
                    <button class="button small" type="button" on:click=move |_| raising.set(Raising::Nothing)>"Back"</button>
                }.into_any(),
                Raising::Cancel => view! {
                    <label for=date_id.clone() class="small">"Cancel on (optional)"</label>
                    <input id=date_id.clone() class="date-input" type="date" data-testid="cancel-on"
                        prop:value=move || on.get() on:input=move |ev| on.set(event_target_value(&ev)) />
                    <button class="button small danger" type="button" data-testid="raise-cancellation" disabled=move || create.pending().get()
                        on:click=move |_| raise(true)>"Raise cancellation"</button>
                    <button class="button small" type="button" on:click=move |_| raising.set(Raising::Nothing)>"Back"</button>
                    <p class="muted small">"Without a date, a committed subscription is cancelled at its commitment end."</p>
                }.into_any(),
            }}
            <ErrorBanner error=error />
        </div>
    }
}
