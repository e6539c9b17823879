//! Change orders: raised against a subscription, approved as any PO (a
//! decrease never by itself), sent exactly once through every fault, and
//! refused or held back when Pax8 says so or shows something else. SQLite
//! and PostgreSQL, against the fake Pax8 over HTTP.

use super::*;
use crate::catalog::Distributor as Kind;
use crate::fixtures::pax8::{engine, world, DiesAfterSending, World};
use crate::purchase_orders::{ChangeInput, EventKind, LineInput, PoInput, PoStatus, PurchaseOrder};
use crate::settings::SettingsUpdate;
use crate::subscriptions::{ChangeKind, Subscription, SubscriptionStatus};
use crate::ErrorCode;
use fakes::pax8::{Fault, Route};
use std::sync::Arc;
use std::time::Duration;

/// The world's PO dispatched and provisioned: its subscription (10 seats,
/// a one-year commitment) as the product knows it, and Pax8's id of it.
async fn subscribed(w: &World) -> (Subscription, String) {
    w.s.request_dispatch(&w.buyer, w.po).await.unwrap();
    engine(w, "w1", w.pax8.clone()).drain().await.unwrap();
    let company = w.s.get_po(w.po).await.unwrap().company.id;
    let s = w.s.list_subscriptions(Some(company), None).await.unwrap().remove(0);
    let at_pax8 = s.distributor_subscription_id.clone();
    (s, at_pax8)
}

