//! Back-dating for the demo's history: each step of a demo PO runs through
//! the real services now, then everything that step wrote about the PO is
//! given the step's time in the past. A step's rows are the ones whose time
//! is at or after the moment the step began (times are fixed-width RFC 3339
//! text, so they compare as text in both databases). The spend triggers
//! move a PO's committed and received sums to their new months.

use crate::{Result, Store};

/// Time columns per table, and how a row of that table belongs to a PO
/// (`$3` is the PO's id). Scheduling columns (`next_run_at`,
/// `next_attempt_at`, leases) are left alone: they say when work is due.
const TABLES: &[(&str, &str, &[&str])] = &[
    (
        "purchase_orders",
        "id = $3",
        &[
            "created_at",
            "updated_at",
            "approved_at",
            "first_approved_at",
            "rejected_at",
            "cancelled_at",
            "qbo_pushed_at",
        ],
    ),
    ("po_events", "po_id = $3", &["at"]),
    ("po_signatures", "po_id = $3", &["signed_at"]),
    ("po_receipts", "po_id = $3", &["at"]),
    ("dispatches", "po_id = $3", &["created_at", "updated_at", "intent_at", "submitted_at"]),
    (
        "dispatch_subscriptions",
        "dispatch_id IN (SELECT id FROM dispatches WHERE po_id = $3)",
        &["updated_at"],
    ),
    ("remediations", "po_id = $3", &["opened_at", "resolved_at"]),
    (
        "contract_lines",
        "id IN (SELECT contract_line_id FROM po_lines WHERE po_id = $3)",
        &["activated_at"],
    ),
    ("subscriptions", "po_id = $3", &["created_at", "updated_at", "synced_at"]),
    ("subscription_changes", "po_id = $3", &["at"]),
    ("notifications", "po_id = $3", &["at"]),
    (
        "deliveries",
        "notification_id IN (SELECT id FROM notifications WHERE po_id = $3)",
        &["created_at", "updated_at"],
    ),
];

impl Store {
    /// Gives every time of PO `po_id` at or after `since` the value `at`.
    pub(super) async fn stamp(&self, po_id: i64, since: &str, at: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (table, belongs, columns) in TABLES {
            let set: Vec<String> = columns.iter().map(|c| format!("{c} = CASE WHEN {c} >= $1 THEN $2 ELSE {c} END")).collect();
            sqlx::query(&format!("UPDATE {table} SET {} WHERE {belongs}", set.join(", ")))
                .bind(since)
                .bind(at)
                .bind(po_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
