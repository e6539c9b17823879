//! The engine's leases against the fake Pax8, on SQLite and PostgreSQL: a
//! holder keeps its lease while a slow call runs, a stale holder's late
//! reply is recorded and changes nothing, and an order of an earlier
//! attempt that lands late is found and flagged, never left untracked.

use super::*;
use crate::catalog::Distributor as Kind;
use crate::fixtures::pax8::{engine, world};
use crate::procurement::distributor::Distributor;
use chrono::Duration;
use fakes::pax8::{Fault, Route};
use std::time::Duration as Std;

async fn recorded_orders(w: &crate::fixtures::pax8::World) -> Vec<String> {
    sqlx::query_scalar("SELECT order_id FROM dispatch_orders ORDER BY id")
        .fetch_all(w.s.pool())
        .await
        .unwrap()
}

fn fake_order_ids(w: &crate::fixtures::pax8::World) -> Vec<String> {
    w.fake.orders().iter().map(|o| o["id"].as_str().unwrap_or_default().to_string()).collect()
}

crate::both_backends!(a_holder_keeps_its_lease_while_a_slow_call_runs);
async fn a_holder_keeps_its_lease_while_a_slow_call_runs(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    // Pax8 holds the order for longer than the lease, within the client's timeout.
    let pax8 = std::sync::Arc::new(crate::procurement::pax8::Pax8::new(crate::procurement::pax8::Pax8Config {
        api_url: w.fake.base.clone(),
        token_url: w.fake.token_url(),
        audience: crate::procurement::pax8::DEFAULT_AUDIENCE.into(),
        client_id: "id".into(),
        client_secret: "secret".into(),
        timeout: Std::from_secs(10),
        max_wait: Std::from_secs(2),
    }));
    w.fake.fault(Route::CreateOrder, Fault::Delay(Std::from_millis(2500)));
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let mut holder = engine(&w, "holder", pax8.clone());
    holder.timing.renew_every = Duration::milliseconds(250);
    let other = engine(&w, "other", pax8.clone());
    let task = tokio::spawn(async move { holder.run_once().await });
    for _ in 0..8 {
        tokio::time::sleep(Std::from_millis(250)).await;
        assert!(!other.run_once().await.unwrap(), "{b}: the holder renews its lease; nothing to take over");
    }
    task.await.unwrap().unwrap();
    other.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, d.attempts, w.fake.orders().len()), (DispatchStatus::Provisioned, 1, 1), "{b}");
    let tl = w.s.po_timeline(w.po).await.unwrap();
    assert!(!tl.iter().any(|e| e.kind == "dispatch_recovering"), "{b}: never taken over");
}