fn change(subscription_id: i64, quantity: Option<i64>, cancel: bool) -> PoInput {
    PoInput {
        lines: vec![LineInput {
            change: Some(ChangeInput {
                subscription_id,
                quantity,
                cancel,
                cancel_date: None,
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Raised by the buyer, approved by the approver, dispatched.
async fn approved_and_requested(w: &World, input: &PoInput) -> PurchaseOrder {
    let po = w.s.create_po(&w.buyer, input, true).await.unwrap();
    let po = w.s.approve_po(&w.approver, po.id, po.version, None).await.unwrap();
    w.s.request_dispatch(&w.buyer, po.id).await.unwrap();
    po
}

fn messages(events: &[crate::purchase_orders::TimelineEvent]) -> Vec<String> {
    events.iter().map(|e| e.message.clone()).collect()
}

crate::both_backends!(more_seats_are_approved_sent_once_and_the_contract_line_follows);
async fn more_seats_are_approved_sent_once_and_the_contract_line_follows(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let writes = w.fake.writes_applied();
    // Vendor and company are the subscription's; priced by what it adds.
    let po = w.s.create_po(&w.buyer, &change(sub.id, Some(12), false), true).await.unwrap();
    let made = w.s.get_po(w.po).await.unwrap();
    assert_eq!((po.vendor.id, po.company.id), (made.vendor.id, made.company.id), "{b}");
    let l = &po.lines[0];
    let c = l.change.clone().expect("a change line");
    assert_eq!(
        (c.subscription_id, c.from_quantity, c.to_quantity, c.cancel),
        (sub.id, 10, Some(12), false),
        "{b}"
    );
    assert_eq!((l.quantity, l.unit_cost_cents, po.total_cents), (2, 2200, 4400), "{b}");
    assert_eq!(l.description, "M365 BP: 10 → 12 seats", "{b}");
    assert_eq!(po.status, PoStatus::PendingApproval, "{b}");
    let bound = po.snapshot.as_ref().unwrap().lines[0]
        .change
        .clone()
        .expect("the approval binds the subscription");
    assert_eq!((bound.from_quantity, bound.distributor_subscription_id.as_str()), (10, at_pax8.as_str()), "{b}");
    // Pax8's `updatedDate` is null until the first change (the fake's least convenient reading).
    assert_eq!(bound.distributor_updated_at, sub.distributor_updated_at, "{b}");
    assert_eq!(bound.commitment_end, sub.commitment_end, "{b}");
    assert!(bound.commitment_end.is_some(), "{b}");

    let po = w.s.approve_po(&w.approver, po.id, po.version, None).await.unwrap();
    let d = w.s.request_dispatch(&w.buyer, po.id).await.unwrap();
    assert_eq!((d.request.lines.len(), d.request.changes.len()), (0, 1), "{b}: a change, never a new order");
    let orders = w.fake.orders().len();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.fake.orders().len(), orders, "{b}: no second order");
    let d = w.s.get_dispatch(po.id).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Provisioned, "{b}: {d:?}");
    assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 12, "{b}");
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}: one write");
    assert_eq!(w.s.get_dispatch(po.id).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
    let after = w.s.get_subscription(sub.id).await.unwrap();
    assert_eq!(after.subscription.quantity, 12, "{b}");
    let kinds: Vec<_> = after.changes.iter().map(|c| (c.po_id, c.kind, c.from_quantity, c.to_quantity)).collect();
    assert_eq!(
        kinds,
        vec![(w.po, ChangeKind::Made, None, Some(10)), (po.id, ChangeKind::Seats, Some(10), Some(12))],
        "{b}"
    );
    assert_eq!(
        w.s.get_contract_line(w.contract_line).await.unwrap().quantity,
        12,
        "{b}: the customer is billed 12"
    );
    assert_eq!(w.s.get_po(po.id).await.unwrap().status, PoStatus::Received, "{b}");
    let change_timeline = messages(&w.s.po_timeline(po.id).await.unwrap());
    assert!(
        change_timeline.iter().any(|m| m
            == &format!(
                "Pax8 confirmed the change: M365 BP now has 12 seats (was 10); contract line {} now bills 12 seats",
                w.contract_line
            )),
        "{b}: {change_timeline:?}"
    );
    let origin = w.s.po_timeline(w.po).await.unwrap();
    let noted = origin
        .iter()
        .find(|e| e.kind == EventKind::SubscriptionChanged)
        .expect("the first PO's timeline says so");
    assert_eq!(
        noted.message,
        format!("M365 BP now has 12 seats (was 10), by change order {}", po.number),
        "{b}"
    );
    // Drained again: nothing more is sent.
    engine(&w, "w2", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}");
}

crate::both_backends!(a_decrease_or_a_cancellation_waits_for_an_approver);
async fn a_decrease_or_a_cancellation_waits_for_an_approver(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, _) = subscribed(&w).await;
    w.s.update_settings(&SettingsUpdate {
        auto_approve_limit_cents: Some(1_000_000),
        ..Default::default()
    })
    .await
    .unwrap();
    let more = w.s.create_po(&w.buyer, &change(sub.id, Some(11), false), true).await.unwrap();
    assert_eq!(more.status, PoStatus::Approved, "{b}: more seats at a cost, under the limit");
    for (input, total) in [(change(sub.id, Some(8), false), -4400), (change(sub.id, None, true), -22000)] {
        let po = w.s.create_po(&w.buyer, &input, true).await.unwrap();
        assert_eq!((po.status, po.total_cents), (PoStatus::PendingApproval, total), "{b}: {input:?}");
        let submitted = w.s.po_timeline(po.id).await.unwrap();
        assert!(
            submitted
                .iter()
                .any(|e| e.message.contains("it removes seats or cancels a subscription, so an approver decides")),
            "{b}: {:?}",
            messages(&submitted)
        );
    }
}

crate::both_backends!(a_change_line_is_checked_naming_the_field);
async fn a_change_line_is_checked_naming_the_field(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let before = w.s.list_pos(&Default::default()).await.unwrap().items.len();
    let err = |input: PoInput| {
        let s = w.s.clone();
        let buyer = w.buyer.clone();
        async move { s.create_po(&buyer, &input, false).await.unwrap_err() }
    };
    let mut mixed = change(sub.id, Some(12), false);
    mixed.lines.push(LineInput {
        description: "Setup".into(),
        quantity: 1,
        unit_cost_cents: 100,
        ..Default::default()
    });
    let cases = [
        (mixed, "lines[1].change"),
        (change(sub.id, Some(10), false), "lines[0].change.quantity"),
        (change(sub.id, Some(0), false), "lines[0].change.quantity"),
        (change(sub.id, None, false), "lines[0].change.quantity"),
        (change(sub.id, Some(3), true), "lines[0].change.quantity"),
        (change(9_999, Some(3), false), "lines[0].change.subscription_id"),
    ];
    for (input, field) in cases {
        let e = err(input).await;
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some(field)), "{b}: {e:?}");
    }
    let mut past = change(sub.id, None, true);
    past.lines[0].change.as_mut().unwrap().cancel_date = Some("2020-01-01".into());
    let e = err(past).await;
    assert_eq!(e.field.as_deref(), Some("lines[0].change.cancel_date"), "{b}");
    let mut twice = change(sub.id, Some(12), false);
    twice.lines.push(twice.lines[0].clone());
    assert_eq!(err(twice).await.field.as_deref(), Some("lines[1].change.subscription_id"), "{b}");
    // A cancelled subscription is not changed.
    w.fake.cancel_subscription(&at_pax8);
    w.s.sync_subscriptions(w.pax8.as_ref(), sub.company_id).await.unwrap();
    assert_eq!(
        err(change(sub.id, Some(12), false)).await.field.as_deref(),
        Some("lines[0].change.subscription_id"),
        "{b}"
    );
    assert_eq!(w.s.list_pos(&Default::default()).await.unwrap().items.len(), before, "{b}: nothing was raised");
}

