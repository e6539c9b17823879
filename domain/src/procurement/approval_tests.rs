//! Dispatch sends what was approved, on SQLite and PostgreSQL: the
//! snapshot, never the catalog as it is now; a retry that buys more goes
//! back to an approver before anything is sent.

use super::*;
use crate::catalog::{CompanyInput, Distributor as Kind, ProductInput};
use crate::fixtures::pax8::{engine, world};
use crate::purchase_orders::PoStatus;
use crate::ErrorCode;

crate::both_backends!(dispatch_sends_the_approved_snapshot_and_says_the_catalog_changed);
async fn dispatch_sends_the_approved_snapshot_and_says_the_catalog_changed(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.fake.add_company("c-2");
    let po = w.s.get_po(w.po).await.unwrap();
    // After approval, the catalog product and the company's Pax8 link move.
    w.s.update_product(
        po.lines[0].product_id.unwrap(),
        &ProductInput {
            distributor_product_id: Some("p-other".into()),
            billing_term: Some("Annual".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    w.s.update_company(
        po.company.id,
        &CompanyInput {
            name: None,
            pax8_company_id: Some("c-2".into()),
        },
    )
    .await
    .unwrap();
    let now = w.s.get_po(w.po).await.unwrap();
    let said: Vec<String> = now.catalog_changes.iter().map(|c| c.describe()).collect();
    assert_eq!(
        said,
        [
            "Pax8 company id c-1 → c-2",
            "Line 1: distributor product id p-m365 → p-other",
            "Line 1: billing term Monthly → Annual"
        ],
        "{b}"
    );
    assert_eq!((now.status, now.version), (po.status, po.version), "{b}: nothing changed on the PO");
    let queue = w.s.procurement_queue(None).await.unwrap();
    assert!(queue.iter().find(|i| i.po_id == w.po).unwrap().catalog_changed, "{b}");

    let d = w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    assert_eq!(d.request.company_id.as_deref(), Some("c-1"), "{b}");
    assert_eq!(
        (d.request.lines[0].product_id.as_deref(), d.request.lines[0].billing_term.as_deref()),
        (Some("p-m365"), Some("Monthly")),
        "{b}"
    );
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let sent = w.fake.orders();
    assert_eq!(sent.len(), 1, "{b}");
    assert_eq!(
        (sent[0]["companyId"].as_str(), sent[0]["lineItems"][0]["productId"].as_str()),
        (Some("c-1"), Some("p-m365")),
        "{b}"
    );
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
}

crate::both_backends!(a_retry_that_buys_more_waits_for_a_new_approval);
async fn a_retry_that_buys_more_waits_for_a_new_approval(b: &'static str) {
    // The product needs a commitment term the catalog lacks: refused.
    let w = world(b, false, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    let rem = d.remediation.clone().unwrap();
    let line = d.request.lines[0].po_line_id;
    let approved = w.s.get_po(w.po).await.unwrap();
    assert_eq!(approved.total_cents, 22_000);

    // Forty times the seats, with the missing term: not sent, back to approval.
    let more = RetryEdits {
        pax8_company_id: None,
        lines: vec![LineEdit {
            po_line_id: line,
            quantity: Some(400),
            commitment_term_id: Some("ct-1".into()),
            ..Default::default()
        }],
    };
    let d = w.s.retry_dispatch(&w.buyer, rem.id, Some(&more)).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Failed, "{b}: nothing queued");
    assert!(d.remediation.as_ref().unwrap().awaiting_approval, "{b}");
    let po = w.s.get_po(w.po).await.unwrap();
    assert_eq!(
        (po.status, po.total_cents, po.lines[0].quantity),
        (PoStatus::PendingApproval, 880_000, 400),
        "{b}"
    );
    assert!(po.approval.is_none(), "{b}");
    let rev = po.revision.clone().unwrap();
    assert_eq!(
        rev.changes.iter().map(|c| c.describe()).collect::<Vec<_>>(),
        ["Line 1: quantity 10 → 400"],
        "{b}"
    );
    let tl = w.s.po_timeline(w.po).await.unwrap();
    assert!(
        tl.last().unwrap().kind == "revision_requested" && tl.last().unwrap().message.contains("quantity 10 → 400"),
        "{b}"
    );
    // Neither a second retry nor the worker sends anything meanwhile.
    assert_eq!(w.s.retry_dispatch(&w.buyer, rem.id, None).await.unwrap_err().code, ErrorCode::Conflict, "{b}");
    e.drain().await.unwrap();
    assert!(w.fake.orders().is_empty(), "{b}");

    // Approved again: the dispatch resumes with the approved change.
    let approved = w.s.approve_po(&w.approver, w.po, po.version, None).await.unwrap();
    assert!(approved.revision.is_none(), "{b}");
    let d = w.s.get_dispatch(w.po).await.unwrap();
    assert_eq!((d.status, d.request.lines[0].quantity), (DispatchStatus::Queued, 400), "{b}");
    e.drain().await.unwrap();
    let sent = w.fake.orders();
    assert_eq!((sent.len(), sent[0]["lineItems"][0]["quantity"].as_i64()), (1, Some(400)), "{b}");
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
}

crate::both_backends!(another_product_or_term_goes_back_and_a_rejected_change_can_be_abandoned);
async fn another_product_or_term_goes_back_and_a_rejected_change_can_be_abandoned(b: &'static str) {
    let w = world(b, false, Kind::Pax8).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(w.po).await.unwrap();
    let rem = d.remediation.clone().unwrap();
    let swap = RetryEdits {
        pax8_company_id: None,
        lines: vec![LineEdit {
            po_line_id: d.request.lines[0].po_line_id,
            distributor_product_id: Some("p-other".into()),
            billing_term: Some("Annual".into()),
            ..Default::default()
        }],
    };
    w.s.retry_dispatch(&w.buyer, rem.id, Some(&swap)).await.unwrap();
    let po = w.s.get_po(w.po).await.unwrap();
    let said: Vec<String> = po.revision.unwrap().changes.iter().map(|c| c.describe()).collect();
    assert_eq!(
        said,
        ["Line 1: distributor product id p-m365 → p-other", "Line 1: billing term Monthly → Annual"],
        "{b}"
    );
    let rejected = w.s.reject_po(&w.approver, w.po, po.version, "Stay on monthly").await.unwrap();
    assert_eq!(rejected.status, PoStatus::Rejected, "{b}");
    let r = w.s.abandon_dispatch(&w.buyer, rem.id, "Not this month").await.unwrap();
    assert_eq!((r.status.as_str(), r.awaiting_approval), ("abandoned", false), "{b}");
    assert!(w.fake.orders().is_empty(), "{b}: nothing was ever sent");
}
