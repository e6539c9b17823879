//! The list and the CSV export select the same POs for the same filter.

use super::*;
use crate::fixtures::purchase_orders::{fixture, input, Fixture};
use chrono::Datelike;

/// The PO numbers the list gives for `f`, every page.
async fn listed(w: &Fixture, f: &PoFilter) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            w.s.list_pos(&PoFilter {
                cursor: cursor.clone(),
                limit: Some(200),
                ..f.clone()
            })
            .await
            .unwrap();
        out.extend(page.items.into_iter().map(|p| p.number));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// The PO numbers of the export of `f`, every batch (small batches, so
/// that the cursor is walked too).
async fn exported(w: &Fixture, f: &PoFilter) -> Vec<String> {
    let q = ExportQuery {
        filter: f.clone(),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let (csv, next) = w.s.export_batch(&q, before, 3).await.unwrap();
        out.extend(csv.lines().map(|l| l.split(',').next().unwrap().to_string()));
        match next {
            Some(id) => before = Some(id),
            None => return out,
        }
    }
}

/// Raises a PO numbered `seq` this year (the counter moved on to it).
async fn raise_numbered(w: &Fixture, seq: i64, company: i64) {
    let year = chrono::Utc::now().year() as i64;
    sqlx::query("INSERT INTO po_counters (year, last) VALUES ($1, $2) ON CONFLICT (year) DO UPDATE SET last = $2")
        .bind(year)
        .bind(seq - 1)
        .execute(w.s.pool())
        .await
        .unwrap();
    let mut i = input(w, 1, 10_000 + seq);
    i.company_id = Some(company);
    let po = w.s.create_po(&w.tech, &i, seq % 2 == 0).await.unwrap();
    assert_eq!(po.number, rules::format_number(year as i32, seq));
}

crate::both_backends!(list_and_export_select_the_same_pos);
async fn list_and_export_select_the_same_pos(b: &'static str) {
    let w = fixture(b).await;
    for seq in [1, 10, 100, 999, 1000, 1001, 1009, 1010] {
        let company = if seq % 3 == 0 { w.other_company } else { w.company };
        raise_numbered(&w, seq, company).await;
    }
    let year = chrono::Utc::now().year();
    let whole = rules::format_number(year, 100);
    let filters = [
        PoFilter::default(),
        // A whole PO number is that PO, not every number it begins.
        PoFilter {
            q: Some(whole.clone()),
            ..Default::default()
        },
        PoFilter {
            q: Some(format!("  {}  ", whole.to_lowercase())),
            ..Default::default()
        },
        // A piece of a number is a text search: every PO holding it.
        PoFilter {
            q: Some(format!("{year}-100")),
            ..Default::default()
        },
        PoFilter {
            q: Some("latitude".into()),
            company_id: Some(w.other_company),
            ..Default::default()
        },
        PoFilter {
            status: Some(PoStatus::Approved),
            company_id: Some(w.company),
            vendor_id: Some(w.vendor),
            ..Default::default()
        },
    ];
    for f in &filters {
        let (list, export) = (listed(&w, f).await, exported(&w, f).await);
        assert_eq!(list, export, "{b}: {f:?}");
        assert!(!list.is_empty(), "{b}: {f:?} selects something");
    }
    assert_eq!(listed(&w, &filters[1]).await, vec![whole.clone()], "{b}");
    assert_eq!(exported(&w, &filters[1]).await, vec![whole], "{b}: not {year}-1000 to 1009");
    assert_eq!(listed(&w, &filters[3]).await.len(), 4, "{b}: 100 and 1000, 1001, 1009");
}

crate::both_backends!(the_committed_total_is_of_the_filtered_scope);
async fn the_committed_total_is_of_the_filtered_scope(b: &'static str) {
    let w = fixture(b).await;
    // Approved at once (under the $500 limit): committed; a draft is not.
    let approved = w.s.create_po(&w.tech, &input(&w, 2, 10_000), true).await.unwrap();
    w.s.create_po(&w.tech, &input(&w, 3, 10_000), false).await.unwrap();
    assert_eq!(approved.status, PoStatus::Approved);
    let page =
        w.s.list_pos(&PoFilter {
            company_id: Some(w.company),
            vendor_id: Some(w.vendor),
            // A search narrows the page, not the committed total of the scope.
            q: Some("no such thing".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.committed_cents), (0, 20_000), "{b}");
}
