//! What an approval fixes, in the store on SQLite and PostgreSQL: catalog
//! prices and overrides, a product of the PO's vendor, revising an approved
//! PO, and two approvals above the second limit.

use super::*;
use crate::catalog::{ProductInput, VendorInput};
use crate::fixtures::purchase_orders::{fixture, input, Fixture};
use crate::settings::SettingsUpdate;
use crate::testing::new_user;
use crate::users::Role;
use crate::ErrorCode;

async fn product(f: &Fixture, vendor: i64, sku: &str, cents: i64) -> crate::catalog::Product {
    f.s.create_product(&ProductInput {
        vendor_id: Some(vendor),
        name: Some(format!("Product {sku}")),
        sku: Some(sku.into()),
        unit_cost_cents: Some(cents),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn catalog_line(product: i64, qty: i64, cents: i64) -> LineInput {
    LineInput {
        description: "Seats".into(),
        quantity: qty,
        unit_cost_cents: cents,
        product_id: Some(product),
        ..Default::default()
    }
}

crate::both_backends!(a_price_below_the_catalog_is_an_override_and_never_auto_approved);
async fn a_price_below_the_catalog_is_an_override_and_never_auto_approved(b: &'static str) {
    let f = fixture(b).await;
    let p = product(&f, f.vendor, "M365", 2200).await;
    // At the catalog price, under the $500 limit: approved at once.
    let at_catalog = PoInput {
        lines: vec![catalog_line(p.id, 5, 2200)],
        ..input(&f, 1, 1)
    };
    let po = f.s.create_po(&f.tech, &at_catalog, true).await.unwrap();
    assert_eq!(po.status, PoStatus::Approved, "{b}");
    assert_eq!((po.lines[0].catalog_unit_cost_cents, po.has_price_override()), (Some(2200), false));

    // 50 seats at $0: an override, recorded, and sent to an approver.
    let free = PoInput {
        lines: vec![catalog_line(p.id, 50, 0)],
        ..input(&f, 1, 1)
    };
    let po = f.s.create_po(&f.tech, &free, true).await.unwrap();
    assert_eq!((po.status, po.total_cents), (PoStatus::PendingApproval, 0), "{b}");
    assert!(po.lines[0].price_override() && po.has_price_override());
    let tl = f.s.po_timeline(po.id).await.unwrap();
    assert!(
        tl[0].message.contains("price override on line 1: $0.00 instead of the catalog's $22.00"),
        "{b}: {}",
        tl[0].message
    );
    assert_eq!(tl[0].data["price_overrides"][0]["catalog_unit_cost_cents"], 2200);
    assert!(tl[1].message.contains("a price differs from the catalog"), "{b}: {}", tl[1].message);
    // A free line (no product) has no catalog price: never an override.
    let typed = f.s.create_po(&f.tech, &input(&f, 1, 0), true).await.unwrap();
    assert_eq!((typed.status, typed.lines[0].catalog_unit_cost_cents), (PoStatus::Approved, None), "{b}");
}

crate::both_backends!(a_catalog_product_of_another_vendor_is_refused_naming_the_line);
async fn a_catalog_product_of_another_vendor_is_refused_naming_the_line(b: &'static str) {
    let f = fixture(b).await;
    let pax8 =
        f.s.create_vendor(&VendorInput {
            name: Some("Pax8".into()),
            distributor: Some(crate::catalog::Distributor::Pax8),
            qbo_vendor_id: None,
        })
        .await
        .unwrap();
    let theirs = product(&f, pax8.id, "M365", 2200).await;
    let ours = product(&f, f.vendor, "LAT", 90_000).await;
    let before = f.s.list_pos(&PoFilter::default()).await.unwrap().items.len();
    let mixed = PoInput {
        lines: vec![catalog_line(ours.id, 1, 90_000), catalog_line(theirs.id, 5, 2200)],
        ..input(&f, 1, 1)
    };
    let e = f.s.create_po(&f.tech, &mixed, true).await.unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("lines[1].product_id")), "{b}");
    assert!(
        e.message.contains("Line 2: Product M365 is a catalog product of Pax8, not of CDW"),
        "{b}: {}",
        e.message
    );
    assert_eq!(f.s.list_pos(&PoFilter::default()).await.unwrap().items.len(), before, "{b}: nothing created");
    // An edit is held to the same rule.
    let po = f.s.create_po(&f.tech, &input(&f, 1, 100), false).await.unwrap();
    let e = f.s.update_po(&f.tech, po.id, po.version, &mixed, false).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("lines[1].product_id"), "{b}");
    assert_eq!(f.s.get_po(po.id).await.unwrap(), po, "{b}: nothing changed");
}

