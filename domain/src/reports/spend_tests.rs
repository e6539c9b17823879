//! The spend report on SQLite and PostgreSQL: its totals equal the sum of
//! the POs they cover, by month, company and vendor, across approvals,
//! receipts, cancellations and edits; and they agree with the list's
//! committed totals.

use super::*;
use crate::fixtures::purchase_orders::{fixture, input};
use crate::purchase_orders::writes::{stage, Sets};
use crate::purchase_orders::{PoFilter, PoStatus, ReceiptLine};
use crate::Store;

fn this_month() -> String {
    chrono::Utc::now().format("%Y-%m").to_string()
}

async fn report(s: &Store, group_by: &str, company: Option<i64>, vendor: Option<i64>) -> SpendReport {
    let m = this_month();
    s.spend(&spend_query(None, None, group_by, company, vendor, &m).unwrap()).await.unwrap()
}

/// Committed cents of every PO in a committed status, summed from the POs themselves.
async fn committed_by_hand(s: &Store, company: Option<i64>) -> i64 {
    let page = s
        .list_pos(&PoFilter {
            company_id: company,
            limit: Some(200),
            ..Default::default()
        })
        .await
        .unwrap();
    page.items.iter().filter(|p| p.status.is_committed()).map(|p| p.total_cents).sum()
}

crate::both_backends!(spend_totals_equal_the_pos_they_cover);
async fn spend_totals_equal_the_pos_they_cover(b: &'static str) {
    let f = fixture(b).await;
    let m = this_month();
    // Approved at once (under $500): $300 and $450, one per company.
    let a = f.s.create_po(&f.tech, &input(&f, 3, 10_000), true).await.unwrap();
    let mut other = input(&f, 1, 45_000);
    other.company_id = Some(f.other_company);
    let o = f.s.create_po(&f.tech, &other, true).await.unwrap();
    // Over the limit, approved by the approver: $800.
    let big = f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    let big = f.s.approve_po(&f.approver, big.id, big.version, None).await.unwrap();
    // Waiting, draft and rejected ones count for nothing.
    f.s.create_po(&f.tech, &input(&f, 5, 40_000), true).await.unwrap();
    f.s.create_po(&f.tech, &input(&f, 1, 100), false).await.unwrap();
    let rej = f.s.create_po(&f.tech, &input(&f, 6, 40_000), true).await.unwrap();
    f.s.reject_po(&f.approver, rej.id, rej.version, "no").await.unwrap();

    let r = report(&f.s, "month", None, None).await;
    assert_eq!(r.rows.len(), 12, "twelve months, the empty ones as zeros");
    let now = r.rows.iter().find(|x| x.month.as_deref() == Some(m.as_str())).unwrap();
    assert_eq!((now.committed_cents, now.po_count), (30_000 + 45_000 + 80_000, 3));
    assert_eq!(r.total_cents, committed_by_hand(&f.s, None).await);

    // Receipts count in their month, at the line's cost.
    let line = big.lines[0].id;
    let buyer =
        f.s.create_user(crate::testing::new_user("buyer@x.test", crate::users::Role::Purchaser))
            .await
            .unwrap();
    f.s.receive_po(&buyer, big.id, &[ReceiptLine { line_id: line, quantity: 1 }]).await.unwrap();
    let r = report(&f.s, "month", None, None).await;
    assert_eq!(r.received_cents, 40_000);
    assert_eq!(r.total_cents, 155_000, "a receipt does not change what is committed");

    // A cancelled approved PO leaves the committed spend.
    f.s.cancel_po(&f.tech, a.id, Some("not needed")).await.unwrap();
    let r = report(&f.s, "company", None, None).await;
    let harbor = r.rows.iter().find(|x| x.key == Some(f.company)).unwrap();
    assert_eq!(harbor.label.as_deref(), Some("Harbor Dental"));
    assert_eq!((harbor.committed_cents, harbor.po_count), (80_000, 1));
    assert_eq!(harbor.committed_cents, committed_by_hand(&f.s, Some(f.company)).await);
    let northwind = r.rows.iter().find(|x| x.key == Some(f.other_company)).unwrap();
    assert_eq!(northwind.committed_cents, 45_000);
    // The list's committed total for the company says the same.
    let listed =
        f.s.list_pos(&PoFilter {
            company_id: Some(f.company),
            ..Default::default()
        })
        .await
        .unwrap()
        .committed_cents;
    assert_eq!(listed, harbor.committed_cents);

    // An edit after approval withdraws it: out of the spend until approved again.
    let edited =
        f.s.update_po(
            &f.tech,
            o.id,
            o.version,
            &{
                let mut i = other.clone();
                i.lines[0].quantity = 2;
                i
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!(edited.status, PoStatus::Draft);
    let r = report(&f.s, "vendor", None, None).await;
    assert_eq!(r.total_cents, 80_000);
    assert_eq!(r.rows[0].label.as_deref(), Some("CDW"));

    // Grouped by month and company, filtered by a company and a vendor.
    let r = report(&f.s, "month_company", Some(f.company), Some(f.vendor)).await;
    assert!(r.rows.iter().all(|x| x.key == Some(f.company) && x.month.is_some()));
    assert_eq!(r.total_cents, 80_000);
    // An approval moved to an earlier month moves its spend there.
    let last = add_months(&m, -1);
    stage(&f.s, Some(big.id), Sets::new().set("approved_at", format!("{last}-15T10:00:00.000000Z"))).await;
    let r = report(&f.s, "month", None, None).await;
    let before = r.rows.iter().find(|x| x.month.as_deref() == Some(last.as_str())).unwrap();
    assert_eq!(before.committed_cents, 80_000);
    assert_eq!(r.total_cents, committed_by_hand(&f.s, None).await);

    // The roll-ups (month and vendor, month and company) say what
    // spend_months says, after every change above.
    let pool = f.s.pool();
    for key in ["vendor_id", "company_id"] {
        let table = format!("spend_{}_months", key.trim_end_matches("_id"));
        let sums = |sql: String| async move { sqlx::query_as::<_, (String, i64, i64, i64, i64)>(&sql).fetch_all(pool).await.unwrap() };
        let rolled = sums(format!(
            "SELECT month, {key}, committed_cents, po_count, received_cents FROM {table} ORDER BY month, {key}"
        ))
        .await;
        let source = sums(format!(
            "SELECT month, {key}, CAST(SUM(committed_cents) AS BIGINT), CAST(SUM(po_count) AS BIGINT), CAST(SUM(received_cents) AS BIGINT)
             FROM spend_months GROUP BY month, {key} ORDER BY month, {key}"
        ))
        .await;
        assert!(rolled.len() >= 2, "{table}: {rolled:?}");
        assert_eq!(rolled, source, "{table}");
    }
    // One company's spend by vendor reads the full table; the whole report by
    // vendor reads a roll-up; where they overlap they agree.
    let one = report(&f.s, "vendor", Some(f.company), None).await;
    assert_eq!(one.total_cents, committed_by_hand(&f.s, Some(f.company)).await);
    let all = report(&f.s, "vendor", None, None).await;
    assert_eq!(all.total_cents, committed_by_hand(&f.s, None).await);
}
