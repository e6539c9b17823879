use domain::purchase_orders::PoStatus;
use leptos::prelude::*;

#[component]
pub fn StatusBadge(status: PoStatus) -> impl IntoView {
    view! { <span class=format!("badge po-{}", status.as_str()) data-testid="po-status">{status.label()}</span> }
}

/// `2026-11-27T09:30:00.000000Z` → `2026-11-27 09:30 UTC`.
pub fn when(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.to_string(),
    }
}
