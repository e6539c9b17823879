//! Subscriptions the product knows: recorded when a dispatch provisions
//! them, imported and kept up to date by a sync, drift flagged and
//! cleared. SQLite and PostgreSQL, against the fake Pax8 over HTTP.

use super::*;
use crate::catalog::{CompanyInput, Distributor as Kind};
use crate::fixtures::pax8::{engine, world, World};
use crate::subscriptions::{ChangeKind, SubscriptionStatus};
use crate::ErrorCode;

async fn company_of(w: &World) -> i64 {
    w.s.get_po(w.po).await.unwrap().company.id
}

crate::both_backends!(a_provisioned_dispatch_records_its_subscription_once);
async fn a_provisioned_dispatch_records_its_subscription_once(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let company = company_of(&w).await;
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    let e = engine(&w, "w1", w.pax8.clone());
    e.drain().await.unwrap();
    assert_eq!(w.s.get_dispatch(w.po).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
    let subs = w.s.list_subscriptions(Some(company), None).await.unwrap();
    assert_eq!(subs.len(), 1, "{b}: {subs:?}");
    let s = &subs[0];
    let at_pax8 = w.fake.subscriptions_of("c-1");
    assert_eq!(s.distributor_subscription_id, at_pax8[0]["id"].as_str().unwrap(), "{b}");
    assert_eq!((s.quantity, s.status, s.po_id), (10, SubscriptionStatus::Active, Some(w.po)), "{b}");
    assert_eq!(s.contract_line_id, Some(w.contract_line), "{b}");
    assert_eq!(s.product_name, "M365 BP", "{b}");
    assert_eq!(s.billing_term.as_deref(), Some("Monthly"), "{b}");
    assert!(
        s.commitment_end.as_deref().is_some_and(|e| e > crate::clock::now().as_str()),
        "{b}: {:?}",
        s.commitment_end
    );
    assert!(s.drift.is_none(), "{b}");
    // Seats are not goods: the provisioned line counts as received.
    let po = w.s.get_po(w.po).await.unwrap();
    assert_eq!(po.status, crate::purchase_orders::PoStatus::Received, "{b}");
    assert_eq!(po.lines[0].received_quantity, 10, "{b}");
    let timeline = w.s.po_timeline(w.po).await.unwrap();
    assert!(
        timeline.iter().any(|e| e.message == "Received 10 seats as provisioned at Pax8 (received)"),
        "{b}: {:?}",
        timeline.iter().map(|e| &e.message).collect::<Vec<_>>()
    );
    assert!(timeline.iter().any(|e| e.message.contains("(1 line, ")), "{b}: one line, not \"1 lines\"");
    // Read again (a second sync, a drained engine): still one, made once.
    e.drain().await.unwrap();
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    let d = w.s.get_subscription(s.id).await.unwrap();
    assert_eq!(d.changes.len(), 1, "{b}: {:?}", d.changes);
    assert_eq!(
        (d.changes[0].po_id, d.changes[0].kind, d.changes[0].to_quantity),
        (w.po, ChangeKind::Made, Some(10)),
        "{b}"
    );
    assert_eq!(w.s.list_subscriptions(Some(company), None).await.unwrap().len(), 1, "{b}");
    assert_eq!(w.s.list_subscriptions(None, Some(SubscriptionStatus::Cancelled)).await.unwrap().len(), 0, "{b}");
}

crate::both_backends!(a_sync_imports_every_page_and_flags_drift_until_it_agrees);
async fn a_sync_imports_every_page_and_flags_drift_until_it_agrees(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let company = company_of(&w).await;
    let known = w.fake.add_subscription("c-1", "p-m365", 5, "Annual", Some(("1-Year", "2027-06-30T00:00:00Z")));
    for _ in 0..201 {
        w.fake.add_subscription("c-1", "p-other", 1, "Monthly", None);
    }
    // Another company's are not this one's.
    w.fake.add_company("c-2");
    w.fake.add_subscription("c-2", "p-m365", 3, "Monthly", None);
    let out = w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!((out.imported, out.updated, out.drifted), (202, 0, 0), "{b}: two pages of Pax8's, one company's");
    let subs = w.s.list_subscriptions(Some(company), None).await.unwrap();
    assert_eq!(subs.len(), 202, "{b}");
    let m365 = subs.iter().find(|s| s.distributor_subscription_id == known).unwrap();
    assert!(m365.product_id.is_some(), "{b}: linked to the catalog product with Pax8's product id");
    assert_eq!(m365.po_id, None, "{b}: not made by a PO");
    assert_eq!(m365.commitment_end.as_deref(), Some("2027-06-30T00:00:00.000000Z"), "{b}");
    assert_eq!(m365.commitment_term.as_deref(), Some("1-Year"), "{b}");
    let other = subs.iter().find(|s| s.distributor_subscription_id != known).unwrap();
    assert_eq!(
        (other.product_id, other.commitment_end.as_deref()),
        (None, None),
        "{b}: unknown product, monthly"
    );

    // Seven seats in the portal: drift, ours unchanged.
    w.fake.change_in_portal(&known, 7);
    let out = w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!((out.imported, out.drifted), (0, 1), "{b}");
    let d = w.s.get_subscription(m365.id).await.unwrap().subscription;
    assert_eq!(d.quantity, 5, "{b}: a sync never changes our seats");
    let drift = d.drift.clone().expect("drift");
    assert_eq!(drift.distributor_quantity, 7, "{b}");
    // Seen again: the same drift, from when it was first seen.
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(w.s.get_subscription(m365.id).await.unwrap().subscription.drift, Some(drift), "{b}");
    // Back to five: cleared.
    w.fake.change_in_portal(&known, 5);
    let out = w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(out.drifted, 0, "{b}");
    assert!(w.s.get_subscription(m365.id).await.unwrap().subscription.drift.is_none(), "{b}");
    // Cancelled in the portal: the status follows.
    w.fake.cancel_subscription(&known);
    let out = w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(out.updated, 1, "{b}");
    assert_eq!(
        w.s.get_subscription(m365.id).await.unwrap().subscription.status,
        SubscriptionStatus::Cancelled,
        "{b}"
    );
}

crate::both_backends!(a_sync_needs_a_linked_company_and_changes_nothing_otherwise);
async fn a_sync_needs_a_linked_company_and_changes_nothing_otherwise(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    w.fake.add_subscription("c-1", "p-m365", 5, "Monthly", None);
    let unlinked =
        w.s.create_company(&CompanyInput {
            name: Some("Not at Pax8".into()),
            pax8_company_id: None,
        })
        .await
        .unwrap();
    let err = w.s.sync_subscriptions(w.pax8.as_ref(), unlinked.id).await.unwrap_err();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("company_id")), "{b}");
    let err = w.s.sync_subscriptions(w.pax8.as_ref(), 9_999).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{b}");
    // Pax8 down: nothing imported, a clear upstream error.
    w.fake.fault(fakes::pax8::Route::ListSubscriptions, fakes::pax8::Fault::Status(503, None));
    w.fake.fault(fakes::pax8::Route::ListSubscriptions, fakes::pax8::Fault::Status(503, None));
    w.fake.fault(fakes::pax8::Route::ListSubscriptions, fakes::pax8::Fault::Status(503, None));
    w.fake.fault(fakes::pax8::Route::ListSubscriptions, fakes::pax8::Fault::Status(503, None));
    let company = company_of(&w).await;
    let err = w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Upstream, "{b}: {err:?}");
    assert!(w.s.list_subscriptions(None, None).await.unwrap().is_empty(), "{b}");
}

