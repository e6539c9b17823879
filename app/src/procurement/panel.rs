//! The procurement panel of a PO: its dispatch, subscriptions, "Check with
//! Pax8", and the remediation entry with Retry (or Check again), Edit and
//! retry, and Abandon.

use super::{get_dispatch, problem_line, procurement_status, AbandonDispatch, CheckPo, CheckResult, DispatchBadge, DispatchPo, PoDispatch, RetryDispatch};
use crate::components::{every, last_error, ErrorBanner, FieldError};
use crate::error::ApiError;
use domain::procurement::{DispatchStatus, LineEdit, RetryEdits};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A PO's dispatch as the panel reads it (`None`: not dispatched).
pub type DispatchAnswer = Result<Option<PoDispatch>, ApiError>;

/// PO `po_id`'s dispatch; not found is "not dispatched".
async fn dispatch_of(po_id: i64) -> DispatchAnswer {
    match get_dispatch(po_id).await {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.code() == domain::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `pax8`: the PO's vendor is Pax8 (it can be checked with Pax8).
/// `dispatched`: the PO has a dispatch (its `procurement_status`); when it
/// has none, nothing is asked until someone dispatches it (asking would
/// answer 404, an error in the browser's console on every load).
/// `may_dispatch`, `may_retry`: what the policy permits this user
/// (`domain::purchase_orders::policy`), asked by the PO page.
#[component]
pub fn ProcurementPanel(
    po_id: i64,
    #[prop(optional)] pax8: bool,
    #[prop(optional)] dispatched: bool,
    #[prop(optional)] may_dispatch: bool,
    #[prop(optional)] may_retry: bool,
) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let dispatch = ServerAction::<DispatchPo>::new();
    let check = ServerAction::<CheckPo>::new();
    let retry = ServerAction::<RetryDispatch>::new();
    let abandon = ServerAction::<AbandonDispatch>::new();
    let status = Resource::new(|| (), |_| procurement_status());
    // One lookup per server render of the PO page (see `RenderOnce`).
    #[cfg(feature = "ssr")]
    let once = use_context::<crate::components::RenderOnce<DispatchAnswer>>();
    let current = Resource::new(
        move || (tick.get(), dispatch.version().get(), retry.version().get(), abandon.version().get()),
        move |asked| {
            #[cfg(feature = "ssr")]
            let once = once.clone();
            async move {
                if !dispatched && asked == (0, 0, 0, 0) {
                    return Ok(None);
                }
                #[cfg(feature = "ssr")]
                if let Some(once) = once {
                    return once.get_or_fetch(|| dispatch_of(po_id)).await;
                }
                dispatch_of(po_id).await
            }
        },
    );
    // Followed live only while work is under way at the distributor: a
    // failed dispatch waits for a person, and redrawing it would wipe what
    // they are typing into Edit and retry. Its actions refetch it.
    let live = move || match current.get_untracked() {
        Some(Ok(Some(d))) => d.dispatch.status.in_flight(),
        Some(Ok(None)) => false,
        _ => true,
    };
    every(1500, move || {
        if live() {
            tick.update(|t| *t += 1)
        }
    });
    // When the dispatch moves on, the PO page reloads its timeline.
    let seen = StoredValue::new(None::<Option<DispatchStatus>>);
    if let Some(changed) = use_context::<crate::components::Changed>() {
        Effect::new(move |_| {
            if let Some(Ok(d)) = current.get() {
                let now = d.map(|d| d.dispatch.status);
                if seen.get_value().is_some_and(|before| before != now) {
                    changed.0.update(|n| *n += 1);
                }
                seen.set_value(Some(now));
            }
        });
    }
    // A retry that changed what is bought sent the PO back to approval:
    // the PO page reloads to show it.
    if let Some(changed) = use_context::<crate::components::Changed>() {
        Effect::new(move |_| {
            if let Some(Ok(d)) = retry.value().get() {
                if d.remediation.is_some_and(|r| r.awaiting_approval) {
                    changed.0.update(|n| *n += 1);
                }
            }
        });
    }
    // A check is on the timeline too.
    if let Some(changed) = use_context::<crate::components::TimelineChanged>() {
        Effect::new(move |_| {
            if let Some(Ok(_)) = check.value().get() {
                changed.0.update(|n| *n += 1);
            }
        });
    }
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
                            <Show when=move || may_dispatch>
                                <div class="form-actions left">
                                    <button class="button primary" on:click=move |_| { dispatch.dispatch(DispatchPo { po_id }); }>"Dispatch to distributor"</button>
                                    {pax8.then(|| view! { <CheckButton po_id check /> })}
                                </div>
                            </Show>
                        }.into_any(),
                        Ok(Some(d)) => {
                            let checkable = pax8 && matches!(d.dispatch.status, DispatchStatus::Queued | DispatchStatus::Failed);
                            view! {
                                <DispatchView d retry abandon error may_retry />
                                <Show when=move || checkable && may_dispatch>
                                    <div class="form-actions left"><CheckButton po_id check /></div>
                                </Show>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <CheckOutcome check />
        </section>
    }
}

/// "Check with Pax8" for one PO; its outcome shows in [`CheckOutcome`].
#[component]
pub fn CheckButton(po_id: i64, check: ServerAction<CheckPo>) -> impl IntoView {
    view! {
        <button class="button" data-testid="check-pax8" disabled=move || check.pending().get() on:click=move |_| { check.dispatch(CheckPo { po_id }); }>
            {move || if check.pending().get() { "Checking with Pax8…" } else { "Check with Pax8" }}
        </button>
    }
}

/// What the last "Check with Pax8" found: that Pax8 would accept the
/// order, or its problems (each with its PO line), or why it could not ask.
#[component]
pub fn CheckOutcome(check: ServerAction<CheckPo>) -> impl IntoView {
    move || {
        check.value().get().map(|r| match r {
            Err(e) => view! { <div class="banner error check-result" role="alert" data-testid="check-result">{format!("Could not check with Pax8: {}", e.message())}</div> }.into_any(),
            Ok(CheckResult { problems }) if problems.is_empty() => view! {
                <div class="banner success check-result" role="status" data-testid="check-result">"Pax8 would accept this order."</div>
            }.into_any(),
            Ok(CheckResult { problems }) => view! {
                <div class="check-result" role="status" data-testid="check-result">
                    <div class="banner warn">"Pax8 would refuse this order:"</div>
                    <ProblemList problems=problems.into_iter().map(|p| (p.line, p.field, p.message)).collect() />
                </div>
            }.into_any(),
        })
    }
}

/// Problems one per line: the PO line it concerns (when known), the
/// message, and the field to fix.
#[component]
pub fn ProblemList(problems: Vec<(Option<String>, String, String)>) -> impl IntoView {
    view! {
        <ul class="problems" data-testid="problems">
            {problems.into_iter().map(|(line, field, message)| view! {
                <li>
                    {line.map(|l| view! { <strong>{l}": "</strong> })}
                    {message}
                    {(!field.is_empty()).then(|| view! { " " <code class="muted">{field}</code> })}
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn DispatchView(
    d: PoDispatch,
    retry: ServerAction<RetryDispatch>,
    abandon: ServerAction<AbandonDispatch>,
    error: Signal<Option<ApiError>>,
    may_retry: bool,
) -> impl IntoView {
    let remediation = d
        .dispatch
        .remediation
        .clone()
        .filter(|r| r.status == domain::procurement::RemediationStatus::Open);
    let labels = d.line_labels.clone();
    view! {
        <div class="po-facts">
            <div><span class="muted small">"State"</span><DispatchBadge status=d.dispatch.status /></div>
            <div><span class="muted small">"Attempts"</span>{d.dispatch.attempts}</div>
            <div><span class="muted small">"Distributor order"</span>{d.dispatch.order_id.clone().map(|o| view! { <code data-testid="order-id">{o}</code> })}</div>
        </div>
        {(d.dispatch.status == domain::procurement::DispatchStatus::HeldForRenewal).then(|| {
            let until = d.dispatch.held_until.clone().unwrap_or_default();
            view! {
                <div class="banner info" data-testid="held-for-renewal">
                    {format!(
                        "Approved and waiting: Pax8 allows fewer seats only once the commitment renews on {}. The change is sent in the days after the renewal; if it cannot be, the procurement queue says so.",
                        until.get(..10).unwrap_or(&until)
                    )}
                </div>
            }
        })}
        {(!d.dispatch.subscriptions.is_empty()).then(|| view! {
            <table class="table" data-testid="subscriptions">
                <thead><tr><th>"Subscription"</th><th>"Product"</th><th class="num">"Qty"</th><th>"Status"</th></tr></thead>
                <tbody>{d.dispatch.subscriptions.iter().map(|s| view! {
                    <tr>
                        <td><code>{s.subscription_id.clone()}</code></td>
                        <td data-testid="subscription-product" title=s.product_id.clone()>{d.product_name(&s.product_id)}</td>
                        <td class="num">{s.quantity}</td>
                        <td>{s.status.clone()}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        })}
        {remediation.map(|r| {
            let rid = r.id;
            let duplicate = r.reason.is_duplicate();
            let waiting = r.reason.order_exists_waiting() && !duplicate;
            let approval = r.awaiting_approval;
            let lines = d.dispatch.request.lines.clone();
            // A change order is revised from Pax8's figures, never edited here.
            let change = d.dispatch.request.is_change();
            let revise = r.reason == domain::procurement::RemediationReason::ChangedAtDistributor;
            let problems: Vec<(Option<String>, String, String)> = r
                .problems
                .iter()
                .map(|p| {
                    let line = problem_line(p, &d.dispatch.request).and_then(|id| labels.get(&id).cloned());
                    (line, p.field.clone(), p.message.clone())
                })
                .collect();
            let company = d.dispatch.request.company_id.clone().unwrap_or_default();
            let labels = labels.clone();
            view! {
                <div class="remediation" data-testid="remediation">
                    <p><strong data-testid="remediation-reason">{r.reason.label()}</strong></p>
                    <div class="banner error" role="alert">{r.message.clone()}</div>
                    {(!problems.is_empty()).then(|| view! { <ProblemList problems /> })}
                    {waiting.then(|| view! {
                        <p class="muted small">"The order exists at Pax8 and waits there: Check again asks Pax8 where it stands and sends nothing. Abandon cancels nothing at Pax8."</p>
                    })}
                    {duplicate.then(|| view! {
                        <p class="muted small">"Pax8 made more than one order for this dispatch, each billed. The dispatch and its contract line follow one of them; cancel the other's subscriptions in the Pax8 portal (or keep them knowingly), then mark this resolved. Nothing is sent from here."</p>
                    })}
                    <Show when=move || may_retry && duplicate>
                        <div class="form-actions left">
                            <button class="button" data-testid="resolve-duplicate" on:click=move |_| { retry.dispatch(RetryDispatch { remediation_id: rid, edits: None }); }>
                                "Mark resolved"
                            </button>
                        </div>
                    </Show>
                    {approval.then(|| view! {
                        <div class="banner warn" data-testid="awaiting-approval">
                            "The retry changes what is bought: the purchase order waits for a new approval, and the dispatch resumes once it is approved. Abandon gives up instead."
                        </div>
                    })}
                    <Show when=move || may_retry && approval && !duplicate>
                        <AbandonForm rid abandon error />
                    </Show>
                    <Show when=move || may_retry && !approval && !duplicate>
                        <div class="form-actions left">
                            <button class="button" on:click=move |_| { retry.dispatch(RetryDispatch { remediation_id: rid, edits: None }); }>
                                {if waiting { "Check again" } else if revise { "Revise from what Pax8 shows" } else { "Retry as is" }}
                            </button>
                        </div>
                        {revise.then(|| view! { <p class="muted small">"The change goes back to an approver with the seats Pax8 shows now; nothing is sent before it is approved again."</p> })}
                        {(!waiting && !change).then(|| view! { <EditRetry rid lines=lines.clone() labels=labels.clone() company=company.clone() retry error /> })}
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
    labels: BTreeMap<i64, String>,
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
                        <div class="line-head"><span class="line-no">{labels.get(&id).cloned().unwrap_or_else(|| format!("PO line {id}"))}</span></div>
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
