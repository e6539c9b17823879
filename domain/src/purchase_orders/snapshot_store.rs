//! The snapshot of what a PO orders, in the store: taken at submission
//! (inside the submit's transaction) and compared with the catalog now.

use super::snapshot::{catalog_changes, ChangeSnapshot, LineSnapshot, LiveProduct, OwnTerms, Snapshot};
use super::ProvisioningDetail;
use crate::store::from_json;
use crate::store::Tx;
use crate::{clock, Error, Result, Store};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

/// A PO line (`l`) beside its catalog product as it is now (`pr`), as
/// [`own_terms`] and [`live_product`] read it.
const LINE_WITH_PRODUCT: &str = "l.id, l.line_no, l.description, l.quantity, l.unit_cost_cents, l.product_id, l.billing_term, l.commitment_term_id,
        l.provisioning_details, l.catalog_unit_cost_cents AS line_catalog_cents, pr.id AS live_id, pr.name AS product_name, pr.sku,
        pr.distributor_product_id, pr.billing_term AS product_term, pr.commitment_term_id AS product_commitment, pr.unit_cost_cents AS catalog_cents";

/// A change line's change (`l`) and its subscription as last read (`sub`).
const CHANGE_OF_LINE: &str = "l.change_subscription_id, l.change_from_quantity, l.change_to_quantity, l.change_cancel_date,
        sub.distributor_subscription_id AS sub_distributor_id, sub.distributor_product_id AS sub_product_id, sub.product_name AS sub_product_name,
        sub.distributor_updated_at AS sub_updated_at, sub.commitment_end AS sub_commitment_end";

/// The change of a row of [`CHANGE_OF_LINE`]; `None` for a line that
/// orders a product. A change without its subscription did not read back.
fn change_of(r: &AnyRow) -> Result<Option<ChangeSnapshot>> {
    let Some(subscription_id) = r.try_get::<Option<i64>, _>("change_subscription_id")? else {
        return Ok(None);
    };
    let missing = |what| Error::internal_from("reading a change line", what);
    Ok(Some(ChangeSnapshot {
        subscription_id,
        distributor_subscription_id: r
            .try_get::<Option<String>, _>("sub_distributor_id")?
            .ok_or_else(|| missing("a change of no subscription"))?,
        distributor_product_id: r.try_get("sub_product_id")?,
        product_name: r.try_get::<Option<String>, _>("sub_product_name")?.unwrap_or_default(),
        from_quantity: r
            .try_get::<Option<i64>, _>("change_from_quantity")?
            .ok_or_else(|| missing("a change without its seats"))?,
        to_quantity: r.try_get("change_to_quantity")?,
        cancel_date: r.try_get("change_cancel_date")?,
        distributor_updated_at: r.try_get("sub_updated_at")?,
        commitment_end: r.try_get("sub_commitment_end")?,
    }))
}

fn own_terms(r: &AnyRow) -> Result<OwnTerms> {
    Ok(OwnTerms {
        billing_term: r.try_get("billing_term")?,
        commitment_term_id: r.try_get("commitment_term_id")?,
    })
}

fn live_product(r: &AnyRow) -> Result<Option<LiveProduct>> {
    Ok(match r.try_get::<Option<i64>, _>("live_id")? {
        Some(_) => Some(LiveProduct {
            name: r.try_get("product_name")?,
            sku: r.try_get("sku")?,
            distributor_product_id: r.try_get("distributor_product_id")?,
            billing_term: r.try_get("product_term")?,
            commitment_term_id: r.try_get("product_commitment")?,
            unit_cost_cents: r.try_get("catalog_cents")?,
        }),
        None => None,
    })
}

/// Per PO line (by id), its own terms and its catalog product now, from
/// rows of [`LINES_WITH_PRODUCTS`].
fn live_by_line(rows: &[AnyRow]) -> Result<HashMap<i64, (OwnTerms, Option<LiveProduct>)>> {
    rows.iter()
        .map(|r| Ok((r.try_get::<i64, _>("id")?, (own_terms(r)?, live_product(r)?))))
        .collect()
}