crate::both_backends!(the_snapshot_is_taken_at_submission_and_an_approved_po_is_revised_back_to_approval);
async fn the_snapshot_is_taken_at_submission_and_an_approved_po_is_revised_back_to_approval(b: &'static str) {
    let f = fixture(b).await;
    let p = product(&f, f.vendor, "LAT", 10_000).await;
    let draft =
        f.s.create_po(
            &f.tech,
            &PoInput {
                lines: vec![catalog_line(p.id, 2, 10_000)],
                ..input(&f, 1, 1)
            },
            false,
        )
        .await
        .unwrap();
    assert!(draft.snapshot.is_none(), "{b}: a draft has none yet");
    let po = f.s.submit_po(&f.tech, draft.id).await.unwrap();
    assert_eq!(po.status, PoStatus::Approved, "{b}");
    let snap = po.snapshot.clone().unwrap();
    assert_eq!((snap.lines[0].sku.as_deref(), snap.lines[0].quantity), (Some("LAT"), 2));
    assert!(po.catalog_changes.is_empty());

    // The catalog moves on: the PO says so and keeps what was approved.
    f.s.update_product(
        p.id,
        &ProductInput {
            sku: Some("LAT-2".into()),
            unit_cost_cents: Some(12_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = f.s.get_po(po.id).await.unwrap();
    let changes: Vec<String> = now.catalog_changes.iter().map(|c| c.describe()).collect();
    assert_eq!(changes, ["Line 1: SKU LAT → LAT-2", "Line 1: catalog price $100.00 → $120.00"], "{b}");
    assert_eq!((now.snapshot, now.status, now.total_cents), (Some(snap), PoStatus::Approved, 20_000));

    // Revising it withdraws the approval; submitting takes a new snapshot.
    let stale = f.s.update_po(&f.tech, po.id, po.version - 1, &input(&f, 1, 1), false).await.unwrap_err();
    assert_eq!(stale.code, ErrorCode::Stale, "{b}");
    let revised = PoInput {
        lines: vec![catalog_line(p.id, 2, 12_000)],
        ..input(&f, 1, 1)
    };
    let draft = f.s.update_po(&f.tech, po.id, now.version, &revised, false).await.unwrap();
    assert_eq!(
        (draft.status, draft.approval.as_ref(), draft.snapshot.as_ref()),
        (PoStatus::Draft, None, None),
        "{b}"
    );
    let tl = f.s.po_timeline(po.id).await.unwrap();
    assert_eq!(tl.last().unwrap().kind, "edited_after_approval", "{b}");
    let again = f.s.submit_po(&f.tech, po.id).await.unwrap();
    assert_eq!(
        (again.status, again.snapshot.unwrap().lines[0].sku.as_deref()),
        (PoStatus::Approved, Some("LAT-2")),
        "{b}"
    );
    assert!(again.catalog_changes.is_empty(), "{b}");

    // Someone else's PO is not theirs to revise.
    let e = f.s.update_po(&f.approver, po.id, again.version, &revised, false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "{b}");
}

crate::both_backends!(above_the_second_limit_two_different_approvers_neither_the_creator);
async fn above_the_second_limit_two_different_approvers_neither_the_creator(b: &'static str) {
    let f = fixture(b).await;
    let second = f.s.create_user(new_user("second@x.test", Role::Approver)).await.unwrap();
    let admin = f.s.create_user(new_user("admin@x.test", Role::Admin)).await.unwrap();
    f.s.update_settings(&SettingsUpdate {
        second_approval_limit_cents: Some(500_000),
        allow_self_approval: Some(true),
        ..Default::default()
    })
    .await
    .unwrap();
    // $5,000.00 exactly is not above the limit: one approval.
    let one = f.s.create_po(&f.tech, &input(&f, 5, 100_000), true).await.unwrap();
    assert_eq!(one.approvals_required, 1, "{b}");
    let po = f.s.create_po(&admin, &input(&f, 6, 100_000), true).await.unwrap();
    assert_eq!((po.status, po.approvals_required), (PoStatus::PendingApproval, 2), "{b}");
    // Not the creator, even with self-approval allowed.
    let e = f.s.approve_po(&admin, po.id, po.version, None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SelfApproval, "{b}");

    let png = signature::sample_png(300, 100, true);
    let first = f.s.approve_po(&f.approver, po.id, po.version, Some(png.clone())).await.unwrap();
    assert_eq!(
        (first.status, first.approvals.len(), first.approval.as_ref()),
        (PoStatus::PendingApproval, 1, None),
        "{b}"
    );
    let url = first.approvals[0].signature_url.clone().unwrap();
    assert_eq!(url, format!("/purchase-orders/{}/signature.png?approval=1", po.id));
    assert!(f.s.po_signature(po.id, true).await.unwrap().is_some(), "{b}");
    // Not the same approver twice.
    let e = f.s.approve_po(&f.approver, po.id, first.version, None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "{b}: {e:?}");
    assert_eq!(f.s.get_po(po.id).await.unwrap(), first, "{b}: nothing changed");

    let done = f.s.approve_po(&second, po.id, first.version, Some(png)).await.unwrap();
    assert_eq!(done.status, PoStatus::Approved, "{b}");
    let by: Vec<Option<i64>> = done.approvals.iter().map(|a| a.by.as_ref().and_then(|p| p.id)).collect();
    assert_eq!(by, [Some(f.approver.id), Some(second.id)], "{b}");
    assert!(done.approvals.iter().all(|a| a.signature_url.is_some()));
    let kinds: Vec<String> = f.s.po_timeline(po.id).await.unwrap().into_iter().map(|e| e.kind.as_str().to_string()).collect();
    assert_eq!(kinds, ["created", "submitted", "approved_first", "approved"], "{b}");

    // A rejection after the first approval voids it: a resubmission starts over.
    let other = f.s.create_po(&f.tech, &input(&f, 6, 100_000), true).await.unwrap();
    let half = f.s.approve_po(&f.approver, other.id, other.version, None).await.unwrap();
    let rejected = f.s.reject_po(&second, other.id, half.version, "Too much").await.unwrap();
    assert!(rejected.approvals.is_empty(), "{b}");
    let again = f.s.submit_po(&f.tech, other.id).await.unwrap();
    assert_eq!((again.status, again.approvals.len()), (PoStatus::PendingApproval, 0), "{b}");
}
