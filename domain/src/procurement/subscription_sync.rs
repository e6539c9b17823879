//! A company's subscriptions read from the distributor: those the product
//! did not make are imported (linked to the catalog product whose
//! distributor id matches), status, terms and commitment end brought up to
//! date, and drift flagged where the distributor's seats are not ours.
//! Nothing is changed at the distributor.

use super::distributor::Distributor;
use crate::catalog::Distributor as DistributorKind;
use crate::subscriptions::SyncOutcome;
use crate::{Error, ErrorCode, Result, Store};
use std::collections::HashMap;

impl Store {
    /// Syncs company `company_id`'s subscriptions with Pax8 (every page).
    pub async fn sync_subscriptions(&self, pax8: &dyn Distributor, company_id: i64) -> Result<SyncOutcome> {
        let company = self.get_company(company_id).await?;
        let Some(remote) = company.pax8_company_id.filter(|c| !c.trim().is_empty()) else {
            return Err(Error::validation(
                "company_id",
                format!("{} is not linked to a Pax8 company: set its Pax8 company id first.", company.name),
            ));
        };
        let vendor: Option<i64> = sqlx::query_scalar("SELECT id FROM vendors WHERE distributor = $1 ORDER BY id LIMIT 1")
            .bind(DistributorKind::Pax8.as_str())
            .fetch_optional(self.pool())
            .await?;
        let vendor = vendor.ok_or_else(|| Error::new(ErrorCode::Conflict, "No vendor is set up as the Pax8 distributor: add one in Vendors first."))?;
        let found = pax8
            .company_subscriptions(&remote)
            .await
            .map_err(|e| Error::new(ErrorCode::Upstream, format!("{} could not be asked: {e}", pax8.name())))?;
        let products: HashMap<String, i64> =
            sqlx::query_as::<_, (i64, String)>("SELECT id, distributor_product_id FROM products WHERE vendor_id = $1 AND distributor_product_id IS NOT NULL")
                .bind(vendor)
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .map(|(id, remote)| (remote, id))
                .collect();
        let mut out = SyncOutcome::default();
        let mut tx = self.begin_write().await?;
        for s in &found {
            let applied = crate::subscriptions::apply_reading(&mut tx, company_id, vendor, products.get(&s.product_id).copied(), s).await?;
            out.imported += u64::from(applied.imported);
            out.updated += u64::from(applied.updated);
            out.drifted += u64::from(applied.drifted);
        }
        tx.commit().await?;
        tracing::info!(
            company = company_id,
            read = found.len(),
            imported = out.imported,
            updated = out.updated,
            drifted = out.drifted,
            "subscriptions synced"
        );
        Ok(out)
    }
}

impl Store {
    /// Syncs every company linked to Pax8 (the worker's daily run). A
    /// company whose sync fails is logged and left for the next run; the
    /// others go on. A sync only reads Pax8 and writes what it read, so
    /// two instances running it at once cost calls, not correctness.
    pub async fn sync_all_subscriptions(&self, pax8: &dyn Distributor) -> Result<SyncOutcome> {
        let companies: Vec<i64> = sqlx::query_scalar("SELECT id FROM companies WHERE pax8_company_id IS NOT NULL AND pax8_company_id <> '' ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let mut all = SyncOutcome::default();
        for id in companies {
            match self.sync_subscriptions(pax8, id).await {
                Ok(o) => {
                    all.imported += o.imported;
                    all.updated += o.updated;
                    all.drifted += o.drifted;
                }
                Err(e) => tracing::warn!(company = id, "subscription sync failed: {}", e.message),
            }
        }
        Ok(all)
    }
}