crate::both_backends!(an_unclear_outcome_is_read_back_never_written_twice);
async fn an_unclear_outcome_is_read_back_never_written_twice(b: &'static str) {
    for (i, fault) in [Fault::LoseReply(Duration::from_secs(3)), Fault::FailAfter(500), Fault::FailAfter(502)]
        .into_iter()
        .enumerate()
    {
        let w = world(b, true, Kind::Pax8).await;
        let (sub, at_pax8) = subscribed(&w).await;
        let writes = w.fake.writes_applied();
        let po = approved_and_requested(&w, &change(sub.id, Some(13 + i as i64), false)).await;
        w.fake.fault(Route::UpdateSubscription, fault.clone());
        engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
        assert_eq!(w.fake.writes_applied(), writes + 1, "{b} {fault:?}: applied once, never sent again");
        assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 13 + i as i64, "{b} {fault:?}");
        let d = w.s.get_dispatch(po.id).await.unwrap();
        assert_eq!(d.status, DispatchStatus::Provisioned, "{b} {fault:?}: {d:?}");
        let timeline = messages(&w.s.po_timeline(po.id).await.unwrap());
        assert!(
            timeline.iter().any(|m| m.starts_with("No clear answer from Pax8")),
            "{b} {fault:?}: {timeline:?}"
        );
        assert_eq!(w.s.get_contract_line(w.contract_line).await.unwrap().quantity, 13 + i as i64, "{b} {fault:?}");
    }
}

crate::both_backends!(a_killed_worker_is_taken_over_and_the_change_is_not_sent_again);
async fn a_killed_worker_is_taken_over_and_the_change_is_not_sent_again(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let writes = w.fake.writes_applied();
    let po = approved_and_requested(&w, &change(sub.id, Some(15), false)).await;
    // Sends, then never answers: the worker is killed between the write and its answer.
    let dies = engine(&w, "dies", Arc::new(DiesAfterSending(w.pax8.clone())));
    let killed = tokio::spawn(async move { dies.run_once().await });
    for _ in 0..100 {
        if w.fake.writes_applied() > writes {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.abort();
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}: the write landed");
    // Another instance takes the dispatch over once the lease has run out.
    let other = engine(&w, "w2", w.pax8.clone());
    let mut status = DispatchStatus::Submitting;
    for _ in 0..100 {
        other.drain().await.unwrap();
        status = w.s.get_dispatch(po.id).await.unwrap().status;
        if status == DispatchStatus::Provisioned {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, DispatchStatus::Provisioned, "{b}");
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}: read back, never sent twice");
    assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 15, "{b}");
    let timeline = messages(&w.s.po_timeline(po.id).await.unwrap());
    assert!(timeline.iter().any(|m| m.starts_with("Picked up an interrupted change")), "{b}: {timeline:?}");
}