crate::both_backends!(renewals_are_the_commitments_ending_soonest_first);
async fn renewals_are_the_commitments_ending_soonest_first(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let company = company_of(&w).await;
    let in_days = |d: i64| crate::clock::from_now(chrono::Duration::days(d));
    let soon = w.fake.add_subscription("c-1", "p-m365", 5, "Annual", Some(("1-Year", &in_days(10))));
    let later = w.fake.add_subscription("c-1", "p-m365", 6, "Annual", Some(("1-Year", &in_days(100))));
    let cancelled = w.fake.add_subscription("c-1", "p-m365", 7, "Annual", Some(("1-Year", &in_days(5))));
    w.fake.cancel_subscription(&cancelled);
    w.fake.add_subscription("c-1", "p-m365", 8, "Monthly", None);
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    let ids = |l: &[crate::subscriptions::Renewal]| l.iter().map(|r| r.subscription.distributor_subscription_id.clone()).collect::<Vec<_>>();
    let month = w.s.renewals(Some(30)).await.unwrap();
    assert_eq!(ids(&month), vec![soon.clone()], "{b}: not the cancelled one, not the monthly one");
    assert!((9..=10).contains(&month[0].days_left), "{b}: {}", month[0].days_left);
    assert_eq!(ids(&w.s.renewals(None).await.unwrap()), vec![soon.clone()], "{b}: 60 days by default");
    assert_eq!(ids(&w.s.renewals(Some(200)).await.unwrap()), vec![soon.clone(), later], "{b}: soonest first");
    // The provisioned one, a year out, with the seats its contract line sells.
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let two_years = w.s.renewals(Some(730)).await.unwrap();
    let made = two_years.iter().find(|r| r.subscription.po_id == Some(w.po)).expect("the PO's subscription");
    assert_eq!(made.seats_in_use, Some(10), "{b}");
    for bad in [0, 731, -5] {
        let err = w.s.renewals(Some(bad)).await.unwrap_err();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("days")), "{b}: {bad}");
    }
}
