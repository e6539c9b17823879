//! The PO page: header, approval, lines, the actions this user may take, and
//! the audit timeline.

use super::po_actions::{ApproveCard, CancelCard, ReceiveCard, SubmitCard};
use super::widgets::StatusBadge;
use super::{approval_settings, get_po, po_timeline};
use crate::components::{boxed, dollars, LoadError, PageHeader};
use crate::components::{when, Changed, TimelineChanged};
use crate::session::use_session;
use domain::purchase_orders::policy::{self, Rules};
use domain::purchase_orders::rules::Action;
use domain::purchase_orders::{Approval, ApprovalKind, PurchaseOrder};
use domain::users::User;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PoPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let changed = Changed(RwSignal::new(0));
    provide_context(changed);
    let timeline_changed = TimelineChanged(RwSignal::new(0));
    provide_context(timeline_changed);
    #[cfg(feature = "ssr")]
    provide_context(crate::components::RenderOnce::<crate::procurement::DispatchAnswer>::default());
    let po = Resource::new(move || (id.get(), changed.0.get()), |(id, _)| boxed(get_po(id)));
    let timeline = Resource::new(
        move || (id.get(), changed.0.get(), timeline_changed.0.get()),
        |(id, _, _)| boxed(po_timeline(id)),
    );
    let rules = Resource::new(|| (), |_| boxed(approval_settings()));
    let session = use_session();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = session.0.await.ok();
                let (require, rules) = rules.await.map(|s| (s.require_signature, Rules::from(&s))).unwrap_or_default();
                match po.await {
                    Err(e) => view! { <PageHeader title="Purchase order" /><LoadError error=e /> }.into_any(),
                    Ok(po) => view! { <PoView po user require_signature=require rules /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Timeline"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match timeline.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(events) => view! {
                            <ol class="timeline" data-testid="timeline">
                                {events.into_iter().map(|e| {
                                    let sig = e.data.get("signature_url").and_then(|v| v.as_str()).map(str::to_string);
                                    view! {
                                        <li class=format!("ev ev-{}", e.kind.as_str())>
                                            <div class="ev-message">{e.message}</div>
                                            <div class="muted small">{e.actor.name}" · "{when(&e.at)}</div>
                                            {sig.map(|u| view! { <img class="sig-thumb" src=u alt="Approver's signature" /> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One approval as the PO shows it: who, when, and the signature.
fn approval_line(a: &Approval, self_approved: bool, of_two: Option<usize>) -> String {
    let step = of_two.map(|n| format!("Approval {n} of 2: ")).unwrap_or_default();
    match a.kind {
        ApprovalKind::Auto => format!(
            "Approved automatically (under {} limit) on {}",
            dollars(a.limit_cents.unwrap_or(0)),
            when(&a.at)
        ),
        ApprovalKind::Manual => format!(
            "{step}Approved by {} on {}{}",
            a.by.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
            when(&a.at),
            if self_approved { " (self-approval: the approver raised this PO)" } else { "" }
        ),
    }
}

#[component]
fn ApprovalBanner(a: Approval, text: String) -> impl IntoView {
    view! {
        <div class="banner success" data-testid="approval">
            {text}
            {a.signature_url.map(|u| view! {
                <figure class="signature-shown">
                    <img src=u alt="Approver's signature" data-testid="signature-image" />
                    <figcaption class="muted small">"SHA-256 " {a.signature_sha256.unwrap_or_default()}</figcaption>
                </figure>
            })}
        </div>
    }
}

#[component]
fn PoView(po: PurchaseOrder, user: Option<User>, require_signature: bool, rules: Rules) -> impl IntoView {
    // What this user may do: the one policy the server refuses with.
    let facts = po.facts();
    let may = |a: Action| user.as_ref().is_some_and(|u| policy::may(u, &facts, rules, a));
    let decide = |a: Action| user.as_ref().map(|u| policy::check(u, &facts, rules, a));
    // A change order is raised from the subscription; the editor orders products.
    let change_order = po.is_change_order();
    let may_edit = may(Action::Edit) && !change_order;
    let may_submit = may(Action::Submit);
    let may_receive = may(Action::Receive) && !change_order;
    let may_cancel = may(Action::Cancel);
    let approve = decide(Action::Approve);
    let reject_ok = may(Action::Reject);
    let approve_ok = matches!(approve, Some(Ok(())));
    // The policy refuses for the permission first, then the state (409),
    // then segregation of duties: an approver's refusal that is not about
    // the state is segregation of duties, and is said, not hidden.
    let approver = user.as_ref().is_some_and(|u| u.can(policy::permission(Action::Approve)));
    let approve_refusal = match approve {
        Some(Err(e)) if approver && e.code != domain::ErrorCode::Conflict => Some(e.message),
        _ => None,
    };
    let raised_it = user.as_ref().is_some_and(|u| po.created_by.id == Some(u.id));
    let target = match (&po.ticket, &po.project) {
        (Some(t), _) => format!("Ticket #{} {}", t.id, t.name),
        (_, Some(p)) => format!("Project {}", p.name),
        _ => "Company".to_string(),
    };
    let id = po.id;
    let version = po.version;
    let two = po.approvals_required > 1;
    let given = po.approvals.len();
    let revisable = po.status == domain::purchase_orders::PoStatus::Approved && may_edit;
    let since = if po.status.is_committed() { "approval" } else { "submission" };
    view! {
        <PageHeader title=po.number.clone() subtitle=format!("{} · {}", po.vendor.name, po.company.name)>
            <a class="button" href=format!("/purchase-orders/{id}/print") target="_blank">"Print"</a>
            {may_edit.then(|| view! { <a class="button" href=format!("/purchase-orders/{id}/edit")>{if revisable { "Revise" } else { "Edit" }}</a> })}
        </PageHeader>
        <section class="card po-head">
            <div class="po-facts">
                <div><span class="muted small">"Status"</span><StatusBadge status=po.status /></div>
                <div><span class="muted small">"Total"</span><strong data-testid="po-total">{dollars(po.total_cents)}</strong>" "<span class="muted small">{po.currency.clone()}</span></div>
                <div><span class="muted small">"For"</span><a href=format!("/companies/{}", po.company.id)>{po.company.name.clone()}</a><div class="small">{target}</div></div>
                <div><span class="muted small">"Raised by"</span>{po.created_by.name.clone()}<div class="muted small">{when(&po.created_at)}</div></div>
            </div>
            {(two && po.status == domain::purchase_orders::PoStatus::PendingApproval).then(|| view! {
                <div class="banner warn" data-testid="approvals-progress">
                    <strong>{format!("{given} of 2 approvals")}</strong>
                    " · above the second approval limit, two different approvers (neither the creator) must approve."
                </div>
            })}
            {if two {
                po.approvals.iter().enumerate().map(|(i, a)| view! {
                    <ApprovalBanner a=a.clone() text=approval_line(a, false, Some(i + 1)) />
                }).collect_view().into_any()
            } else {
                po.approval.clone().map(|a| {
                    let text = approval_line(&a, po.self_approved, None);
                    view! { <ApprovalBanner a text /> }
                }).into_any()
            }}
            {po.rejection.clone().map(|r| view! {
                <div class="banner error" data-testid="rejection">{format!("Rejected by {} on {}: {}", r.by.name, when(&r.at), r.reason)}</div>
            })}
            {po.cancellation.clone().map(|c| view! {
                <div class="banner warn">{format!("Cancelled by {} on {}{}", c.by.name, when(&c.at), c.reason.map(|r| format!(": {r}")).unwrap_or_default())}</div>
            })}
            {po.revision.clone().map(|r| view! {
                <div class="banner warn" data-testid="revision">
                    <strong>"Changes waiting for approval"</strong>
                    <span class="small">{format!(" · asked by {} on {} (edit and retry); the dispatch resumes once approved", r.requested_by.name, when(&r.at))}</span>
                    <ul>{r.changes.iter().map(|c| view! { <li>{c.describe()}</li> }).collect_view()}</ul>
                </div>
            })}
            {(!po.catalog_changes.is_empty()).then(|| view! {
                <div class="banner warn" data-testid="catalog-changed">
                    <strong>{format!("Catalog changed since {since}")}</strong>
                    <ul>{po.catalog_changes.iter().map(|c| view! { <li>{c.describe()}</li> }).collect_view()}</ul>
                    <p class="small">{if may_edit {
                        "Dispatch sends what was approved. To order what the catalog says now, revise the PO: it goes back for approval."
                    } else {
                        "Dispatch sends what was approved; nothing changes unless someone edits the PO, which sends it back for approval."
                    }}</p>
                </div>
            })}
            {change_order.then(|| {
                let reduces = po.lines.iter().any(|l| l.change.as_ref().is_some_and(|c| c.reduces()));
                let cancels = po.lines.iter().any(|l| l.change.as_ref().is_some_and(|c| c.cancel));
                view! {
                    <div class=if reduces { "banner warn" } else { "banner info" } data-testid="change-order">
                        <strong>"A change order"</strong>
                        {format!(" · it changes subscriptions at {}; nothing new is ordered", po.vendor.name)}
                        {(po.total_cents < 0).then(|| format!(". It saves {} a billing period.", dollars(-po.total_cents)))}
                        {reduces.then(|| view! { <p class="small">"Fewer seats or a cancellation is never approved automatically: most vendors cannot undo it within the term."</p> })}
                        {cancels.then(|| view! { <p class="small" data-testid="cancellation-warning">"A committed subscription is billed to its commitment end: without a date it is cancelled then. Pax8 may charge a cancellation fee for an earlier date; Check with Pax8 says before anyone approves."</p> })}
                    </div>
                }
            })}
            {(!po.notes.is_empty()).then(|| view! { <p class="notes">{po.notes.clone()}</p> })}
        </section>
        <section class="card">
            <h2>"Lines"</h2>
            <table class="table" data-testid="po-lines">
                <thead><tr><th>"#"</th><th>"Description"</th><th class="num">"Ordered"</th><th class="num">"Received"</th><th class="num">"Unit cost"</th><th class="num">"Total"</th></tr></thead>
                <tbody>{po.lines.iter().map(|l| view! {
                    <tr>
                        <td>{l.line_no}</td>
                        <td>{l.description.clone()}{l.billing_term.clone().map(|t| view! { <div class="muted small">{t}</div> })}
                            {l.change.as_ref().map(|c| view! {
                                <div class="small" data-testid="change-line">
                                    <a class="in-text" href=format!("/companies/{}#subscriptions-title", po.company.id)>"Subscription"</a>
                                    {format!(": {}", c.in_words())}
                                </div>
                            })}
                        </td>
                        <td class="num">{match &l.change { Some(_) if l.quantity > 0 => format!("+{}", l.quantity), _ => l.quantity.to_string() }}</td>
                        <td class="num" data-testid="received">{l.received_quantity}</td>
                        <td class="num">
                            {dollars(l.unit_cost_cents)}
                            {l.price_override().then(|| view! {
                                <div class="small override" data-testid="price-override">{format!("Catalog {} · override", dollars(l.catalog_unit_cost_cents.unwrap_or_default()))}</div>
                            })}
                        </td>
                        <td class="num">{dollars(l.total_cents)}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        </section>
        {(po.vendor.distributor.is_some() && (po.status.is_committed() || po.revision.is_some())).then(|| {
            let pax8 = po.vendor.distributor == Some(domain::catalog::Distributor::Pax8);
            let dispatched = po.procurement_status.is_some();
            view! { <crate::procurement::ProcurementPanel po_id=id pax8 dispatched may_dispatch=may(Action::Dispatch) may_retry=may(Action::Retry) /> }
        })}
        {(domain::quickbooks::pushable(po.status) && (po.qbo.is_some() || may(Action::Push))).then(|| view! {
            <crate::quickbooks::QboPoPanel po_id=id qbo=po.qbo.clone() can_push=may(Action::Push) />
        })}
        <div class="actions-grid">
            {may_submit.then(|| view! { <SubmitCard id /> })}
            {(approve_ok || reject_ok).then(|| view! {
                <ApproveCard id version require_signature own=raised_it approve_ok refusal=approve_refusal.clone() two given />
            })}
            {(!approve_ok && !reject_ok).then(|| approve_refusal.clone().map(|m| view! {
                <section class="card action" data-testid="approve-card">
                    <h2>"Approve or reject"</h2>
                    <div class="banner warn" data-testid="self-approval">{m}</div>
                </section>
            }))}
            {may_receive.then(|| view! { <ReceiveCard po=po.clone() /> })}
            {may_cancel.then(|| view! { <CancelCard id /> })}
        </div>
    }
}