crate::both_backends!(a_portal_change_sends_nothing_and_retry_revises_for_approval);
async fn a_portal_change_sends_nothing_and_retry_revises_for_approval(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let po = approved_and_requested(&w, &change(sub.id, Some(12), false)).await;
    // Someone sets eleven seats in the portal after the approval.
    w.fake.change_in_portal(&at_pax8, 11);
    let writes = w.fake.writes_applied();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.fake.writes_applied(), writes, "{b}: nothing sent");
    let d = w.s.get_dispatch(po.id).await.unwrap();
    let entry = d.remediation.clone().expect("an entry");
    assert_eq!(
        (d.status, entry.reason),
        (DispatchStatus::Failed, RemediationReason::ChangedAtDistributor),
        "{b}"
    );
    assert!(
        entry
            .problems
            .iter()
            .any(|p| p.message == "Pax8 shows 11 seats; the change was approved from 10."),
        "{b}: {entry:?}"
    );
    let drift = w.s.get_subscription(sub.id).await.unwrap().subscription.drift;
    assert_eq!(drift.map(|d| d.distributor_quantity), Some(11), "{b}: what Pax8 shows is recorded");
    // Retry: revised from Pax8's figures and back to an approver.
    w.s.retry_dispatch(&w.buyer, entry.id, None).await.unwrap();
    let revised = w.s.get_po(po.id).await.unwrap();
    assert_eq!(revised.status, PoStatus::PendingApproval, "{b}");
    let c = revised.lines[0].change.clone().unwrap();
    assert_eq!(
        (c.from_quantity, c.to_quantity, revised.lines[0].quantity, revised.total_cents),
        (11, Some(12), 1, 2200),
        "{b}"
    );
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.fake.writes_applied(), writes, "{b}: still nothing before the approval");
    w.s.approve_po(&w.approver, po.id, revised.version, None).await.unwrap();
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}");
    assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 12, "{b}");
    assert_eq!(w.s.get_dispatch(po.id).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
    let s = w.s.get_subscription(sub.id).await.unwrap().subscription;
    assert_eq!((s.quantity, s.drift), (12, None), "{b}");
}

crate::both_backends!(what_pax8_does_not_allow_is_not_sent_and_its_refusals_are_shown);
async fn what_pax8_does_not_allow_is_not_sent_and_its_refusals_are_shown(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let writes = w.fake.writes_applied();
    // Fewer seats mid-commitment on a commitment that does not renew by
    // itself: the rules say no, and there is no renewal to wait for.
    w.fake.set_commitment_rules(
        "p-m365",
        fakes::pax8::CommitmentRules {
            auto_renew: false,
            ..Default::default()
        },
    );
    let po = approved_and_requested(&w, &change(sub.id, Some(8), false)).await;
    let problems = w.s.check_with_distributor(&w.buyer, w.pax8.as_ref(), po.id).await.unwrap();
    assert!(problems.iter().any(|p| p.message.contains("does not allow fewer seats")), "{b}: {problems:?}");
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(po.id).await.unwrap();
    assert_eq!(d.remediation.map(|r| r.reason), Some(RemediationReason::Preflight), "{b}");
    assert_eq!(w.fake.writes_applied(), writes, "{b}: nothing sent");

    // Pax8 refuses a write with its `{"errors": [...]}` body: its words are shown.
    for errors_list in [false, true] {
        let w = world(b, true, Kind::Pax8).await;
        let (sub, at_pax8) = subscribed(&w).await;
        w.fake.refuse_with_errors_list(errors_list);
        let po = approved_and_requested(&w, &change(sub.id, Some(12), false)).await;
        // Cancelled in the portal while the write is on its way.
        w.fake.fault(Route::UpdateSubscription, Fault::Delay(Duration::from_millis(400)));
        let e = engine(&w, "w1", w.pax8.clone());
        let run = tokio::spawn(async move { e.drain().await });
        for _ in 0..100 {
            if w.fake.requests(Route::UpdateSubscription) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        w.fake.cancel_subscription(&at_pax8);
        run.await.unwrap().unwrap();
        let d = w.s.get_dispatch(po.id).await.unwrap();
        let entry = d.remediation.expect("refused");
        assert_eq!(entry.reason, RemediationReason::Refused, "{b} {errors_list}");
        assert!(
            entry.message.contains("only Active subscriptions can be updated"),
            "{b} {errors_list}: {}",
            entry.message
        );
    }
    let _ = at_pax8;
}

crate::both_backends!(a_cancellation_defaults_to_the_commitment_end_and_the_line_ends_then);
async fn a_cancellation_defaults_to_the_commitment_end_and_the_line_ends_then(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let end = sub.commitment_end.clone().expect("a committed subscription");
    let po = approved_and_requested(&w, &change(sub.id, None, true)).await;
    let problems = w.s.check_with_distributor(&w.buyer, w.pax8.as_ref(), po.id).await.unwrap();
    assert!(problems.is_empty(), "{b}: {problems:?}");
    let checked = messages(&w.s.po_timeline(po.id).await.unwrap());
    assert!(
        checked.iter().any(|m| m.contains(&format!("M365 BP would be cancelled on {}", &end[..10]))),
        "{b}: {checked:?}"
    );
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let at = w.fake.subscription(&at_pax8).unwrap();
    assert_eq!(at["status"], "PendingCancel", "{b}: cancelled as of the commitment's end: {at}");
    assert_eq!(w.s.get_dispatch(po.id).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
    let s = w.s.get_subscription(sub.id).await.unwrap();
    assert_eq!(s.subscription.status, SubscriptionStatus::PendingCancel, "{b}");
    assert_eq!(s.changes.last().map(|c| c.kind), Some(ChangeKind::Cancelled), "{b}");
    let line = w.s.get_contract_line(w.contract_line).await.unwrap();
    assert_eq!(line.status, crate::catalog::ContractLineStatus::Cancelled, "{b}");
    assert_eq!(line.cancelled_at.as_deref(), Some(end.as_str()), "{b}");
}

/// A client that waits `timeout` for an answer (Pax8 holding a call).
fn patient(w: &World, timeout: Duration) -> Arc<crate::procurement::pax8::Pax8> {
    Arc::new(crate::procurement::pax8::Pax8::new(crate::procurement::pax8::Pax8Config {
        api_url: w.fake.base.clone(),
        token_url: w.fake.token_url(),
        audience: crate::procurement::pax8::DEFAULT_AUDIENCE.into(),
        client_id: "id".into(),
        client_secret: "secret".into(),
        timeout,
        max_wait: Duration::from_millis(500),
    }))
}

crate::both_backends!(a_holder_keeps_its_lease_while_a_slow_change_runs);
async fn a_holder_keeps_its_lease_while_a_slow_change_runs(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let writes = w.fake.writes_applied();
    let po = approved_and_requested(&w, &change(sub.id, Some(14), false)).await;
    // Pax8 holds the write longer than the lease, within the client's timeout.
    w.fake.fault(Route::UpdateSubscription, Fault::Delay(Duration::from_millis(2500)));
    let pax8 = patient(&w, Duration::from_secs(10));
    let mut holder = engine(&w, "holder", pax8.clone());
    holder.timing.renew_every = chrono::Duration::milliseconds(250);
    let other = engine(&w, "other", pax8);
    let task = tokio::spawn(async move { holder.run_once().await });
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(!other.run_once().await.unwrap(), "{b}: the holder renews its lease; nothing to take over");
    }
    task.await.unwrap().unwrap();
    other.drain().await.unwrap();
    assert_eq!(w.s.get_dispatch(po.id).await.unwrap().status, DispatchStatus::Provisioned, "{b}");
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}");
    assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 14, "{b}");
}

