//! Pax8's companies and products as the browser sees them (the domain's
//! `distributor` types are server-only), and the server functions that
//! search them for the pickers.

use crate::components::Pickable;
use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A company at Pax8. Only `Active` companies can be ordered for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pax8Company {
    pub id: String,
    pub name: String,
    pub status: Option<String>,
    pub orderable: bool,
}

impl Pickable for Pax8Company {
    fn label(&self) -> String {
        self.name.clone()
    }
    fn note(&self) -> Option<String> {
        Some(self.status.clone().unwrap_or_else(|| "no status".into()))
    }
    fn unavailable(&self) -> Option<String> {
        (!self.orderable).then(|| "Pax8 refuses orders for it until it is Active".to_string())
    }
}

/// A product at Pax8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pax8Product {
    pub id: String,
    pub name: String,
    pub vendor_name: Option<String>,
    pub sku: Option<String>,
    pub requires_commitment: bool,
}

impl Pickable for Pax8Product {
    fn label(&self) -> String {
        self.name.clone()
    }
    fn note(&self) -> Option<String> {
        let parts: Vec<String> = [self.vendor_name.clone(), self.sku.clone()].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// One page of Pax8's products.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pax8ProductPage {
    pub items: Vec<Pax8Product>,
    pub page: u64,
    pub total_pages: u64,
    pub total: u64,
}

/// A provisioning detail a product asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pax8Detail {
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    /// `Input`, `Single-Value` or `Multi-Value`.
    pub value_type: String,
    pub possible_values: Vec<String>,
}

/// A commitment term a product offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pax8Commitment {
    pub id: String,
    pub term: String,
}

/// What an order of a product must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pax8Requirements {
    pub details: Vec<Pax8Detail>,
    pub commitments: Vec<Pax8Commitment>,
    pub billing_terms: Vec<String>,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use domain::procurement::distributor::{DistError, ProductRequirements, RemoteCompany, RemotePage, RemoteProduct};

    pub fn upstream(e: DistError) -> ApiError {
        ApiError(domain::Error::new(domain::ErrorCode::Upstream, format!("Pax8 could not be asked: {e}")))
    }

    impl From<RemoteCompany> for Pax8Company {
        fn from(c: RemoteCompany) -> Self {
            let orderable = c.orderable();
            Pax8Company {
                id: c.id,
                name: c.name,
                status: c.status,
                orderable,
            }
        }
    }

    impl From<RemoteProduct> for Pax8Product {
        fn from(p: RemoteProduct) -> Self {
            Pax8Product {
                id: p.id,
                name: p.name,
                vendor_name: p.vendor_name,
                sku: p.sku,
                requires_commitment: p.requires_commitment,
            }
        }
    }

    impl From<RemotePage<RemoteProduct>> for Pax8ProductPage {
        fn from(p: RemotePage<RemoteProduct>) -> Self {
            Pax8ProductPage {
                items: p.items.into_iter().map(Into::into).collect(),
                page: p.page,
                total_pages: p.total_pages,
                total: p.total,
            }
        }
    }

    impl From<ProductRequirements> for Pax8Requirements {
        fn from(r: ProductRequirements) -> Self {
            Pax8Requirements {
                details: r
                    .details
                    .into_iter()
                    .map(|d| Pax8Detail {
                        key: d.key,
                        label: d.label,
                        description: d.description,
                        value_type: d.value_type,
                        possible_values: d.possible_values,
                    })
                    .collect(),
                commitments: r.commitments.into_iter().map(|c| Pax8Commitment { id: c.id, term: c.term }).collect(),
                billing_terms: r.billing_terms,
            }
        }
    }
}

/// Pax8 companies whose name contains `q`, to link a company to.
#[server(endpoint = "integrations/pax8/companies", input = Json, output = Json)]
pub async fn pax8_companies(q: Option<String>) -> Result<Vec<Pax8Company>, ApiError> {
    use domain::procurement::distributor::Distributor;
    let (st, _) = super::api::ready(domain::users::Permission::ManageCatalog).await?;
    let pax8 = st.pax8().await?;
    let q = q.unwrap_or_default();
    let found = pax8.find_companies(q.trim()).await.map_err(convert::upstream)?;
    Ok(found.into_iter().map(Into::into).collect())
}

/// A page of Pax8 products matching `q`, to pick a catalog product's.
#[server(endpoint = "integrations/pax8/products", input = Json, output = Json)]
pub async fn pax8_products(q: Option<String>, page: Option<u64>) -> Result<Pax8ProductPage, ApiError> {
    use domain::procurement::distributor::Distributor;
    let (st, _) = super::api::ready(domain::users::Permission::ManageCatalog).await?;
    let pax8 = st.pax8().await?;
    let q = q.unwrap_or_default();
    Ok(pax8.find_products(q.trim(), page.unwrap_or(0)).await.map_err(convert::upstream)?.into())
}

/// What an order of a Pax8 product must carry: provisioning details,
/// commitment terms and billing terms. Anyone who raises POs asks it.
#[server(endpoint = "integrations/pax8/product", input = Json, output = Json)]
pub async fn pax8_product_requirements(id: String) -> Result<Pax8Requirements, ApiError> {
    use domain::procurement::distributor::Distributor;
    let (st, _) = super::api::ready(domain::users::Permission::Create).await?;
    let id = id.trim();
    if id.is_empty() {
        return Err(domain::Error::validation("id", "Give the Pax8 product id.").into());
    }
    let pax8 = st.pax8().await?;
    match pax8.product_requirements(id).await {
        Ok(r) => Ok(r.into()),
        Err(domain::procurement::distributor::DistError::Rejected { status: 404, .. }) => {
            Err(domain::Error::not_found(format!("The Pax8 product {id}")).into())
        }
        Err(e) => Err(convert::upstream(e)),
    }
}