crate::both_backends!(a_stale_holders_late_reply_is_recorded_and_changes_nothing);
async fn a_stale_holders_late_reply_is_recorded_and_changes_nothing(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let old = engine(&w, "old", w.pax8.clone());
    let stale = old.claim().await.unwrap().expect("due");
    // The old holder stalls (a paused process) past its lease.
    tokio::time::sleep(Std::from_millis(1100)).await;
    let new = engine(&w, "new", w.pax8.clone());
    let current = new.claim().await.unwrap().expect("expired: taken over");
    assert!(current.fence.token > stale.fence.token, "{b}");
    assert_eq!(current.taken_over_from.as_deref(), Some("old"), "{b}");
    new.send(&current, true).await.unwrap();
    let followed = w.s.get_dispatch(w.po).await.unwrap().order_id.expect("the new holder's order");

    // Every write of the old holder is refused...
    let refused = old.write(&stale).await.err().expect("stale");
    assert!(crate::store::leases::is_lease_lost(&refused), "{b}");
    // ...and its own send, made before it stalled, lands now: Pax8 made a
    // second order, and its reply reaches the stale holder.
    let late = w.pax8.place_order(&stale.request).await.unwrap();
    let e = old.submitted(&stale, &late, "accepted").await.unwrap_err();
    assert!(crate::store::leases::is_lease_lost(&e), "{b}");

    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(
        d.order_id.as_deref(),
        Some(followed.as_str()),
        "{b}: the late reply does not overwrite the order followed"
    );
    assert_eq!(
        recorded_orders(&w).await,
        vec![followed.clone(), late.id.clone()],
        "{b}: both recorded, none untracked"
    );
    let rem = d.remediation.expect("a duplicate entry");
    assert_eq!((rem.reason, rem.status.as_str()), (RemediationReason::DuplicateAtDistributor, "open"), "{b}");
    let words = in_words(&rem.problems);
    for id in [&followed, &late.id] {
        assert!(words.contains(id.as_str()), "{b}: the entry names {id}: {words}");
    }
    let sub = late.lines[0].subscription_id.clone().unwrap();
    assert!(words.contains(&sub), "{b}: and the extra order's subscription: {words}");
    assert_eq!(d.status, DispatchStatus::Submitted, "{b}: the dispatch goes on with its order");
    let tl = w.s.po_timeline(w.po).await.unwrap();
    assert_eq!(tl.iter().filter(|e| e.kind == "dispatch_duplicate").count(), 1, "{b}");
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE event = 'dispatch.failed'")
        .fetch_one(w.s.pool())
        .await
        .unwrap();
    assert_eq!(told, 1, "{b}: the buyers are told");
    new.release(&current).await.unwrap();

    // The contract line follows the dispatch's order only.
    new.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Provisioned, "{b}");
    let line = w.s.get_contract_line(w.contract_line).await.unwrap();
    assert_eq!(line.subscription_id, Some(d.subscriptions[0].subscription_id.clone()), "{b}");
    assert_ne!(line.subscription_id, Some(sub), "{b}");
    let rem = d.remediation.unwrap();
    assert_eq!(rem.status, "open", "{b}: provisioning does not settle a second order");
    // Abandon is refused; marking it resolved sends nothing.
    assert_eq!(
        w.s.abandon_dispatch(&w.buyer, rem.id, "no").await.unwrap_err().code,
        crate::ErrorCode::Conflict,
        "{b}"
    );
    w.s.retry_dispatch(&w.buyer, rem.id, None).await.unwrap();
    new.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(
        (d.status, d.remediation.unwrap().status.as_str(), w.fake.orders().len()),
        (DispatchStatus::Provisioned, "resolved", 2),
        "{b}"
    );
}

crate::both_backends!(an_earlier_attempts_order_that_lands_late_is_found_and_flagged);
async fn an_earlier_attempts_order_that_lands_late_is_found_and_flagged(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    // Pax8 holds the first order past the client's timeout (700 ms) and
    // makes it after the engine has looked and sent again.
    w.fake.fault(Route::CreateOrder, Fault::Delay(Std::from_millis(2000)));
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    // Another PO of the company, for the same seats: its order would look
    // like the late one.
    let second = same_seats_po(&w).await;
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    w.s.request_dispatch(&w.buyer, second).await.unwrap();
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(
        (d.status, d.attempts, d.remediation.is_none()),
        (DispatchStatus::Provisioned, 2, true),
        "{b}: sent again and provisioned; the late-order check is still to come"
    );
    assert_eq!(recorded_orders(&w).await.len(), 2, "{b}: its order and the second PO's");
    let other = w.s.get_dispatch(second).await.unwrap();
    assert_eq!(
        (other.status, other.attempts),
        (DispatchStatus::Provisioned, 1),
        "{b}: the company's next dispatch does not wait for the late-order check"
    );
    tokio::time::sleep(e.takeover_wait().to_std().unwrap() + Std::from_millis(200)).await;
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(w.fake.orders().len(), 3, "{b}: Pax8 made the held order after all, and the second PO's");
    let other = w.s.get_dispatch(second).await.unwrap();
    assert_eq!(
        (other.status, other.attempts, other.remediation),
        (DispatchStatus::Provisioned, 1, None),
        "{b}: its own order, not mistaken for the late one"
    );
    let mut tracked = recorded_orders(&w).await;
    let mut made = fake_order_ids(&w);
    tracked.sort();
    made.sort();
    assert_eq!(tracked, made, "{b}: every order at Pax8 is recorded against the dispatch");
    assert_eq!(d.status, DispatchStatus::Provisioned, "{b}");
    assert_eq!(d.remediation.map(|r| r.reason), Some(RemediationReason::DuplicateAtDistributor), "{b}");
}