crate::both_backends!(a_paused_holders_change_lands_late_and_is_never_sent_twice);
async fn a_paused_holders_change_lands_late_and_is_never_sent_twice(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let writes = w.fake.writes_applied();
    let po = approved_and_requested(&w, &change(sub.id, Some(16), false)).await;
    // The old holder sends and stalls (a paused process: nothing renews
    // its lease) while Pax8 holds the write for two seconds.
    w.fake.fault(Route::UpdateSubscription, Fault::Delay(Duration::from_millis(2000)));
    let pax8 = patient(&w, Duration::from_millis(2500));
    let old = engine(&w, "old", pax8.clone());
    let stale = old.claim().await.unwrap().expect("due");
    let line = stale.request.changes[0].clone();
    let late = tokio::spawn(async move { old.send_change(&stale, &line, true).await });
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Another instance takes it over: it reads, sees ten seats, and waits
    // until the old call can no longer land instead of sending.
    let new = engine(&w, "new", pax8);
    let mut status = DispatchStatus::Submitting;
    for _ in 0..200 {
        new.drain().await.unwrap();
        status = w.s.get_dispatch(po.id).await.unwrap().status;
        if status == DispatchStatus::Provisioned {
            break;
        }
        assert!(w.fake.writes_applied() <= writes + 1, "{b}: never a second write");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, DispatchStatus::Provisioned, "{b}");
    // The old holder's answer came back to a lease it no longer has.
    let refused = late.await.unwrap().unwrap_err();
    assert!(crate::store::leases::is_lease_lost(&refused), "{b}: {refused:?}");
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}: the old call's write, once");
    assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 16, "{b}");
    let timeline = messages(&w.s.po_timeline(po.id).await.unwrap());
    assert!(timeline.iter().any(|m| m.contains("waiting until")), "{b}: {timeline:?}");
}

