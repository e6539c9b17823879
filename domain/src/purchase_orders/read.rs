//! Reading a PO: the PO with its lines (and the catalog now beside what
//! was approved), its timeline and its signatures.

use super::rows::{EventRow, PoRow, EVENT_COLUMNS, LINE_FIELDS, PO_FROM, PO_SELECT};
use super::*;
use crate::store::json_rows_sql;
use crate::{Error, Result, Store};

impl Store {
    pub async fn get_po(&self, id: i64) -> Result<PurchaseOrder> {
        // The PO and its lines (as one JSON array) in one query.
        let lines = json_rows_sql(self.backend(), &LINE_FIELDS, "po_lines x WHERE x.po_id = p.id", "x.line_no");
        let row: PoRow = sqlx::query_as(&format!("{PO_SELECT}, ({lines}) AS lines_json {PO_FROM} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The purchase order"))?;
        let company = row.company_pax8_id.clone();
        let mut po = row.into_model()?;
        // The catalog now, beside what was approved, until it is sent.
        use DispatchStatus::*;
        let unsent = !matches!(po.procurement_status, Some(Provisioned | NotProvisionable | Abandoned));
        if let (Some(snapshot), true) = (&po.snapshot, unsent && (po.status == PoStatus::PendingApproval || po.status.is_committed())) {
            po.catalog_changes = self.catalog_changes(id, snapshot, company.as_deref()).await?;
        }
        Ok(po)
    }

    pub async fn po_timeline(&self, id: i64) -> Result<Vec<TimelineEvent>> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM purchase_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        exists.ok_or_else(|| Error::not_found("The purchase order"))?;
        sqlx::query_as::<_, EventRow>(&format!("SELECT {EVENT_COLUMNS} FROM po_events WHERE po_id = $1 ORDER BY id"))
            .bind(id)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(EventRow::into_model)
            .collect()
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
