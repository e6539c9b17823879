//! Pax8's companies and products, for picking instead of typing ids, and
//! a company's status, checked before the first send.

use super::distributor::*;
use super::pax8::{segment, Pax8};
use super::pax8_wire::{self as wire, MAX_PAGE};
use std::time::{Duration, Instant};

/// How long a company seen `Active` is trusted before asking again.
const ACTIVE_FOR: Duration = Duration::from_secs(300);
/// How long the company list is kept for the picker.
const LIST_FOR: Duration = Duration::from_secs(60);
/// Products per picker page.
const PRODUCT_PAGE: u64 = 50;

impl Pax8 {
    /// `GET /companies/{id}`; an `Active` answer is remembered briefly.
    pub(super) async fn company_status(&self, id: &str) -> Result<RemoteCompany, DistError> {
        if let Some(at) = self.active.lock().unwrap().get(id) {
            if at.elapsed() < ACTIVE_FOR {
                return Ok(RemoteCompany {
                    id: id.to_string(),
                    name: String::new(),
                    status: Some("Active".into()),
                });
            }
        }
        let v = self.get(&format!("/companies/{}", segment(id)), &[]).await?;
        let c = wire::company(&v).ok_or_else(|| DistError::Unreachable("Pax8's company has no id".into()))?;
        let mut active = self.active.lock().unwrap();
        if c.orderable() {
            active.insert(id.to_string(), Instant::now());
        } else {
            active.remove(id);
        }
        Ok(c)
    }

    /// Companies whose name contains `query`, by name. `GET /companies`
    /// has no name filter, and its order is not promised: every page is
    /// read (200 a page) and kept for a minute.
    pub(super) async fn companies_named(&self, query: &str) -> Result<Vec<RemoteCompany>, DistError> {
        let mut cached = self.companies.lock().await;
        let fresh = cached.as_ref().is_some_and(|(_, at)| at.elapsed() < LIST_FOR);
        if !fresh {
            let mut all = Vec::new();
            let mut page = 0;
            loop {
                let v = self.get("/companies", &[("page", page.to_string()), ("size", MAX_PAGE.to_string())]).await?;
                let listed = wire::listed(&v, MAX_PAGE);
                all.extend(listed.content.iter().filter_map(wire::company));
                page += 1;
                if page >= listed.total_pages || page >= 100 {
                    break;
                }
            }
            all.sort_by_key(|c| c.name.to_lowercase());
            *cached = Some((all, Instant::now()));
        }
        let q = query.trim().to_lowercase();
        Ok(cached
            .as_ref()
            .map(|(all, _)| {
                all.iter()
                    .filter(|c| q.is_empty() || c.name.to_lowercase().contains(&q))
                    .take(50)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `GET /products?search=…` (Pax8 filters by name).
    pub(super) async fn products_page(&self, query: &str, page: u64) -> Result<RemotePage<RemoteProduct>, DistError> {
        let mut params = vec![("page", page.to_string()), ("size", PRODUCT_PAGE.to_string())];
        if !query.trim().is_empty() {
            params.push(("search", query.trim().to_string()));
        }
        let v = self.get("/products", &params).await?;
        let listed = wire::listed(&v, PRODUCT_PAGE);
        Ok(RemotePage {
            items: listed.content.iter().filter_map(wire::product).collect(),
            page,
            total_pages: listed.total_pages,
            total: listed.total,
        })
    }

    /// What an order of the product needs: `provision-details`, the
    /// commitment terms of `dependencies` (Pax8's `commitmentTermId` is
    /// picked there), and the billing terms of `pricing`.
    pub(super) async fn requirements(&self, product_id: &str) -> Result<ProductRequirements, DistError> {
        let id = segment(product_id);
        let details = self.get(&format!("/products/{id}/provision-details"), &[]).await?;
        let dependencies = self.get(&format!("/products/{id}/dependencies"), &[]).await?;
        let pricing = self.get(&format!("/products/{id}/pricing"), &[]).await?;
        let mut billing_terms: Vec<String> = Vec::new();
        for p in pricing.get("content").and_then(|c| c.as_array()).into_iter().flatten() {
            if let Some(t) = p.get("billingTerm").and_then(|t| t.as_str()) {
                if !billing_terms.iter().any(|b| b == t) {
                    billing_terms.push(t.to_string());
                }
            }
        }
        Ok(ProductRequirements {
            details: details
                .get("content")
                .and_then(|c| c.as_array())
                .map(|a| a.iter().filter_map(wire::detail_spec).collect())
                .unwrap_or_default(),
            commitments: wire::commitments(&dependencies),
            billing_terms,
        })
    }
}
