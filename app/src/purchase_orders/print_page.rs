//! The printed form of a PO, for sending to a vendor: a clean A4/Letter
//! page with the lines, totals and the approver's signature.

use super::get_po;
use crate::components::when;
use crate::components::{dollars, LoadError};
use domain::purchase_orders::ApprovalKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PoPrintPage() -> impl IntoView {
    let params = use_params_map();
    let po = Resource::new(move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0), get_po);
    view! {
        <main class="print-page">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match po.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(po) => view! {
                            <Title text=po.number.clone() />
                            <div class="print-toolbar no-print">
                                <a class="button" href=format!("/purchase-orders/{}", po.id)>"Back"</a>
                                <button class="button primary" on:click=move |_| { let _ = window().print(); }>"Print"</button>
                            </div>
                            <header class="print-head">
                                <div>
                                    <p class="brand-mark">"NEXOS"</p>
                                    <h1>"Purchase order " {po.number.clone()}</h1>
                                    <p>{when(&po.created_at)}</p>
                                </div>
                                <div class="print-to">
                                    <p class="muted small">"Vendor"</p>
                                    <p><strong>{po.vendor.name.clone()}</strong></p>
                                    <p class="muted small">"For"</p>
                                    <p>{po.company.name.clone()}{po.ticket.clone().map(|t| format!(" · ticket #{} {}", t.id, t.name))}{po.project.clone().map(|p| format!(" · project {}", p.name))}</p>
                                </div>
                            </header>
                            <table class="print-lines">
                                <thead><tr><th>"#"</th><th>"Description"</th><th class="num">"Qty"</th><th class="num">"Unit cost"</th><th class="num">"Amount"</th></tr></thead>
                                <tbody>{po.lines.iter().map(|l| view! {
                                    <tr><td>{l.line_no}</td><td>{l.description.clone()}</td><td class="num">{l.quantity}</td><td class="num">{dollars(l.unit_cost_cents)}</td><td class="num">{dollars(l.total_cents)}</td></tr>
                                }).collect_view()}</tbody>
                                <tfoot><tr><td colspan="4" class="num"><strong>"Total " {po.currency.clone()}</strong></td><td class="num"><strong>{dollars(po.total_cents)}</strong></td></tr></tfoot>
                            </table>
                            {(!po.notes.is_empty()).then(|| view! { <p class="notes">{po.notes.clone()}</p> })}
                            <footer class="print-approval">
                                {match po.approval.clone() {
                                    Some(a) if a.kind == ApprovalKind::Auto => view! { <p>{format!("Approved automatically under the {} limit, {}", dollars(a.limit_cents.unwrap_or(0)), when(&a.at))}</p> }.into_any(),
                                    // Every approval of the current round, each with its signature (two above the second limit).
                                    Some(_) => {
                                        let two = po.approvals.len() > 1;
                                        po.approvals.iter().enumerate().map(|(i, a)| view! {
                                            <div class="print-sig">
                                                {a.signature_url.clone().map(|u| view! { <img class="print-signature" src=u alt="Approver's signature" data-testid="print-signature" /> })}
                                                <p class="sig-line">{format!(
                                                    "{}Approved by {}, {}",
                                                    if two { format!("Approval {} of 2 · ", i + 1) } else { String::new() },
                                                    a.by.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
                                                    when(&a.at)
                                                )}</p>
                                            </div>
                                        }).collect_view().into_any()
                                    }
                                    None => view! { <p class="muted">{format!("Not approved ({})", po.status.label().to_lowercase())}</p> }.into_any(),
                                }}
                            </footer>
                        }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}
