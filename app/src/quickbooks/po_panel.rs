//! The PO page's QuickBooks panel: where the PO is in QuickBooks, or why a
//! push failed, with Push / Retry for those who may push.

use super::PushPoToQbo;
use crate::components::when;
use crate::components::Changed;
use crate::components::ErrorBanner;
use domain::purchase_orders::QboState;
use domain::ErrorCode;
use leptos::prelude::*;

#[component]
pub fn QboPoPanel(po_id: i64, qbo: Option<QboState>, can_push: bool) -> impl IntoView {
    let push = ServerAction::<PushPoToQbo>::new();
    let changed = expect_context::<Changed>();
    // A push that ran (done, or failed and recorded on the PO) reloads the
    // page; other refusals stay shown here.
    let local_error = RwSignal::new(None);
    Effect::new(move |_| match push.value().get() {
        Some(Ok(_)) => changed.0.update(|n| *n += 1),
        Some(Err(e)) if matches!(e.0.code, ErrorCode::Upstream | ErrorCode::Validation) && e.field() != Some("qbo") => changed.0.update(|n| *n += 1),
        Some(Err(e)) => local_error.set(Some(e)),
        None => {}
    });
    let error = Signal::derive(move || local_error.get());
    let pushed = qbo.as_ref().and_then(|q| q.id.clone().map(|id| (id, q.pushed_at.clone().unwrap_or_default())));
    let failed = qbo.as_ref().filter(|q| q.id.is_none()).and_then(|q| q.error.clone());
    let label = if failed.is_some() { "Retry push" } else { "Push to QuickBooks" };
    view! {
        <section class="card" data-testid="qbo-panel">
            <h2>"QuickBooks"</h2>
            {match (pushed, failed) {
                (Some((id, at)), _) => view! { <p class="ok" data-testid="qbo-state">{format!("In QuickBooks as purchase order {id}, pushed {}.", when(&at))}</p> }.into_any(),
                (None, Some(err)) => view! { <div class="banner error" role="alert" data-testid="qbo-error">{err}</div> }.into_any(),
                (None, None) => view! { <p class="muted" data-testid="qbo-state">"Not in QuickBooks yet."</p> }.into_any(),
            }}
            <ErrorBanner error />
            {(can_push && qbo.as_ref().is_none_or(|q| q.id.is_none())).then(|| view! {
                <button class="button primary" data-testid="qbo-push" disabled=move || push.pending().get() on:click=move |_| {
                    local_error.set(None);
                    push.dispatch(PushPoToQbo { id: po_id });
                }>{move || if push.pending().get() { "Pushing…" } else { label }}</button>
            })}
        </section>
    }
}
