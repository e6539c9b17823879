//! The company's lists (accounts, vendors, items, tax codes) for the
//! mapping pickers, and the vendor picker's short-lived cache.

use super::{AccessError, Qbo};
use crate::quickbooks::{QboEntity, QboLists, QboVendorChoices};
use crate::Result;

/// The company's vendors as read: (realm, when, vendors).
pub(super) type VendorCache = (String, std::time::Instant, Vec<QboEntity>);

/// How long the vendor picker trusts the vendors it read.
const VENDOR_CACHE: std::time::Duration = std::time::Duration::from_secs(60);

impl Qbo {
    /// Every row of `entity` in the company, read page by page.
    pub async fn query_all(&self, entity: &str, filter: &str) -> std::result::Result<Vec<serde_json::Value>, AccessError> {
        self.authed_raw(|a| async move { self.client.query_all(a.environment, &a.realm_id, &a.token, entity, filter).await })
            .await
    }

    async fn entities(&self, entity: &str, name: &str, kind: &str) -> Result<Vec<QboEntity>> {
        let rows = self.query_all(entity, "").await.map_err(AccessError::into_error)?;
        Ok(rows
            .iter()
            .map(|e| QboEntity {
                id: e["Id"].as_str().unwrap_or_default().to_string(),
                name: e[name].as_str().unwrap_or_default().to_string(),
                kind: e.get(kind).and_then(|k| k.as_str()).unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// The company's accounts, vendors, items and tax codes, for the mapping pickers.
    pub async fn lists(&self) -> Result<QboLists> {
        let vendors = self.entities("Vendor", "DisplayName", "").await?;
        self.keep_vendors(&vendors).await;
        Ok(QboLists {
            accounts: self.entities("Account", "Name", "AccountType").await?,
            vendors,
            items: self.entities("Item", "Name", "").await?,
            tax_codes: self.entities("TaxCode", "Name", "").await?,
        })
    }

    async fn keep_vendors(&self, vendors: &[QboEntity]) {
        if let Ok(Some(s)) = self.load().await {
            *self.vendors.lock().unwrap_or_else(|e| e.into_inner()) = Some((s.realm_id, std::time::Instant::now(), vendors.to_vec()));
        }
    }

    /// QuickBooks vendors whose name has every word of `q` (at most 20), and
    /// the best match for the NEXOS vendor name `name`. The company's vendors
    /// are read (all pages) at most once a minute.
    pub async fn vendor_choices(&self, q: &str, name: &str) -> Result<QboVendorChoices> {
        let realm = self.load().await?.map(|s| s.realm_id).ok_or_else(|| AccessError::NotConnected.into_error())?;
        let cached = self
            .vendors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|(r, at, _)| *r == realm && at.elapsed() < VENDOR_CACHE)
            .map(|(_, _, v)| v.clone());
        let all = match cached {
            Some(v) => v,
            None => {
                let v = self.entities("Vendor", "DisplayName", "").await?;
                self.keep_vendors(&v).await;
                v
            }
        };
        Ok(QboVendorChoices {
            vendors: crate::quickbooks::search_vendors(q, &all, 20),
            suggestion: crate::quickbooks::suggest_vendor(name, &all),
        })
    }
}
