//! Reading a PO: the PO with its lines (and the catalog now beside what
//! was approved), its timeline and its signatures.

use super::rows::{po_by_id_sql, EventRow, PoRow, EVENT_COLUMNS};
use super::snapshot::catalog_changes;
use super::*;
use crate::{Error, Result, Store};

/// Whether a PO (with a snapshot) is compared with the catalog now: while
/// it waits for approval or is committed, until its dispatch is over.
pub(super) fn shows_catalog_changes(status: PoStatus, dispatch: Option<DispatchStatus>) -> bool {
    (status == PoStatus::PendingApproval || status.is_committed()) && !dispatch.is_some_and(DispatchStatus::is_over)
}

/// [`shows_catalog_changes`] as SQL of the PO `p`, for the query's join.
pub(super) fn shows_catalog_changes_sql() -> String {
    format!(
        "p.snapshot IS NOT NULL AND p.status IN ({}) AND (p.procurement_status IS NULL OR p.procurement_status NOT IN ({}))",
        PoStatus::sql_list(|s| shows_catalog_changes(s, None)),
        DispatchStatus::sql_list(DispatchStatus::is_over)
    )
}

impl Store {
    pub async fn get_po(&self, id: i64) -> Result<PurchaseOrder> {
        // The PO, its lines and their catalog products now in one query.
        let row: PoRow = sqlx::query_as(po_by_id_sql(self.backend()))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The purchase order"))?;
        let company = row.company_pax8_id.clone();
        let (mut po, live) = row.into_model()?;
        // The catalog now, beside what was approved, until it is sent (the
        // query joined the products only then).
        if let (Some(snapshot), true) = (&po.snapshot, shows_catalog_changes(po.status, po.procurement_status)) {
            po.catalog_changes = catalog_changes(snapshot, company.as_deref(), |line| live.get(&line).cloned());
        }
        Ok(po)
    }

    pub async fn po_timeline(&self, id: i64) -> Result<Vec<TimelineEvent>> {
        let events: Vec<TimelineEvent> = sqlx::query_as::<_, EventRow>(&format!("SELECT {EVENT_COLUMNS} FROM po_events WHERE po_id = $1 ORDER BY id"))
            .bind(id)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(EventRow::into_model)
            .collect::<Result<_>>()?;
        // Every PO has its `created` entry: only an empty timeline asks
        // whether the PO is there at all.
        if events.is_empty() {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM purchase_orders WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            exists.ok_or_else(|| Error::not_found("The purchase order"))?;
        }
        Ok(events)
    }

    /// The PNG of the PO's current approval signature (`first`: of the
    /// first of two approvals).
    pub async fn po_signature(&self, id: i64, first: bool) -> Result<Option<Vec<u8>>> {
        let column = if first { "first_signature_id" } else { "signature_id" };
        Ok(sqlx::query_scalar(&format!(
            "SELECT s.png FROM purchase_orders p JOIN po_signatures s ON s.id = p.{column} WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The change orders that change subscription `subscription_id`, oldest first.
    pub async fn change_orders_of(&self, subscription_id: i64) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT po_id FROM po_lines WHERE change_subscription_id = $1 ORDER BY po_id")
                .bind(subscription_id)
                .fetch_all(self.pool())
                .await?,
        )
    }
}
