//! Vendors and their catalog products in the store.

use super::rows::{ProductRow, VendorRow, PRODUCT_COLS, VENDOR_COLS};
use super::store::*;
use super::Renamed;
use super::*;
use crate::store::like_pattern;
use crate::{clock, Error, Store};

impl Store {
    // ---- vendors -----------------------------------------------------------

    pub async fn list_vendors(&self) -> Result<Vec<Vendor>> {
        let rows = sqlx::query_as::<_, VendorRow>(&format!("SELECT {VENDOR_COLS} FROM vendors ORDER BY lower(name), id"))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(VendorRow::into_model).collect()
    }

    pub async fn get_vendor(&self, id: i64) -> Result<Vendor> {
        let r = sqlx::query_as::<_, VendorRow>(&format!("SELECT {VENDOR_COLS} FROM vendors WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        r.ok_or_else(|| Error::not_found("The vendor"))?.into_model()
    }

    pub async fn create_vendor(&self, input: &VendorInput) -> Result<Vendor> {
        let i = input.validated(false)?;
        let _turn = self.write_turn().await?;
        let r = sqlx::query_as::<_, VendorRow>(&format!(
            "INSERT INTO vendors (name, distributor, qbo_vendor_id, created_at) VALUES ($1, $2, $3, $4) RETURNING {VENDOR_COLS}"
        ))
        .bind(i.name)
        .bind(i.distributor.map(|d| d.as_str()))
        .bind(i.qbo_vendor_id.filter(|s| !s.is_empty()))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(duplicate("name", "A vendor with this name"))?;
        r.into_model()
    }

    /// Updates the given fields. `distributor` is always applied when the
    /// caller passes `set_distributor` (so that it can be cleared).
    pub async fn update_vendor(&self, id: i64, input: &VendorInput, set_distributor: bool) -> Result<Vendor> {
        let i = input.validated(true)?;
        let qbo = blank_to_null(i.qbo_vendor_id);
        let renamed = i.name.is_some();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query_as::<_, VendorRow>(&format!(
            "UPDATE vendors SET name = COALESCE($1, name),
                distributor = CASE WHEN $2 = 1 THEN $3 ELSE distributor END,
                qbo_vendor_id = CASE WHEN $4 = 1 THEN $5 ELSE qbo_vendor_id END
             WHERE id = $6 RETURNING {VENDOR_COLS}"
        ))
        .bind(i.name)
        .bind(i64::from(set_distributor))
        .bind(i.distributor.map(|d| d.as_str()))
        .bind(i64::from(qbo.is_some()))
        .bind(qbo.flatten())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(duplicate("name", "A vendor with this name"))?;
        let v = r.ok_or_else(|| Error::not_found("The vendor"))?.into_model()?;
        if renamed {
            self.raise_within(&mut tx, &Renamed::Vendor(id)).await?;
        }
        tx.commit().await?;
        Ok(v)
    }

    // ---- products ----------------------------------------------------------

    pub async fn list_products(&self, vendor_id: Option<i64>, q: Option<&str>) -> Result<Vec<Product>> {
        crate::validate::search_query(q)?;
        let q = q.unwrap_or("").trim();
        let rows = sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE ($1 = 0 OR vendor_id = $2) AND ($3 = '' OR lower(name) LIKE $4 ESCAPE '\\' OR lower(sku) LIKE $4 ESCAPE '\\') ORDER BY lower(name), id LIMIT $5"
        ))
        .bind(i64::from(vendor_id.is_some()))
        .bind(vendor_id.unwrap_or(0))
        .bind(q)
        .bind(like_pattern(q))
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(ProductRow::into_model).collect())
    }

    pub async fn get_product(&self, id: i64) -> Result<Product> {
        let r = sqlx::query_as::<_, ProductRow>(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.ok_or_else(|| Error::not_found("The product"))?.into_model())
    }

    /// The products with these ids that exist, in one query (ids that
    /// match none are not in it).
    pub async fn products_by_ids(&self, ids: &[i64]) -> Result<Vec<Product>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query_as::<_, ProductRow>(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id IN ({list})"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(ProductRow::into_model).collect())
    }

    pub async fn create_product(&self, input: &ProductInput) -> Result<Product> {
        let i = input.validated(false)?;
        let vendor_id = i.vendor_id.unwrap_or_default();
        if self.get_vendor(vendor_id).await.is_err() {
            return Err(Error::validation("vendor_id", "No vendor has this id."));
        }
        let nonblank = |v: Option<String>| v.filter(|s| !s.is_empty());
        let _turn = self.write_turn().await?;
        let r = sqlx::query_as::<_, ProductRow>(&format!(
            "INSERT INTO products (vendor_id, name, sku, unit_cost_cents, distributor_product_id, billing_term, commitment_term_id, qbo_item_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PRODUCT_COLS}"
        ))
        .bind(vendor_id)
        .bind(i.name)
        .bind(i.sku)
        .bind(i.unit_cost_cents.unwrap_or_default())
        .bind(nonblank(i.distributor_product_id))
        .bind(nonblank(i.billing_term))
        .bind(nonblank(i.commitment_term_id))
        .bind(nonblank(i.qbo_item_id))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(duplicate("sku", "A product with this SKU at this vendor"))?;
        Ok(r.into_model())
    }

    pub async fn update_product(&self, id: i64, input: &ProductInput) -> Result<Product> {
        let i = input.validated(true)?;
        if let Some(v) = i.vendor_id {
            if self.get_vendor(v).await.is_err() {
                return Err(Error::validation("vendor_id", "No vendor has this id."));
            }
        }
        let (dp, bt, ct, qi) = (
            blank_to_null(i.distributor_product_id),
            blank_to_null(i.billing_term),
            blank_to_null(i.commitment_term_id),
            blank_to_null(i.qbo_item_id),
        );
        let _turn = self.write_turn().await?;
        let r = sqlx::query_as::<_, ProductRow>(&format!(
            "UPDATE products SET vendor_id = COALESCE($1, vendor_id), name = COALESCE($2, name), sku = COALESCE($3, sku),
                unit_cost_cents = COALESCE($4, unit_cost_cents),
                distributor_product_id = CASE WHEN $5 = 1 THEN $6 ELSE distributor_product_id END,
                billing_term = CASE WHEN $7 = 1 THEN $8 ELSE billing_term END,
                commitment_term_id = CASE WHEN $9 = 1 THEN $10 ELSE commitment_term_id END,
                qbo_item_id = CASE WHEN $11 = 1 THEN $12 ELSE qbo_item_id END
             WHERE id = $13 RETURNING {PRODUCT_COLS}"
        ))
        .bind(i.vendor_id)
        .bind(i.name)
        .bind(i.sku)
        .bind(i.unit_cost_cents)
        .bind(i64::from(dp.is_some()))
        .bind(dp.flatten())
        .bind(i64::from(bt.is_some()))
        .bind(bt.flatten())
        .bind(i64::from(ct.is_some()))
        .bind(ct.flatten())
        .bind(i64::from(qi.is_some()))
        .bind(qi.flatten())
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(duplicate("sku", "A product with this SKU at this vendor"))?;
        Ok(r.ok_or_else(|| Error::not_found("The product"))?.into_model())
    }
}
