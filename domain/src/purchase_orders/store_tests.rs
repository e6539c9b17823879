//! The PO lifecycle in the store, on SQLite and PostgreSQL.

use super::*;
use crate::catalog::{CompanyInput, VendorInput};
use crate::fixtures::purchase_orders::{fixture, input};
use crate::settings::SettingsUpdate;
use crate::ErrorCode;

crate::both_backends!(lifecycle_with_auto_approval_rejection_and_receipts);
async fn lifecycle_with_auto_approval_rejection_and_receipts(b: &'static str) {
    let f = fixture(b).await;
    let year = chrono::Datelike::year(&chrono::Utc::now());
    // Under the limit: approved on submit, recorded as automatic with the limit.
    let small = f.s.create_po(&f.tech, &input(&f, 2, 10_000), true).await.unwrap();
    assert_eq!(small.number, format!("PO-{year}-001"));
    assert_eq!(small.status, PoStatus::Approved, "{b}");
    let a = small.approval.clone().unwrap();
    assert_eq!((a.kind, a.limit_cents), (ApprovalKind::Auto, Some(50_000)));
    let tl = f.s.po_timeline(small.id).await.unwrap();
    assert_eq!(
        tl.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["created", "submitted", "auto_approved"]
    );
    assert_eq!(tl[2].message, "Approved automatically (under $500.00 limit)");

    // Exactly the limit is not under it.
    let big = f.s.create_po(&f.tech, &input(&f, 5, 10_000), true).await.unwrap();
    assert_eq!(
        (big.number.as_str(), big.status),
        (format!("PO-{year}-002").as_str(), PoStatus::PendingApproval)
    );
    let e = f.s.update_po(&f.tech, big.id, big.version, &input(&f, 1, 100), false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict, "{b}: pending POs are not editable");
    assert_eq!(
        f.s.reject_po(&f.approver, big.id, big.version, "  ").await.unwrap_err().field.as_deref(),
        Some("reason")
    );
    let rejected = f.s.reject_po(&f.approver, big.id, big.version, "Too many laptops").await.unwrap();
    assert_eq!(rejected.rejection.as_ref().unwrap().reason, "Too many laptops");
    // Edit the rejected PO (stale version refused), then submit again.
    let stale = f.s.update_po(&f.tech, big.id, big.version, &input(&f, 6, 10_000), false).await.unwrap_err();
    assert_eq!((stale.code, stale.field.as_deref()), (ErrorCode::Stale, Some("version")));
    let edited = f.s.update_po(&f.tech, big.id, rejected.version, &input(&f, 6, 10_000), true).await.unwrap();
    assert_eq!((edited.status, edited.total_cents), (PoStatus::PendingApproval, 60_000));
    let approved =
        f.s.approve_po(&f.approver, big.id, edited.version, Some(signature::sample_png(300, 100, true)))
            .await
            .unwrap();
    let a = approved.approval.clone().unwrap();
    assert_eq!((a.kind, a.by.unwrap().id), (ApprovalKind::Manual, Some(f.approver.id)));
    assert_eq!(a.signature_url.as_deref(), Some(format!("/purchase-orders/{}/signature.png", big.id).as_str()));
    assert!(f.s.po_signature(big.id, false).await.unwrap().is_some());

    // Receive in steps, never above what was ordered.
    let line = approved.lines[0].id;
    let over =
        f.s.receive_po(&f.approver, big.id, &[ReceiptLine { line_id: line, quantity: 7 }])
            .await
            .unwrap_err();
    assert_eq!((over.code, over.field.as_deref()), (ErrorCode::Conflict, Some("lines[0].quantity")));
    let part =
        f.s.receive_po(&f.approver, big.id, &[ReceiptLine { line_id: line, quantity: 4 }])
            .await
            .unwrap();
    assert_eq!((part.status, part.lines[0].received_quantity), (PoStatus::PartiallyReceived, 4));
    let locked = f.s.update_po(&f.tech, big.id, part.version, &input(&f, 1, 1), false).await.unwrap_err();
    assert_eq!(locked.code, ErrorCode::Conflict, "{b}: received is locked");
    assert!(locked.message.contains("goods were received"), "{}", locked.message);
    assert_eq!(
        f.s.cancel_po(&f.tech, big.id, Some("changed mind")).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    assert!(f
        .s
        .receive_po(&f.approver, big.id, &[ReceiptLine { line_id: line, quantity: 3 }])
        .await
        .is_err());
    let full =
        f.s.receive_po(&f.approver, big.id, &[ReceiptLine { line_id: line, quantity: 2 }])
            .await
            .unwrap();
    assert_eq!((full.status, full.lines[0].received_quantity), (PoStatus::Received, 6));
    let kinds: Vec<String> =
        f.s.po_timeline(big.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind.as_str().to_string())
            .collect();
    assert_eq!(
        kinds,
        ["created", "submitted", "rejected", "edited", "submitted", "approved", "received", "received"],
        "{b}"
    );

    // Limit 0 turns auto-approval off; drafts stay drafts.
    f.s.update_settings(&SettingsUpdate {
        auto_approve_limit_cents: Some(0),
        ..Default::default()
    })
    .await
    .unwrap();
    let draft = f.s.create_po(&f.tech, &input(&f, 1, 1), false).await.unwrap();
    assert_eq!(draft.status, PoStatus::Draft);
    assert_eq!(
        f.s.approve_po(&f.approver, draft.id, draft.version, None).await.unwrap_err().code,
        ErrorCode::Conflict,
        "{b}: approving a draft"
    );
    assert_eq!(f.s.submit_po(&f.tech, draft.id).await.unwrap().status, PoStatus::PendingApproval);
    let cancelled = f.s.cancel_po(&f.tech, draft.id, None).await.unwrap();
    assert_eq!(cancelled.status, PoStatus::Cancelled);
}

crate::both_backends!(bad_input_changes_nothing);
async fn bad_input_changes_nothing(b: &'static str) {
    let f = fixture(b).await;
    let mut two_targets = input(&f, 1, 100);
    two_targets.ticket_id = Some(f.ticket);
    assert_eq!(
        f.s.create_po(&f.tech, &two_targets, true).await.unwrap_err().field.as_deref(),
        Some("company_id")
    );
    let mut no_lines = input(&f, 1, 100);
    no_lines.lines.clear();
    assert_eq!(f.s.create_po(&f.tech, &no_lines, true).await.unwrap_err().field.as_deref(), Some("lines"));
    let mut bad_vendor = input(&f, 1, 100);
    bad_vendor.vendor_id = 999;
    assert_eq!(f.s.create_po(&f.tech, &bad_vendor, true).await.unwrap_err().field.as_deref(), Some("vendor_id"));
    assert_eq!(
        f.s.create_po(&f.tech, &input(&f, 0, 100), true).await.unwrap_err().field.as_deref(),
        Some("lines[0].quantity")
    );
    f.s.update_settings(&SettingsUpdate {
        require_signature: Some(true),
        ..Default::default()
    })
    .await
    .unwrap();
    let po = f.s.create_po(&f.tech, &input(&f, 100, 100_000), true).await.unwrap();
    assert_eq!(po.number.rsplit('-').next(), Some("001"), "{b}: refused creates use no number");
    assert_eq!(
        f.s.approve_po(&f.approver, po.id, po.version, None).await.unwrap_err().field.as_deref(),
        Some("signature_png")
    );
    assert_eq!(f.s.get_po(po.id).await.unwrap().status, PoStatus::PendingApproval);
    assert_eq!(f.s.list_pos(&PoFilter::default()).await.unwrap().items.len(), 1);
}

crate::both_backends!(a_ticket_or_project_implies_its_company_and_committed_cost_adds_up);
async fn a_ticket_or_project_implies_its_company_and_committed_cost_adds_up(b: &'static str) {
    let f = fixture(b).await;
    let mut on_ticket = input(&f, 1, 20_000);
    on_ticket.company_id = None;
    on_ticket.ticket_id = Some(f.ticket);
    let t = f.s.create_po(&f.tech, &on_ticket, true).await.unwrap();
    assert_eq!((t.company.id, t.ticket.as_ref().map(|t| t.id)), (f.company, Some(f.ticket)));
    let mut on_project = input(&f, 10, 20_000);
    on_project.company_id = None;
    on_project.project_id = Some(f.project);
    let p = f.s.create_po(&f.tech, &on_project, true).await.unwrap();
    assert_eq!((p.company.id, p.status), (f.other_company, PoStatus::PendingApproval));
    f.s.create_po(&f.tech, &input(&f, 1, 100), false).await.unwrap();

    let page =
        f.s.list_pos(&PoFilter {
            company_id: Some(f.company),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.committed_cents), (2, 20_000), "{b}: drafts are not committed");
    let page =
        f.s.list_pos(&PoFilter {
            project_id: Some(f.project),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.committed_cents), (1, 0), "{b}: pending is not committed");
    f.s.approve_po(&f.approver, p.id, p.version, None).await.unwrap();
    let page =
        f.s.list_pos(&PoFilter {
            project_id: Some(f.project),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.committed_cents, 200_000);
    let found =
        f.s.list_pos(&PoFilter {
            q: Some("LATITUDE".into()),
            status: Some(PoStatus::Approved),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![p.id, t.id], "{b}: newest first");
    let by_number =
        f.s.list_pos(&PoFilter {
            q: Some(t.number.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_number.items.len(), 1);
}

crate::both_backends!(keyset_pages_cover_everything_once);
async fn keyset_pages_cover_everything_once(b: &'static str) {
    let f = fixture(b).await;
    for _ in 0..7 {
        f.s.create_po(&f.tech, &input(&f, 1, 100), false).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            f.s.list_pos(&PoFilter {
                limit: Some(3),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|i| i.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!((seen.len(), seen.clone()), (7, sorted), "{b}");
    assert_eq!(
        f.s.list_pos(&PoFilter {
            cursor: Some("x".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .field
        .as_deref(),
        Some("cursor")
    );
    assert_eq!(
        f.s.list_pos(&PoFilter {
            limit: Some(0),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .field
        .as_deref(),
        Some("limit")
    );
}

crate::both_backends!(concurrent_creates_get_unique_consecutive_numbers);
async fn concurrent_creates_get_unique_consecutive_numbers(b: &'static str) {
    let f = fixture(b).await;
    let mut handles = Vec::new();
    for _ in 0..200 {
        let (s, tech, inp) = (f.s.clone(), f.tech.clone(), input(&f, 1, 100));
        handles.push(tokio::spawn(async move { s.create_po(&tech, &inp, false).await.map(|p| p.number) }));
    }
    let mut numbers = Vec::new();
    for h in handles {
        numbers.push(h.await.unwrap().unwrap());
    }
    let mut seqs: Vec<i64> = numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>(), "{b}: 200 unique numbers, none skipped");
}

crate::both_backends!(racing_approve_reject_and_cancel_leave_one_result);
async fn racing_approve_reject_and_cancel_leave_one_result(b: &'static str) {
    let f = fixture(b).await;
    for _ in 0..5 {
        let po = f.s.create_po(&f.tech, &input(&f, 10, 100_000), true).await.unwrap();
        let (s1, s2, s3) = (f.s.clone(), f.s.clone(), f.s.clone());
        let (a1, a2, t1) = (f.approver.clone(), f.approver.clone(), f.tech.clone());
        let (r1, r2, r3) = tokio::join!(
            tokio::spawn(async move { s1.approve_po(&a1, po.id, po.version, None).await }),
            tokio::spawn(async move { s2.reject_po(&a2, po.id, po.version, "no").await }),
            tokio::spawn(async move { s3.cancel_po(&t1, po.id, Some("dup")).await }),
        );
        let results = [r1.unwrap().map(|p| p.status), r2.unwrap().map(|p| p.status), r3.unwrap().map(|p| p.status)];
        let final_po = f.s.get_po(po.id).await.unwrap();
        let events = f.s.po_timeline(po.id).await.unwrap();
        let decisive = events
            .iter()
            .filter(|e| matches!(e.kind.as_str(), "approved" | "rejected" | "cancelled"))
            .count();
        // Cancel may follow approve or reject; approve and reject never both.
        assert!(!(results[0].is_ok() && results[1].is_ok()), "{b}: {results:?}");
        assert_eq!(decisive, results.iter().filter(|r| r.is_ok()).count(), "{b}: one event per success");
        assert!(
            results.iter().filter_map(|r| r.as_ref().err()).all(|e| e.code == ErrorCode::Conflict),
            "{b}: {results:?}"
        );
        assert_eq!(final_po.version, 2 + decisive as i64, "{b}");
    }
}

crate::both_backends!(search_finds_any_substring_and_follows_edits);
async fn search_finds_any_substring_and_follows_edits(b: &'static str) {
    let f = fixture(b).await;
    let with_line = |text: &str| {
        let mut i = input(&f, 1, 100);
        i.lines[0].description = text.into();
        i
    };
    let serial = f.s.create_po(&f.tech, &with_line("Dock SN 4XK-77_Q"), false).await.unwrap();
    let promo = f.s.create_po(&f.tech, &with_line("Monitor at 50% off"), false).await.unwrap();
    for _ in 0..5 {
        f.s.create_po(&f.tech, &with_line("Dock stand"), false).await.unwrap();
    }
    let ids = |q: &str, cursor: Option<String>| {
        let s = f.s.clone();
        let q = q.to_string();
        async move {
            let page = s
                .list_pos(&PoFilter {
                    q: Some(q),
                    cursor,
                    limit: Some(3),
                    ..Default::default()
                })
                .await
                .unwrap();
            (page.items.iter().map(|i| i.id).collect::<Vec<_>>(), page.next_cursor)
        }
    };
    assert_eq!(ids("4xk-77_q", None).await.0, vec![serial.id], "{b}: case and '_' as written");
    assert_eq!(ids("4xk-77%q", None).await.0, Vec::<i64>::new(), "{b}: '%' is not a wildcard");
    assert_eq!(ids("50% OFF", None).await.0, vec![promo.id], "{b}");
    assert_eq!(ids("SN 4", None).await.0, vec![serial.id], "{b}: spaces belong to the text");
    assert_eq!(ids("4X", None).await.0, vec![serial.id], "{b}: under three characters, still found");
    assert_eq!(ids("stand dock", None).await.0, Vec::<i64>::new(), "{b}: the pieces must be in one run");
    // Newest first, page by page, each dock once.
    let (first, next) = ids("dock", None).await;
    let (second, last) = ids("dock", next).await;
    let all: Vec<i64> = [first, second].concat();
    assert_eq!((all.len(), last), (6, None), "{b}");
    assert!(all.windows(2).all(|w| w[0] > w[1]) && all.last() == Some(&serial.id), "{b}: {all:?}");
    // An edit replaces what the PO is found by.
    f.s.update_po(&f.tech, serial.id, serial.version, &with_line("Keyboard"), false).await.unwrap();
    assert_eq!(ids("4xk", None).await.0, Vec::<i64>::new(), "{b}: the old text is gone");
    assert_eq!(ids("keyboard", None).await.0, vec![serial.id], "{b}");
    assert_eq!(ids(&serial.number, None).await.0, vec![serial.id], "{b}: the number stays");
    let pasted = format!(" {} ", serial.number.to_lowercase());
    assert_eq!(ids(&pasted, None).await.0, vec![serial.id], "{b}: a whole number, pasted");
    let piece = &serial.number[..serial.number.len() - 1];
    let (found, more) = ids(piece, None).await;
    assert!(found.len() == 3 && more.is_some(), "{b}: a piece of a number is in every number: {found:?}");
}

crate::both_backends!(renaming_a_vendor_or_company_renames_what_its_pos_are_found_by);
async fn renaming_a_vendor_or_company_renames_what_its_pos_are_found_by(b: &'static str) {
    let f = fixture(b).await;
    let po = f.s.create_po(&f.tech, &input(&f, 1, 100), false).await.unwrap();
    let mut on_ticket = input(&f, 1, 100);
    on_ticket.company_id = None;
    on_ticket.ticket_id = Some(f.ticket);
    let ticketed = f.s.create_po(&f.tech, &on_ticket, false).await.unwrap();
    let found = |q: &str| {
        let (s, q) = (f.s.clone(), q.to_string());
        async move {
            let page = s
                .list_pos(&PoFilter {
                    q: Some(q),
                    ..Default::default()
                })
                .await
                .unwrap();
            page.items.iter().map(|i| i.id).collect::<Vec<_>>()
        }
    };
    let both = vec![ticketed.id, po.id];
    assert_eq!(found("harbor dental").await, both, "{b}");
    f.s.update_company(
        f.company,
        &CompanyInput {
            name: Some("Bayside Dental Group".into()),
            pax8_company_id: None,
        },
    )
    .await
    .unwrap();
    f.s.update_vendor(
        f.vendor,
        &VendorInput {
            name: Some("Ingram Micro".into()),
            distributor: None,
            qbo_vendor_id: None,
        },
        false,
    )
    .await
    .unwrap();
    assert_eq!(found("harbor").await, Vec::<i64>::new(), "{b}: the old name is gone");
    assert_eq!(found("bayside dental").await, both, "{b}");
    assert_eq!(found("ingram micro").await, both, "{b}");
    // The rest of the text is as it was.
    assert_eq!(found("laptop for new hire").await, vec![ticketed.id], "{b}: the ticket");
    assert_eq!(found(&po.number).await, vec![po.id], "{b}: the number");
    assert_eq!(found("latitude 5450").await, both, "{b}: the lines");
}

crate::both_backends!(kept_committed_totals_equal_the_sums_through_every_change);
async fn kept_committed_totals_equal_the_sums_through_every_change(b: &'static str) {
    let f = fixture(b).await;
    let mut on_project = input(&f, 3, 40_000);
    on_project.company_id = None;
    on_project.project_id = Some(f.project);
    let mut on_ticket = input(&f, 2, 30_000);
    on_ticket.company_id = None;
    on_ticket.ticket_id = Some(f.ticket);
    // Under the limit: approved at once; over it: waits for approval.
    let auto = f.s.create_po(&f.tech, &input(&f, 1, 20_000), true).await.unwrap();
    let project = f.s.create_po(&f.tech, &on_project, true).await.unwrap();
    let ticket = f.s.create_po(&f.tech, &on_ticket, true).await.unwrap();
    let rejected = f.s.create_po(&f.tech, &input(&f, 9, 10_000), true).await.unwrap();
    let draft = f.s.create_po(&f.tech, &input(&f, 5, 100), false).await.unwrap();
    f.s.approve_po(&f.approver, project.id, project.version, None).await.unwrap();
    f.s.approve_po(&f.approver, ticket.id, ticket.version, None).await.unwrap();
    f.s.reject_po(&f.approver, rejected.id, rejected.version, "too much").await.unwrap();
    let line = project.lines[0].id;
    f.s.receive_po(&f.approver, project.id, &[ReceiptLine { line_id: line, quantity: 1 }])
        .await
        .unwrap();
    f.s.cancel_po(&f.approver, auto.id, Some("not needed")).await.unwrap();
    f.s.update_po(&f.tech, draft.id, draft.version, &input(&f, 6, 100), true).await.unwrap();

    let kept = |filter: PoFilter| {
        let s = f.s.clone();
        async move { s.list_pos(&filter).await.unwrap().committed_cents }
    };
    let summed = |column: &'static str, id: i64| {
        let s = f.s.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) FROM purchase_orders WHERE {column} = $1 AND status IN ('approved', 'partially_received', 'received')"
            ))
            .bind(id)
            .fetch_one(s.pool())
            .await
            .unwrap()
        }
    };
    let company = kept(PoFilter {
        company_id: Some(f.company),
        ..Default::default()
    })
    .await;
    assert_eq!(company, summed("company_id", f.company).await, "{b}");
    assert_eq!(company, 60_000 + 600, "{b}: the ticket's PO and the draft approved on submit");
    let other = kept(PoFilter {
        company_id: Some(f.other_company),
        ..Default::default()
    })
    .await;
    assert_eq!((other, summed("company_id", f.other_company).await), (120_000, 120_000), "{b}");
    let vendor = kept(PoFilter {
        vendor_id: Some(f.vendor),
        ..Default::default()
    })
    .await;
    assert_eq!(vendor, summed("vendor_id", f.vendor).await, "{b}");
    assert_eq!(vendor, 180_600, "{b}");
    let t = kept(PoFilter {
        ticket_id: Some(f.ticket),
        ..Default::default()
    })
    .await;
    assert_eq!((t, summed("ticket_id", f.ticket).await), (60_000, 60_000), "{b}");
    let p = kept(PoFilter {
        project_id: Some(f.project),
        ..Default::default()
    })
    .await;
    assert_eq!((p, summed("project_id", f.project).await), (120_000, 120_000), "{b}");
    // The list read them from the kept totals, not from sums.
    for (scope, id, cents) in [
        ("company", f.company, company),
        ("vendor", f.vendor, vendor),
        ("ticket", f.ticket, t),
        ("project", f.project, p),
    ] {
        let table: i64 = sqlx::query_scalar("SELECT cents FROM committed_totals WHERE scope = $1 AND scope_id = $2")
            .bind(scope)
            .bind(id)
            .fetch_one(f.s.pool())
            .await
            .unwrap();
        assert_eq!(table, cents, "{b}: {scope}");
    }
    // Two filters at once are summed.
    let both = kept(PoFilter {
        company_id: Some(f.company),
        vendor_id: Some(f.vendor),
        ..Default::default()
    })
    .await;
    assert_eq!(both, company, "{b}");
}

crate::both_backends!(an_approver_cannot_decide_on_their_own_po_unless_allowed);
async fn an_approver_cannot_decide_on_their_own_po_unless_allowed(b: &'static str) {
    let f = fixture(b).await;
    let po = f.s.create_po(&f.approver, &input(&f, 10, 100_000), true).await.unwrap();
    assert_eq!(po.status, PoStatus::PendingApproval, "{b}");
    let e = f.s.approve_po(&f.approver, po.id, po.version, None).await.unwrap_err();
    assert_eq!((e.code, e.status()), (ErrorCode::SelfApproval, 403), "{b}: {e:?}");
    assert!(e.message.contains("someone else must approve"), "{b}: {}", e.message);
    let e = f.s.reject_po(&f.approver, po.id, po.version, "no").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SelfApproval, "{b}: {e:?}");
    assert_eq!(f.s.get_po(po.id).await.unwrap(), po, "{b}: nothing changed");
    let kinds: Vec<String> = f.s.po_timeline(po.id).await.unwrap().into_iter().map(|e| e.kind.as_str().to_string()).collect();
    assert_eq!(kinds, ["created", "submitted"], "{b}");

    // One-person teams: the setting allows it, and it is recorded.
    f.s.update_settings(&SettingsUpdate {
        allow_self_approval: Some(true),
        ..Default::default()
    })
    .await
    .unwrap();
    let approved = f.s.approve_po(&f.approver, po.id, po.version, None).await.unwrap();
    assert_eq!(approved.status, PoStatus::Approved, "{b}");
    assert!(approved.self_approved, "{b}");
    assert_eq!(approved.approval.unwrap().by.unwrap().id, Some(f.approver.id));
    let last = f.s.po_timeline(po.id).await.unwrap().pop().unwrap();
    assert_eq!((last.kind.as_str(), last.message.as_str()), ("approved", "Approved (self-approval)"), "{b}");
    assert_eq!(last.data["self_approval"], serde_json::json!(true), "{b}");

    // Someone else's approval is not a self-approval, setting or not.
    let other = f.s.create_po(&f.tech, &input(&f, 10, 100_000), true).await.unwrap();
    let approved = f.s.approve_po(&f.approver, other.id, other.version, None).await.unwrap();
    assert!(!approved.self_approved, "{b}");
    let last = f.s.po_timeline(other.id).await.unwrap().pop().unwrap();
    assert_eq!((last.message.as_str(), last.data.get("self_approval")), ("Approved", None), "{b}");
}

crate::both_backends!(a_stale_approve_or_reject_is_refused_and_changes_nothing);
async fn a_stale_approve_or_reject_is_refused_and_changes_nothing(b: &'static str) {
    let f = fixture(b).await;
    let seen = f.s.create_po(&f.tech, &input(&f, 10, 100_000), true).await.unwrap();
    // While the approver looks at it, it is rejected, edited and submitted again.
    let rejected = f.s.reject_po(&f.approver, seen.id, seen.version, "Fewer").await.unwrap();
    let now = f.s.update_po(&f.tech, seen.id, rejected.version, &input(&f, 8, 100_000), true).await.unwrap();
    assert_eq!(now.status, PoStatus::PendingApproval, "{b}");
    let events = f.s.po_timeline(seen.id).await.unwrap().len();

    let png = signature::sample_png(300, 100, true);
    let e = f.s.approve_po(&f.approver, seen.id, seen.version, Some(png)).await.unwrap_err();
    assert_eq!((e.code, e.status(), e.field.as_deref()), (ErrorCode::Stale, 409, Some("version")), "{b}: {e:?}");
    assert!(e.message.contains(&format!("version {} now", now.version)), "{b}: {}", e.message);
    let e = f.s.reject_po(&f.approver, seen.id, seen.version, "Too much").await.unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Stale, Some("version")), "{b}: {e:?}");
    assert_eq!(f.s.get_po(seen.id).await.unwrap(), now, "{b}: nothing changed");
    assert_eq!(f.s.po_timeline(seen.id).await.unwrap().len(), events, "{b}");
    assert!(f.s.po_signature(seen.id, false).await.unwrap().is_none(), "{b}: no signature stored");

    // At the version now shown, it goes through.
    let approved = f.s.approve_po(&f.approver, seen.id, now.version, None).await.unwrap();
    assert_eq!((approved.status, approved.version), (PoStatus::Approved, now.version + 1), "{b}");
}
