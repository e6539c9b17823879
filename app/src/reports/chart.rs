//! A stacked bar chart in SVG: one bar per month, a segment per series,
//! each with its value on hover (`<title>`), a legend, and under it a table
//! with the same numbers for screen readers and print.

use super::get_spend;
use crate::components::{dollars, LoadError};
use domain::reports::SpendReport;
use leptos::prelude::*;

/// Colours of the series, distinct and 3:1 against white (WCAG 1.4.11).
const PALETTE: [&str; 8] = ["#1f5eff", "#c2410c", "#15803d", "#7e22ce", "#be123c", "#0e7490", "#a16207", "#4b5563"];

/// One series: its name and a value per month.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<i64>,
}

/// "Jan 26" for `2026-01`.
fn month_label(m: &str) -> String {
    const NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let i = m.get(5..7).and_then(|x| x.parse::<usize>().ok()).unwrap_or(1);
    format!("{} {}", NAMES[(i + 11) % 12], m.get(2..4).unwrap_or(""))
}

/// A round scale top at or above `max` (1, 2 or 5 times a power of ten dollars).
fn scale_top(max: i64) -> i64 {
    let mut step = 100; // $1
    loop {
        for k in [1, 2, 5] {
            if step * k >= max.max(1) {
                return step * k;
            }
        }
        step *= 10;
    }
}

/// Compact dollars for the axis ("$12k").
fn short(cents: i64) -> String {
    let d = cents / 100;
    match d {
        d if d >= 1_000_000 => format!("${}M", d / 1_000_000),
        d if d >= 1_000 => format!("${}k", d / 1_000),
        d => format!("${d}"),
    }
}

/// Up to seven series by their total, the rest as "Other".
pub fn top_series(report: &SpendReport, months: &[String]) -> Vec<Series> {
    let mut totals: Vec<(i64, String, i64)> = Vec::new();
    for r in &report.rows {
        let key = r.key.unwrap_or(0);
        match totals.iter_mut().find(|t| t.0 == key) {
            Some(t) => t.2 += r.committed_cents,
            None => totals.push((key, r.label.clone().unwrap_or_default(), r.committed_cents)),
        }
    }
    totals.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    let kept: Vec<(i64, String)> = totals.iter().filter(|t| t.2 != 0).take(7).map(|t| (t.0, t.1.clone())).collect();
    let mut series: Vec<Series> = kept
        .iter()
        .map(|(_, label)| Series {
            label: label.clone(),
            values: vec![0; months.len()],
        })
        .collect();
    let mut other = Series {
        label: "Other".into(),
        values: vec![0; months.len()],
    };
    for r in &report.rows {
        let Some(i) = months.iter().position(|m| Some(m) == r.month.as_ref()) else {
            continue;
        };
        match kept.iter().position(|(k, _)| Some(*k) == r.key) {
            Some(s) => series[s].values[i] += r.committed_cents,
            None => other.values[i] += r.committed_cents,
        }
    }
    if other.values.iter().any(|v| *v != 0) {
        series.push(other);
    }
    series
}

#[component]
pub fn StackedBars(months: Vec<String>, series: Vec<Series>, #[prop(into)] title: String, #[prop(default = false)] small: bool) -> impl IntoView {
    let (w, h, left, bottom, top) = if small {
        (360.0, 120.0, 44.0, 20.0, 8.0)
    } else {
        (720.0, 260.0, 56.0, 28.0, 12.0)
    };
    let totals: Vec<i64> = (0..months.len()).map(|i| series.iter().map(|s| s.values[i].max(0)).sum()).collect();
    let top_value = scale_top(totals.iter().copied().max().unwrap_or(0));
    let plot_h = h - bottom - top;
    let slot = (w - left - 8.0) / months.len().max(1) as f64;
    let bar = (slot * 0.68).max(2.0);
    let y = move |v: i64| top + plot_h - plot_h * (v as f64 / top_value as f64);
    let ticks: Vec<i64> = (0..=4).map(|k| top_value * k / 4).collect();
    let mut rects = Vec::new();
    for (i, m) in months.iter().enumerate() {
        let mut base = 0i64;
        for (s, ser) in series.iter().enumerate() {
            let v = ser.values[i].max(0);
            if v == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + v));
            rects.push(view! {
                <rect x=format!("{:.1}", left + slot * i as f64 + (slot - bar) / 2.0) y=format!("{y1:.1}") width=format!("{bar:.1}") height=format!("{:.1}", (y0 - y1).max(0.5))
                    fill=PALETTE[s % PALETTE.len()] data-series=ser.label.clone()>
                    <title>{format!("{} · {}: {}", month_label(m), ser.label, dollars(v))}</title>
                </rect>
            });
            base += v;
        }
    }
    let every = if months.len() > 12 { months.len().div_ceil(12) } else { 1 };
    let labels: Vec<_> = months
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, m)| {
            view! { <text x=format!("{:.1}", left + slot * i as f64 + slot / 2.0) y=format!("{:.1}", h - 6.0) text-anchor="middle" class="chart-label">{month_label(m)}</text> }
        })
        .collect();
    let grid: Vec<_> = ticks
        .iter()
        .map(|t| {
            view! {
                <line x1=format!("{left}") x2=format!("{}", w - 4.0) y1=format!("{:.1}", y(*t)) y2=format!("{:.1}", y(*t)) class="chart-grid" />
                <text x=format!("{}", left - 6.0) y=format!("{:.1}", y(*t) + 4.0) text-anchor="end" class="chart-label">{short(*t)}</text>
            }
        })
        .collect();
    let legend = series.clone();
    let table_series = series.clone();
    let table_months = months.clone();
    view! {
        <figure class=if small { "chart small" } else { "chart" } data-testid="spend-chart">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=title.clone() preserveAspectRatio="xMidYMid meet">
                {grid}
                {rects}
                {labels}
            </svg>
            <figcaption>
                <ul class="legend" data-testid="chart-legend">
                    {legend.into_iter().enumerate().map(|(s, ser)| view! {
                        <li><span class="swatch" style=format!("background:{}", PALETTE[s % PALETTE.len()])></span>{ser.label}</li>
                    }).collect_view()}
                </ul>
            </figcaption>
            <details class="chart-table">
                <summary>"The numbers"</summary>
                <table class="table">
                    <caption class="sr-only">{title}</caption>
                    <thead><tr><th scope="col">"Month"</th>{table_series.iter().map(|s| view! { <th scope="col" class="num">{s.label.clone()}</th> }).collect_view()}<th scope="col" class="num">"Total"</th></tr></thead>
                    <tbody>
                        {table_months.iter().enumerate().map(|(i, m)| view! {
                            <tr>
                                <th scope="row">{month_label(m)}</th>
                                {table_series.iter().map(|s| view! { <td class="num">{dollars(s.values[i])}</td> }).collect_view()}
                                <td class="num">{dollars(totals[i])}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// A company's committed spend over the last twelve months, by vendor.
#[component]
pub fn CompanySpend(#[prop(into)] company_id: Signal<i64>) -> impl IntoView {
    let report = Resource::new(move || company_id.get(), |id| get_spend(None, None, "month_vendor".into(), Some(id), None));
    view! {
        <section class="card" data-testid="company-spend">
            <h2>"Spend, last 12 months"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(r) => {
                            let months = domain::reports::months(&r.from, &r.to);
                            let series = top_series(&r, &months);
                            view! {
                                <p class="muted small">{format!("Committed: {} · received: {}", dollars(r.total_cents), dollars(r.received_cents))}</p>
                                <StackedBars months series title="This company's committed spend per month, by vendor" small=true />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
