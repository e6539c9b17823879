//! The engine against the fake Pax8, on SQLite and PostgreSQL: one order per
//! dispatch through double requests, lost replies, 5xx, refusals, a worker
//! killed mid-call, and two workers at once.

use super::*;
use crate::catalog::{ContractLineStatus, Distributor as Kind};
use crate::fixtures::pax8::{engine, world, DiesAfterSending};
use crate::purchase_orders::{LineInput, PoInput};
use crate::settings::SettingsUpdate;
use fakes::pax8::{Fault, Route};
use std::sync::Arc;

crate::both_backends!(fifty_requests_one_order_then_provisioned_and_the_contract_line_active);
async fn fifty_requests_one_order_then_provisioned_and_the_contract_line_active(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (s, u, po) = (w.s.clone(), w.buyer.clone(), w.po);
        tasks.push(tokio::spawn(async move { s.request_dispatch(&u, po).await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().po_id, w.po);
    }
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, d.attempts, w.fake.orders().len()), (DispatchStatus::Provisioned, 1, 1), "{b}");
    assert_eq!(d.subscriptions.len(), 1);
    let line = w.s.get_contract_line(w.contract_line).await.unwrap();
    assert_eq!(line.status, ContractLineStatus::Active);
    assert_eq!(line.subscription_id.as_deref(), Some(d.subscriptions[0].subscription_id.as_str()));
    assert!(line.activated_at.is_some());
    let kinds: Vec<String> = w.s.po_timeline(w.po).await.unwrap().into_iter().map(|e| e.kind.as_str().to_string()).collect();
    for k in [
        "dispatch_requested",
        "dispatch_sent",
        "dispatch_submitted",
        "contract_line_activated",
        "dispatch_provisioned",
    ] {
        assert!(kinds.contains(&k.to_string()), "{b}: {k} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| *k == "dispatch_requested").count(), 1);
    assert_eq!(w.s.get_po(w.po).await.unwrap().procurement_status, Some(DispatchStatus::Provisioned));
    // Asking again returns the same dispatch and sends nothing.
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    e.drain().await.unwrap();
    assert_eq!(w.fake.orders().len(), 1);
}

crate::both_backends!(a_lost_reply_is_reconciled_and_adopted);
async fn a_lost_reply_is_reconciled_and_adopted(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.fake.fault(Route::CreateOrder, Fault::LoseReply(std::time::Duration::from_secs(2)));
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.run_once().await.unwrap();
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Reconciling, "{b}");
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(
        (d.status, d.attempts, w.fake.orders().len()),
        (DispatchStatus::Provisioned, 1, 1),
        "{b}: adopted, not re-sent"
    );
    assert_eq!(d.order_id.as_deref(), w.fake.orders()[0]["id"].as_str());
}

crate::both_backends!(a_5xx_without_an_order_is_sent_again_once);
async fn a_5xx_without_an_order_is_sent_again_once(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.fake.fault(Route::CreateOrder, Fault::Status(503, None));
    w.fake.fault(Route::CreateOrder, Fault::Status(429, Some(1)));
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    // Sent again after an unclear 503 and provisioned; the orders are read
    // once more when the first attempt can no longer land.
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, d.attempts, w.fake.orders().len()), (DispatchStatus::Provisioned, 2, 1), "{b}");
    let said =
        w.s.po_timeline(w.po)
            .await
            .unwrap()
            .into_iter()
            .rev()
            .find(|e| e.kind == "dispatch_provisioned");
    assert!(
        said.is_some_and(|e| e.message.contains("read once more")),
        "{b}: the check to come is on the timeline"
    );
    let lists = w.fake.requests(Route::ListOrders);
    tokio::time::sleep(e.takeover_wait().to_std().unwrap()).await;
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, d.attempts, w.fake.orders().len()), (DispatchStatus::Provisioned, 2, 1), "{b}");
    assert!(w.fake.requests(Route::ListOrders) > lists, "{b}: read once more");
    assert_eq!(d.remediation, None, "{b}: no second order");
}

