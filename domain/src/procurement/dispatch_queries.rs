//! Reading dispatches: one with its subscriptions and latest remediation
//! entry, and the procurement queue.

use super::rows::{DispatchRow, RemediationRow, SubscriptionRow, DISPATCH_COLUMNS, REMEDIATION_COLUMNS, SUBSCRIPTION_COLUMNS};
use super::*;
use crate::purchase_orders::snapshot::Snapshot;
use crate::store::from_json;
use crate::{Error, Result, Store};
use sqlx::Row;

impl Store {
    pub async fn get_dispatch(&self, po_id: i64) -> Result<Dispatch> {
        let d = sqlx::query_as::<_, DispatchRow>(&format!("SELECT {DISPATCH_COLUMNS} FROM dispatches WHERE po_id = $1"))
            .bind(po_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("A dispatch of this purchase order"))?;
        let subscriptions = sqlx::query_as::<_, SubscriptionRow>(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM dispatch_subscriptions WHERE dispatch_id = $1 ORDER BY id"
        ))
        .bind(d.id)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(SubscriptionRow::into_model)
        .collect();
        let remediation = sqlx::query_as::<_, RemediationRow>(&format!(
            "SELECT {REMEDIATION_COLUMNS} FROM remediations WHERE dispatch_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(d.id)
        .fetch_optional(self.pool())
        .await?
        .map(RemediationRow::into_model)
        .transpose()?;
        d.into_model(subscriptions, remediation)
    }

    /// The queue: approved POs of distributor vendors, with their dispatch state.
    pub async fn procurement_queue(&self, state: Option<DispatchStatus>) -> Result<Vec<QueueItem>> {
        let rows = sqlx::query(&format!(
            "SELECT p.id, p.number, c.name AS company, v.name AS vendor, v.distributor, COALESCE(d.status, 'ready') AS status, p.snapshot, c.pax8_company_id,
                    (SELECT MAX(r.id) FROM remediations r WHERE r.dispatch_id = d.id AND r.status = '{open}') AS remediation_id,
                    COALESCE(d.updated_at, p.updated_at) AS updated_at
             FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id
             LEFT JOIN dispatches d ON d.po_id = p.id
             WHERE v.distributor IS NOT NULL AND p.status IN ({})
               AND ($1 = '' OR COALESCE(d.status, 'ready') = $1)
             ORDER BY p.id DESC LIMIT 500",
            crate::purchase_orders::PoStatus::committed_sql(),
            open = RemediationStatus::Open.as_str(),
        ))
        .bind(state.map(|s| s.as_str()).unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        let mut unsent = Vec::new();
        for r in rows {
            let status = DispatchStatus::from_stored(&r.try_get::<String, _>("status")?)?;
            let snapshot: Option<String> = r.try_get("snapshot")?;
            if let (Some(j), true) = (
                snapshot,
                matches!(status, DispatchStatus::Ready | DispatchStatus::Failed | DispatchStatus::Queued),
            ) {
                unsent.push((r.try_get("id")?, from_json::<Snapshot>(&j, "PO snapshot")?, r.try_get("pax8_company_id")?));
            }
            out.push(QueueItem {
                po_id: r.try_get("id")?,
                po_number: r.try_get("number")?,
                company: r.try_get("company")?,
                vendor: r.try_get("vendor")?,
                distributor: r.try_get("distributor")?,
                dispatch_status: status,
                remediation_id: r.try_get("remediation_id")?,
                updated_at: r.try_get("updated_at")?,
                catalog_changed: false,
            });
        }
        let changed = self.with_catalog_changes(&unsent).await?;
        for item in out.iter_mut() {
            item.catalog_changed = changed.contains(&item.po_id);
        }
        Ok(out)
    }
}
