//! The engine against Pax8 as it really answers (the fake follows Pax8's
//! partner OpenAPI): orders dated by day among thousands of older ones
//! listed oldest first, isMock preflight, companies that are not Active,
//! every subscription status, order lines named later. SQLite and PostgreSQL.

use super::engine::{Engine, Timing};
use super::*;
use crate::catalog::Distributor as Kind;
use crate::fixtures::pax8::{engine, timing, world, DiesAfterSending, World};
use crate::purchase_orders::writes::{stage, Sets, Value};
use crate::settings::SettingsUpdate;
use chrono::Duration;
use fakes::pax8::{Fault, ProductRule, Route};
use std::sync::Arc;

fn engine_with(w: &World, t: Timing) -> Engine {
    Engine {
        timing: t,
        ..engine(w, "w1", w.pax8.clone())
    }
}

/// The M365 product with a script of subscription statuses.
fn script(w: &World, statuses: &[&str], later_details: &[&str]) {
    w.fake.add_product(
        "p-m365",
        ProductRule {
            requires_commitment: true,
            statuses: statuses.iter().map(|s| s.to_string()).collect(),
            later_details: later_details.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    );
}

async fn po_line(w: &World) -> i64 {
    w.s.get_po(w.po).await.unwrap().lines[0].id
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Trouble {
    LostReply,
    ServerErrorAfterCommit,
    Killed,
}

crate::both_backends!(exactly_one_order_among_five_thousand_older_ones_listed_oldest_first);
async fn exactly_one_order_among_five_thousand_older_ones_listed_oldest_first(b: &'static str) {
    let today = chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string();
    for trouble in [Trouble::LostReply, Trouble::ServerErrorAfterCommit, Trouble::Killed] {
        let w = world(b, true, Kind::Pax8).await;
        // Years of orders, and this morning's order of the same seats made by hand at Pax8.
        w.fake.add_older_orders("c-1", "p-m365", 4_990, "2025-02-03");
        w.fake.add_older_orders("c-1", "p-m365", 10, &today);
        let older = w.fake.orders().len();
        w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
        match trouble {
            Trouble::LostReply => w.fake.fault(Route::CreateOrder, Fault::LoseReply(std::time::Duration::from_secs(2))),
            Trouble::ServerErrorAfterCommit => w.fake.fault(Route::CreateOrder, Fault::FailAfter(500)),
            Trouble::Killed => {
                let dying = engine(&w, "dies", Arc::new(DiesAfterSending(w.pax8.clone())));
                let task = tokio::spawn(async move { dying.run_once().await });
                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                task.abort();
                tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            }
        }
        let lists_before = w.fake.requests(Route::ListOrders);
        let e = engine(&w, "w1", w.pax8.clone());
        e.drain().await.unwrap();
        if trouble == Trouble::Killed {
            // Taken over: read only once the dead worker's call can no longer land.
            assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Reconciling, "{b}");
            tokio::time::sleep(e.takeover_wait().to_std().unwrap()).await;
            e.drain().await.unwrap();
        }
        let d = w.s.get_dispatch(w.po).await.unwrap();
        assert_eq!(d.status, DispatchStatus::Provisioned, "{b} {trouble:?}");
        assert_eq!(w.fake.orders().len(), older + 1, "{b} {trouble:?}: exactly one order");
        assert_eq!(
            d.order_id.as_deref(),
            w.fake.orders().last().unwrap()["id"].as_str(),
            "{b} {trouble:?}: ours, not this morning's"
        );
        let lists = w.fake.requests(Route::ListOrders) - lists_before;
        assert!(lists <= 4, "{b} {trouble:?}: reconciled in {lists} list calls (26 pages exist)");
    }
}

crate::both_backends!(pax8_validates_before_the_first_send_and_a_refusal_sends_nothing);
async fn pax8_validates_before_the_first_send_and_a_refusal_sends_nothing(b: &'static str) {
    // The product needs a commitment term and the catalog has none.
    let w = world(b, false, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    let rem = d.remediation.clone().unwrap();
    assert_eq!(
        (d.status, d.attempts, rem.reason),
        (DispatchStatus::Failed, 0, RemediationReason::Preflight),
        "{b}"
    );
    assert_eq!(rem.problems[0].po_line_id, Some(po_line(&w).await), "{b}: the PO line is named");
    assert_eq!(rem.problems[0].field, "lines[0].commitment_term_id");
    assert_eq!((w.fake.requests(Route::ValidateOrder), w.fake.requests(Route::CreateOrder)), (1, 0), "{b}");
    // With the setting off, the real send is refused instead (an attempt counted).
    w.s.update_settings(&SettingsUpdate {
        pax8_preflight: Some(false),
        ..Default::default()
    })
    .await
    .unwrap();
    w.s.retry_dispatch(&w.buyer, rem.id, None).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.attempts, d.remediation.unwrap().reason), (1, RemediationReason::Refused), "{b}");
    assert_eq!((w.fake.requests(Route::ValidateOrder), w.fake.requests(Route::CreateOrder)), (1, 1), "{b}");
    assert!(w.fake.orders().is_empty());
}

