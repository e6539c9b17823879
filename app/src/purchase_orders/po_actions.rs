//! The action cards of the PO page: submit, approve or reject (with the
//! signature pad), receive, cancel. Which ones show: the policy, asked by
//! the page (`detail_page.rs`).

use super::signature_pad::{Pad, SignaturePad};
use super::{ApprovePo, CancelPo, ReceivePo, RejectPo, SubmitPo};
use crate::components::Changed;
use crate::components::{last_error, ErrorBanner, FieldError};
use crate::error::ApiError;
use domain::purchase_orders::{PurchaseOrder, ReceiptLine};
use leptos::prelude::*;

fn bump_on_success<T: Clone + Send + Sync + 'static>(value: impl Get<Value = Option<Result<T, ApiError>>> + Send + Sync + 'static) {
    let changed = use_context::<Changed>();
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            reload(changed);
        }
    });
}

/// Loads the PO again: through the page's `Changed`, or, where no page
/// provides one, by loading the page again.
fn reload(changed: Option<Changed>) {
    match changed {
        Some(c) => c.0.update(|n| *n += 1),
        None => {
            let _ = window().location().reload();
        }
    }
}

#[component]
pub(super) fn SubmitCard(id: i64) -> impl IntoView {
    let submit = ServerAction::<SubmitPo>::new();
    let error = last_error(submit.value());
    bump_on_success(submit.value());
    view! {
        <section class="card action">
            <h2>"Submit"</h2>
            <p class="muted">"Send it for approval. Under the auto-approve limit it is approved at once."</p>
            <ErrorBanner error />
            <button class="button primary" on:click=move |_| { submit.dispatch(SubmitPo { id }); }>"Submit for approval"</button>
        </section>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
pub(super) fn ApproveCard(
    id: i64,
    version: i64,
    require_signature: bool,
    own: bool,
    approve_ok: bool,
    refusal: Option<String>,
    two: bool,
    given: usize,
) -> impl IntoView {
    let approve = ServerAction::<ApprovePo>::new();
    let reject = ServerAction::<RejectPo>::new();
    let pad = Pad::new();
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<ApiError>);
    let approve_error = last_error(approve.value());
    let reject_error = last_error(reject.value());
    let error = Signal::derive(move || local.get().or_else(|| approve_error.get()).or_else(|| reject_error.get()));
    // The PO changed since this page showed it: offer to reload it.
    let stale = Signal::derive(move || error.get().filter(|e| e.code() == domain::ErrorCode::Stale));
    let changed = use_context::<Changed>();
    bump_on_success(approve.value());
    bump_on_success(reject.value());
    let do_approve = move |_| {
        local.set(None);
        let sig = pad.png_data_url();
        if require_signature && sig.is_none() {
            local.set(Some(ApiError(domain::Error::validation(
                "signature_png",
                "Sign on the pad first: a signature is required.",
            ))));
            return;
        }
        approve.dispatch(ApprovePo {
            id,
            version,
            signature_png: sig,
        });
    };
    view! {
        <section class="card action" data-testid="approve-card">
            <h2>"Approve or reject"</h2>
            {move || stale.get().map(|e| view! {
                <div class="banner warn stale" role="alert" data-testid="stale">
                    <strong>"This PO changed since you opened it"</strong>
                    <div class="small">{e.message().to_string()}</div>
                    <button type="button" class="button" on:click=move |_| reload(changed)>"Reload"</button>
                </div>
            })}
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field() != Some("reason") && e.code() != domain::ErrorCode::Stale)) />
            {own.then(|| view! { <p class="muted small" data-testid="own-po">"You raised this PO: approving it is recorded as a self-approval."</p> })}
            {two.then(|| view! { <p class="muted small">{if given == 0 { "This PO needs two approvals: yours would be the first." } else { "This PO needs two approvals: yours would be the second." }}</p> })}
            {refusal.map(|m| view! { <div class="banner warn" data-testid="self-approval">{m}</div> })}
            {approve_ok.then(|| view! {
                <p class="muted">{if require_signature { "A signature is required to approve." } else { "Signing is optional." }}</p>
                <SignaturePad pad />
                <button class="button primary" on:click=do_approve disabled=move || approve.pending().get()>"Approve"</button>
                <hr />
            })}
            <label>"Reason for rejecting"<textarea name="reject_reason" rows="2" bind:value=reason></textarea></label>
            <FieldError error field="reason" />
            <button class="button danger" on:click=move |_| { local.set(None); reject.dispatch(RejectPo { id, version, reason: reason.get_untracked() }); }>"Reject"</button>
        </section>
    }
}