crate::both_backends!(a_refusal_opens_remediation_then_edit_and_retry_provisions);
async fn a_refusal_opens_remediation_then_edit_and_retry_provisions(b: &'static str) {
    let w = world(b, false, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Failed, "{b}");
    let rem = d.remediation.unwrap();
    assert_eq!(rem.problems[0].field, "lines[0].commitment_term_id");
    assert!(rem.message.contains("commitment term is required"), "{}", rem.message);
    assert!(w.fake.orders().is_empty());
    // Retrying as is would fail again; edit the commitment term and
    // lower the quantity (fixes within the approval: sent at once).
    let line_id = d.request.lines[0].po_line_id;
    let edits = RetryEdits {
        pax8_company_id: None,
        lines: vec![LineEdit {
            po_line_id: line_id,
            commitment_term_id: Some("ct-9".into()),
            quantity: Some(8),
            ..Default::default()
        }],
    };
    let retried = w.s.retry_dispatch(&w.buyer, rem.id, Some(&edits)).await.unwrap();
    assert_eq!(retried.status, DispatchStatus::Queued);
    assert_eq!(
        w.s.retry_dispatch(&w.buyer, rem.id, None).await.unwrap_err().code,
        crate::ErrorCode::Conflict,
        "{b}: a remediation is resolved once"
    );
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Provisioned, "{b}");
    let sent = &w.fake.orders()[0]["lineItems"][0];
    assert_eq!(
        (sent["quantity"].as_i64(), w.fake.orders().len()),
        (Some(8), 1),
        "{b}: the edit changed what was sent"
    );
    let tl = w.s.po_timeline(w.po).await.unwrap();
    assert!(tl.iter().any(|e| e.kind == "dispatch_edited" && e.message.contains("commitment term → ct-9")));
}

crate::both_backends!(abandon_and_not_provisionable);
async fn abandon_and_not_provisionable(b: &'static str) {
    let w = world(b, false, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let rem = w.s.get_dispatch(w.po).await.unwrap().remediation.unwrap();
    assert_eq!(w.s.abandon_dispatch(&w.buyer, rem.id, " ").await.unwrap_err().field.as_deref(), Some("reason"));
    let r = w.s.abandon_dispatch(&w.buyer, rem.id, "Customer changed their mind").await.unwrap();
    assert_eq!(r.status, "abandoned");
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Abandoned);

    let other = world(b, true, Kind::IngramMicro).await;
    let d = other.s.request_dispatch(&other.buyer, other.po).await.unwrap();
    assert_eq!(d.status, DispatchStatus::NotProvisionable, "{b}");
    engine(&other, "w1", other.pax8.clone()).drain().await.unwrap();
    assert_eq!(other.fake.requests(Route::CreateOrder), 0, "{b}: nothing sent");
}

crate::both_backends!(a_worker_dying_mid_call_is_recovered_by_another_without_a_second_order);
async fn a_worker_dying_mid_call_is_recovered_by_another_without_a_second_order(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let dying = engine(&w, "dies", Arc::new(DiesAfterSending(w.pax8.clone())));
    let task = tokio::spawn(async move { dying.run_once().await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    task.abort();
    assert_eq!(w.fake.orders().len(), 1);
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Submitting, "{b}");
    let other = engine(&w, "survivor", w.pax8.clone());
    assert!(!other.run_once().await.unwrap(), "{b}: the lease still holds");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Taken over: the survivor first waits until the dying worker's call
    // can no longer land (the client's longest write from the intent).
    other.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Reconciling, "{b}: waiting, nothing read or sent yet");
    let tl = w.s.po_timeline(w.po).await.unwrap();
    assert!(tl.iter().any(|e| e.kind == "dispatch_recovering" && e.message.contains("waiting until")), "{b}");
    let wait = other.takeover_wait().to_std().unwrap();
    tokio::time::sleep(wait).await;
    other.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, w.fake.orders().len()), (DispatchStatus::Provisioned, 1), "{b}");
}

crate::both_backends!(many_dispatches_waiting_on_one_unknown_outcome_do_not_stall_the_queue);
async fn many_dispatches_waiting_on_one_unknown_outcome_do_not_stall_the_queue(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let first = w.s.get_po(w.po).await.unwrap();
    w.s.update_settings(&SettingsUpdate {
        auto_approve_limit_cents: Some(100_000_000),
        ..Default::default()
    })
    .await
    .unwrap();
    w.fake.fault(Route::CreateOrder, Fault::LoseReply(std::time::Duration::from_secs(2)));
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    // More dispatches of the same company than one claim looks at, all
    // due before the first one's reconciliation.
    let mut pos = vec![w.po];
    for i in 0..25 {
        let input = PoInput {
            vendor_id: first.vendor.id,
            company_id: Some(first.company.id),
            lines: vec![LineInput {
                description: "M365 BP".into(),
                quantity: i + 1,
                unit_cost_cents: 2200,
                product_id: first.lines[0].product_id,
                ..Default::default()
            }],
            ..Default::default()
        };
        let po = w.s.create_po(&w.buyer, &input, true).await.unwrap();
        w.s.request_dispatch(&w.buyer, po.id).await.unwrap();
        pos.push(po.id);
    }
    let e = engine(&w, "w1", w.pax8.clone());
    e.run_once().await.unwrap();
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Reconciling, "{b}");
    e.drain().await.unwrap();
    for po in &pos {
        assert_eq!(w.s.get_dispatch(*po).await.unwrap().status, DispatchStatus::Provisioned, "{b}: PO {po}");
    }
    assert_eq!(w.fake.orders().len(), pos.len(), "{b}: one order each");
}