crate::both_backends!(a_company_that_is_not_active_at_pax8_is_not_ordered_for);
async fn a_company_that_is_not_active_at_pax8_is_not_ordered_for(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.fake.add_company_named("c-2", "Old Mill Bakery", "Inactive");
    // The PO was approved for the company linked to c-2 (its snapshot says so).
    sqlx::query("UPDATE companies SET pax8_company_id = 'c-2'").execute(w.s.pool()).await.unwrap();
    let relinked = Value::Raw("replace(snapshot, '\"c-1\"', '\"c-2\"')");
    stage(&w.s, None, Sets::new().set("snapshot", relinked)).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let rem = w.s.get_dispatch(w.po).await.unwrap().remediation.unwrap();
    assert_eq!(rem.reason, RemediationReason::CompanyInactive, "{b}");
    assert!(rem.message.contains("Inactive"), "{b}: {}", rem.message);
    assert_eq!(rem.problems[0].field, "pax8_company_id");
    assert_eq!(
        (w.fake.requests(Route::ValidateOrder), w.fake.requests(Route::CreateOrder)),
        (0, 0),
        "{b}: nothing sent"
    );
}

crate::both_backends!(waiting_for_details_names_them_and_provisioning_settles_it);
async fn waiting_for_details_names_them_and_provisioning_settles_it(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    script(&w, &["PendingManual", "WaitingForDetails", "WaitingForDetails", "Activated"], &["msDomain"]);
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    for _ in 0..3 {
        e.run_once().await.unwrap(); // send, poll (pending), poll (waiting)
    }
    let d = w.s.get_dispatch(w.po).await.unwrap();
    let rem = d.remediation.clone().unwrap();
    assert_eq!(
        (d.status, rem.reason, rem.status.as_str()),
        (DispatchStatus::Submitted, RemediationReason::WaitingForDetails, "open"),
        "{b}"
    );
    assert!(rem.message.contains("msDomain"), "{b}: names what Pax8 waits for: {}", rem.message);
    // Editing would order again: refused; Retry checks again and sends nothing.
    let edits = RetryEdits {
        pax8_company_id: Some("c-9".into()),
        lines: vec![],
    };
    assert_eq!(
        w.s.retry_dispatch(&w.buyer, rem.id, Some(&edits)).await.unwrap_err().field.as_deref(),
        Some("edits")
    );
    w.s.retry_dispatch(&w.buyer, rem.id, None).await.unwrap();
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, w.fake.requests(Route::CreateOrder)), (DispatchStatus::Provisioned, 1), "{b}");
    assert_eq!(d.subscriptions[0].status, "Activated", "{b}: Activated is provisioned");
}

