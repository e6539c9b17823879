//! Reading a PO: the PO with its lines (and the catalog now beside what
//! was approved), its timeline and its signatures.

use super::rows::{po_by_id_sql, EventRow, PoRow, EVENT_COLUMNS};
use super::snapshot::catalog_changes;
use super::*;
use crate::{Error, Result, Store};

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
        // The catalog now, beside what was approved, until it is sent.
        use DispatchStatus::*;
        let unsent = !matches!(po.procurement_status, Some(Provisioned | NotProvisionable | Abandoned));
        if let (Some(snapshot), true) = (&po.snapshot, unsent && (po.status == PoStatus::PendingApproval || po.status.is_committed())) {
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
}
