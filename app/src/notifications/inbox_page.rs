//! `/approvals`: the POs waiting for the signed-in approver, oldest first.
//! Opening one goes to the PO's page, where the approver signs.

use super::approval_inbox;
use crate::components::{dollars, every, hydrated_flag, EmptyState, LoadError, PageHeader};
use domain::purchase_orders::{waited, InboxItem};
use leptos::prelude::*;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    // Fresh while open: new submissions appear without a reload.
    every(20_000, move || tick.update(|t| *t += 1));
    let items = Resource::new(move || tick.get(), |_| approval_inbox());
    let ready = hydrated_flag();
    view! {
        <PageHeader title="Approvals" subtitle="Purchase orders waiting for you, oldest first." />
        <section class="inbox" data-testid="inbox" data-ready=ready>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="Nothing waits for you" text="Purchase orders sent for your approval appear here." />
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="inbox-list">
                                {list.into_iter().map(|i| view! { <InboxRow i /> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn InboxRow(i: InboxItem) -> impl IntoView {
    let second = (i.approvals_required > 1).then(|| format!("{} of {} approvals", i.approvals_given, i.approvals_required));
    view! {
        <li>
            <a class="inbox-item card" href=format!("/purchase-orders/{}", i.id) data-testid="inbox-item">
                <span class="inbox-main">
                    <strong class="inbox-number">{i.number.clone()}</strong>
                    <span class="inbox-company">{i.company.clone()}</span>
                    <span class="muted small">{format!("{} · raised by {}", i.vendor, i.raised_by)}</span>
                </span>
                <span class="inbox-side">
                    <strong class="num">{dollars(i.total_cents)}</strong>
                    <span class="muted small" title=i.waiting_since.clone()>{format!("waiting {}", waited(i.waiting_minutes))}</span>
                    {second.map(|s| view! { <span class="badge po-partially_received">{s}</span> })}
                </span>
            </a>
        </li>
    }
}