crate::both_backends!(a_late_order_check_waits_while_the_company_has_an_unclear_send);
async fn a_late_order_check_waits_while_the_company_has_an_unclear_send(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    // The first PO's first order lands after the engine looked and sent again.
    w.fake.fault(Route::CreateOrder, Fault::Delay(Std::from_millis(2000)));
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    let resent = std::time::Instant::now();
    until_orders(&w, 2).await;
    // A second PO of the company for the same seats, whose holder dies
    // mid-send: its order is at Pax8, unrecorded, and looks like the late one.
    let second = same_seats_po(&w).await;
    w.s.request_dispatch(&w.buyer, second).await.unwrap();
    let dying = engine(&w, "dies", std::sync::Arc::new(crate::fixtures::pax8::DiesAfterSending(w.pax8.clone())));
    let task = tokio::spawn(async move { dying.run_once().await });
    until_orders(&w, 3).await;
    task.abort();
    // Past the first PO's check, before the second's takeover may look.
    tokio::time::sleep((e.takeover_wait().to_std().unwrap() + Std::from_millis(200)).saturating_sub(resent.elapsed())).await;
    e.drain().await.unwrap();
    assert_eq!(
        w.s.get_dispatch(second).await.unwrap().status,
        DispatchStatus::Reconciling,
        "{b}: the second waits until its dead holder's call can no longer land"
    );
    assert_eq!(recorded_orders(&w).await.len(), 1, "{b}: the check waits too, taking neither order");
    tokio::time::sleep(e.takeover_wait().to_std().unwrap()).await;
    e.drain().await.unwrap();
    let other = w.s.get_dispatch(second).await.unwrap();
    assert_eq!(
        (other.status, other.attempts, other.remediation),
        (DispatchStatus::Provisioned, 1, None),
        "{b}: the second adopted its own order"
    );
    // The check, put off while the second's outcome was unknown, looks
    // again a second later.
    tokio::time::sleep(Std::from_millis(1200)).await;
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(d.remediation.map(|r| r.reason), Some(RemediationReason::DuplicateAtDistributor), "{b}");
    let mut tracked = recorded_orders(&w).await;
    let mut made = fake_order_ids(&w);
    tracked.sort();
    made.sort();
    assert_eq!((tracked, made.len()), (made, 3), "{b}: three orders, each recorded once");
}

async fn until_orders(w: &crate::fixtures::pax8::World, n: usize) {
    for _ in 0..100 {
        if w.fake.orders().len() >= n {
            return;
        }
        tokio::time::sleep(Std::from_millis(50)).await;
    }
    panic!("Pax8 never had {n} orders");
}

/// An approved PO of the world's company for the same seats as its PO.
async fn same_seats_po(w: &crate::fixtures::pax8::World) -> i64 {
    let first = w.s.get_po(w.po).await.unwrap();
    let input = crate::purchase_orders::PoInput {
        vendor_id: first.vendor.id,
        company_id: Some(first.company.id),
        lines: vec![crate::purchase_orders::LineInput {
            description: "M365 BP".into(),
            quantity: first.lines[0].quantity,
            unit_cost_cents: 2200,
            product_id: first.lines[0].product_id,
            ..Default::default()
        }],
        ..Default::default()
    };
    let second = w.s.create_po(&w.buyer, &input, true).await.unwrap();
    w.s.approve_po(&w.approver, second.id, second.version, None).await.unwrap();
    second.id
}