impl Store {
    /// What PO `po_id` orders now: its lines with their catalog products
    /// and the company's Pax8 id, and how many lines are priced off the
    /// catalog (a price override), in one read inside `tx` (the PO locked).
    pub(crate) async fn take_snapshot(tx: &mut Tx, po_id: i64) -> Result<(Snapshot, i64)> {
        // From the PO, so that a PO without lines still gives its company.
        let rows = sqlx::query(&format!(
            "SELECT c.pax8_company_id AS company, {LINE_WITH_PRODUCT}, {CHANGE_OF_LINE}
             FROM purchase_orders p JOIN companies c ON c.id = p.company_id
             LEFT JOIN po_lines l ON l.po_id = p.id LEFT JOIN products pr ON pr.id = l.product_id
             LEFT JOIN subscriptions sub ON sub.id = l.change_subscription_id
             WHERE p.id = $1 ORDER BY l.line_no"
        ))
        .bind(po_id)
        .fetch_all(&mut **tx)
        .await?;
        let company: Option<String> = rows.first().ok_or_else(|| Error::not_found("The purchase order"))?.try_get("company")?;
        let mut lines = Vec::with_capacity(rows.len());
        let mut overrides = 0;
        for r in &rows {
            let Some(po_line_id) = r.try_get::<Option<i64>, _>("id")? else { continue };
            let own = own_terms(r)?;
            let product = live_product(r)?;
            let p = product.as_ref();
            let unit_cost_cents: i64 = r.try_get("unit_cost_cents")?;
            if r.try_get::<Option<i64>, _>("line_catalog_cents")?.is_some_and(|c| c != unit_cost_cents) {
                overrides += 1;
            }
            lines.push(LineSnapshot {
                po_line_id,
                line_no: r.try_get("line_no")?,
                description: r.try_get("description")?,
                quantity: r.try_get("quantity")?,
                unit_cost_cents,
                product_id: r.try_get("product_id")?,
                product_name: p.map(|p| p.name.clone()),
                sku: p.map(|p| p.sku.clone()),
                distributor_product_id: p.and_then(|p| p.distributor_product_id.clone()),
                billing_term: own.billing_term.or_else(|| p.and_then(|p| p.billing_term.clone())),
                commitment_term_id: own.commitment_term_id.or_else(|| p.and_then(|p| p.commitment_term_id.clone())),
                provisioning_details: from_json::<Vec<ProvisioningDetail>>(&r.try_get::<String, _>("provisioning_details")?, "provisioning details")?,
                catalog_unit_cost_cents: p.map(|p| p.unit_cost_cents),
                change: change_of(r)?,
            });
        }
        let snapshot = Snapshot {
            taken_at: clock::now(),
            pax8_company_id: company,
            lines,
        };
        Ok((snapshot, overrides))
    }

    /// `snapshot` as it is stored on the PO (JSON).
    pub(crate) fn snapshot_json(snapshot: &Snapshot) -> Result<String> {
        serde_json::to_string(snapshot).map_err(|e| Error::internal_from("writing a PO snapshot", e))
    }

    /// Stores `snapshot` as what PO `po_id` orders.
    pub(crate) async fn keep_snapshot(tx: &mut Tx, po_id: i64, snapshot: &Snapshot) -> Result<()> {
        sqlx::query("UPDATE purchase_orders SET snapshot = $1 WHERE id = $2")
            .bind(Self::snapshot_json(snapshot)?)
            .bind(po_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// For the queue: which of these POs (id, snapshot, company's Pax8 id
    /// now) have catalog changes, in one read of their lines.
    pub(crate) async fn with_catalog_changes(&self, pos: &[(i64, Snapshot, Option<String>)]) -> Result<Vec<i64>> {
        if pos.is_empty() {
            return Ok(vec![]);
        }
        let ids = pos.iter().map(|p| p.0.to_string()).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {LINE_WITH_PRODUCT} FROM po_lines l LEFT JOIN products pr ON pr.id = l.product_id WHERE l.po_id IN ({ids})");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        let live = live_by_line(&rows)?;
        Ok(pos
            .iter()
            .filter(|(_, s, company)| !catalog_changes(s, company.as_deref(), |line| live.get(&line).cloned()).is_empty())
            .map(|p| p.0)
            .collect())
    }
}
