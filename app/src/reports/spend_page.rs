//! `/spend`: committed spend per month for a range (default the last
//! twelve months), stacked by vendor or company; the top companies and
//! vendors of the range, each linking to the list filtered to it.

use super::chart::{top_series, StackedBars};
use super::get_spend;
use crate::components::{dollars, LoadError, PageHeader};
use domain::reports::SpendReport;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SpendPage() -> impl IntoView {
    let query = use_query_map();
    let initial = |k: &str| query.read_untracked().get(k).unwrap_or_default();
    let from = RwSignal::new(initial("from"));
    let to = RwSignal::new(initial("to"));
    let by = RwSignal::new(if initial("by") == "company" {
        "company".to_string()
    } else {
        "vendor".to_string()
    });
    let opt = |s: String| (!s.trim().is_empty()).then_some(s);
    let chart = Resource::new(
        move || (from.get(), to.get(), by.get()),
        move |(f, t, b)| get_spend(opt(f), opt(t), format!("month_{b}"), None, None),
    );
    let companies = Resource::new(
        move || (from.get(), to.get()),
        move |(f, t)| get_spend(opt(f), opt(t), "company".into(), None, None),
    );
    let vendors = Resource::new(
        move || (from.get(), to.get()),
        move |(f, t)| get_spend(opt(f), opt(t), "vendor".into(), None, None),
    );
    let ready = crate::components::hydrated_flag();
    view! {
        <PageHeader title="Spend" subtitle="Committed spend (approved and later, in the month of approval) and what was received." />
        <div class="toolbar" data-ready=ready data-testid="spend-toolbar">
            <label class="inline">"From"<input type="month" name="from" bind:value=from /></label>
            <label class="inline">"To"<input type="month" name="to" bind:value=to /></label>
            <label class="inline">"Stack by"
                <select name="by" on:change=move |ev| by.set(event_target_value(&ev)) prop:value=move || by.get()>
                    <option value="vendor">"Vendor"</option>
                    <option value="company">"Company"</option>
                </select>
            </label>
        </div>
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match chart.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(r) => {
                            let months = domain::reports::months(&r.from, &r.to);
                            let series = top_series(&r, &months);
                            let what = if by.get_untracked() == "company" { "company" } else { "vendor" };
                            view! {
                                <p class="spend-total" data-testid="spend-total">
                                    "Committed " <strong>{dollars(r.total_cents)}</strong>
                                    <span class="muted">{format!(" · received {} · {} to {}", dollars(r.received_cents), r.from, r.to)}</span>
                                </p>
                                <StackedBars months series title=format!("Committed spend per month, by {what}") />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <div class="grid-2">
            <TopList title="Top companies" report=companies param="company_id" testid="top-companies" />
            <TopList title="Top vendors" report=vendors param="vendor_id" testid="top-vendors" />
        </div>
    }
}

#[component]
fn TopList(title: &'static str, report: Resource<Result<SpendReport, crate::error::ApiError>>, param: &'static str, testid: &'static str) -> impl IntoView {
    view! {
        <section class="card" data-testid=testid>
            <h2>{title}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(r) if r.rows.is_empty() => view! { <p class="muted">"Nothing committed in this range."</p> }.into_any(),
                        Ok(r) => view! {
                            <ol class="top-list">
                                {r.rows.into_iter().take(8).map(|row| view! {
                                    <li>
                                        <a href=format!("/purchase-orders?{param}={}", row.key.unwrap_or(0))>{row.label.clone().unwrap_or_default()}</a>
                                        <span class="num">{dollars(row.committed_cents)}</span>
                                        <span class="muted small">{format!("{} PO{}", row.po_count, if row.po_count == 1 { "" } else { "s" })}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
