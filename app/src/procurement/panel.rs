//! The procurement panel of a PO: its dispatch, subscriptions, and the
//! remediation entry with Retry, Edit and retry, and Abandon.

use super::{every, get_dispatch, procurement_status, AbandonDispatch, DispatchBadge, DispatchPo, RetryDispatch};
use crate::components::{last_error, ErrorBanner, FieldError};
use crate::error::ApiError;
use crate::shell::use_session;
use domain::procurement::{Dispatch, DispatchStatus, LineEdit, RetryEdits};
use domain::users::Permission;
use leptos::prelude::*;

#[component]
pub fn ProcurementPanel(po_id: i64) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let dispatch = ServerAction::<DispatchPo>::new();
    let retry = ServerAction::<RetryDispatch>::new();
    let abandon = ServerAction::<AbandonDispatch>::new();
    let status = Resource::new(|| (), |_| procurement_status());
    let current = Resource::new(
        move || (tick.get(), dispatch.version().get(), retry.version().get(), abandon.version().get()),
        move |_| async move {
            match get_dispatch(po_id).await {
                Ok(d) => Ok(Some(d)),
                Err(e) if e.code() == domain::ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        },
    );
    every(1500, move || tick.update(|t| *t += 1));
    // When the dispatch moves on, the PO page reloads its timeline.
    let seen = StoredValue::new(None::<Option<DispatchStatus>>);
    if let Some(changed) = use_context::<crate::purchase_orders::Changed>() {
        Effect::new(move |_| {
            if let Some(Ok(d)) = current.get() {
                let now = d.map(|d| d.status);
                if seen.get_value().is_some_and(|before| before != now) {
                    changed.0.update(|n| *n += 1);
                }
                seen.set_value(Some(now));
            }
        });
    }
    let session = use_session();
    let error = Signal::derive(move || {
        last_error(dispatch.value())
            .get()
            .or_else(|| last_error(retry.value()).get())
            .or_else(|| last_error(abandon.value()).get())
    });
    view! {
        <section class="card" id="procurement" data-testid="procurement-panel">
            <h2>"Procurement"</h2>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none_or(|f| !f.starts_with("edits") && f != "reason"))) />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let available = status.await.map(|s| s.available).unwrap_or(false);
                    if !available {
                        return view! { <p class="muted">"Procurement is unavailable (no encryption key)."</p> }.into_any();
                    }
                    match current.await {
                        Err(e) => view! { <p class="muted">{e.message().to_string()}</p> }.into_any(),
                        Ok(None) => view! {
                            <p><DispatchBadge status=DispatchStatus::Ready />" Not dispatched. Approval never sends anything: dispatch it when ready."</p>
                            <Show when=move || session.can(Permission::Dispatch)>
                                <button class="button primary" on:click=move |_| { dispatch.dispatch(DispatchPo { po_id }); }>"Dispatch to distributor"</button>
                            </Show>
                        }.into_any(),
                        Ok(Some(d)) => view! { <DispatchView d retry abandon error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DispatchView(d: Dispatch, retry: ServerAction<RetryDispatch>, abandon: ServerAction<AbandonDispatch>, error: Signal<Option<ApiError>>) -> impl IntoView {
    let session = use_session();
    let remediation = d.remediation.clone().filter(|r| r.status == "open");
    view! {
        <div class="po-facts">
            <div><span class="muted small">"State"</span><DispatchBadge status=d.status /></div>
            <div><span class="muted small">"Attempts"</span>{d.attempts}</div>
            <div><span class="muted small">"Distributor order"</span>{d.order_id.clone().map(|o| view! { <code data-testid="order-id">{o}</code> })}</div>
        </div>
        {(!d.subscriptions.is_empty()).then(|| view! {
            <table class="table" data-testid="subscriptions">
                <thead><tr><th>"Subscription"</th><th>"Product"</th><th class="num">"Qty"</th><th>"Status"</th></tr></thead>
                <tbody>{d.subscriptions.iter().map(|s| view! {
                    <tr><td><code>{s.subscription_id.clone()}</code></td><td>{s.product_id.clone()}</td><td class="num">{s.quantity}</td><td>{s.status.clone()}</td></tr>
                }).collect_view()}</tbody>
            </table>
        })}
        {remediation.map(|r| {
            let rid = r.id;
            let lines = d.request.lines.clone();
            view! {
                <div class="remediation" data-testid="remediation">
                    <div class="banner error" role="alert">{r.message.clone()}</div>
                    <Show when=move || session.can(Permission::Remediate)>
                        <div class="form-actions left">
                            <button class="button" on:click=move |_| { retry.dispatch(RetryDispatch { remediation_id: rid, edits: None }); }>"Retry as is"</button>
                        </div>
                        <EditRetry rid lines=lines.clone() company=d.request.company_id.clone().unwrap_or_default() retry error />
                        <AbandonForm rid abandon error />
                    </Show>
                </div>
            }
        })}
    }
}

/// The editable fields of one order line.
#[derive(Clone, Copy)]
struct LineFields {
    id: i64,
    quantity: RwSignal<String>,
    product: RwSignal<String>,
    term: RwSignal<String>,
    commitment: RwSignal<String>,
    details: RwSignal<String>,
}

#[component]
fn EditRetry(
    rid: i64,
    lines: Vec<domain::procurement::OrderLine>,
    company: String,
    retry: ServerAction<RetryDispatch>,
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    let company = RwSignal::new(company);
    let fields: Vec<LineFields> = lines
        .iter()
        .map(|l| LineFields {
            id: l.po_line_id,
            quantity: RwSignal::new(l.quantity.to_string()),
            product: RwSignal::new(l.product_id.clone().unwrap_or_default()),
            term: RwSignal::new(l.billing_term.clone().unwrap_or_default()),
            commitment: RwSignal::new(l.commitment_term_id.clone().unwrap_or_default()),
            details: RwSignal::new(domain::purchase_orders::format_details(&l.provisioning_details)),
        })
        .collect();
    let fields = StoredValue::new(fields);
    let local = RwSignal::new(None::<ApiError>);
    let all = Signal::derive(move || local.get().or_else(|| error.get()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let mut edits = RetryEdits {
            pax8_company_id: Some(company.get_untracked()),
            lines: vec![],
        };
        for (
            i,
            LineFields {
                id,
                quantity: q,
                product: p,
                term: t,
                commitment: c,
                details: d,
            },
        ) in fields.get_value().into_iter().enumerate()
        {
            let Ok(quantity) = q.get_untracked().trim().parse::<i64>() else {
                local.set(Some(ApiError(domain::Error::validation(
                    format!("edits.lines[{i}].quantity"),
                    "Quantity must be a whole number.",
                ))));
                return;
            };
            let details = domain::purchase_orders::parse_details(&d.get_untracked());
            edits.lines.push(LineEdit {
                po_line_id: id,
                quantity: Some(quantity),
                distributor_product_id: Some(p.get_untracked()),
                billing_term: Some(t.get_untracked()),
                commitment_term_id: Some(c.get_untracked()),
                provisioning_details: Some(details),
            });
        }
        retry.dispatch(RetryDispatch {
            remediation_id: rid,
            edits: Some(edits),
        });
    };
    view! {
        <details class="edit-retry">
            <summary>"Edit and retry"</summary>
            <form class="po-editor" on:submit=submit>
                <div class="fields"><label>"Company's Pax8 id"<input name="pax8_company_id" bind:value=company /></label></div>
                <FieldError error=all field="edits.pax8_company_id" />
                {fields.get_value().into_iter().enumerate().map(|(i, LineFields { id, quantity: q, product: p, term: t, commitment: c, details: d })| view! {
                    <div class="line">
                        <div class="line-head"><span class="line-no">{format!("PO line {id}")}</span></div>
                        <div class="fields">
                            <label class="narrow">"Quantity"<input name="edit_quantity" inputmode="numeric" bind:value=q /></label>
                            <label>"Pax8 product id"<input name="edit_product" bind:value=p /></label>
                            <label>"Billing term"<input name="edit_billing_term" bind:value=t /></label>
                            <label>"Commitment term id"<input name="edit_commitment" bind:value=c /></label>
                        </div>
                        <label>"Provisioning details (key=value per line)"<textarea name="edit_details" rows="2" bind:value=d></textarea></label>
                        <FieldError error=all field=format!("edits.lines[{i}].quantity") />
                    </div>
                }).collect_view()}
                <button class="button primary" type="submit">"Save and retry"</button>
            </form>
        </details>
    }
}

#[component]
fn AbandonForm(rid: i64, abandon: ServerAction<AbandonDispatch>, error: Signal<Option<ApiError>>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    view! {
        <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); abandon.dispatch(AbandonDispatch { remediation_id: rid, reason: reason.get_untracked() }); }>
            <div class="fields">
                <label>"Reason to abandon"<input name="abandon_reason" bind:value=reason /></label>
                <button class="button danger" type="submit">"Abandon"</button>
            </div>
            <FieldError error field="reason" />
        </form>
    }
}
