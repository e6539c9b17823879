//! Server functions for reference data. Lists need `view`; changes need
//! `manage_catalog` (admins and purchasers).

use crate::error::ApiError;
use domain::catalog::*;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::context::authorized;
#[cfg(feature = "ssr")]
use domain::users::Permission::{ManageCatalog, View};

/// `distributor` as the API takes it: absent or null leaves it, `""` or
/// `"none"` clears it, else one of the distributor names.
#[cfg(feature = "ssr")]
fn parse_distributor(v: Option<&str>) -> Result<Option<Option<Distributor>>, ApiError> {
    match v.map(str::trim) {
        None => Ok(None),
        Some("") | Some("none") => Ok(Some(None)),
        Some(s) => Distributor::parse(s)
            .map(|d| Some(Some(d)))
            .ok_or_else(|| domain::Error::validation("distributor", "Distributor must be one of pax8, ingram_micro, td_synnex, sherweb, or null.").into()),
    }
}

#[server(endpoint = "companies/list", input = Json, output = Json)]
pub async fn list_companies(q: Option<String>) -> Result<Vec<Company>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.list_companies(q.as_deref()).await?)
}

#[server(endpoint = "companies/get", input = Json, output = Json)]
pub async fn get_company(id: i64) -> Result<Company, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.get_company(id).await?)
}

#[server(endpoint = "companies/create", input = Json, output = Json)]
pub async fn create_company(name: String, pax8_company_id: Option<String>) -> Result<Company, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    Ok(st
        .store
        .create_company(&CompanyInput {
            name: Some(name),
            pax8_company_id,
        })
        .await?)
}

#[server(endpoint = "companies/update", input = Json, output = Json)]
pub async fn update_company(id: i64, name: Option<String>, pax8_company_id: Option<String>) -> Result<Company, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    Ok(st.store.update_company(id, &CompanyInput { name, pax8_company_id }).await?)
}

#[server(endpoint = "tickets/list", input = Json, output = Json)]
pub async fn list_tickets(company_id: Option<i64>, q: Option<String>) -> Result<Vec<Ticket>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.list_tickets(company_id, q.as_deref()).await?)
}

#[server(endpoint = "tickets/create", input = Json, output = Json)]
pub async fn create_ticket(company_id: i64, title: String) -> Result<Ticket, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    Ok(st.store.create_ticket(company_id, &title).await?)
}

#[server(endpoint = "projects/list", input = Json, output = Json)]
pub async fn list_projects(company_id: Option<i64>, q: Option<String>) -> Result<Vec<Project>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.list_projects(company_id, q.as_deref()).await?)
}

#[server(endpoint = "projects/create", input = Json, output = Json)]
pub async fn create_project(company_id: i64, name: String) -> Result<Project, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    Ok(st.store.create_project(company_id, &name).await?)
}

#[server(endpoint = "vendors/list", input = Json, output = Json)]
pub async fn list_vendors() -> Result<Vec<Vendor>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.list_vendors().await?)
}

#[server(endpoint = "vendors/create", input = Json, output = Json)]
pub async fn create_vendor(name: String, distributor: Option<String>, qbo_vendor_id: Option<String>) -> Result<Vendor, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    let distributor = parse_distributor(distributor.as_deref())?.flatten();
    Ok(st
        .store
        .create_vendor(&VendorInput {
            name: Some(name),
            distributor,
            qbo_vendor_id,
        })
        .await?)
}

#[server(endpoint = "vendors/update", input = Json, output = Json)]
pub async fn update_vendor(id: i64, name: Option<String>, distributor: Option<String>, qbo_vendor_id: Option<String>) -> Result<Vendor, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    let d = parse_distributor(distributor.as_deref())?;
    Ok(st
        .store
        .update_vendor(
            id,
            &VendorInput {
                name,
                distributor: d.flatten(),
                qbo_vendor_id,
            },
            d.is_some(),
        )
        .await?)
}

#[server(endpoint = "products/list", input = Json, output = Json)]
pub async fn list_products(vendor_id: Option<i64>, q: Option<String>) -> Result<Vec<Product>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.list_products(vendor_id, q.as_deref()).await?)
}

#[server(endpoint = "products/create", input = Json, output = Json)]
pub async fn create_product(
    vendor_id: i64,
    name: String,
    sku: String,
    unit_cost_cents: i64,
    distributor_product_id: Option<String>,
    billing_term: Option<String>,
    commitment_term_id: Option<String>,
    qbo_item_id: Option<String>,
) -> Result<Product, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    let input = ProductInput {
        vendor_id: Some(vendor_id),
        name: Some(name),
        sku: Some(sku),
        unit_cost_cents: Some(unit_cost_cents),
        distributor_product_id,
        billing_term,
        commitment_term_id,
        qbo_item_id,
    };
    Ok(st.store.create_product(&input).await?)
}

#[server(endpoint = "products/update", input = Json, output = Json)]
pub async fn update_product(
    id: i64,
    vendor_id: Option<i64>,
    name: Option<String>,
    sku: Option<String>,
    unit_cost_cents: Option<i64>,
    distributor_product_id: Option<String>,
    billing_term: Option<String>,
    commitment_term_id: Option<String>,
    qbo_item_id: Option<String>,
) -> Result<Product, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    let input = ProductInput {
        vendor_id,
        name,
        sku,
        unit_cost_cents,
        distributor_product_id,
        billing_term,
        commitment_term_id,
        qbo_item_id,
    };
    Ok(st.store.update_product(id, &input).await?)
}

#[server(endpoint = "contracts/list", input = Json, output = Json)]
pub async fn list_contracts(company_id: Option<i64>) -> Result<Vec<ContractSummary>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.list_contracts(company_id).await?)
}

#[server(endpoint = "contracts/create", input = Json, output = Json)]
pub async fn create_contract(company_id: i64, name: String) -> Result<Contract, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    Ok(st.store.create_contract(company_id, &name).await?)
}

#[server(endpoint = "contracts/get", input = Json, output = Json)]
pub async fn get_contract(id: i64) -> Result<Contract, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.get_contract(id).await?)
}

#[server(endpoint = "contracts/add-line", input = Json, output = Json)]
pub async fn add_contract_line(
    contract_id: i64,
    product_id: Option<i64>,
    description: String,
    quantity: i64,
    unit_price_cents: i64,
) -> Result<ContractLine, ApiError> {
    let (st, _) = authorized(ManageCatalog).await?;
    Ok(st
        .store
        .add_contract_line(
            contract_id,
            &ContractLineInput {
                product_id,
                description,
                quantity,
                unit_price_cents,
            },
        )
        .await?)
}

/// The contract lines of a company's contracts (to link PO lines to).
#[server(endpoint = "contracts/lines", input = Json, output = Json)]
pub async fn list_contract_lines(company_id: i64) -> Result<Vec<CompanyContractLine>, ApiError> {
    let (st, _) = authorized(View).await?;
    Ok(st.store.contract_lines_of_company(company_id).await?)
}
