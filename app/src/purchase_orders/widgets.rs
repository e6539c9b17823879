use domain::purchase_orders::PoStatus;
use leptos::prelude::*;

#[component]
pub fn StatusBadge(status: PoStatus) -> impl IntoView {
    view! { <span class=format!("badge po-{}", status.as_str()) data-testid="po-status">{status.label()}</span> }
}
