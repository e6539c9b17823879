use super::renewals;
use crate::components::{LoadError, PageHeader};
use leptos::prelude::*;

/// The commitments that end soon: renew, resize or cancel before the
/// window closes (a missed window means another term of unused seats).
#[component]
pub fn RenewalsPage() -> impl IntoView {
    let days = RwSignal::new(60i64);
    let list = Resource::new(move || days.get(), |d| renewals(Some(d)));
    view! {
        <PageHeader title="Renewals".to_string() subtitle="Commitments that end soon" />
        <section class="card">
            <div class="inline-form">
                <label for="renewal-days">"Ending within"</label>
                <select id="renewal-days" name="days" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(60))>
                    {[30i64, 60, 90, 180, 365].into_iter().map(|d| view! { <option value=d.to_string() selected=move || days.get() == d>{format!("{d} days")}</option> }).collect_view()}
                </select>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted" data-testid="renewals-empty">"No commitment ends in that time."</p> }.into_any(),
                        Ok(l) => view! {
                            <table class="table" data-testid="renewals">
                                <thead><tr>
                                    <th scope="col">"Ends"</th>
                                    <th scope="col">"Company"</th>
                                    <th scope="col">"Product"</th>
                                    <th scope="col" class="num">"Seats"</th>
                                    <th scope="col" class="num">"In use"</th>
                                </tr></thead>
                                <tbody>
                                    {l.into_iter().map(|r| {
                                        let s = r.subscription;
                                        let ends = s.commitment_end.as_deref().map(|e| e.get(..10).unwrap_or(e).to_string()).unwrap_or_default();
                                        let soon = r.days_left <= 7;
                                        view! {
                                            <tr data-testid="renewal-row">
                                                <td>{ends}<div class=if soon { "badge status-pending" } else { "muted small" }>{match r.days_left { 0 => "today".to_string(), 1 => "in 1 day".to_string(), d => format!("in {d} days") }}</div></td>
                                                <td><a href=format!("/companies/{}", s.company_id)>{s.company_name.clone()}</a></td>
                                                <td>{s.product_name.clone()}<div class="muted small">{s.commitment_term.clone().unwrap_or_default()}</div></td>
                                                <td class="num">{s.quantity}</td>
                                                <td class="num">{r.seats_in_use.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
