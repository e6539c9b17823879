//! Purchase orders: the order lifecycle (its own issue fills this in).

use crate::components::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn PurchaseOrdersPage() -> impl IntoView {
    view! {
        <PageHeader title="Purchase orders" subtitle="Raise, approve and receive orders against a company, ticket or project." />
        <EmptyState title="No purchase orders yet" text="Raising purchase orders arrives with the purchase-order release. Companies, vendors, products and contracts can be set up now." />
    }
}
