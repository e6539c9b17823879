//! Procurement: dispatch approved POs to distributors. So far: whether it can
//! run (the encryption key); the queue arrives with the procurement engine.

mod api;

pub use api::*;

use crate::components::{EmptyState, LoadError, PageHeader};
use leptos::prelude::*;

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
                    Ok(_) => view! { <EmptyState title="Nothing to dispatch" text="Approved purchase orders with distributor lines will queue here." /> }.into_any(),
                }
            })}
        </Transition>
    }
}