/// Moves a held dispatch's renewal `days_ago` into the past, at the fake
/// too (the commitment ended then and renews on the next read).
async fn renewal_passed(w: &World, po: i64, at_pax8: &str, days_ago: i64) {
    let ended = crate::clock::from_now(chrono::Duration::days(-days_ago) - chrono::Duration::minutes(1));
    w.fake.set_commitment_end(at_pax8, &ended);
    sqlx::query("UPDATE dispatches SET held_until = $1, next_run_at = $1 WHERE po_id = $2")
        .bind(&ended)
        .bind(po)
        .execute(w.s.pool())
        .await
        .unwrap();
}

crate::both_backends!(fewer_seats_mid_term_wait_for_the_renewal_and_go_in_its_window);
async fn fewer_seats_mid_term_wait_for_the_renewal_and_go_in_its_window(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let end = sub.commitment_end.clone().unwrap();
    let writes = w.fake.writes_applied();
    let po = approved_and_requested(&w, &change(sub.id, Some(7), false)).await;
    let problems = w.s.check_with_distributor(&w.buyer, w.pax8.as_ref(), po.id).await.unwrap();
    assert!(problems.is_empty(), "{b}: held, not refused: {problems:?}");
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(po.id).await.unwrap();
    assert_eq!((d.status, d.remediation.is_none()), (DispatchStatus::HeldForRenewal, true), "{b}: {d:?}");
    assert_eq!(w.fake.writes_applied(), writes, "{b}: nothing sent mid-term");
    let timeline = messages(&w.s.po_timeline(po.id).await.unwrap());
    assert!(
        timeline.iter().any(|m| m.starts_with(&format!(
            "Held for renewal: Pax8 allows fewer seats only once the commitment renews on {}",
            &end[..10]
        ))),
        "{b}: {timeline:?}"
    );
    // Drained again before the renewal: still waiting, nothing sent.
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.fake.writes_applied(), writes, "{b}");
    // The commitment renewed yesterday: inside the window, the decrease goes.
    renewal_passed(&w, po.id, &at_pax8, 1).await;
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(po.id).await.unwrap();
    assert_eq!(d.status, DispatchStatus::Provisioned, "{b}: {d:?}");
    assert_eq!(w.fake.subscription(&at_pax8).unwrap()["quantity"], 7, "{b}");
    assert_eq!(w.fake.writes_applied(), writes + 1, "{b}");
    assert_eq!(w.s.get_contract_line(w.contract_line).await.unwrap().quantity, 7, "{b}");
    let s = w.s.get_subscription(sub.id).await.unwrap().subscription;
    assert!(
        s.commitment_end.as_deref().is_some_and(|e| e > crate::clock::now().as_str()),
        "{b}: the new term: {s:?}"
    );
}

crate::both_backends!(a_held_change_whose_window_closed_opens_renewal_missed);
async fn a_held_change_whose_window_closed_opens_renewal_missed(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let (sub, at_pax8) = subscribed(&w).await;
    let writes = w.fake.writes_applied();
    let po = approved_and_requested(&w, &change(sub.id, Some(6), false)).await;
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    assert_eq!(w.s.get_dispatch(po.id).await.unwrap().status, DispatchStatus::HeldForRenewal, "{b}");
    // Nobody ran the engine in the week after the renewal (down, paused).
    renewal_passed(&w, po.id, &at_pax8, 8).await;
    engine(&w, "w1", w.pax8.clone()).drain().await.unwrap();
    let d = w.s.get_dispatch(po.id).await.unwrap();
    let entry = d.remediation.clone().expect("an entry");
    assert_eq!((d.status, entry.reason), (DispatchStatus::Failed, RemediationReason::RenewalMissed), "{b}");
    assert!(entry.problems[0].message.contains("runs another term as it is"), "{b}: {entry:?}");
    assert_eq!(w.fake.writes_applied(), writes, "{b}: nothing sent out of the window");
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE event = 'dispatch.failed' AND po_id = $1")
        .bind(po.id)
        .fetch_one(w.s.pool())
        .await
        .unwrap();
    assert_eq!(told, 1, "{b}: loudly: purchasing is told");
}