crate::both_backends!(pending_past_the_limit_raises_an_entry_and_cancels_nothing);
async fn pending_past_the_limit_raises_an_entry_and_cancels_nothing(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    script(&w, &["PendingManual", "PendingActivation", "PendingAutomated", "Trial"], &[]);
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine_with(
        &w,
        Timing {
            pending_limit: Duration::zero(),
            ..timing()
        },
    );
    for _ in 0..3 {
        e.run_once().await.unwrap();
    }
    let d = w.s.get_dispatch(w.po).await.unwrap();
    let rem = d.remediation.clone().unwrap();
    assert_eq!((d.status, rem.reason), (DispatchStatus::Submitted, RemediationReason::Pending), "{b}");
    assert!(rem.message.contains("Nothing was cancelled"), "{b}: {}", rem.message);
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remediations").fetch_one(w.s.pool()).await.unwrap();
    assert_eq!(entries, 1, "{b}: raised once");
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Provisioned, "{b}: Trial is provisioned");
    assert_eq!(d.remediation.unwrap().status, "resolved", "{b}: settled by Pax8");
    assert_eq!(w.fake.requests(Route::CreateOrder), 1);
}

crate::both_backends!(a_cancelled_subscription_fails_with_remediation);
async fn a_cancelled_subscription_fails_with_remediation(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    script(&w, &["PendingAutomated", "PendingCancel"], &[]);
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(
        (d.status, d.remediation.unwrap().reason),
        (DispatchStatus::Failed, RemediationReason::Cancelled),
        "{b}"
    );
}

crate::both_backends!(polls_back_off_from_fifteen_seconds_to_fifteen_minutes);
async fn polls_back_off_from_fifteen_seconds_to_fifteen_minutes(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    script(&w, &["PendingManual"], &[]);
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine_with(
        &w,
        Timing {
            poll_every: Duration::seconds(15),
            poll_max: Duration::minutes(15),
            ..timing()
        },
    );
    e.run_once().await.unwrap(); // sent
    let mut waits = Vec::new();
    for _ in 0..8 {
        sqlx::query("UPDATE dispatches SET next_run_at = '2000-01-01T00:00:00Z'")
            .execute(w.s.pool())
            .await
            .unwrap();
        e.run_once().await.unwrap();
        let next: String = sqlx::query_scalar("SELECT next_run_at FROM dispatches").fetch_one(w.s.pool()).await.unwrap();
        let secs = (crate::clock::parse(&next).unwrap() - chrono::Utc::now()).num_seconds();
        waits.push((secs + 5) / 15 * 15);
    }
    assert_eq!(waits, [15, 30, 60, 120, 240, 480, 900, 900], "{b}");
}

crate::both_backends!(an_order_without_subscriptions_yet_is_read_again_never_provisioned_unchecked);
async fn an_order_without_subscriptions_yet_is_read_again_never_provisioned_unchecked(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.fake.name_subscriptions_after(2);
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.run_once().await.unwrap(); // sent: no subscription named
    e.run_once().await.unwrap(); // read again: still none
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(
        (d.status, d.subscriptions.len()),
        (DispatchStatus::Submitted, 0),
        "{b}: not provisioned with nothing checked"
    );
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, d.subscriptions.len()), (DispatchStatus::Provisioned, 1), "{b}");
    assert!(w.fake.requests(Route::GetOrder) >= 2, "{b}");
    let line = w.s.get_contract_line(w.contract_line).await.unwrap();
    assert_eq!(line.subscription_id.as_deref(), Some(d.subscriptions[0].subscription_id.as_str()));
}

crate::both_backends!(check_with_pax8_places_nothing);
async fn check_with_pax8_places_nothing(b: &'static str) {
    let w = world(b, false, Kind::Pax8).await;
    let problems = w.s.check_with_distributor(&w.buyer, w.pax8.as_ref(), w.po).await.unwrap();
    assert_eq!(problems[0].po_line_id, Some(po_line(&w).await), "{b}");
    assert!(w.fake.orders().is_empty() && w.fake.requests(Route::CreateOrder) == 0);
    let tl = w.s.po_timeline(w.po).await.unwrap();
    assert!(tl.iter().any(|e| e.kind == "dispatch_checked"), "{b}");
    let ok = world(b, true, Kind::Pax8).await;
    assert!(ok.s.check_with_distributor(&ok.buyer, ok.pax8.as_ref(), ok.po).await.unwrap().is_empty(), "{b}");
}