#[component]
pub(super) fn ReceiveCard(po: PurchaseOrder) -> impl IntoView {
    let receive = ServerAction::<ReceivePo>::new();
    let error = last_error(receive.value());
    bump_on_success(receive.value());
    let id = po.id;
    // Lines a distributor provisions are not goods to receive: they count
    // as received when their subscription is. Those are the lines with a
    // billing term (Pax8 takes no order line without one).
    let provisioned = po.vendor.distributor.is_some_and(domain::procurement::provisionable);
    let rows: Vec<(i64, String, i64, RwSignal<String>)> = po
        .lines
        .iter()
        .filter(|l| l.received_quantity < l.quantity)
        .filter(|l| !(provisioned && l.billing_term.is_some()))
        .map(|l| (l.id, l.description.clone(), l.quantity - l.received_quantity, RwSignal::new(String::new())))
        .collect();
    let rows = StoredValue::new(rows);
    let local = RwSignal::new(None::<ApiError>);
    let all_error = Signal::derive(move || local.get().or_else(|| error.get()));
    let send = move |all: bool| {
        local.set(None);
        let mut lines = Vec::new();
        for (i, (line_id, _, outstanding, qty)) in rows.get_value().into_iter().enumerate() {
            let text = qty.get_untracked();
            let quantity = if all {
                outstanding
            } else if text.trim().is_empty() {
                continue;
            } else {
                match text.trim().parse::<i64>() {
                    Ok(q) => q,
                    Err(_) => {
                        local.set(Some(ApiError(domain::Error::validation(
                            format!("lines[{i}].quantity"),
                            "Enter a whole number.",
                        ))));
                        return;
                    }
                }
            };
            lines.push(ReceiptLine { line_id, quantity });
        }
        if lines.is_empty() {
            local.set(Some(ApiError(domain::Error::validation(
                "lines",
                "Enter how many arrived on at least one line.",
            ))));
            return;
        }
        receive.dispatch(ReceivePo { id, lines });
    };
    if rows.with_value(|r| r.is_empty()) {
        return ().into_any();
    }
    view! {
        <section class="card action" data-testid="receive-card">
            <h2>"Receive goods"</h2>
            <ErrorBanner error=all_error />
            <table class="table">
                <thead><tr><th>"Line"</th><th class="num">"Outstanding"</th><th>"Arrived now"</th></tr></thead>
                <tbody>{rows.get_value().into_iter().map(|(_, d, outstanding, qty)| view! {
                    <tr><td>{d}</td><td class="num">{outstanding}</td><td><input class="qty" inputmode="numeric" aria-label="Arrived now" bind:value=qty /></td></tr>
                }).collect_view()}</tbody>
            </table>
            <div class="form-actions">
                <button class="button" on:click=move |_| send(false)>"Receive entered"</button>
                <button class="button primary" on:click=move |_| send(true)>"Receive all outstanding"</button>
            </div>
        </section>
    }
    .into_any()
}

#[component]
pub(super) fn CancelCard(id: i64) -> impl IntoView {
    let cancel = ServerAction::<CancelPo>::new();
    let error = last_error(cancel.value());
    bump_on_success(cancel.value());
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<ApiError>);
    let all = Signal::derive(move || local.get().or_else(|| error.get()));
    view! {
        <section class="card action">
            <h2>"Cancel"</h2>
            <label>"Reason"<input name="cancel_reason" bind:value=reason /></label>
            <FieldError error=all field="reason" />
            <ErrorBanner error=Signal::derive(move || all.get().filter(|e| e.field().is_none())) />
            <button class="button danger" on:click=move |_| {
                if reason.get_untracked().trim().is_empty() {
                    local.set(Some(ApiError(domain::Error::validation("reason", "Give a reason for cancelling."))));
                } else {
                    local.set(None);
                    cancel.dispatch(CancelPo { id, reason: Some(reason.get_untracked()) });
                }
            }>"Cancel purchase order"</button>
        </section>
    }
}
