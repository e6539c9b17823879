//! Procurement: the queue of approved distributor POs with their live
//! dispatch state, the per-PO procurement panel with remediation, and the
//! Pax8 connection in Settings.

mod api;
mod panel;
mod pax8_catalog;
mod pax8_settings;

pub use api::*;
pub use panel::{DispatchAnswer, ProcurementPanel};
pub use pax8_catalog::*;
pub use pax8_settings::Pax8Settings;

use crate::components::{every, last_error, EmptyState, ErrorBanner, LoadError, PageHeader};
use crate::session::use_session;
use domain::procurement::{DispatchStatus, QueueItem};
use domain::purchase_orders::policy::permission;
use domain::purchase_orders::rules::Action;
use leptos::prelude::*;

pub fn status_label(s: DispatchStatus) -> &'static str {
    match s {
        DispatchStatus::Ready => "Ready",
        DispatchStatus::Queued => "Queued",
        DispatchStatus::Submitting => "Submitting",
        DispatchStatus::Reconciling => "Reconciling",
        DispatchStatus::Submitted => "Submitted",
        DispatchStatus::Provisioned => "Provisioned",
        DispatchStatus::Failed => "Failed",
        DispatchStatus::Abandoned => "Abandoned",
        DispatchStatus::NotProvisionable => "Not provisionable",
        DispatchStatus::HeldForRenewal => "Held for renewal",
    }
}

#[component]
pub fn DispatchBadge(status: DispatchStatus) -> impl IntoView {
    view! { <span class=format!("badge ds-{}", status.as_str()) data-testid="dispatch-status">{status_label(status)}</span> }
}

const GROUPS: [(&str, &[DispatchStatus]); 7] = [
    ("Ready to dispatch", &[DispatchStatus::Ready]),
    (
        "In flight",
        &[
            DispatchStatus::Queued,
            DispatchStatus::Submitting,
            DispatchStatus::Reconciling,
            DispatchStatus::Submitted,
        ],
    ),
    ("Failed: remediation", &[DispatchStatus::Failed]),
    ("Held for renewal", &[DispatchStatus::HeldForRenewal]),
    ("Provisioned", &[DispatchStatus::Provisioned]),
    ("Abandoned", &[DispatchStatus::Abandoned]),
    ("Not provisionable", &[DispatchStatus::NotProvisionable]),
];

#[component]
pub fn ProcurementPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| procurement_status());
    view! {
        <PageHeader title="Procurement" subtitle="Dispatch approved orders to Pax8 and work the remediation queue." />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(s) if !s.available => view! {
                        <div class="banner warn" role="status" data-testid="procurement-unavailable">
                            <p><strong>"The procurement queue is unavailable."</strong></p>
                            <p>{s.reason.unwrap_or_default()}</p>
                        </div>
                    }.into_any(),
                    Ok(s) => view! {
                        {s.sandbox.then(|| view! { <p class="banner warn" data-testid="sandbox">"Sandbox: Pax8 here is a local simulation (demo mode). Nothing reaches the real Pax8."</p> })}
                        <Queue />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let dispatch = ServerAction::<DispatchPo>::new();
    // One check at a time, kept here: the rows are drawn again on every refresh.
    let check = ServerAction::<CheckPo>::new();
    let checked = RwSignal::new(None::<i64>);
    let queue = Resource::new(move || (tick.get(), dispatch.version().get()), |_| procurement_queue(None));
    // Live: the queue follows dispatches as the worker moves them on.
    every(1500, move || tick.update(|t| *t += 1));
    let error = last_error(dispatch.value());
    view! {
        <ErrorBanner error />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(items) if items.is_empty() => view! { <EmptyState title="Nothing to dispatch" text="Approved purchase orders of distributor vendors queue here." /> }.into_any(),
                    Ok(items) => GROUPS.iter().filter_map(|(title, states)| {
                        let rows: Vec<QueueItem> = items.iter().filter(|i| states.contains(&i.dispatch_status)).cloned().collect();
                        (!rows.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>{*title}" "<span class="muted small">{rows.len()}</span></h2>
                                <table class="table" data-testid=format!("queue-{}", states[0].as_str())>
                                    <thead><tr><th>"PO"</th><th>"Company"</th><th>"Vendor"</th><th>"State"</th><th>"Updated"</th><th></th></tr></thead>
                                    <tbody>{rows.into_iter().map(|i| view! { <QueueRow i dispatch check checked /> }).collect_view()}</tbody>
                                </table>
                            </section>
                        })
                    }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}

/// One PO of the queue: Dispatch when ready, Check with Pax8 when it is a
/// Pax8 PO not yet sent (ready, queued or failed), Remediate when failed.
#[component]
fn QueueRow(i: QueueItem, dispatch: ServerAction<DispatchPo>, check: ServerAction<CheckPo>, checked: RwSignal<Option<i64>>) -> impl IntoView {
    let session = use_session();
    let po_id = i.po_id;
    let can_dispatch = i.dispatch_status == DispatchStatus::Ready;
    let checkable =
        i.distributor.as_deref() == Some("pax8") && matches!(i.dispatch_status, DispatchStatus::Ready | DispatchStatus::Queued | DispatchStatus::Failed);
    let number = i.po_number.clone();
    view! {
        <tr data-po=number.clone()>
            <td><a href=format!("/purchase-orders/{po_id}")>{i.po_number}</a></td>
            <td>{i.company}</td>
            <td>{i.vendor}</td>
            <td>
                <DispatchBadge status=i.dispatch_status />
                {i.catalog_changed.then(|| view! {
                    " "<span class="badge warn" data-testid="catalog-changed" title="The catalog (or the company's Pax8 link) differs from what was approved; dispatch sends what was approved">"Catalog changed since approval"</span>
                })}
            </td>
            <td class="small muted">{crate::components::when(&i.updated_at)}</td>
            <td class="row-actions">
                <Show when=move || can_dispatch && session.can(permission(Action::Dispatch))>
                    <button class="button primary" on:click=move |_| { dispatch.dispatch(DispatchPo { po_id }); }>"Dispatch"</button>
                </Show>
                <Show when=move || checkable && session.can(permission(Action::Dispatch))>
                    " "<span on:click=move |_| checked.set(Some(po_id))><panel::CheckButton po_id check /></span>
                </Show>
                {i.remediation_id.map(|_| view! { " "<a class="button" href=format!("/purchase-orders/{po_id}#procurement")>"Remediate"</a> })}
            </td>
        </tr>
        <Show when=move || checked.get() == Some(po_id) && !check.pending().get() && check.value().with(|v| v.is_some())>
            <tr class="check-row" data-check-for=number.clone()>
                <td colspan="6"><panel::CheckOutcome check /></td>
            </tr>
        </Show>
    }
}
