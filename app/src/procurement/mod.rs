//! Procurement: dispatch to distributors (its own issue fills this in).

use crate::components::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn ProcurementPage() -> impl IntoView {
    view! {
        <PageHeader title="Procurement" subtitle="Dispatch approved orders to Pax8 and work the remediation queue." />
        <EmptyState title="Nothing to dispatch" text="Approved purchase orders with distributor lines will queue here." />
    }
}
